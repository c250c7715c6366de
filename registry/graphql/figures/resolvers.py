import strawberry

from ..core.listing import record_list
from ..core.pagination import Connection
from .filters import ORDER_COLUMNS, FigureFilter, FigureOrder, FigureOrderField
from .types import FigureType

__all__ = ["FigureQuery"]


@strawberry.type
class FigureQuery:
    figures: Connection[FigureType] = record_list(
        FigureType, FigureFilter, FigureOrder, ORDER_COLUMNS, FigureOrderField.PERIOD,
        "Statistics as stated by the sources (default order: period)",
    )
