"""A seeded database per backend, shared read-only by the GraphQL tests, and HTTP helpers."""

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest

from registry import migrate
from registry.config import REPO_ROOT
from registry.db import create_engine, create_sessionmaker
from registry.seeding import load_seed, read_seed
from registry.services.api_keys import create_api_key, revoke_api_key
from tests.conftest import app_settings, asgi_client
from tests.utils import factories
from tests.utils.databases import BACKENDS, create_database, drop_database


async def _seed(url: str) -> None:
    data, problems = read_seed(REPO_ROOT / "seed")
    assert not problems, problems
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await load_seed(session, data)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def seeded_database(request, tmp_path_factory) -> str:
    url = create_database(request.param, tmp_path_factory.mktemp("seeded"))
    migrate.upgrade(url)
    asyncio.run(_seed(url))
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
async def api(seeded_database) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP through the real ASGI app on the seeded registry (read-only: do not write through it)."""
    async for client in asgi_client(app_settings(seeded_database)):
        yield client


@pytest.fixture
async def many(sessions, database_url) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP through the real ASGI app on a database of 120 projects (`factories.many_projects`)."""
    async with sessions() as session, session.begin():
        await factories.many_projects(session, 120)
    async for client in asgi_client(app_settings(database_url)):
        yield client


@asynccontextmanager
async def executor_apps(database_url: str, executors: Iterable[str]) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """An app per `REGISTRY_EXECUTOR` setting in `executors` on the database, whatever the environment says."""
    async with AsyncExitStack() as stack:
        yield {
            executor: await stack.enter_async_context(
                asynccontextmanager(asgi_client)(app_settings(database_url, executor=executor))
            )
            for executor in executors
        }


async def gql(client: httpx.AsyncClient, query: str, **variables) -> dict:
    """Run a query expected to succeed; return its data."""
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]


async def gql_errors(client: httpx.AsyncClient, query: str, **variables) -> list[dict]:
    """Run a query expected to fail; return its errors."""
    body = (await client.post("/graphql", json={"query": query, "variables": variables})).json()
    assert body.get("errors"), body
    return body["errors"]


@pytest.fixture
async def keys(sessions) -> dict[str, str]:
    """API keys by name, on a database holding the test source and two countries: `writer`
    (read, write), `reader` (read) and `revoked` (read, write; revoked)."""
    made = {}
    async with sessions() as session, session.begin():
        await factories.source(session)
        await factories.countries(session)
        for name, scopes in (("writer", ["read", "write"]), ("reader", ["read"]), ("revoked", ["read", "write"])):
            made[name] = (await create_api_key(session, name, scopes))[1]
        await revoke_api_key(session, "revoked")
    return made


async def mutate(client: httpx.AsyncClient, key: str | None, query: str, **variables) -> httpx.Response:
    """POST a mutation with `key` as its bearer token (None: no Authorization header)."""
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    return await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
