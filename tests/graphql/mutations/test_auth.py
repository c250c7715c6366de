"""Writing needs a live key with the write scope; a bad key is 401; mutations never go over GET
nor into the response cache; the change log names the key and the request."""

import pytest
import sqlalchemy as sa

from registry.models import ChangeLog
from tests.conftest import app_settings, asgi_client
from tests.graphql.conftest import mutate
from tests.graphql.mutations.test_record_mutations import CITE, operations, written
from tests.graphql.mutations.test_user_errors import log_length

CREATE = operations("Organization")["create"]
ORG = {"name": "Acme", "kind": "COMPANY", "citations": CITE}
READ = "{ organizations { totalCount } }"


@pytest.mark.parametrize(("key", "code"), [(None, "UNAUTHENTICATED"), ("reader", "FORBIDDEN")])
async def test_a_mutation_without_the_write_scope_is_refused(client, keys, sessions, key, code):
    response = await mutate(client, keys.get(key), CREATE, input=ORG)
    body = response.json()
    assert response.status_code == 200 and body["data"] is None, body
    assert [error["extensions"]["code"] for error in body["errors"]] == [code]
    assert await log_length(sessions) == 3  # the fixture's source and countries only


@pytest.mark.parametrize("header", [
    "Bearer kzby_000000000000_wrong", "Bearer not-a-key", "Basic dXNlcjpwYXNz", "Bearer ", "Bearer " + "k" * 5000,
    "revoked",
])
async def test_a_bad_authorization_header_is_401_and_writes_nothing(client, keys, sessions, header):
    if header == "revoked":
        header = f"Bearer {keys['revoked']}"
    for query in (CREATE, READ):
        response = await client.post("/graphql", json={"query": query, "variables": {"input": ORG}},
                                      headers={"Authorization": header})
        assert response.status_code == 401, response.text
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="registry", error="invalid_token"'
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await log_length(sessions) == 3


async def test_reads_need_a_key_only_when_configured(database_url, keys):
    async for client in asgi_client(app_settings(database_url, require_auth_for_read=True)):
        anonymous = await client.post("/graphql", json={"query": READ})
        assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == 'Bearer realm="registry"'
        with_key = await client.post("/graphql", json={"query": READ},
                                     headers={"Authorization": f"Bearer {keys['reader']}"})
        assert with_key.json() == {"data": {"organizations": {"totalCount": 0}}}
    async for client in asgi_client(app_settings(database_url)):
        assert (await client.post("/graphql", json={"query": READ})).status_code == 200


async def test_the_change_log_names_the_key_and_the_request(client, keys, sessions):
    response = await client.post("/graphql", json={"query": CREATE, "variables": {"input": ORG}},
                                 headers={"Authorization": f"Bearer {keys['writer']}", "X-Request-Id": "req-42"})
    assert response.json()["data"]["createOrganization"]["userErrors"] == []
    unsafe = await client.post("/graphql", json={"query": CREATE, "variables": {"input": {**ORG, "name": "B"}}},
                               headers={"Authorization": f"Bearer {keys['writer']}", "X-Request-Id": "a b\x7f"})
    assert unsafe.json()["data"]["createOrganization"]["userErrors"] == []
    async with sessions() as session:
        rows = (await session.execute(
            sa.select(ChangeLog.actor, ChangeLog.request_id).order_by(ChangeLog.id.desc()).limit(2))).all()
    assert rows[1] == ("writer", "req-42")
    assert rows[0].actor == "writer" and len(rows[0].request_id) == 32  # a generated id, not the client's


async def test_mutations_never_go_over_get_nor_into_the_cache(client, keys, sessions):
    response = await client.get("/graphql", params={"query": 'mutation { deleteOrganization(id: "x", version: 1) '
                                                             "{ userErrors { code } } }"},
                                headers={"Authorization": f"Bearer {keys['writer']}"})
    assert response.status_code == 405 and response.headers["Allow"] == "POST"
    await written(client, keys["writer"], CREATE, input=ORG)
    await written(client, keys["writer"], CREATE, input=ORG)  # the same POST twice: two records, not a cached answer
    assert await log_length(sessions) == 5
    cache = client.app.middleware_stack
    while not hasattr(cache, "cache"):
        cache = cache.app
    assert len(cache.cache) == 0


async def test_a_keyed_request_looks_its_key_up_on_the_connection_it_reads_with(client, keys):
    """One pooled connection for the key's look-up and the request's reads (a session of its own
    for the key cost every keyed request a second one)."""
    pool = client.app.state.engine.sync_engine
    checkouts = []

    def checked_out(*_) -> None:
        checkouts.append(1)

    sa.event.listen(pool, "checkout", checked_out)
    try:
        response = await client.post("/graphql", json={"query": READ},
                                     headers={"Authorization": f"Bearer {keys['reader']}"})
    finally:
        sa.event.remove(pool, "checkout", checked_out)
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    assert len(checkouts) == 1
