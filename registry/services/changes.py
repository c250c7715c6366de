"""Change-log rows: queued by the services, written as the last statements of the commit.

Why at commit, under a lock: the change feed serves `id > cursor ORDER BY id`. On PostgreSQL an
id from a sequence is handed out when the row is inserted, not when its transaction commits, so
a transaction that inserted id 10 and commits after another one's id 11 was already read would
be skipped by a reader that moved its cursor to 11. Here every transaction inserts its change
rows only at commit time, holding FEED_LOCK *shared* from that INSERT until its commit is
visible. Writers do not wait for one another (an exclusive lock held across each commit's WAL
flush capped single writes at ~270/s however many workers ran: bench/README.md, "Writes"), so
ids may become visible out of order; the feed's reader makes up for it (`feed.horizon`): it
takes FEED_LOCK exclusively for an instant, when no writer is between its change-log INSERT and
its commit, and reads no id above the highest one at that instant, below which nothing can
still appear. The data version (ETags, registry/http/cache.py) counts the transactions still in
flight for the same reason. SQLite has one writer at a time: ids follow commit order there.

Nothing can forget it: services call `record_change` for every record they write, a
`before_flush` check refuses any flush that changes a record or a country without a queued
change, and the `before_commit` hook writes the queue for every session.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ..db import insert_rows
from ..models import ChangeAction, ChangeKind, ChangeLog, Country
from ..models.base import EntityMixin, utcnow

__all__ = ["FEED_LOCK", "Author", "UnloggedWriteError", "country_entity_id", "latest_change", "queued_change", "record_change"]

# The advisory lock that keeps the feed from passing a change still to commit (see above); any
# constant the application owns.
FEED_LOCK = 0x7265_6769_7374_7279  # "registry"
# Countries are keyed by their code; the log keys every row by a uuid, derived from the code.
_COUNTRY_NAMESPACE = uuid.UUID("0b7a1c52-3d4e-4f61-8a9b-c0d1e2f3a4b5")
_QUEUE = "registry.pending_changes"
_SAVEPOINTS = "registry.pending_changes_at_savepoints"  # savepoint → queue length when it began
_EMPTY = (None, "", [], {})


@dataclass(frozen=True, slots=True)
class Author:
    """Who writes: a key name, an admin user, `seed`, `cli`; and the HTTP request, if any."""

    actor: str
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class _Change:
    kind: ChangeKind
    entity_id: uuid.UUID
    action: ChangeAction
    version: int
    author: Author
    data: dict[str, Any]
    changes: dict[str, Any]
    changed_at: datetime = field(default_factory=utcnow)

    def row(self) -> dict[str, Any]:
        return dict(
            entity_type=self.kind, entity_id=self.entity_id, action=self.action, version=self.version,
            actor=self.author.actor, request_id=self.author.request_id, changed_at=self.changed_at,
            data=self.data, changes=self.changes,
        )


class UnloggedWriteError(RuntimeError):
    """A record or country was changed outside `registry.services` (no change-log entry queued)."""


def country_entity_id(code: str) -> uuid.UUID:
    return uuid.uuid5(_COUNTRY_NAMESPACE, code)


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The fields whose value differs, each {"before", "after"}; absent and empty count as equal."""
    changed = {}
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old != new and not (old in _EMPTY and new in _EMPTY):
            changed[name] = {"before": old, "after": new}
    return changed


def _queue(session: Session) -> list[_Change]:
    return session.info.setdefault(_QUEUE, [])


def record_change(
    session: AsyncSession, kind: ChangeKind, entity_id: uuid.UUID, action: ChangeAction, version: int,
    author: Author, data: dict[str, Any], previous: dict[str, Any] | None,
) -> None:
    """Queue the change-log row of one write; call it before the write is flushed.

    `data` is the record's snapshot after the write, `previous` the one before (None on create);
    a delete or restore also records `deleted` among the changed fields."""
    changes = _diff(previous or {}, data)
    if action in (ChangeAction.DELETE, ChangeAction.RESTORE):
        deleted = action is ChangeAction.DELETE
        changes["deleted"] = {"before": not deleted, "after": deleted}
    _queue(session.sync_session).append(_Change(kind, entity_id, action, version, author, data, changes))


def queued_change(session: AsyncSession, kind: ChangeKind, entity_id: uuid.UUID) -> tuple[int, dict] | None:
    """(version, snapshot) of the newest change of a record made in this transaction, if any."""
    for change in reversed(_queue(session.sync_session)):
        if change.kind is kind and change.entity_id == entity_id:
            return change.version, change.data
    return None


_LATEST_CHANGE = (
    sa.select(ChangeLog.version, ChangeLog.data)
    .where(ChangeLog.entity_type == sa.bindparam("kind"), ChangeLog.entity_id == sa.bindparam("entity_id"))
    .order_by(ChangeLog.id.desc())
    .limit(1)
)


async def latest_change(session: AsyncSession, kind: ChangeKind, entity_id: uuid.UUID) -> tuple[int, dict] | None:
    """(version, snapshot) of the newest change of a record, counting changes not yet committed."""
    queued = queued_change(session, kind, entity_id)
    if queued is not None:
        return queued
    row = (await session.execute(_LATEST_CHANGE, {"kind": kind, "entity_id": entity_id})).first()
    return None if row is None else (row.version, row.data)


def _logged_key(instance: Any) -> tuple[ChangeKind, uuid.UUID] | None:
    """The change-log key of a record or country; None for anything the log does not cover."""
    if isinstance(instance, Country):
        return ChangeKind.COUNTRY, country_entity_id(instance.code)
    if isinstance(instance, EntityMixin):
        return ChangeKind(instance.__tablename__), instance.id
    return None


@event.listens_for(Session, "before_flush")
def _refuse_unlogged_writes(session: Session, _context, _instances) -> None:
    queued = {(change.kind, change.entity_id) for change in session.info.get(_QUEUE, ())}
    for instance in [*session.new, *session.dirty, *session.deleted]:
        key = _logged_key(instance)
        if key is None or key in queued:
            continue
        if instance in session.new or instance in session.deleted or session.is_modified(instance):
            raise UnloggedWriteError(
                f"{key[0]} {key[1]} was written without a change-log entry: write through registry.services"
            )


@event.listens_for(Session, "before_commit")
def _write_queued_changes(session: Session) -> None:
    if not session.info.get(_QUEUE):
        return
    session.flush()  # every other write first: nothing may wait on a row lock while holding FEED_LOCK
    rows = [change.row() for change in session.info.pop(_QUEUE)]
    insert_rows(session, ChangeLog.__table__, rows, first=_TAKE_FEED_LOCK_SHARED)


# The change-log INSERT takes FEED_LOCK itself, before its rows draw their ids (PostgreSQL runs an
# uncorrelated subquery once, before the first row): a lock taken by a statement of its own would
# be held one more round trip until the COMMIT.
_TAKE_FEED_LOCK_SHARED = sa.select(
    sa.func.pg_advisory_xact_lock_shared(sa.literal(FEED_LOCK, sa.BigInteger))
).scalar_subquery()


@event.listens_for(Session, "after_transaction_end")
def _drop_queued_changes(session: Session, transaction) -> None:
    # The end of the outermost transaction: after a commit the queue is already written and
    # empty; after a rollback its changes were never made. (`after_rollback` would not do: it
    # also fires when a savepoint rolls back, which drops only the savepoint's own changes.)
    if transaction.parent is None:
        session.info.pop(_QUEUE, None)
        session.info.pop(_SAVEPOINTS, None)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction) -> None:
    if transaction.nested:
        session.info.setdefault(_SAVEPOINTS, {})[transaction] = len(session.info.get(_QUEUE, ()))


@event.listens_for(Session, "after_soft_rollback")
def _drop_changes_of_a_rolled_back_savepoint(session: Session, previous_transaction) -> None:
    queued_before = session.info.get(_SAVEPOINTS, {}).pop(previous_transaction, None)
    if queued_before is not None:
        del _queue(session)[queued_before:]
