"""The change feed partners follow, and each record's history: reads of the change log.

The cursor is the change-log id. A page is `id > cursor ORDER BY id`, up to the `horizon`: on
PostgreSQL ids may become visible out of order (see `.changes`), and no id above the horizon is
read until every smaller one has committed or rolled back. So a page never skips a change
committed late and never repeats one: a partner stores the cursor of the last entry it applied
and asks again from there. A delete appears as a tombstone: action `delete`, with the record's
last snapshot. A transaction's own changes are not in the log before it commits (they are
written at commit).
"""

import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import ChangeAction, ChangeKind, ChangeLog
from .changes import FEED_LOCK
from .errors import ErrorCode, ServiceError

__all__ = [
    "MAX_PAGE", "ChangeEntry", "ChangePage", "changes_after", "changes_statement", "histories_statement",
    "history", "horizon", "page_of",
]

MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class ChangeEntry:
    cursor: int
    kind: ChangeKind
    entity_id: uuid.UUID
    action: ChangeAction
    version: int
    changes: dict[str, Any] | None  # changed fields, each {"before", "after"}; None before migration 0006
    data: dict[str, Any]  # the record's snapshot after the change
    actor: str
    request_id: str | None
    changed_at: datetime

    @property
    def is_tombstone(self) -> bool:
        return self.action is ChangeAction.DELETE


@dataclass(frozen=True, slots=True)
class ChangePage:
    entries: list[ChangeEntry]
    end_cursor: int | None  # store it and ask again from here; the given cursor when nothing is new
    has_more: bool


# Labelled as `ChangeEntry`'s fields, so that a row (of a session or a plain connection) makes one.
_COLUMNS = (
    ChangeLog.id.label("cursor"), ChangeLog.entity_type.label("kind"), ChangeLog.entity_id, ChangeLog.action,
    ChangeLog.version, ChangeLog.changes, ChangeLog.data, ChangeLog.actor, ChangeLog.request_id,
    ChangeLog.changed_at,
)


def _check_page(cursor: int | None, limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise ServiceError.single("first", ErrorCode.INVALID, f"asks for {limit} entries; pages hold 1 to {MAX_PAGE}")
    if cursor is not None and cursor < 0:
        raise ServiceError.single("after", ErrorCode.INVALID, "a cursor is never negative")


def page_of(rows: Sequence[Mapping[str, Any]], cursor: int | None, limit: int) -> ChangePage:
    """The page made of the rows of a statement below (they hold one row more than the page, if any)."""
    entries = [ChangeEntry(**row) for row in rows[:limit]]
    return ChangePage(entries, entries[-1].cursor if entries else cursor, len(rows) > limit)


# One statement, which ends only once it holds FEED_LOCK exclusively: once no writer is between
# its change-log INSERT and its commit (they hold it shared). Every id up to the highest its
# snapshot sees was handed out before that snapshot, to a writer then holding the lock, so all
# have committed or rolled back by the time it ends, and a later statement sees every one that
# committed. In autocommit the lock goes when the statement ends: later writers wait that long.
_HORIZON = sa.select(
    sa.select(sa.func.coalesce(sa.func.max(ChangeLog.id), 0)).scalar_subquery(),
    sa.func.pg_advisory_xact_lock(sa.literal(FEED_LOCK, sa.BigInteger)),
)


async def horizon(scalar: Callable[[sa.Select], Awaitable[Any]], dialect: str) -> int | None:
    """The highest change id that no change still to come can precede, read with `scalar` (of a
    connection in autocommit); None on SQLite, whose ids follow commit order. It waits for the
    writers committing now, not for whole write transactions."""
    return await scalar(_HORIZON) if dialect == "postgresql" else None


def changes_statement(
    cursor: int | None, limit: int, kinds: Collection[ChangeKind] | None = None, up_to: int | None = None
) -> sa.Select:
    """Up to `limit` + 1 changes committed after `cursor` (None: from the first) and up to the
    `horizon` `up_to` (None: no bound), oldest first, optionally of some kinds only: `page_of`
    makes the page."""
    _check_page(cursor, limit)
    statement = sa.select(*_COLUMNS)
    if cursor is not None:
        statement = statement.where(ChangeLog.id > cursor)
    if up_to is not None:
        statement = statement.where(ChangeLog.id <= up_to)
    if kinds:
        statement = statement.where(ChangeLog.entity_type.in_(set(kinds)))
    return statement.order_by(ChangeLog.id).limit(limit + 1)


def histories_statement(
    kind: ChangeKind, entity_ids: Collection[uuid.UUID], after: int | None, limit: int
) -> sa.Select:
    """The histories of several records of one kind at once: for each, up to `limit` + 1 of its
    changes after `after`, oldest first (ordered by record, then cursor). One statement for a
    whole page of records, however many there are."""
    _check_page(after, limit)
    conditions = [ChangeLog.entity_type == kind, ChangeLog.entity_id.in_(set(entity_ids))]
    if after is not None:
        conditions.append(ChangeLog.id > after)
    place = sa.func.row_number().over(partition_by=ChangeLog.entity_id, order_by=ChangeLog.id).label("place")
    numbered = sa.select(*_COLUMNS, place).where(*conditions).subquery()
    return (
        sa.select(*(column for column in numbered.c if column.name != "place"))
        .where(numbered.c.place <= limit + 1)
        .order_by(numbered.c.entity_id, numbered.c.cursor)
    )


async def changes_after(
    session: AsyncSession, cursor: int | None, limit: int, kinds: Collection[ChangeKind] | None = None
) -> ChangePage:
    """Up to `limit` changes committed after `cursor` (None: from the first), oldest first,
    optionally of some kinds only."""
    _check_page(cursor, limit)  # before waiting for the horizon
    async with session.bind.connect() as connection:  # autocommit: the lock goes with the statement
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        up_to = await horizon(connection.scalar, connection.dialect.name)
    rows = (await session.execute(changes_statement(cursor, limit, kinds, up_to))).mappings().all()
    return page_of(rows, cursor, limit)


async def history(
    session: AsyncSession, kind: ChangeKind, entity_id: uuid.UUID, *, after: int | None = None, limit: int = 100
) -> ChangePage:
    """One record's changes, oldest first."""
    rows = (await session.execute(histories_statement(kind, [entity_id], after, limit))).mappings().all()
    return page_of(rows, after, limit)
