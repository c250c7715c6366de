import strawberry

from ..core.listing import record_list
from ..core.pagination import Connection
from .filters import ORDER_COLUMNS, AgreementFilter, AgreementOrder, AgreementOrderField
from .types import AgreementType

__all__ = ["AgreementQuery"]


@strawberry.type
class AgreementQuery:
    agreements: Connection[AgreementType] = record_list(
        AgreementType, AgreementFilter, AgreementOrder, ORDER_COLUMNS, AgreementOrderField.SIGNED,
        "Treaties and agreements (default order: signature date)",
    )
