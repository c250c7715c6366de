from enum import Enum

import sqlalchemy as sa
import strawberry
from strawberry import relay

from ...models import Event, EventParticipant
from ...models.base import undated_last
from ...models.enums import EntityType
from ..core.enums import EventKind, OrderDirection
from ..core.filters import DateWindow, RecordFilter, node_uuid, overlaps

__all__ = ["ORDER_COLUMNS", "EventFilter", "EventOrder", "EventOrderField"]

_table = Event.__table__
_participants = EventParticipant.__table__


@strawberry.input
class EventFilter(RecordFilter):
    kind: list[EventKind] | None = None
    country: list[str] | None = strawberry.field(default=None, description="Held in these countries")
    date: DateWindow | None = strawberry.field(default=None, description="Event dates overlap")
    organization: relay.GlobalID | None = strawberry.field(default=None, description="Took part")
    person: relay.GlobalID | None = strawberry.field(default=None, description="Took part")

    def conditions(self, dialect: str) -> list[sa.ColumnElement[bool]]:
        conditions = self.record_conditions(_table, EntityType.EVENT, dialect)
        if self.kind:
            conditions.append(_table.c.kind.in_(self.kind))
        if self.country:
            conditions.append(_table.c.country_code.in_(self.country))
        conditions += overlaps(_table.c.date_lower, _table.c.date_upper, self.date, "filter.date")
        for argument, type_name, column in (("organization", "Organization", _participants.c.organization_id),
                                            ("person", "Person", _participants.c.person_id)):
            if (key := node_uuid(getattr(self, argument), type_name, f"filter.{argument}")) is not None:
                conditions.append(_table.c.id.in_(sa.select(_participants.c.event_id).where(column == key)))
        return conditions


@strawberry.enum
class EventOrderField(Enum):
    DATE = "date"
    TITLE = "title"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@strawberry.input
class EventOrder:
    field: EventOrderField
    direction: OrderDirection = OrderDirection.ASC


ORDER_COLUMNS = {
    EventOrderField.DATE: undated_last(_table.c.date_lower),
    EventOrderField.TITLE: _table.c.title,
    EventOrderField.CREATED_AT: _table.c.created_at,
    EventOrderField.UPDATED_AT: _table.c.updated_at,
}
