import strawberry

from ..core.listing import record_list
from ..core.pagination import Connection
from .filters import ORDER_COLUMNS, EventFilter, EventOrder, EventOrderField
from .types import EventType

__all__ = ["EventQuery"]


@strawberry.type
class EventQuery:
    events: Connection[EventType] = record_list(
        EventType, EventFilter, EventOrder, ORDER_COLUMNS, EventOrderField.DATE,
        "Visits, summits and other events (default order: date)",
    )
