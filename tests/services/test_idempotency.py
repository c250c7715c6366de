"""The Idempotency-Key store: one attempt runs, retries get its response, stale claims recover."""

import asyncio
import math
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from registry.config import Settings
from registry.db import create_engine, create_sessionmaker
from registry.models import IdempotencyKey
from registry.models.base import utcnow
from registry.services import ServiceError, api_keys, idempotency
from registry.services.idempotency import Claim, ClaimLost, ClaimOutcome, IdempotencyPolicy

BODY = b'{"query": "mutation { createOrganization(input: {name: \\"MTZ\\"}) { record { id } } }"}'
NO_WAIT = IdempotencyPolicy(wait=timedelta(0))


@pytest.fixture
async def api_key_id(sessions) -> int:
    async with sessions() as session, session.begin():
        created, _ = await api_keys.create_api_key(session, "partner", ["write"])
    return created.id


async def _begin(sessions, api_key_id, key="retry-1", body=BODY, policy=NO_WAIT) -> Claim:
    return await idempotency.begin(sessions, api_key_id=api_key_id, key=key, request_body=body, policy=policy)


async def _complete(sessions, claim, body=b'{"data": "first"}', status=200) -> None:
    async with sessions() as session, session.begin():
        await idempotency.complete(session, claim, status, body)


async def _rows(sessions) -> list[IdempotencyKey]:
    async with sessions() as session:
        return list((await session.scalars(sa.select(IdempotencyKey).order_by(IdempotencyKey.id))).all())


async def test_a_retry_gets_the_first_response_and_runs_nothing(sessions, api_key_id):
    first = await _begin(sessions, api_key_id)
    assert first.outcome is ClaimOutcome.PROCEED
    await _complete(sessions, first, b'{"data": "first"}', 201)
    for _ in range(2):
        retry = await _begin(sessions, api_key_id)
        assert (retry.outcome, retry.status, retry.body) == (ClaimOutcome.REPLAY, 201, b'{"data": "first"}')
    assert len(await _rows(sessions)) == 1


async def test_the_same_key_with_another_body_is_a_mismatch_while_running_and_after(sessions, api_key_id):
    first = await _begin(sessions, api_key_id)
    assert (await _begin(sessions, api_key_id, body=BODY + b" ")).outcome is ClaimOutcome.MISMATCH
    await _complete(sessions, first)
    assert (await _begin(sessions, api_key_id, body=b"{}")).outcome is ClaimOutcome.MISMATCH
    assert (await _begin(sessions, api_key_id)).outcome is ClaimOutcome.REPLAY


async def test_keys_belong_to_one_api_key(sessions, api_key_id):
    async with sessions() as session, session.begin():
        other, _ = await api_keys.create_api_key(session, "other-partner", ["write"])
    await _complete(sessions, await _begin(sessions, api_key_id))
    assert (await _begin(sessions, other.id)).outcome is ClaimOutcome.PROCEED


async def test_a_retry_while_the_first_runs_waits_then_says_in_progress(sessions, api_key_id):
    await _begin(sessions, api_key_id)
    for wait in (timedelta(0), timedelta(seconds=0.3)):
        claim = await asyncio.wait_for(_begin(sessions, api_key_id, policy=IdempotencyPolicy(wait=wait)), 30)
        assert claim.outcome is ClaimOutcome.IN_PROGRESS


async def test_a_waiting_retry_gets_the_response_once_the_first_attempt_stores_it(sessions, api_key_id):
    first = await _begin(sessions, api_key_id)
    patient = IdempotencyPolicy(wait=timedelta(minutes=1))
    waiting = asyncio.create_task(_begin(sessions, api_key_id, policy=patient))
    await asyncio.sleep(0.2)  # let it find the key in progress and start polling
    assert not waiting.done()
    await _complete(sessions, first, b'{"data": "late"}')
    retry = await asyncio.wait_for(waiting, 30)
    assert (retry.outcome, retry.body) == (ClaimOutcome.REPLAY, b'{"data": "late"}')


async def test_concurrent_requests_with_one_key_in_two_workers_run_once(database_url, sessions, api_key_id):
    """Eight requests at once, over two engines (two workers' pools): one runs, seven replay it."""
    other_worker = create_engine(database_url)
    workers = [sessions, create_sessionmaker(other_worker)]
    policy = IdempotencyPolicy(wait=timedelta(seconds=30))

    async def request(worker) -> str | bytes:
        claim = await _begin(worker, api_key_id, policy=policy)
        if claim.outcome is ClaimOutcome.PROCEED:
            await asyncio.sleep(0.1)  # the mutation's work, while the others wait
            await _complete(worker, claim, b'{"data": "the one run"}')
            return "ran"
        assert claim.outcome is ClaimOutcome.REPLAY, claim
        return claim.body

    try:
        answers = await asyncio.wait_for(asyncio.gather(*(request(workers[i % 2]) for i in range(8))), 60)
    finally:
        await other_worker.dispose()
    assert Counter(answers) == {"ran": 1, b'{"data": "the one run"}': 7}
    assert len(await _rows(sessions)) == 1


async def test_a_released_key_runs_again(sessions, api_key_id):
    first = await _begin(sessions, api_key_id)
    await idempotency.release(sessions, first)
    assert (await _begin(sessions, api_key_id)).outcome is ClaimOutcome.PROCEED


async def test_a_response_stored_in_a_rolled_back_transaction_is_not_kept(sessions, api_key_id):
    first = await _begin(sessions, api_key_id)
    async with sessions() as session, session.begin():
        await idempotency.complete(session, first, 200, b'{"data": "never committed"}')
        await session.rollback()  # the mutation's writes failed: no response may be replayed
    assert (await _begin(sessions, api_key_id)).outcome is ClaimOutcome.IN_PROGRESS


async def _age(sessions, **columns: timedelta) -> None:
    """Move the stored times back, rather than waiting for them."""
    async with sessions() as session, session.begin():
        await session.execute(sa.update(IdempotencyKey).values(
            **{column: utcnow() - age for column, age in columns.items()}))


async def test_a_stale_claim_is_taken_over_and_the_late_first_attempt_cannot_store(sessions, api_key_id):
    crashed = await _begin(sessions, api_key_id)
    await _age(sessions, claimed_at=timedelta(minutes=6))
    takeover = await _begin(sessions, api_key_id)
    assert takeover.outcome is ClaimOutcome.PROCEED and takeover.owner != crashed.owner
    assert takeover.record_id == crashed.record_id

    with pytest.raises(ClaimLost):
        await _complete(sessions, crashed, b'{"data": "late first"}')
    await _complete(sessions, takeover, b'{"data": "retry"}')
    assert (await _begin(sessions, api_key_id)).body == b'{"data": "retry"}'


async def test_a_claim_younger_than_the_takeover_time_is_not_taken_over(sessions, api_key_id):
    await _begin(sessions, api_key_id)
    await _age(sessions, claimed_at=timedelta(minutes=4))
    assert (await _begin(sessions, api_key_id)).outcome is ClaimOutcome.IN_PROGRESS


async def test_an_expired_key_is_free_again_and_expired_keys_are_purged(sessions, api_key_id):
    await _complete(sessions, await _begin(sessions, api_key_id, key="old-1"))
    await _complete(sessions, await _begin(sessions, api_key_id, key="old-2"))
    await _age(sessions, expires_at=timedelta(seconds=1))
    reused = await _begin(sessions, api_key_id, key="old-1", body=b"another request")
    assert reused.outcome is ClaimOutcome.PROCEED
    # claiming a new key purged the other expired one; the reused key is live
    assert [(row.key, row.request_hash) for row in await _rows(sessions)] == [
        ("old-1", idempotency.hashlib.sha256(b"another request").hexdigest())]


async def test_purge_deletes_expired_keys_only_and_a_batch_at_a_time(sessions, api_key_id):
    for i in range(5):
        await _complete(sessions, await _begin(sessions, api_key_id, key=f"k-{i}"))
    await _age(sessions, expires_at=timedelta(seconds=1))
    await _begin(sessions, api_key_id, key="live")  # purges a batch of PURGE_BATCH (all four left)
    async with sessions() as session, session.begin():
        assert await idempotency.purge_expired(session) == 0
    await _complete(sessions, await _begin(sessions, api_key_id, key="k-0"))
    await _complete(sessions, await _begin(sessions, api_key_id, key="k-1"))
    await _age(sessions, expires_at=timedelta(seconds=1))
    async with sessions() as session, session.begin():
        assert await idempotency.purge_expired(session, limit=2) == 2
        assert await idempotency.purge_expired(session, limit=2) == 1
    assert await _rows(sessions) == []


async def test_hostile_keys_are_refused_naming_the_header(sessions, api_key_id):
    for key in ["", " ", "x" * 256, "x" * 1_000_000, "ключ", "a\nb", "a\x00b", "a b"]:
        with pytest.raises(ServiceError) as refused:
            await _begin(sessions, api_key_id, key=key)
        assert refused.value.errors[0].field == "Idempotency-Key"
        assert len(str(refused.value)) < 200
    assert await _rows(sessions) == []
    assert (await _begin(sessions, api_key_id, key="x" * 255)).outcome is ClaimOutcome.PROCEED


def test_policy_comes_from_settings_and_abusive_settings_are_refused():
    policy = IdempotencyPolicy.from_settings(Settings())
    assert policy == IdempotencyPolicy(timedelta(hours=24), timedelta(seconds=10), timedelta(minutes=5))
    for name, value in [("idempotency_ttl_hours", 0), ("idempotency_ttl_hours", -1),
                        ("idempotency_ttl_hours", 10**12), ("idempotency_wait_seconds", -1),
                        ("idempotency_wait_seconds", math.nan), ("idempotency_wait_seconds", math.inf),
                        ("idempotency_wait_seconds", 10**9), ("idempotency_takeover_seconds", 0),
                        ("idempotency_takeover_seconds", 10**12)]:
        with pytest.raises(ValidationError):
            Settings(**{name: value})
