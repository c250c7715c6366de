import strawberry

from ..core.listing import record_list
from ..core.pagination import Connection
from .filters import ORDER_COLUMNS, SourceFilter, SourceOrder, SourceOrderField
from .types import SourceType

__all__ = ["SourceQuery"]


@strawberry.type
class SourceQuery:
    sources: Connection[SourceType] = record_list(
        SourceType, SourceFilter, SourceOrder, ORDER_COLUMNS, SourceOrderField.TITLE,
        "The source documents (default order: title)",
    )
