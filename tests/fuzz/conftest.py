"""The seeded registry served for real on each backend, shared by the fuzz tests."""

from collections.abc import Iterator

import httpx
import pytest

from tests.utils.databases import BACKENDS
from tests.utils.servers import seeded_registry_server


@pytest.fixture(scope="session", params=BACKENDS)
def live_registry(request, tmp_path_factory) -> Iterator[str]:
    """The base URL of `registry serve` (production mode) on a database seeded by `registry seed`."""
    with seeded_registry_server(request.param, tmp_path_factory.mktemp("live")) as base_url:
        # a server refusing every request would pass the fuzzing: it must answer a plain query
        answer = httpx.post(f"{base_url}/graphql", json={"query": "{ projects { totalCount } }"}).json()
        assert answer["data"]["projects"]["totalCount"] > 0, answer
        yield base_url
