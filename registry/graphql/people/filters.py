from enum import Enum

import sqlalchemy as sa
import strawberry
from strawberry import relay

from ...models import Person, Position
from ...models.enums import EntityType
from ..core.enums import OrderDirection
from ..core.filters import DateWindow, RecordFilter, node_uuid, overlaps

__all__ = ["ORDER_COLUMNS", "PersonFilter", "PersonOrder", "PersonOrderField"]

_table = Person.__table__
_positions = Position.__table__


@strawberry.input
class PersonFilter(RecordFilter):
    country: list[str] | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 codes")
    organization: relay.GlobalID | None = strawberry.field(default=None, description="Held a post here")
    position_date: DateWindow | None = strawberry.field(default=None, description="Held a post in this window")

    def conditions(self, dialect: str) -> list[sa.ColumnElement[bool]]:
        conditions = self.record_conditions(_table, EntityType.PERSON, dialect)
        if self.country:
            conditions.append(_table.c.country_code.in_(self.country))
        posts = []
        if (organization := node_uuid(self.organization, "Organization", "filter.organization")) is not None:
            posts.append(_positions.c.organization_id == organization)
        lower = sa.func.coalesce(_positions.c.period_lower, _positions.c.as_of_lower)
        upper = sa.func.coalesce(_positions.c.period_upper, _positions.c.as_of_upper)
        posts += overlaps(lower, upper, self.position_date, "filter.positionDate")
        if posts:
            conditions.append(_table.c.id.in_(sa.select(_positions.c.person_id).where(*posts)))
        return conditions


@strawberry.enum
class PersonOrderField(Enum):
    NAME = "name"
    FAMILY_NAME = "family_name"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@strawberry.input
class PersonOrder:
    field: PersonOrderField
    direction: OrderDirection = OrderDirection.ASC


ORDER_COLUMNS = {
    PersonOrderField.NAME: _table.c.display_name,
    PersonOrderField.FAMILY_NAME: sa.func.coalesce(_table.c.family_name, _table.c.display_name),
    PersonOrderField.CREATED_AT: _table.c.created_at,
    PersonOrderField.UPDATED_AT: _table.c.updated_at,
}
