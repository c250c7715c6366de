"""Every refusal of a write comes back as userErrors at its input path, and writes nothing."""

import pytest
import sqlalchemy as sa

from registry.models import ChangeLog
from tests.graphql.conftest import mutate
from tests.graphql.mutations.test_record_mutations import CITE, operations, run, written

ORG = {"name": "Acme", "kind": "COMPANY", "citations": CITE}
PROJECT = {"title": "A plant", "kind": "ASSEMBLY_PLANT", "sector": "MACHINERY", "status": "IMPLEMENTED",
           "citations": CITE}
FIGURE = {"metric": "BILATERAL_TRADE", "value": "10", "unit": "USD", "original": "$10", "citations": CITE}


async def log_length(sessions) -> int:
    async with sessions() as session:
        return await session.scalar(sa.select(sa.func.count()).select_from(ChangeLog))


@pytest.mark.parametrize(("kind", "whole", "field", "code"), [
    ("Project", {**PROJECT, "participants": [{"organization": "nobody", "role": "OPERATOR", "citations": CITE}]},
     ["input", "participants", 0, "organization"], "NOT_FOUND"),
    ("Project", {**PROJECT, "planned": "2004-13"}, ["input", "planned"], "INVALID"),
    ("Figure", {**FIGURE, "value": "-5"}, ["input", "value"], "INVALID"),
    ("Organization", {**ORG, "name": "   "}, ["input", "name"], "INVALID"),
    ("Organization", {**ORG, "city": "x" * 201}, ["input", "city"], "INVALID"),
    ("Organization", {**ORG, "country": "XX"}, ["input", "country"], "NOT_FOUND"),
    ("Organization", {**ORG, "citations": [{"source": "no-such-source", "excerpt": "e"}]},
     ["input", "citations", 0, "source"], "NOT_FOUND"),
    ("Organization", {**ORG, "displayName": "x"}, None, None),  # an unknown field: refused by GraphQL
])
async def test_bad_input_is_a_user_error_and_writes_nothing(client, keys, sessions, kind, whole, field, code):
    before = await log_length(sessions)
    response = await mutate(client, keys["writer"], operations(kind)["create"], input=whole)
    body = response.json()
    if field is None:
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    else:
        payload = body["data"][f"create{kind}"]
        assert payload["record"] is None
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(field, code)], payload
    assert await log_length(sessions) == before


async def test_unknown_currency_is_refused_before_anything_runs(client, keys, sessions):
    """`unit` is the FigureUnit enum: an unknown currency fails the variables' coercion, naming the path."""
    response = await mutate(client, keys["writer"], operations("Figure")["create"], input={**FIGURE, "unit": "XYZ"})
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "unit" in error["message"], error
    assert await log_length(sessions) == 0 + 3  # the source and two countries of the fixture


async def test_every_problem_is_named_at_once(client, keys):
    payload = await run(client, keys["writer"], operations("Project")["create"], input={
        **PROJECT, "title": "", "actual": "soon",
        "participants": [{"organization": "a", "role": "OPERATOR", "citations": CITE},
                         {"person": "b", "role": "PARTNER", "citations": CITE}],
    })
    fields = sorted(tuple(map(str, e["field"])) for e in payload["userErrors"])
    assert fields == [("input", "actual"), ("input", "title")], payload  # validation first, then references


async def test_duplicate_identifier_is_refused(client, keys):
    ops = operations("Organization")
    await written(client, keys["writer"], ops["create"], input={**ORG, "identifiers": [{"scheme": "crm", "value": "1"}]})
    payload = await run(client, keys["writer"], ops["create"],
                        input={**ORG, "identifiers": [{"scheme": "crm", "value": "1"}]})
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(["input", "identifiers", 0], "UNIQUE")]


async def test_stale_version_is_a_conflict_carrying_the_current_version(client, keys, sessions):
    ops = operations("Organization")
    record = await written(client, keys["writer"], ops["create"], input=ORG)
    await written(client, keys["writer"], ops["update"], id=record["id"], version=1, input={"city": "Minsk"})
    before = await log_length(sessions)
    for operation, variables in (("update", {"input": {"city": "Brest"}}), ("delete", {})):
        payload = await run(client, keys["writer"], ops[operation], id=record["id"], version=1, **variables)
        assert payload["userErrors"] == [{
            "field": ["version"], "code": "CONFLICT", "currentVersion": 2,
            "message": "the record is at version 2, not 1: read it again and reapply the change"}], payload
    assert await log_length(sessions) == before


async def test_an_id_of_another_kind_or_of_nothing_is_not_found(client, keys):
    ops = operations("Organization")
    record = await written(client, keys["writer"], ops["create"], input=ORG)
    person_id = record["id"].replace("T3JnYW5pemF0aW9u", "UGVyc29u")  # base64 of the type name
    for wrong in ("UGVyc29uOjE=",  # Person:1
                  person_id):
        payload = await run(client, keys["writer"], ops["delete"], id=wrong, version=1)
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(["id"], "NOT_FOUND")], payload


async def test_abusive_inputs_are_refused_before_any_write(client, keys, sessions):
    ops = operations("Organization")
    too_many = {**ORG, "aliases": [{"name": f"a{i}"} for i in range(101)]}
    body = (await mutate(client, keys["writer"], ops["create"], input=too_many)).json()
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "$input.aliases"}, body
    huge = {**ORG, "description": "x" * (5 << 20)}  # over the request body limit even with a key
    assert (await mutate(client, keys["writer"], ops["create"], input=huge)).status_code == 413
    nested = "[" * 2000 + "]" * 2000  # far deeper than any input: refused by the JSON parser or GraphQL
    response = await client.post("/graphql", content=f'{{"query": "mutation {{ x }}", "variables": {{"a": {nested}}}}}',
                                 headers={"Authorization": f"Bearer {keys['writer']}", "Content-Type": "application/json"})
    assert response.status_code == 400
    assert await log_length(sessions) == 3
