from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry import migrate
from registry.db import create_engine, create_sessionmaker
from tests.utils import factories
from tests.utils.databases import POSTGRES_URL, create_database, drop_database


@pytest.fixture
async def base(sessions) -> async_sessionmaker[AsyncSession]:
    """Sessions on a database holding the test source and two countries."""
    async with sessions() as session, session.begin():
        await factories.source(session)
        await factories.countries(session)
    return sessions


@pytest.fixture
def postgres_url(tmp_path) -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("REGISTRY_TEST_POSTGRES_URL is unset")
    url = create_database("postgres", tmp_path)
    migrate.upgrade(url)
    yield url
    drop_database(url)


@pytest.fixture
async def postgres_base(postgres_url) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """`base` on PostgreSQL only, for the tests of concurrent writers (SQLite has one writer at a time)."""
    engine = create_engine(postgres_url, pool_size=20)
    sessions = create_sessionmaker(engine)
    async with sessions() as session, session.begin():
        await factories.source(session)
        await factories.countries(session)
    yield sessions
    await engine.dispose()
