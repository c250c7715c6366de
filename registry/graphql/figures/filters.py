from enum import Enum

import sqlalchemy as sa
import strawberry
from strawberry import relay

from ...models import Citation, Figure
from ...models.base import undated_last
from ...models.enums import EntityType
from ..core.enums import FigureMetric, FigureUnit, OrderDirection
from ..core.filters import DateWindow, RecordFilter, node_uuid, overlaps

__all__ = ["ORDER_COLUMNS", "FigureFilter", "FigureOrder", "FigureOrderField"]

_table = Figure.__table__


@strawberry.input
class FigureFilter(RecordFilter):
    metric: list[FigureMetric] | None = None
    unit: list[FigureUnit] | None = None
    period: DateWindow | None = strawberry.field(default=None, description="Period overlaps")
    from_country: str | None = strawberry.field(default=None, description="Flow from this country (ISO code)")
    to_country: str | None = strawberry.field(default=None, description="Flow to this country (ISO code)")
    project: relay.GlobalID | None = strawberry.field(default=None, description="About this project")
    organization: relay.GlobalID | None = strawberry.field(default=None, description="About this organization")
    source: relay.GlobalID | None = strawberry.field(default=None, description="Stated by this source")

    def conditions(self, dialect: str) -> list[sa.ColumnElement[bool]]:
        conditions = self.record_conditions(_table, EntityType.FIGURE, dialect)
        for values, column in ((self.metric, _table.c.metric), (self.unit, _table.c.unit)):
            if values:
                conditions.append(column.in_(values))
        for value, column in ((self.from_country, _table.c.from_country_code),
                              (self.to_country, _table.c.to_country_code)):
            if value:
                conditions.append(column == value)
        conditions += overlaps(_table.c.period_lower, _table.c.period_upper, self.period, "filter.period")
        if (project := node_uuid(self.project, "Project", "filter.project")) is not None:
            conditions.append(_table.c.subject_project_id == project)
        if (organization := node_uuid(self.organization, "Organization", "filter.organization")) is not None:
            conditions.append(_table.c.subject_organization_id == organization)
        if (source := node_uuid(self.source, "Source", "filter.source")) is not None:
            citations = Citation.__table__
            conditions.append(_table.c.id.in_(sa.select(citations.c.subject_id).where(
                citations.c.subject_type == EntityType.FIGURE, citations.c.source_id == source)))
        return conditions


@strawberry.enum
class FigureOrderField(Enum):
    PERIOD = "period"
    VALUE = "value"
    METRIC = "metric"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@strawberry.input
class FigureOrder:
    field: FigureOrderField
    direction: OrderDirection = OrderDirection.ASC


ORDER_COLUMNS = {
    FigureOrderField.PERIOD: undated_last(_table.c.period_lower),
    FigureOrderField.VALUE: _table.c.value,
    FigureOrderField.METRIC: _table.c.metric,
    FigureOrderField.CREATED_AT: _table.c.created_at,
    FigureOrderField.UPDATED_AT: _table.c.updated_at,
}
