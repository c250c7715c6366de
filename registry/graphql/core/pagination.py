"""Relay connections with keyset cursors and totalCount.

A cursor holds the sort key of its row (plus the id as tie-breaker), not an offset, so pages
stay correct when rows are inserted before them, and the database seeks by index instead of
skipping rows.
"""

import base64
import binascii
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

import orjson
import sqlalchemy as sa
import strawberry
from sqlalchemy.engine import RowMapping
from strawberry import Info, Private, relay

from .errors import bad_argument
from .prefetch import prefetch, selections_under

__all__ = ["MAX_PAGE_SIZE", "Connection", "SortKey", "paginate"]

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
NodeType = TypeVar("NodeType")


@strawberry.type(description="A page of a list, with the size of the whole filtered list")
class Connection(relay.Connection[NodeType], Generic[NodeType]):
    count_statement: Private[sa.Select]

    @strawberry.field(description="How many items match the filter, over all pages")
    async def total_count(self, info: Info) -> int:
        # counted only when asked for: a count visits every matching row
        return await info.context.scalar(self.count_statement)


@dataclass(frozen=True)
class SortKey:
    """One ORDER BY term. Nullable columns come wrapped in COALESCE so keyset comparisons work."""

    expression: sa.ColumnElement
    descending: bool = False


# Sort values that JSON cannot hold travel as their text and are read back by the key's type.
_FROM_TEXT: dict[type, Callable[[str], Any]] = {
    date: date.fromisoformat,
    datetime: datetime.fromisoformat,
    uuid.UUID: uuid.UUID,
    Decimal: Decimal,
}


def _to_json(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def _from_json(value: Any, expression: sa.ColumnElement) -> Any:
    if value is None:
        return None
    from_text = _FROM_TEXT.get(expression.type.python_type)
    if from_text is None:
        return value
    if not isinstance(value, str):
        raise TypeError
    return from_text(value)


def _encode(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([_to_json(v) for v in values])).decode()


def _decode(cursor: str, keys: list[SortKey], argument: str) -> list[Any]:
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError
        return [_from_json(v, k.expression) for v, k in zip(values, keys, strict=True)]
    # orjson.JSONDecodeError is a ValueError
    except (ValueError, TypeError, InvalidOperation, binascii.Error, NotImplementedError):
        raise bad_argument(argument, "not a cursor of this list with this ordering") from None


def _after(keys: list[SortKey], values: list[Any], forward: bool) -> sa.ColumnElement[bool]:
    """Rows strictly after `values` in the (possibly reversed) sort order."""
    if len({key.descending for key in keys}) == 1:
        # One direction: a row-value comparison, which the database answers with one index range
        # scan; the expanded OR below makes PostgreSQL filter rows, slower as the table grows.
        row = sa.tuple_(*(key.expression for key in keys))
        bound = sa.tuple_(*(sa.literal(v, key.expression.type) for key, v in zip(keys, values, strict=True)))
        return row > bound if keys[0].descending != forward else row < bound
    alternatives = []
    for i, key in enumerate(keys):
        greater = key.descending != forward  # paging backwards walks the order in reverse
        comparison = key.expression > values[i] if greater else key.expression < values[i]
        equal_before = [keys[j].expression == values[j] for j in range(i)]
        alternatives.append(sa.and_(*equal_before, comparison))
    return sa.or_(*alternatives)


def _page_size(first: int | None, last: int | None) -> tuple[int, bool]:
    if first is not None and last is not None:
        raise bad_argument("last", "give first or last, not both")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= MAX_PAGE_SIZE:
            raise bad_argument(name, f"must be between 0 and {MAX_PAGE_SIZE}, got {value}")
    if last is not None:
        return last, False
    return (first if first is not None else DEFAULT_PAGE_SIZE), True


async def paginate(
    info: Info,
    *,
    table: sa.Table,
    where: Sequence[sa.ColumnElement[bool]],
    order: Sequence[SortKey],
    build_node: Callable[[RowMapping], Any],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection:
    size, forward = _page_size(first, last)
    # the id breaks ties, running the way the last key runs so that one-direction orders stay so
    keys = [*order, SortKey(table.c.id, descending=order[-1].descending if order else False)]
    columns = [k.expression.label(f"_sort{i}") for i, k in enumerate(keys)]
    statement = sa.select(table, *columns).where(*where)
    cursor, argument = (after, "after") if forward else (before, "before")
    if cursor is not None:
        statement = statement.where(_after(keys, _decode(cursor, keys, argument), forward))
    statement = statement.order_by(
        *((k.expression.desc() if k.descending == forward else k.expression.asc()) for k in keys)
    ).limit(size + 1)

    context = info.context
    rows = list(await context.fetch(statement))
    has_more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()

    edges = [
        relay.Edge(cursor=_encode([row[f"_sort{i}"] for i in range(len(keys))]), node=build_node(row))
        for row in rows
    ]
    await prefetch(info, [edge.node for edge in edges],
                   selections_under(info.selected_fields[0].selections, "edges", "node"))
    return Connection(
        edges=edges,
        count_statement=sa.select(sa.func.count()).select_from(table).where(*where),
        page_info=relay.PageInfo(
            has_next_page=has_more if forward else before is not None,
            has_previous_page=after is not None if forward else has_more,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
