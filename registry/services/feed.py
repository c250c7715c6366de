"""The change feed partners follow, and each record's history: reads of the change log.

The cursor is the change-log id. Ids are handed out in commit order (see `.changes`), so
`id > cursor ORDER BY id` never skips a change committed late and never repeats one: a
partner stores the cursor of the last entry it applied and asks again from there. A delete
appears as a tombstone: action `delete`, with the record's last snapshot. A transaction's own
changes are not in the log before it commits (they are written at commit).
"""

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import ChangeAction, ChangeKind, ChangeLog
from .errors import ErrorCode, ServiceError

__all__ = ["MAX_PAGE", "ChangeEntry", "ChangePage", "changes_after", "history"]

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


_COLUMNS = (
    ChangeLog.id, ChangeLog.entity_type, ChangeLog.entity_id, ChangeLog.action, ChangeLog.version,
    ChangeLog.changes, ChangeLog.data, ChangeLog.actor, ChangeLog.request_id, ChangeLog.changed_at,
)


def _check_page(cursor: int | None, limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise ServiceError.single("first", ErrorCode.INVALID, f"asks for {limit} entries; pages hold 1 to {MAX_PAGE}")
    if cursor is not None and cursor < 0:
        raise ServiceError.single("after", ErrorCode.INVALID, "a cursor is never negative")


async def _page(session: AsyncSession, statement: sa.Select, cursor: int | None, limit: int) -> ChangePage:
    if cursor is not None:
        statement = statement.where(ChangeLog.id > cursor)
    rows = (await session.execute(statement.order_by(ChangeLog.id).limit(limit + 1))).all()
    entries = [ChangeEntry(*row) for row in rows[:limit]]
    return ChangePage(entries, entries[-1].cursor if entries else cursor, len(rows) > limit)


async def changes_after(
    session: AsyncSession, cursor: int | None, limit: int, kinds: Collection[ChangeKind] | None = None
) -> ChangePage:
    """Up to `limit` changes committed after `cursor` (None: from the first), oldest first,
    optionally of some kinds only."""
    _check_page(cursor, limit)
    statement = sa.select(*_COLUMNS)
    if kinds:
        statement = statement.where(ChangeLog.entity_type.in_(set(kinds)))
    return await _page(session, statement, cursor, limit)


async def history(
    session: AsyncSession, kind: ChangeKind, entity_id: uuid.UUID, *, after: int | None = None, limit: int = 100
) -> ChangePage:
    """One record's changes, oldest first."""
    _check_page(after, limit)
    statement = sa.select(*_COLUMNS).where(ChangeLog.entity_type == kind, ChangeLog.entity_id == entity_id)
    return await _page(session, statement, after, limit)
