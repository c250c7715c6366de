import strawberry

from ..core.listing import record_list
from ..core.pagination import Connection
from .filters import ORDER_COLUMNS, PersonFilter, PersonOrder, PersonOrderField
from .types import PersonType

__all__ = ["PersonQuery"]


@strawberry.type
class PersonQuery:
    people: Connection[PersonType] = record_list(
        PersonType, PersonFilter, PersonOrder, ORDER_COLUMNS, PersonOrderField.NAME,
        "People (default order: display name)",
    )
