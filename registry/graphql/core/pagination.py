"""Relay connections with keyset cursors and totalCount.

A cursor holds the sort key of its row (plus the id as tie-breaker), not an offset, so pages
stay correct when rows are inserted before them, and the database seeks by index instead of
skipping rows.
"""

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

import orjson
import sqlalchemy as sa
import strawberry
from sqlalchemy.engine import RowMapping
from sqlmodel.sql.sqltypes import AutoString
from strawberry import Info, Private, relay

from .errors import bad_argument

__all__ = ["MAX_CURSOR_LENGTH", "MAX_PAGE_SIZE", "Connection", "SortKey", "paginate"]

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


# A cursor is base64 JSON, readable by any worker and after any restart with no secret to share
# or rotate (an HMAC would need one). It is not trusted instead: each value is read back by its
# sort key's SQL type and refused unless it is a value of that type the database can compare, so
# a forged cursor is a BAD_USER_INPUT and never reaches the driver (NUL in text, a number
# asyncpg cannot encode, an unknown enum value, an object where text belongs…).
MAX_CURSOR_LENGTH = 4_096  # a cursor of the longest ordering of the longest titles is under 2,000
_BIGINT = 2**63
_MAX_DECIMAL_DIGITS = 40  # beyond any numeric column here, well within what the drivers encode


def _text(value: Any) -> str:
    if type(value) is not str or "\x00" in value:
        raise TypeError
    return value


def _integer(value: Any) -> int:
    if type(value) is not int or not -_BIGINT <= value < _BIGINT:
        raise TypeError
    return value


def _boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise TypeError
    return value


def _decimal(value: Any) -> Decimal:
    number = Decimal(_text(value))
    digits, exponent = number.as_tuple()[1:]
    if not number.is_finite() or len(digits) > _MAX_DECIMAL_DIGITS or abs(exponent) > _MAX_DECIMAL_DIGITS:
        raise ValueError
    return number


def _reader(sql_type: sa.types.TypeEngine) -> Callable[[Any], Any]:
    """How a cursor value is read back for a sort key of this SQL type (raising when it is not one)."""
    if isinstance(sql_type, sa.Enum):
        return lambda value: sql_type.enum_class(_text(value))
    if isinstance(sql_type, (sa.String, AutoString)):
        return _text
    if isinstance(sql_type, sa.DateTime):
        return lambda value: datetime.fromisoformat(_text(value))
    if isinstance(sql_type, sa.Date):
        return lambda value: date.fromisoformat(_text(value))
    if isinstance(sql_type, sa.Numeric):
        return _decimal
    if isinstance(sql_type, sa.Boolean):
        return _boolean
    if isinstance(sql_type, sa.Integer):
        return _integer
    if isinstance(sql_type, sa.Uuid):
        return lambda value: uuid.UUID(_text(value))
    raise NotImplementedError(f"cursors cannot carry a sort key of type {sql_type!r}")


def _encode(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([_to_json(v) for v in values])).decode()


def _decode(cursor: str, keys: list[SortKey], argument: str) -> list[Any]:
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise bad_argument(argument, f"not a cursor: longer than {MAX_CURSOR_LENGTH} characters")
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError
        return [_reader(key.expression.type)(value) for value, key in zip(values, keys, strict=True)]
    # orjson.JSONDecodeError is a ValueError
    except (ValueError, TypeError, InvalidOperation, binascii.Error):
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
    page_nodes: Callable[[Info, Sequence[RowMapping]], Awaitable[list[Any]]],
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
    # Relay's algorithm: both cursors bound the list whichever way it is walked, then first/last cut
    if after is not None:
        statement = statement.where(_after(keys, _decode(after, keys, "after"), forward=True))
    if before is not None:
        statement = statement.where(_after(keys, _decode(before, keys, "before"), forward=False))
    statement = statement.order_by(
        *((k.expression.desc() if k.descending == forward else k.expression.asc()) for k in keys)
    ).limit(size + 1)

    context = info.context
    rows = list(await context.fetch(statement))
    has_more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()

    nodes = await page_nodes(info, rows)
    edges = [
        relay.Edge(cursor=_encode([row[f"_sort{i}"] for i in range(len(keys))]), node=node)
        for row, node in zip(rows, nodes, strict=True)
    ]
    return Connection(
        edges=edges,
        count_statement=sa.select(sa.func.count()).select_from(table).where(*where),
        # past a cursor there is at least the cursor's own row (Relay lets a server say so)
        page_info=relay.PageInfo(
            has_next_page=(forward and has_more) or before is not None,
            has_previous_page=(not forward and has_more) or after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
