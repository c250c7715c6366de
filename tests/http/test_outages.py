"""A database outage is 503 with Retry-After and SERVICE_UNAVAILABLE, over POST and GET: never a
500, never a 200 "Unexpected error."; a fault of ours that is not an outage stays masked."""

import asyncpg
import pytest
import sqlalchemy as sa

from registry import migrate
from tests.conftest import app_settings, asgi_client
from tests.utils.databases import POSTGRES_URL, create_database, drop_database

QUERY = "{ projects { totalCount } }"
UNREACHABLE = {
    "postgres-port-nobody-listens-on": "postgresql+asyncpg://postgres@127.0.0.1:1/registry",
    "sqlite-file-that-cannot-open": "sqlite+aiosqlite:////nonexistent-directory/registry.db",
}


def _assert_unavailable(response, media_type: str = "application/json") -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"] == media_type
    errors = response.json()["errors"]
    assert [error["extensions"]["code"] for error in errors] == ["SERVICE_UNAVAILABLE"]
    assert errors[0]["message"] == "the database is unavailable; retry later"  # no driver detail


async def _assert_every_way_unavailable(client) -> None:
    for accept in ("application/json", "application/graphql-response+json"):
        headers = {"Accept": accept}
        _assert_unavailable(await client.post("/graphql", json={"query": QUERY}, headers=headers), accept)
        _assert_unavailable(await client.get("/graphql", params={"query": QUERY}, headers=headers), accept)


@pytest.mark.parametrize("url", UNREACHABLE.values(), ids=UNREACHABLE.keys())
async def test_unreachable_database_is_503_for_post_and_get(url):
    async for client in asgi_client(app_settings(url)):
        await _assert_every_way_unavailable(client)


async def test_a_missing_table_is_not_an_outage(empty_database):
    # an unmigrated database: a fault of ours, masked, not a reason for clients to retry
    async for client in asgi_client(app_settings(empty_database)):
        response = await client.post("/graphql", json={"query": QUERY})
        assert response.status_code == 200
        assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
        assert response.json()["errors"][0]["message"] == "Unexpected error."


@pytest.fixture
def postgres_database(tmp_path):
    if POSTGRES_URL is None:
        pytest.skip("PostgreSQL only (terminates and drops a live database): set REGISTRY_TEST_POSTGRES_URL")
    url = create_database("postgres", tmp_path)
    migrate.upgrade(url)
    yield url
    drop_database(url)


async def _admin(statement: str, *args) -> None:
    connection = await asyncpg.connect(sa.make_url(POSTGRES_URL).set(drivername="postgresql")
                                       .render_as_string(hide_password=False))
    try:
        await connection.execute(statement, *args)
    finally:
        await connection.close()


async def test_terminated_backends_are_503_then_served_again(postgres_database):
    database = sa.make_url(postgres_database).database
    terminate = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1"
    async for client in asgi_client(app_settings(postgres_database)):
        for method, request in (("POST", {"json": {"query": QUERY}}), ("GET", {"params": {"query": QUERY}})):
            assert (await client.request(method, "/graphql", **request)).status_code == 200  # a live pool
            await _admin(terminate, database)
            _assert_unavailable(await client.request(method, "/graphql", **request))
            # the pool replaced its dead connections
            assert (await client.request(method, "/graphql", **request)).status_code == 200


async def test_database_dropped_mid_test_is_503(postgres_database):
    database = sa.make_url(postgres_database).database
    async for client in asgi_client(app_settings(postgres_database)):
        assert (await client.post("/graphql", json={"query": QUERY})).status_code == 200
        await _admin(f'DROP DATABASE "{database}" WITH (FORCE)')
        await _assert_every_way_unavailable(client)
