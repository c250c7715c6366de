"""bulkUpsert: mixed kinds in one transaction, in-batch references, every problem by index."""

import sqlalchemy as sa

from registry.models import Organization, Project
from tests.graphql.conftest import mutate
from tests.graphql.mutations.test_record_mutations import CITE
from tests.graphql.mutations.test_user_errors import log_length

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


async def test_a_thousand_records_fit_one_request(client, keys, sessions):
    payload = await bulk(client, keys, [org(str(i), f"org-{i}") for i in range(1000)])
    assert payload["userErrors"] == [] and len(payload["records"]) == 1000
    async with sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 1000
