from enum import Enum

import sqlalchemy as sa
import strawberry
from strawberry import relay

from ...models import Organization
from ...models.base import undated_last
from ...models.enums import EntityType
from ..core.enums import OrderDirection, OrganizationKind
from ..core.filters import DateWindow, RecordFilter, node_uuid, overlaps

__all__ = ["ORDER_COLUMNS", "OrganizationFilter", "OrganizationOrder", "OrganizationOrderField"]

_table = Organization.__table__


@strawberry.input
class OrganizationFilter(RecordFilter):
    kind: list[OrganizationKind] | None = None
    country: list[str] | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 codes")
    city: str | None = None
    parent: relay.GlobalID | None = strawberry.field(default=None, description="Direct children of this one")
    founded: DateWindow | None = strawberry.field(default=None, description="Founding date overlaps")

    def conditions(self, dialect: str) -> list[sa.ColumnElement[bool]]:
        conditions = self.record_conditions(_table, EntityType.ORGANIZATION, dialect)
        if self.kind:
            conditions.append(_table.c.kind.in_(self.kind))
        if self.country:
            conditions.append(_table.c.country_code.in_(self.country))
        if self.city:
            conditions.append(sa.func.lower(_table.c.city) == self.city.lower())
        if (parent := node_uuid(self.parent, "Organization", "filter.parent")) is not None:
            conditions.append(_table.c.parent_id == parent)
        return conditions + overlaps(_table.c.founded_lower, _table.c.founded_upper, self.founded, "filter.founded")


@strawberry.enum
class OrganizationOrderField(Enum):
    NAME = "name"
    FOUNDED = "founded"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@strawberry.input
class OrganizationOrder:
    field: OrganizationOrderField
    direction: OrderDirection = OrderDirection.ASC


ORDER_COLUMNS = {
    OrganizationOrderField.NAME: _table.c.name,
    OrganizationOrderField.FOUNDED: undated_last(_table.c.founded_lower),
    OrganizationOrderField.CREATED_AT: _table.c.created_at,
    OrganizationOrderField.UPDATED_AT: _table.c.updated_at,
}
