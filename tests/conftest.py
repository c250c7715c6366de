"""Fixtures: real databases (SQLite files; PostgreSQL when REGISTRY_TEST_POSTGRES_URL is set)."""

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from registry import migrate
from registry.app import create_app
from registry.config import Environment, Settings
from registry.db import create_engine, create_sessionmaker
from tests.utils.databases import BACKENDS, create_database, drop_database
from tests.utils.servers import TEST_ADMIN_SECRET


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def empty_database(backend, tmp_path) -> Iterator[str]:
    """The URL of a new, empty database of the test's backend; dropped afterwards."""
    url = create_database(backend, tmp_path)
    yield url
    drop_database(url)


@pytest.fixture
def database_url(empty_database) -> str:
    """A new database migrated to the newest revision."""
    migrate.upgrade(empty_database)
    return empty_database


@pytest.fixture
async def engine(database_url) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


def app_settings(database_url: str, **overrides) -> Settings:
    return Settings(**{
        "database_url": database_url, "env": Environment.TEST, "trusted_hosts": ["registry.test"],
        "admin_secret": TEST_ADMIN_SECRET,  # production refuses the default one
        **overrides,
    })


async def asgi_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as client:
            client.app = app  # tests reach app.state (e.g. the engine) through it
            yield client


@pytest.fixture
async def client(database_url) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP through the real ASGI app, on a migrated (empty) database."""
    async for c in asgi_client(app_settings(database_url)):
        yield c
