from enum import Enum

import sqlalchemy as sa
import strawberry

from ...models import Source
from ...models.base import undated_last
from ...models.enums import EntityType
from ..core.enums import OrderDirection
from ..core.filters import DateWindow, RecordFilter, overlaps

__all__ = ["ORDER_COLUMNS", "SourceFilter", "SourceOrder", "SourceOrderField"]

_table = Source.__table__


@strawberry.input
class SourceFilter(RecordFilter):
    published: DateWindow | None = strawberry.field(default=None, description="Publication date overlaps")

    def conditions(self, dialect: str) -> list[sa.ColumnElement[bool]]:
        conditions = self.record_conditions(_table, EntityType.SOURCE, dialect)
        return conditions + overlaps(_table.c.published_lower, _table.c.published_upper, self.published,
                                     "filter.published")


@strawberry.enum
class SourceOrderField(Enum):
    TITLE = "title"
    PUBLISHED = "published"
    FILE = "file"


@strawberry.input
class SourceOrder:
    field: SourceOrderField
    direction: OrderDirection = OrderDirection.ASC


ORDER_COLUMNS = {
    SourceOrderField.TITLE: _table.c.title,
    SourceOrderField.PUBLISHED: undated_last(_table.c.published_lower),
    SourceOrderField.FILE: _table.c.file,
}
