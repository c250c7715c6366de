"""Filter pieces every domain's `filter:` input reuses."""

import uuid
from datetime import date

import sqlalchemy as sa
import strawberry

from ...models import SearchEntry, Tag
from ...models.enums import EntityType
from ...partial_date import PartialDate, PartialDateError
from .errors import bad_argument
from .text_search import matching_entries, query_words

__all__ = ["DateWindow", "RecordFilter", "has_tags", "matches_text", "node_uuid", "overlaps", "window_bounds"]


@strawberry.input(description="Dates that overlap this window; each end may be partial (2002, 2002-09)")
class DateWindow:
    from_: str | None = strawberry.field(default=None, name="from", description="from the start of this date")
    to: str | None = strawberry.field(default=None, description="to the end of this date")


def window_bounds(window: DateWindow | None, argument: str) -> tuple[date | None, date | None]:
    if window is None:
        return None, None
    try:
        start = PartialDate.parse(window.from_) if window.from_ else None
    except PartialDateError as exc:
        raise bad_argument(f"{argument}.from" if argument else "from", str(exc)) from None
    try:
        end = PartialDate.parse(window.to) if window.to else None
    except PartialDateError as exc:
        raise bad_argument(f"{argument}.to" if argument else "to", str(exc)) from None
    return (start.lower if start else None), (end.upper if end else None)


def overlaps(
    lower: sa.ColumnElement, upper: sa.ColumnElement, window: DateWindow | None, argument: str
) -> list[sa.ColumnElement[bool]]:
    """Rows whose [lower, upper] meets the window (a NULL bound is open; an undated row never matches)."""
    start, end = window_bounds(window, argument)
    if start is None and end is None:
        return []
    conditions = [sa.or_(lower.is_not(None), upper.is_not(None))]
    if end is not None:
        conditions.append(sa.or_(lower.is_(None), lower <= end))
    if start is not None:
        conditions.append(sa.or_(upper.is_(None), upper >= start))
    return conditions


def matches_text(id_column: sa.ColumnElement, entity_type: EntityType, text: str | None, dialect: str):
    if text is None:
        return []
    words = query_words(text, "filter.text")
    table = SearchEntry.__table__
    subjects = sa.select(table.c.subject_id).where(*matching_entries(words, dialect, [entity_type]))
    return [id_column.in_(subjects)]


def has_tags(id_column: sa.ColumnElement, entity_type: EntityType, tags: list[str] | None):
    if not tags:
        return []
    table = Tag.__table__
    return [id_column.in_(sa.select(table.c.subject_id).where(table.c.subject_type == entity_type,
                                                               table.c.name.in_(tags)))]


@strawberry.input(description="Filters every record list accepts")
class RecordFilter:
    tag: list[str] | None = strawberry.field(default=None, description="Any of these tags")
    text: str | None = strawberry.field(
        default=None, description="Words in the name or an alias; case, accents and spelling variants ignored"
    )

    def record_conditions(self, table: sa.Table, entity_type: EntityType, dialect: str) -> list:
        return [*has_tags(table.c.id, entity_type, self.tag), *matches_text(table.c.id, entity_type, self.text, dialect)]


def node_uuid(global_id: strawberry.relay.GlobalID | None, type_name: str, argument: str):
    """The record id inside a global ID, checking it names the expected type."""
    if global_id is None:
        return None
    if global_id.type_name != type_name:
        raise bad_argument(argument, f"expected the id of a {type_name}, got one of a {global_id.type_name}")
    try:
        return uuid.UUID(global_id.node_id)
    except ValueError:
        raise bad_argument(argument, f"{global_id.node_id!r} is not a {type_name} id") from None
