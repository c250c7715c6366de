from enum import Enum

import sqlalchemy as sa
import strawberry
from strawberry import relay

from ...models import Project, ProjectParticipant
from ...models.base import undated_last
from ...models.enums import EntityType
from ..core.enums import OrderDirection, ProjectKind, ProjectStatus, Sector
from ..core.filters import DateWindow, RecordFilter, node_uuid, overlaps

__all__ = ["ORDER_COLUMNS", "ProjectFilter", "ProjectOrder", "ProjectOrderField"]

_table = Project.__table__
_participants = ProjectParticipant.__table__


@strawberry.input
class ProjectFilter(RecordFilter):
    kind: list[ProjectKind] | None = None
    status: list[ProjectStatus] | None = None
    sector: list[Sector] | None = None
    country: list[str] | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 codes")
    date: DateWindow | None = strawberry.field(default=None, description="Actual (else planned) period overlaps")
    organization: relay.GlobalID | None = strawberry.field(default=None, description="Has this participant")
    person: relay.GlobalID | None = strawberry.field(default=None, description="Has this participant")

    def conditions(self, dialect: str) -> list[sa.ColumnElement[bool]]:
        conditions = self.record_conditions(_table, EntityType.PROJECT, dialect)
        for values, column in ((self.kind, _table.c.kind), (self.status, _table.c.status),
                               (self.sector, _table.c.sector), (self.country, _table.c.country_code)):
            if values:
                conditions.append(column.in_(values))
        lower = sa.func.coalesce(_table.c.actual_lower, _table.c.planned_lower)
        upper = sa.func.coalesce(_table.c.actual_upper, _table.c.planned_upper)
        conditions += overlaps(lower, upper, self.date, "filter.date")
        for argument, type_name, column in (("organization", "Organization", _participants.c.organization_id),
                                            ("person", "Person", _participants.c.person_id)):
            if (key := node_uuid(getattr(self, argument), type_name, f"filter.{argument}")) is not None:
                conditions.append(_table.c.id.in_(sa.select(_participants.c.project_id).where(column == key)))
        return conditions


@strawberry.enum
class ProjectOrderField(Enum):
    TITLE = "title"
    DATE = "date"
    STATUS = "status"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@strawberry.input
class ProjectOrder:
    field: ProjectOrderField
    direction: OrderDirection = OrderDirection.ASC


ORDER_COLUMNS = {
    ProjectOrderField.TITLE: _table.c.title,
    ProjectOrderField.DATE: undated_last(_table.c.actual_lower, _table.c.planned_lower),
    ProjectOrderField.STATUS: _table.c.status,
    ProjectOrderField.CREATED_AT: _table.c.created_at,
    ProjectOrderField.UPDATED_AT: _table.c.updated_at,
}
