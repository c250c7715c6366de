"""A worker runs a bounded number of bulkUpserts and of searches at once (`Context.slots`,
REGISTRY_BULK_CONCURRENCY, REGISTRY_SEARCH_CONCURRENCY); the others wait their turn and then run.

Deterministic on PostgreSQL: a lock held by the test stops the first request inside the
database, and the second must then not reach the database at all (one waiting backend, not
two). SQLite cannot hold a request there without holding every writer."""

import asyncio

import pytest
import sqlalchemy as sa

from registry.services.changes import FEED_LOCK
from tests.conftest import app_settings, asgi_client
from tests.graphql.conftest import mutate
from tests.graphql.mutations.test_bulk_upsert import BULK, org

WAITING = sa.text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
    "AND pid <> pg_backend_pid()")


async def _waiting_backends(engine, expected: int) -> int:
    """The backends waiting for a lock, once `expected` wait or a second has passed."""
    for _ in range(20):
        async with engine.connect() as connection:
            waiting = await connection.scalar(WAITING)
        if waiting >= expected:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # time for one more to arrive, were it let through
    async with engine.connect() as connection:
        return await connection.scalar(WAITING)


@pytest.fixture
def postgres_url(database_url) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite cannot hold one request inside the database alone")
    return database_url


async def test_bulk_upserts_beyond_the_workers_slots_wait_their_turn(postgres_url, engine, keys):
    async for client in asgi_client(app_settings(postgres_url, bulk_concurrency=1)):
        async with engine.connect() as holder:
            await holder.execute(sa.select(sa.func.pg_advisory_lock(FEED_LOCK)))  # commits wait for it
            batches = [asyncio.create_task(mutate(client, keys["writer"], BULK, records=[org(str(n), f"org-{n}")]))
                       for n in range(2)]
            assert await _waiting_backends(engine, 1) == 1  # the second batch waits for the slot, not the lock
            await holder.execute(sa.select(sa.func.pg_advisory_unlock(FEED_LOCK)))
            bodies = [(await asyncio.wait_for(batch, 10)).json() for batch in batches]
        assert [body["data"]["bulkUpsert"]["userErrors"] for body in bodies] == [[], []], bodies


async def test_searches_beyond_the_workers_slots_wait_their_turn(postgres_url, engine):
    search = "query ($q: String!) { search(query: $q) { matchedName } }"
    async for client in asgi_client(app_settings(postgres_url, search_concurrency=1)):
        async with engine.connect() as holder:
            await holder.execute(sa.text("LOCK TABLE search_entry IN ACCESS EXCLUSIVE MODE"))
            searches = [asyncio.create_task(client.post("/graphql", json={"query": search, "variables": {"q": q}}))
                        for q in ("tractor", "refinery")]
            assert await _waiting_backends(engine, 1) == 1
            await holder.rollback()  # the lock goes
            responses = [await asyncio.wait_for(s, 10) for s in searches]
        assert [(r.status_code, r.json()) for r in responses] == [(200, {"data": {"search": []}})] * 2
