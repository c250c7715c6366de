"""The change feed (`changes`) and each record's `history` over HTTP, after writes through the services."""

import asyncio
import uuid

import pytest
import sqlalchemy as sa
from strawberry.relay import GlobalID

from registry import services
from registry.db import StatementLog
from registry.graphql.changes.resolvers import _TYPE_NAMES
from registry.models import ChangeAction, ChangeKind, ChangeLog
from registry.services.changes import FEED_LOCK
from tests.conftest import app_settings, asgi_client
from tests.graphql.conftest import gql, gql_errors
from tests.utils import factories
from tests.utils.factories import AUTHOR

FEED = """
query ($first: Int, $after: String, $kinds: [ChangeKind!]) {
  changes(first: $first, after: $after, kinds: $kinds) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node {
      cursor kind id countryCode action version changedFields { field before after }
      data actor changedAt requestId } }
  }
}"""

HISTORY = """
query ($id: ID!, $first: Int, $after: String) {
  node(id: $id) { ... on Organization { name history(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { action version changedFields { field before after } } } } } }
}"""


async def read_feed(client, first: int, **variables) -> list[dict]:
    """Every entry, page by page, passing on each page's last cursor as a partner does."""
    entries, after = [], None
    while True:
        page = (await gql(client, FEED, first=first, after=after, **variables))["changes"]
        # every entry comes after the cursor asked with (else a repeating feed would loop forever)
        assert all(int(edge["cursor"]) > int(after or -1) for edge in page["edges"]), (after, page)
        entries += [edge["node"] for edge in page["edges"]]
        assert [edge["cursor"] for edge in page["edges"]] == [edge["node"]["cursor"] for edge in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            return entries
        after = page["pageInfo"]["endCursor"]


@pytest.fixture
async def written(sessions) -> dict:
    """A source and two countries, then an organization created, updated, deleted and restored,
    and a country renamed, each in a transaction of its own."""
    async with sessions() as session, session.begin():
        await factories.source(session)
        await factories.countries(session)
    citations = [{"source": factories.SOURCE_SLUG, "excerpt": "a test"}]
    fields = {"name": "MTZ", "kind": "company", "citations": citations}
    async with sessions() as session, session.begin():
        created = await services.create(session, services.ORGANIZATION, fields, author=AUTHOR)
    organization_id = created.entity.id
    async with sessions() as session, session.begin():
        await services.update(session, services.ORGANIZATION, organization_id, {"description": "Tractors"},
                              expected_version=1, author=AUTHOR)
    async with sessions() as session, session.begin():
        await services.delete(session, services.ORGANIZATION, organization_id, expected_version=2, author=AUTHOR)
    async with sessions() as session, session.begin():
        await services.restore(session, services.ORGANIZATION, organization_id, author=AUTHOR)
    async with sessions() as session, session.begin():
        await services.save_country(session, "BY", "Republic of Belarus", author=AUTHOR)
    return {"organization": str(GlobalID("Organization", str(organization_id)))}


EXPECTED = [
    ("SOURCE", "CREATE", 1), ("COUNTRY", "CREATE", 1), ("COUNTRY", "CREATE", 1),
    ("ORGANIZATION", "CREATE", 1), ("ORGANIZATION", "UPDATE", 2), ("ORGANIZATION", "DELETE", 3),
    ("ORGANIZATION", "RESTORE", 4), ("COUNTRY", "UPDATE", 2),
]


def test_every_kind_of_record_has_a_type_for_its_global_ids():
    assert set(_TYPE_NAMES) == set(ChangeKind) - {ChangeKind.COUNTRY}


async def test_the_feed_lists_every_change_in_commit_order(client, written):
    entries = await read_feed(client, first=100)
    assert [(e["kind"], e["action"], e["version"]) for e in entries] == EXPECTED
    cursors = [int(e["cursor"]) for e in entries]
    assert cursors == sorted(set(cursors))
    assert {e["actor"] for e in entries} == {factories.ACTOR}
    assert all(e["changedAt"] and e["requestId"] is None for e in entries)  # written outside any request

    organization = [e for e in entries if e["kind"] == "ORGANIZATION"]
    assert {e["id"] for e in organization} == {written["organization"]}
    assert {e["countryCode"] for e in organization} == {None}
    update = organization[1]
    assert update["changedFields"] == [{"field": "description", "before": None, "after": "Tractors"}]
    assert update["data"]["name"] == "MTZ" and update["data"]["description"] == "Tractors"
    tombstone = organization[2]
    assert tombstone["data"]["name"] == "MTZ"  # the record's last state
    assert tombstone["changedFields"] == [{"field": "deleted", "before": False, "after": True}]

    rename = entries[-1]
    assert (rename["id"], rename["countryCode"]) == (None, "BY")
    assert rename["data"] == {"code": "BY", "name": "Republic of Belarus"}
    assert rename["changedFields"] == [{"field": "name", "before": "Belarus", "after": "Republic of Belarus"}]


async def test_tiny_pages_never_skip_or_repeat_an_entry(client, written):
    everything = await read_feed(client, first=100)
    for first in (1, 2, 3):
        assert await read_feed(client, first=first) == everything


async def test_the_feed_waits_for_a_change_still_committing_rather_than_pass_it(client, engine, written):
    """A writer between its change-log INSERT and its COMMIT (held there) holds an id the others'
    committed changes may follow: a partner's page must not reach past it, so it waits."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: its ids follow commit order")
    async with engine.connect() as committing:
        await committing.execute(sa.select(sa.func.pg_advisory_xact_lock_shared(FEED_LOCK)))
        await committing.execute(sa.insert(ChangeLog).values(
            entity_type=ChangeKind.SOURCE, entity_id=uuid.uuid4(), action=ChangeAction.CREATE, version=1,
            actor="late writer", data={"title": "Late"}))
        partner = asyncio.create_task(read_feed(client, 3))
        await asyncio.sleep(0.5)
        assert not partner.done(), "the feed answered past a change still to commit"
        await committing.commit()
    entries = await asyncio.wait_for(partner, 10)
    assert [entry["actor"] for entry in entries][-1] == "late writer"
    assert [(e["kind"], e["action"], e["version"]) for e in entries][:-1] == EXPECTED


async def test_a_partner_that_caught_up_gets_an_empty_page_and_keeps_its_cursor(client, written):
    last = (await read_feed(client, first=100))[-1]["cursor"]
    page = (await gql(client, FEED, after=last))["changes"]
    assert page == {"pageInfo": {"hasNextPage": False, "hasPreviousPage": True, "startCursor": None,
                                 "endCursor": None}, "edges": []}


async def test_the_feed_filters_by_kind(client, written):
    everything = await read_feed(client, first=100)
    countries = await read_feed(client, first=1, kinds=["COUNTRY"])
    assert countries == [e for e in everything if e["kind"] == "COUNTRY"]
    both = await read_feed(client, first=2, kinds=["SOURCE", "ORGANIZATION"])
    assert both == [e for e in everything if e["kind"] in ("SOURCE", "ORGANIZATION")]
    assert await read_feed(client, first=5, kinds=["PROJECT"]) == []


async def test_a_record_lists_its_own_history(client, written):
    record = (await gql(client, HISTORY, id=written["organization"]))["node"]
    assert [(e["node"]["action"], e["node"]["version"]) for e in record["history"]["edges"]] == [
        ("CREATE", 1), ("UPDATE", 2), ("DELETE", 3), ("RESTORE", 4)]
    assert record["history"]["pageInfo"]["hasNextPage"] is False

    first = (await gql(client, HISTORY, id=written["organization"], first=3))["node"]["history"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await gql(client, HISTORY, id=written["organization"], after=first["pageInfo"]["endCursor"]))
    assert first["edges"] + rest["node"]["history"]["edges"] == record["history"]["edges"]


def assert_refused(errors: list[dict], argument: str, reason: str) -> None:
    assert [(e["extensions"]["code"], e["extensions"]["argument"]) for e in errors] == [("BAD_USER_INPUT", argument)]
    assert errors[0]["message"].startswith(f"{argument}: ") and reason in errors[0]["message"], errors


# (argument, value, words the message must hold)
ABUSIVE = [
    ("first", 0, "between 1 and 100"),
    ("first", 101, "between 1 and 100"),
    ("first", -1, "between 1 and 100"),
    ("first", 2**31 - 1, "between 1 and 100"),
    ("after", "-1", "not a cursor"),
    ("after", "abc", "not a cursor"),
    ("after", "", "not a cursor"),
    ("after", " 1", "not a cursor"),
    ("after", "+1", "not a cursor"),
    ("after", "1_000", "not a cursor"),
    ("after", "1e3", "not a cursor"),
    ("after", "1.5", "not a cursor"),
    ("after", "inf", "not a cursor"),
    ("after", "NaN", "not a cursor"),
    ("after", "\uff11", "not a cursor"),  # a fullwidth digit, which int() would take
    ("after", str(2**63), "not a cursor"),
    ("after", "9" * 100_000, "not a cursor"),
]


@pytest.mark.parametrize(("argument", "value", "reason"), ABUSIVE)
async def test_abusive_feed_arguments_are_refused_with_a_coded_error(client, argument, value, reason):
    assert_refused(await gql_errors(client, FEED, **{argument: value}), argument, reason)


@pytest.mark.parametrize(("argument", "value", "reason"), ABUSIVE)
async def test_abusive_history_arguments_are_refused_with_a_coded_error(client, written, argument, value, reason):
    errors = await gql_errors(client, HISTORY, id=written["organization"], **{argument: value})
    assert_refused(errors, argument, reason)


@pytest.mark.parametrize(("kinds", "reason"), [
    ([], "at least one kind"),
    (["SOURCE"] * 9, "at most 8 kinds"),
])
async def test_abusive_kinds_are_refused_with_a_coded_error(client, kinds, reason):
    assert_refused(await gql_errors(client, FEED, kinds=kinds), "kinds", reason)


def history_in_projects(below: str) -> str:
    return f"{{ projects(first: 100) {{ edges {{ node {{ {below} }} }} }} }}"


async def test_history_counts_toward_the_query_cost_like_any_connection(database_url):
    # 100 projects, each with a page of 100 changes: 100 + 100 × 100
    history = "history(first: 100) { edges { node { version } } }"
    async for client in asgi_client(app_settings(database_url, max_query_cost=10_099)):
        errors = await gql_errors(client, history_in_projects(history))
        assert errors[0]["extensions"]["limit"] == "cost" and errors[0]["extensions"]["value"] == 10_100, errors
    async for client in asgi_client(app_settings(database_url, max_query_cost=10_100)):
        assert (await gql(client, history_in_projects(history)))["projects"]["edges"] == []


async def test_history_of_nested_records_is_refused_by_cost(client):
    query = history_in_projects(
        "participants { organization { history(first: 100) { edges { node { version } } } } }")
    errors = await gql_errors(client, query)
    refusal = errors[0]["extensions"]
    assert (refusal["code"], refusal["limit"]) == ("GRAPHQL_VALIDATION_FAILED", "cost")
    assert refusal["value"] == 100 + 100 * 10 + 100 * 10 * 100


async def test_the_feed_counts_its_page_toward_the_query_cost(database_url):
    async for client in asgi_client(app_settings(database_url, max_query_cost=99)):
        errors = await gql_errors(client, "{ changes(first: 100) { edges { node { version } } } }")
        assert errors[0]["extensions"]["limit"] == "cost" and errors[0]["extensions"]["value"] == 100, errors


PROJECTS = "query ($first: Int!) {{ projects(first: $first) {{ edges {{ node {{ title {history} }} }} }} }}"


async def statement_count(client, query: str, first: int) -> tuple[int, dict]:
    with StatementLog(client.app.state.engine) as log:
        data = await gql(client, query, first=first)
        statements = await log.settled()
    return len(statements), data


async def test_history_of_a_page_of_records_is_one_statement_and_none_when_not_asked_for(many):
    without = PROJECTS.format(history="")
    with_history = PROJECTS.format(history="history(first: 2) { edges { node { action version } } }")
    await gql(many, without, first=1)  # warm-up: a new pooled connection runs set-up queries once
    counts = {}
    for first in (5, 50):
        counts[first, "without"], _ = await statement_count(many, without, first)
        counts[first, "with"], data = await statement_count(many, with_history, first)
        assert [[e["node"] for e in edge["node"]["history"]["edges"]] for edge in data["projects"]["edges"]] == [
            [{"action": "CREATE", "version": 1}]] * first
    assert counts[5, "without"] == counts[50, "without"] == 1, counts
    assert counts[5, "with"] == counts[50, "with"] == 2, counts
