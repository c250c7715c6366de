"""Two worker processes with response caches: a committed write is seen by every later request."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.utils import factories

REGISTRY = str(Path(sys.executable).with_name("registry"))
QUERY = {"query": "{ projects { totalCount } }"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def two_workers(database_url):
    port = _free_port()
    env = {**os.environ, "REGISTRY_DATABASE_URL": database_url, "REGISTRY_ENV": "production"}
    server = subprocess.Popen([REGISTRY, "serve", "--port", str(port), "--workers", "2"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("the server did not become ready within 30 s")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=15)


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
