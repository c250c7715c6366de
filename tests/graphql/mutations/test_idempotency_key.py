"""`Idempotency-Key`: a retried mutation answers the first response and writes once, even when the
retries run at the same time; a key reused for another body, or malformed, is refused."""

import asyncio
import uuid

import pytest
import sqlalchemy as sa

from registry import services
from registry.graphql.context import Context
from registry.models import ApiKey, IdempotencyKey, Organization, Source
from registry.services import idempotency as store
from registry.services.api_keys import create_api_key
from registry.services.changes import FEED_LOCK
from tests.conftest import app_settings, asgi_client
from tests.graphql.mutations.test_record_mutations import CITE, operations
from tests.graphql.mutations.test_user_errors import log_length
from tests.utils.databases import POSTGRES_URL
from tests.utils.factories import AUTHOR

CREATE = operations("Organization")["create"]


def keyed(key: str, idempotency_key: str | bytes | None = "order-1") -> dict[str, str]:
    headers = {"Authorization": f"Bearer {key}"}
    return headers | ({"Idempotency-Key": idempotency_key} if idempotency_key is not None else {})


def create_body(name: str = "Acme") -> dict:
    return {"query": CREATE, "variables": {"input": {"name": name, "kind": "COMPANY", "citations": CITE}}}


async def organizations(sessions) -> list[str]:
    async with sessions() as session:
        return list((await session.scalars(sa.select(Organization.name).order_by(Organization.name))).all())


async def test_a_retry_gets_the_first_response_and_writes_nothing(client, keys, sessions):
    first = await client.post("/graphql", json=create_body(), headers=keyed(keys["writer"]))
    assert first.json()["data"]["createOrganization"]["userErrors"] == [], first.text
    logged = await log_length(sessions)
    again = await client.post("/graphql", json=create_body(), headers=keyed(keys["writer"]))
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert await log_length(sessions) == logged and await organizations(sessions) == ["Acme"]
    # without the header, the same request is a new one
    fresh = await client.post("/graphql", json=create_body(), headers=keyed(keys["writer"], None))
    assert fresh.json()["data"]["createOrganization"]["userErrors"] == []
    assert await organizations(sessions) == ["Acme", "Acme"]


async def test_a_refused_mutation_is_answered_again_with_its_user_errors(client, keys, sessions):
    body = {"query": CREATE, "variables": {"input": {"name": "Acme", "kind": "COMPANY",
                                                     "citations": [{"source": "nowhere", "excerpt": "x"}]}}}
    first = await client.post("/graphql", json=body, headers=keyed(keys["writer"]))
    assert first.json()["data"]["createOrganization"]["userErrors"][0]["code"] == "NOT_FOUND"
    again = await client.post("/graphql", json=body, headers=keyed(keys["writer"]))
    assert again.content == first.content and again.headers["Idempotent-Replayed"] == "true"
    assert await organizations(sessions) == []


async def test_the_same_key_with_another_body_is_422_and_writes_nothing(client, keys, sessions):
    await client.post("/graphql", json=create_body("Acme"), headers=keyed(keys["writer"]))
    other = await client.post("/graphql", json=create_body("Other"), headers=keyed(keys["writer"]))
    assert other.status_code == 422, other.text
    assert other.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await organizations(sessions) == ["Acme"]


@pytest.mark.parametrize("header", ["", "é-not-ascii".encode(), "k" * 256, "with space", "tab\there"])
async def test_a_malformed_key_is_400_and_writes_nothing(client, keys, sessions, header):
    response = await client.post("/graphql", json=create_body(), headers=keyed(keys["writer"], header))
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST" and error["message"].startswith("Idempotency-Key")
    assert await organizations(sessions) == []


async def test_a_key_sent_twice_is_400(client, keys, sessions):
    headers = [("Authorization", f"Bearer {keys['writer']}"), ("Idempotency-Key", "a"), ("Idempotency-Key", "b")]
    response = await client.post("/graphql", json=create_body(), headers=headers)
    assert response.status_code == 400 and "once" in response.json()["errors"][0]["message"]
    assert await organizations(sessions) == []


async def test_keys_belong_to_their_api_key(client, keys, sessions):
    async with sessions() as session, session.begin():
        other_writer = (await create_api_key(session, "other-writer", ["read", "write"]))[1]
    for key in (keys["writer"], other_writer):
        response = await client.post("/graphql", json=create_body(), headers=keyed(key))
        assert "Idempotent-Replayed" not in response.headers
    assert await organizations(sessions) == ["Acme", "Acme"]


async def test_concurrent_requests_with_one_key_write_once_and_answer_alike(database_url, keys, sessions):
    async for client in asgi_client(app_settings(database_url, database_pool_size=12)):
        responses = await asyncio.gather(*(
            client.post("/graphql", json=create_body(), headers=keyed(keys["writer"])) for _ in range(6)))
    answered = [r for r in responses if r.status_code == 200]
    waiting = [r for r in responses if r.status_code == 409]  # only if the first outran the wait
    assert len(answered) + len(waiting) == len(responses), [r.text for r in responses]
    assert len({r.content for r in answered}) == 1 and answered[0].json()["data"]["createOrganization"]["record"]
    assert sum("Idempotent-Replayed" not in r.headers for r in answered) == 1
    assert all(r.headers["Retry-After"] == "1" for r in waiting)
    assert await organizations(sessions) == ["Acme"]


async def test_a_claim_taken_over_takes_the_requests_writes_back(keys, sessions, engine):
    """If a retry took the claim over (the first attempt looked crashed), the first attempt's
    writes roll back: the mutation is still written once, by whichever holds the claim."""
    async with sessions() as session:
        writer_id = await session.scalar(sa.select(ApiKey.id).where(ApiKey.name == "writer"))
    claim = await store.begin(sessions, api_key_id=writer_id, key="k", request_body=b"{}")
    async with sessions() as session, session.begin():  # what a retry's takeover does
        await session.execute(sa.update(IdempotencyKey).values(owner=uuid.uuid4()))
    context = Context(engine, sessions=sessions)
    context.hold_writes(lambda session: store.confirm(session, claim))
    fields = {"name": "Acme", "kind": "company", "citations": [{"source": "test-source", "excerpt": "x"}]}
    with pytest.raises(store.ClaimLost):
        async with context.write_transaction() as session:
            await services.create(session, services.ORGANIZATION, fields, author=AUTHOR)
    await context.close()
    assert await organizations(sessions) == []


async def test_in_one_keyed_request_a_refused_mutation_takes_back_only_its_own_writes(client, keys, sessions):
    """The mutations of a keyed request share one transaction, each in a savepoint: a database
    refusal (a source file given twice) undoes the second and keeps the first."""
    document = """mutation ($a: SourceInput!, $b: SourceInput!) {
      a: createSource(input: $a) { record { id } userErrors { code } }
      b: createSource(input: $b) { record { id } userErrors { code } }
    }"""
    variables = {"a": {"file": "new.txt", "title": "A"}, "b": {"file": "new.txt", "title": "B"}}
    first = await client.post("/graphql", json={"query": document, "variables": variables}, headers=keyed(keys["writer"]))
    data = first.json()["data"]
    assert data["a"]["userErrors"] == [] and data["b"] == {"record": None, "userErrors": [{"code": "UNIQUE"}]}
    again = await client.post("/graphql", json={"query": document, "variables": variables}, headers=keyed(keys["writer"]))
    assert again.content == first.content
    async with sessions() as session:
        titles = (await session.scalars(sa.select(Source.title).where(Source.file == "new.txt"))).all()
    assert titles == ["A"]


@pytest.mark.skipif(not POSTGRES_URL, reason="REGISTRY_TEST_POSTGRES_URL is unset (the feed lock is PostgreSQL's)")
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_an_answer_the_database_failed_is_not_kept_and_the_retry_writes_once(database_url, keys, sessions):
    """A keyed write the database could not finish (here: the feed lock held past the command
    timeout) answers 503, writes nothing and stores nothing: the retry with the same key runs."""
    async for client in asgi_client(app_settings(database_url, database_command_timeout=1)):
        async with sessions() as blocker, blocker.begin():
            await blocker.execute(sa.select(sa.func.pg_advisory_xact_lock(FEED_LOCK)))
            failed = await client.post("/graphql", json=create_body(), headers=keyed(keys["writer"]))
        assert failed.status_code == 503, failed.text
        assert await organizations(sessions) == []
        async with sessions() as session:
            assert await session.scalar(sa.select(sa.func.count()).select_from(IdempotencyKey)) == 0
        retried = await client.post("/graphql", json=create_body(), headers=keyed(keys["writer"]))
        assert retried.status_code == 200 and "Idempotent-Replayed" not in retried.headers, retried.text
        assert retried.json()["data"]["createOrganization"]["userErrors"] == []
    assert await organizations(sessions) == ["Acme"]
