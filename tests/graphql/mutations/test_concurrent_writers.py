"""Concurrent writers on PostgreSQL through real HTTP: of N updates at one version, exactly one wins."""

import asyncio

import pytest

from tests.conftest import app_settings, asgi_client
from tests.graphql.conftest import mutate
from tests.graphql.mutations.test_record_mutations import CITE, operations, written
from tests.utils.databases import POSTGRES_URL

WRITERS = 8


@pytest.mark.skipif(not POSTGRES_URL, reason="REGISTRY_TEST_POSTGRES_URL is unset (SQLite has one writer at a time)")
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_of_concurrent_updates_at_one_version_exactly_one_wins(database_url, keys):
    ops = operations("Organization")
    async for client in asgi_client(app_settings(database_url, database_pool_size=WRITERS + 2)):
        record = await written(client, keys["writer"], ops["create"],
                               input={"name": "Acme", "kind": "COMPANY", "citations": CITE})
        responses = await asyncio.gather(*(
            mutate(client, keys["writer"], ops["update"], id=record["id"], version=1, input={"city": f"City {i}"})
            for i in range(WRITERS)))
        payloads = [response.json()["data"]["updateOrganization"] for response in responses]
        winners = [p for p in payloads if not p["userErrors"]]
        losers = [p["userErrors"] for p in payloads if p["userErrors"]]
        assert len(winners) == 1 and winners[0]["record"]["version"] == 2, payloads
        assert all(errors == [{"field": ["version"], "code": "CONFLICT", "currentVersion": 2,
                               "message": "the record is at version 2, not 1: read it again and reapply the change"}]
                   for errors in losers), losers
