"""The Idempotency-Key store: a retried request gets the first attempt's response, written once.

The protocol, for the HTTP layer:

1. `begin(...)` before running a mutation. It claims the key with an insert that a unique
   (api key, Idempotency-Key) pair lets only one request win, in its own committed transaction so
   that every worker sees the claim at once. Its `Claim` says what to do:
   - PROCEED: this request owns the key: run the mutation, then `complete(...)` in the mutation's
     own transaction (the response is stored if and only if the writes commit), or `release(...)`
     when it failed without an answer worth repeating (the key is free again for a retry);
   - REPLAY: the key's response is stored: send `status` and `body` again, run nothing;
   - MISMATCH: the key was first used with another request body: a client error;
   - IN_PROGRESS: the first attempt still runs after waiting `wait` for it: the client retries later.
2. A request that finds the key in progress polls it, with a growing pause, until the response is
   stored or `wait` has passed.
3. A first attempt that crashed never completes nor releases its claim. Once the claim is older
   than `takeover_after`, a retry takes it over (a new owner id) and runs the mutation itself. If
   the first attempt was only slow, its `complete` then finds another owner and raises ClaimLost,
   so its transaction rolls back: the mutation is still written once. The default (5 minutes)
   is far above any request's run time, so a slow attempt is not outrun in practice, while a
   crash blocks the key minutes rather than until it expires.
4. A key expires `ttl` after it was claimed: then it is free for any request again. Expired rows
   are purged a batch at a time whenever a new key is claimed (`purge_expired`).
"""

import asyncio
import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..models import IdempotencyKey, IdempotencyState
from ..models.base import as_utc, utcnow
from .errors import ErrorCode, ServiceError

if TYPE_CHECKING:
    from ..config import Settings

__all__ = [
    "Claim",
    "ClaimLost",
    "ClaimOutcome",
    "IdempotencyPolicy",
    "begin",
    "complete",
    "confirm",
    "purge_expired",
    "release",
]

MAX_KEY_LENGTH = 255
FIRST_POLL_SECONDS = 0.05
LONGEST_POLL_SECONDS = 1.0
PURGE_BATCH = 500  # expired rows deleted per claim: one request never pays for a long backlog

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@dataclass(frozen=True, slots=True)
class IdempotencyPolicy:
    ttl: timedelta = timedelta(hours=24)
    wait: timedelta = timedelta(seconds=10)
    takeover_after: timedelta = timedelta(minutes=5)

    @classmethod
    def from_settings(cls, settings: "Settings") -> "IdempotencyPolicy":
        return cls(
            ttl=timedelta(hours=settings.idempotency_ttl_hours),
            wait=timedelta(seconds=settings.idempotency_wait_seconds),
            takeover_after=timedelta(seconds=settings.idempotency_takeover_seconds),
        )


class ClaimOutcome(StrEnum):
    PROCEED = "proceed"
    REPLAY = "replay"
    MISMATCH = "mismatch"
    IN_PROGRESS = "in_progress"


@dataclass(frozen=True, slots=True)
class Claim:
    outcome: ClaimOutcome
    record_id: int | None = None  # PROCEED: the claimed row and this request's owner id
    owner: uuid.UUID | None = None
    status: int | None = None  # REPLAY: the stored response
    body: bytes | None = None


class ClaimLost(Exception):
    """The claim was taken over (or purged) while its request ran: roll the request back."""


def _check_key(key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all("!" <= c <= "~" for c in key):
        raise ServiceError.single(
            "Idempotency-Key", ErrorCode.INVALID,
            f"must be 1 to {MAX_KEY_LENGTH} visible ASCII characters (a UUID, for instance)",
        )


async def _insert_claim(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """The new row's id, or None when the (api key, key) pair is taken (waiting for its writer)."""
    insert = _INSERTS[session.get_bind().dialect.name]
    statement = (
        insert(IdempotencyKey).values(**values)
        .on_conflict_do_nothing(index_elements=["api_key_id", "key"])
        .returning(IdempotencyKey.id)
    )
    return await session.scalar(statement)


async def _claim_once(
    session: AsyncSession, api_key_id: int, key: str, request_hash: str, policy: IdempotencyPolicy
) -> Claim:
    now = utcnow()
    owner = uuid.uuid4()
    claimed = dict(
        state=IdempotencyState.IN_PROGRESS, owner=owner, claimed_at=now, expires_at=now + policy.ttl
    )
    while True:
        record_id = await _insert_claim(
            session, dict(api_key_id=api_key_id, key=key, request_hash=request_hash, **claimed)
        )
        if record_id is not None:
            return Claim(ClaimOutcome.PROCEED, record_id=record_id, owner=owner)
        row = (await session.execute(
            sa.select(IdempotencyKey)
            .where(IdempotencyKey.api_key_id == api_key_id, IdempotencyKey.key == key)
        )).scalar_one_or_none()
        if row is None:
            continue  # released or purged between the two statements: claim it again
        if as_utc(row.expires_at) <= now:
            await session.execute(
                sa.delete(IdempotencyKey).where(IdempotencyKey.id == row.id, IdempotencyKey.expires_at <= now)
                .execution_options(synchronize_session=False)
            )
            continue
        if row.request_hash != request_hash:
            return Claim(ClaimOutcome.MISMATCH)
        if row.state is IdempotencyState.COMPLETED:
            return Claim(ClaimOutcome.REPLAY, status=row.response_status, body=row.response_body)
        if as_utc(row.claimed_at) <= now - policy.takeover_after:
            taken = await session.execute(
                sa.update(IdempotencyKey)
                .where(IdempotencyKey.id == row.id, IdempotencyKey.owner == row.owner,
                       IdempotencyKey.state == IdempotencyState.IN_PROGRESS)
                .values(**claimed)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:
                return Claim(ClaimOutcome.PROCEED, record_id=row.id, owner=owner)
        return Claim(ClaimOutcome.IN_PROGRESS)


async def begin(
    sessions: async_sessionmaker[AsyncSession], *, api_key_id: int, key: str, request_body: bytes,
    policy: IdempotencyPolicy = IdempotencyPolicy(),
) -> Claim:
    """Claim `key` for the API key `api_key_id`'s request `request_body` (see the module's protocol).

    Raises ServiceError (field "Idempotency-Key") when the key is empty, too long or not ASCII."""
    _check_key(key)
    request_hash = hashlib.sha256(request_body).hexdigest()
    clock = asyncio.get_running_loop()
    deadline = clock.time() + policy.wait.total_seconds()
    pause = FIRST_POLL_SECONDS
    while True:
        async with sessions() as session, session.begin():
            claim = await _claim_once(session, api_key_id, key, request_hash, policy)
        if claim.outcome is ClaimOutcome.PROCEED:
            async with sessions() as session, session.begin():
                await purge_expired(session)
            return claim
        left = deadline - clock.time()
        if claim.outcome is not ClaimOutcome.IN_PROGRESS or left <= 0:
            return claim
        await asyncio.sleep(min(pause, left))
        pause = min(pause * 2, LONGEST_POLL_SECONDS)


async def confirm(session: AsyncSession, claim: Claim) -> None:
    """Check, first thing in the request's write transaction, that `claim` is still this request's,
    and keep it so until that transaction ends. Raises ClaimLost when a retry has taken it over.

    PostgreSQL: a row lock, which a retry's claiming insert does not wait for (it would for an
    update of the row). SQLite: a write, since its transaction begins only at one (and then holds
    the database's one write lock: a retry waits for this request there)."""
    ours = (
        (IdempotencyKey.id == claim.record_id) & (IdempotencyKey.owner == claim.owner)
        & (IdempotencyKey.state == IdempotencyState.IN_PROGRESS)
    )
    if session.get_bind().dialect.name == "postgresql":
        held = await session.scalar(sa.select(IdempotencyKey.id).where(ours).with_for_update())
    else:
        held = (await session.execute(
            sa.update(IdempotencyKey).where(ours).values(owner=claim.owner)
            .execution_options(synchronize_session=False)
        )).rowcount == 1
    if not held:
        raise ClaimLost("the Idempotency-Key was taken over by a retry while this request ran")


async def complete(session: AsyncSession, claim: Claim, status: int, body: bytes) -> None:
    """Store the response of the request that holds `claim`, in that request's own transaction.

    Raises ClaimLost when another request has taken the claim over: the caller rolls back."""
    stored = await session.execute(
        sa.update(IdempotencyKey)
        .where(IdempotencyKey.id == claim.record_id, IdempotencyKey.owner == claim.owner,
               IdempotencyKey.state == IdempotencyState.IN_PROGRESS)
        .values(state=IdempotencyState.COMPLETED, response_status=status, response_body=body)
        .execution_options(synchronize_session=False)
    )
    if stored.rowcount != 1:
        raise ClaimLost("the Idempotency-Key was taken over by a retry while this request ran")


async def release(sessions: async_sessionmaker[AsyncSession], claim: Claim) -> None:
    """Give the key back after a failure with no response worth repeating: a retry runs anew.

    In a transaction of its own, since the failed request's transaction has rolled back."""
    async with sessions() as session, session.begin():
        await session.execute(
            sa.delete(IdempotencyKey).where(
                IdempotencyKey.id == claim.record_id, IdempotencyKey.owner == claim.owner,
                IdempotencyKey.state == IdempotencyState.IN_PROGRESS,
            )
        )


async def purge_expired(session: AsyncSession, limit: int = PURGE_BATCH) -> int:
    """Delete up to `limit` expired keys; the number deleted. Rows another transaction holds are
    skipped (PostgreSQL), so workers purging at once do not queue behind each other."""
    expired = (
        sa.select(IdempotencyKey.id).where(IdempotencyKey.expires_at <= utcnow())
        .limit(limit).with_for_update(skip_locked=True)
    )
    deleted = await session.execute(
        sa.delete(IdempotencyKey).where(IdempotencyKey.id.in_(expired))
        .execution_options(synchronize_session=False)
    )
    return deleted.rowcount
