"""bulkUpsert: mixed kinds in one transaction, in-batch references, every problem by index, new
records set-based (statements constant in the batch's size), concurrent batches."""

import asyncio

import pytest
import sqlalchemy as sa

from registry.db import StatementLog
from registry.graphql.bulk.mutations import _rows
from registry.models import ExternalIdentifier, Organization, Project
from tests.conftest import app_settings, asgi_client
from tests.graphql.conftest import mutate
from tests.graphql.mutations.test_record_mutations import CITE
from tests.graphql.mutations.test_user_errors import log_length
from tests.utils.databases import POSTGRES_URL

BULK = """mutation ($records: [BulkRecordInput!]!) { bulkUpsert(records: $records) {
  records { __typename slug version } userErrors { field code message } } }"""
PROJECT = {"title": "A plant", "kind": "ASSEMBLY_PLANT", "sector": "MACHINERY", "status": "IMPLEMENTED",
           "citations": CITE}


def org(value: str, slug: str, **fields) -> dict:
    return {"scheme": "crm", "value": value,
            "organization": {"slug": slug, "name": slug.title(), "kind": "COMPANY", "citations": CITE, **fields}}


def project(value: str, *orgs: str, **fields) -> dict:
    participants = [{"organization": o, "role": "PARTNER", "citations": CITE} for o in orgs]
    return {"scheme": "crm", "value": value, "project": {**PROJECT, "participants": participants, **fields}}


async def bulk(client, keys, records) -> dict:
    body = (await mutate(client, keys["writer"], BULK, records=records)).json()
    assert "errors" not in body, body
    return body["data"]["bulkUpsert"]


async def test_a_batch_of_mixed_kinds_resolves_references_to_records_made_earlier_in_it(client, keys, sessions):
    payload = await bulk(client, keys, [org("1", "acme"), org("2", "globex"), project("p1", "acme", "globex")])
    assert payload == {"userErrors": [], "records": [
        {"__typename": "Organization", "slug": "acme", "version": 1},
        {"__typename": "Organization", "slug": "globex", "version": 1},
        {"__typename": "Project", "slug": "a-plant", "version": 1}]}
    again = await bulk(client, keys, [org("1", "acme", city="Minsk"), project("p1", "acme")])  # updates by identifier
    assert [(r["slug"], r["version"]) for r in again["records"]] == [("acme", 2), ("a-plant", 2)]


async def test_one_bad_record_writes_none_and_every_problem_is_named_by_index(client, keys, sessions):
    before = await log_length(sessions)
    payload = await bulk(client, keys, [
        org("1", "acme"),
        project("p1", "acme", "nobody"),  # unknown reference
        {"scheme": "crm", "value": "x"},  # no kind
        org("3", "initech", founded="someday"),  # bad partial date
        {"scheme": "CRM!", "value": "4", "organization": {"name": "Hooli", "kind": "COMPANY", "citations": CITE}},
    ])
    assert payload["records"] == []
    assert sorted((e["field"], e["code"]) for e in payload["userErrors"]) == sorted([
        (["records", 1, "project", "participants", 1, "organization"], "NOT_FOUND"),
        (["records", 2], "INVALID"),
        (["records", 3, "organization", "founded"], "INVALID"),
        (["records", 4, "scheme"], "INVALID"),
    ]), payload
    assert await log_length(sessions) == before
    async with sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 0
        assert await session.scalar(sa.select(sa.func.count()).select_from(Project)) == 0


async def test_batch_size_and_rows_are_limited(client, keys, sessions):
    refused = (await mutate(client, keys["writer"], BULK, records=[org(str(i), f"o-{i}") for i in range(1001)])).json()
    assert refused["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "$records"}, refused
    assert "at most 1000 items, got 1001" in refused["errors"][0]["message"]
    # 250 records of 100 aliases each: under every list limit, over the batch's row budget
    heavy = [org(str(i), f"o-{i}", aliases=[{"name": f"alias {j}"} for j in range(100)]) for i in range(250)]
    payload = await bulk(client, keys, heavy)
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(["records"], "INVALID")], payload
    assert await log_length(sessions) == 3


def test_the_row_budget_counts_list_items_at_any_depth():
    cite = [{"source": "s", "excerpt": "e"}]
    fields = {"title": "A plant", "tags": ["x", "y", "z"], "citations": cite, "aliases": [],
              "participants": [{"organization": "a", "citations": cite * 2}, {"organization": "b", "citations": cite}]}
    assert _rows(fields) == 3 + 1 + 0 + 2 + 2 + 1


async def test_a_thousand_records_fit_one_request(client, keys, sessions):
    payload = await bulk(client, keys, [org(str(i), f"org-{i}") for i in range(1000)])
    assert payload["userErrors"] == [] and len(payload["records"]) == 1000
    async with sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 1000


# asyncpg's own statements when a pooled connection first meets an array type (the rows' arrays
# of `insert_rows`): once per connection and type, whatever the batch's size.
_TYPE_INTROSPECTION = ("WITH RECURSIVE typeinfo_tree", "SELECT set_config('jit'", "SELECT current_setting('jit')")


async def _statements_of_a_batch(client, keys, records) -> int:
    with StatementLog(client.app.state.engine) as log:
        payload = await bulk(client, keys, records)
        statements = [s for s in await log.settled() if not " ".join(s.split()).startswith(_TYPE_INTROSPECTION)]
    assert payload["userErrors"] == [] and len(payload["records"]) == len(records), payload
    return len(statements)


async def test_a_batch_of_new_records_costs_the_same_statements_whatever_its_size(client, keys):
    def batch(size: int, tag: str) -> list[dict]:
        return [org(f"{tag}-{i}", f"{tag}-{i}", aliases=[{"name": f"Alias {tag} {i}"}], tags=["partner"],
                    country="KZ", parent=f"{tag}-0" if i else None) for i in range(size)]

    await _statements_of_a_batch(client, keys, batch(2, "warm"))  # the key's first use is recorded once
    small = await _statements_of_a_batch(client, keys, batch(10, "small"))
    large = await _statements_of_a_batch(client, keys, batch(200, "large"))
    assert small == large, (small, large)


async def test_written_records_are_answered_without_reading_them_back(client, keys, sessions):
    """The answer is built from the records as written (`load_records`): no statement reads their
    rows again, whether the records are asked for or not, and what it says is what is stored."""
    quiet = "mutation ($records: [BulkRecordInput!]!) { bulkUpsert(records: $records) { userErrors { code } } }"
    await bulk(client, keys, [org("warm", "warm")])  # the key's first use is recorded once
    with StatementLog(client.app.state.engine) as log:
        body = (await mutate(client, keys["writer"], quiet, records=[org("quiet", "quiet")])).json()
        statements = await log.settled()
    assert body == {"data": {"bulkUpsert": {"userErrors": []}}}, body
    assert _read_back(statements) == [], statements
    with StatementLog(client.app.state.engine) as log:
        loud = await bulk(client, keys, [org("loud", "loud"), org("quiet", "quiet", city="Minsk")])
        statements = await log.settled()
    assert _read_back(statements) == [], statements
    async with sessions() as session:
        stored = {row.slug: row.version for row in await session.execute(
            sa.select(Organization.slug, Organization.version).where(Organization.slug.in_(["loud", "quiet"])))}
    assert loud["records"] == [{"__typename": "Organization", "slug": slug, "version": stored[slug]}
                               for slug in ("loud", "quiet")] and stored == {"loud": 1, "quiet": 2}, loud


def _read_back(statements: list[str]) -> list[str]:
    """The statements that read organizations by id (as `load_records` does: `IN` on SQLite, `= ANY` on PostgreSQL)."""
    return [statement for statement in statements
            if "WHERE organization.id IN" in statement or "WHERE organization.id = any(" in statement]


async def test_records_of_a_batch_take_turns_with_each_other_as_one_upsert_after_another(client, keys, sessions):
    payload = await bulk(client, keys, [
        org("1", "acme"),
        {"scheme": "crm", "value": "2", "organization": {"name": "Acme", "kind": "COMPANY", "citations": CITE}},
        org("1", "acme", city="Minsk"),  # the first record again: an update of it
        org("3", "globex", parent="acme"),  # refers to the first
        project("p1", "acme", "globex"),
    ])
    assert payload["userErrors"] == [], payload
    slugs = [(r["slug"], r["version"]) for r in payload["records"]]
    # records are answered as they stand after the batch: the first one is at version 2 too
    assert slugs[0] == slugs[2] == ("acme", 2) and slugs[3:] == [("globex", 1), ("a-plant", 1)]
    assert slugs[1][0].startswith("acme-") and slugs[1][1] == 1  # its derived slug was taken: suffixed
    async with sessions() as session:
        acme = await session.scalar(sa.select(Organization).where(Organization.slug == "acme"))
        globex = await session.scalar(sa.select(Organization).where(Organization.slug == "globex"))
        assert acme.city == "Minsk" and globex.parent_id == acme.id


async def test_slugs_and_identifiers_taken_earlier_in_the_batch_are_refused_by_index(client, keys, sessions):
    before = await log_length(sessions)
    payload = await bulk(client, keys, [
        org("1", "acme", identifiers=[{"scheme": "vat", "value": "42"}]),
        org("2", "acme"),  # the slug of record 0
        org("3", "initech", identifiers=[{"scheme": "vat", "value": "42"}]),  # record 0's identifier
        org("4", "hooli", parent="initech"),  # initech was refused: nothing to refer to
    ])
    assert payload["records"] == []
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["records", 1, "organization", "slug"], "UNIQUE"),
        (["records", 2, "organization", "identifiers", 0], "UNIQUE"),
        (["records", 3, "organization", "parent"], "NOT_FOUND"),
    ], payload
    assert await log_length(sessions) == before


async def test_a_database_refusal_in_the_middle_of_a_batch_writes_none_of_it(client, keys, sessions):
    before = await log_length(sessions)
    records = [org(str(i), f"o-{i}") for i in range(10)]
    records[5]["organization"]["citations"] = CITE + CITE  # the same citation twice: the table's unique key
    payload = await bulk(client, keys, records)
    assert payload["records"] == [] and [e["code"] for e in payload["userErrors"]] == ["UNIQUE"], payload
    assert await log_length(sessions) == before
    async with sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 0


@pytest.mark.skipif(not POSTGRES_URL, reason="REGISTRY_TEST_POSTGRES_URL is unset (SQLite has one writer at a time)")
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_concurrent_overlapping_batches_neither_deadlock_nor_duplicate(database_url, keys, sessions):
    def batch(values: range) -> list[dict]:
        return [{"scheme": "crm", "value": str(i), "organization": {
            "name": f"Organization {i}", "kind": "COMPANY", "citations": CITE}} for i in values]

    async for client in asgi_client(app_settings(database_url, database_pool_size=6)):
        payloads = await asyncio.gather(*(bulk(client, keys, records) for records in (
            batch(range(0, 60)), list(reversed(batch(range(30, 90)))), batch(range(45, 120, 2)))))
    assert [p["userErrors"] for p in payloads] == [[], [], []], payloads
    async with sessions() as session:
        held = (await session.execute(
            sa.select(ExternalIdentifier.value, sa.func.count()).group_by(ExternalIdentifier.value))).all()
        assert sorted(int(value) for value, _ in held) == sorted({*range(90), *range(45, 120, 2)})
        assert {count for _, count in held} == {1}
        assert await session.scalar(sa.select(sa.func.count()).select_from(Organization)) == len(held)
