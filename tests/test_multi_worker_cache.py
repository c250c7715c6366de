"""Two worker processes with response caches: a committed write is seen by every later request."""

import httpx
import pytest

from tests.utils import factories
from tests.utils.servers import registry_server

QUERY = {"query": "{ projects { totalCount } }"}


@pytest.fixture
def two_workers(database_url, tmp_path):
    with registry_server(database_url, tmp_path / "server.log", workers=2) as base_url:
        yield base_url


async def test_no_worker_serves_data_older_than_a_completed_write(two_workers, sessions):
    async with httpx.AsyncClient(base_url=two_workers) as client:
        # warm both workers' caches (connections spread over the workers)
        before = {(await client.get("/graphql", params=QUERY)).json()["data"]["projects"]["totalCount"]
                  for _ in range(20)}
        assert before == {0}
        async with sessions() as session, session.begin():
            await factories.source(session)
            await factories.countries(session)
            await factories.project(session, "p-1", "Project One")
        for _ in range(20):
            async with httpx.AsyncClient(base_url=two_workers) as fresh:  # new connection: any worker
                total = (await fresh.get("/graphql", params=QUERY)).json()["data"]["projects"]["totalCount"]
                assert total == 1
