"""create/update/delete/restore/upsert…ByIdentifier for every kind of record, over real HTTP."""

import pytest
import sqlalchemy as sa
from graphql import get_named_type, is_leaf_type

from registry.graphql.schema import schema
from registry.models import ChangeLog
from tests.graphql.conftest import gql, mutate

CITE = [{"source": "test-source", "excerpt": "a test statement"}]
# A whole input of each kind, and a field to change in its partial update.
KINDS = {
    "Source": ({"file": "a.txt", "title": "A source"}, {"title": "Another title"}),
    "Organization": ({"name": "Acme", "kind": "COMPANY", "country": "BY", "citations": CITE}, {"city": "Minsk"}),
    "Person": ({"displayName": "Ivan Petrov", "citations": CITE}, {"familyName": "Petrov"}),
    "Event": ({"title": "A visit", "kind": "WORKING_VISIT", "date": "2004-05", "citations": CITE},
              {"city": "Astana"}),
    "Agreement": ({"title": "A treaty", "kind": "TREATY", "status": "SIGNED", "citations": CITE},
                  {"signed": "1999-01-02"}),
    "Project": ({"title": "A plant", "kind": "ASSEMBLY_PLANT", "sector": "MACHINERY", "status": "IMPLEMENTED",
                 "citations": CITE}, {"location": "Kostanay"}),
    "Figure": ({"metric": "BILATERAL_TRADE", "value": "1200.5", "unit": "USD", "original": "$1.2 thousand",
                "citations": CITE}, {"period": "2019"}),
}
UNIQUE = {"Source": {"file": "b.txt"}}  # a source's file names one source only
RECORD = "record { ... on Record { slug version } ... on Node { id } }"
ERRORS = "userErrors { field code message currentVersion }"


def operations(kind: str) -> dict[str, str]:
    payload = f"{{ {RECORD} {ERRORS} }}"
    return {
        "create": f"mutation ($input: {kind}Input!) {{ create{kind}(input: $input) {payload} }}",
        "update": f"mutation ($id: ID!, $version: Int!, $input: {kind}PatchInput!) "
                  f"{{ update{kind}(id: $id, version: $version, input: $input) {payload} }}",
        "delete": f"mutation ($id: ID!, $version: Int!) {{ delete{kind}(id: $id, version: $version) {payload} }}",
        "restore": f"mutation ($id: ID!) {{ restore{kind}(id: $id) {payload} }}",
        "upsert": f"mutation ($scheme: String!, $value: String!, $input: {kind}PatchInput!) "
                  f"{{ upsert{kind}ByIdentifier(scheme: $scheme, value: $value, input: $input) {payload} }}",
    }


async def run(client, key: str, query: str, **variables) -> dict:
    """The payload of a mutation expected to be answered (userErrors or not)."""
    response = await mutate(client, key, query, **variables)
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    (payload,) = body["data"].values()
    return payload


async def written(client, key: str, query: str, **variables) -> dict:
    """The record of a write expected to succeed."""
    payload = await run(client, key, query, **variables)
    assert payload["userErrors"] == [], payload
    return payload["record"]


@pytest.mark.parametrize("kind", KINDS)
async def test_every_operation_of_every_kind(client, keys, sessions, kind):
    whole, change = KINDS[kind]
    ops, key = operations(kind), keys["writer"]

    created = await written(client, key, ops["create"], input=whole)
    assert created["version"] == 1
    updated = await written(client, key, ops["update"], id=created["id"], version=1, input=change)
    assert (updated["id"], updated["version"]) == (created["id"], 2)
    deleted = await written(client, key, ops["delete"], id=created["id"], version=2)
    assert deleted["version"] == 3
    node = await gql(client, "query ($id: ID!) { node(id: $id) { id } }", id=created["id"])
    assert node["node"] is None  # a tombstone: gone for readers
    restored = await written(client, key, ops["restore"], id=created["id"])
    assert restored["version"] == 4
    assert (await gql(client, "query ($id: ID!) { node(id: $id) { id } }", id=created["id"]))["node"]

    # upsert: the first call creates (from the whole input), the second updates the same record
    first = await written(client, key, ops["upsert"], scheme="partner", value=f"{kind}-1",
                          input={**whole, "slug": f"upserted-{kind.lower()}", **UNIQUE.get(kind, {})})
    second = await written(client, key, ops["upsert"], scheme="partner", value=f"{kind}-1", input=change)
    assert (first["version"], second["id"], second["version"]) == (1, first["id"], 2)

    async with sessions() as session:
        actions = (await session.scalars(sa.select(ChangeLog.action).order_by(ChangeLog.id))).all()
        actors = set((await session.scalars(sa.select(ChangeLog.actor).where(ChangeLog.version > 1))).all())
    assert [str(a) for a in actions[-6:]] == ["create", "update", "delete", "restore", "create", "update"]
    assert actors == {"writer"}


async def test_partial_update_keeps_left_out_fields_and_normalises_strings(client, keys):
    ops = operations("Organization")
    created = await written(client, keys["writer"], ops["create"], input={
        "name": "  Cafe\u0301 Minsk  ", "kind": "COMPANY", "country": "BY", "city": "Minsk",
        "aliases": [{"name": "CM"}], "identifiers": [{"scheme": "crm", "value": "7"}], "tags": ["food"],
        "citations": CITE,
    })
    await written(client, keys["writer"], ops["update"], id=created["id"], version=1, input={"city": "Brest"})
    query = """query ($id: ID!) { node(id: $id) { ... on Organization {
        name city country { code } aliases { name } identifiers { scheme value } tags citations { excerpt } } } }"""
    record = (await gql(client, query, id=created["id"]))["node"]
    assert record == {
        "name": "Caf\u00e9 Minsk",  # trimmed, and NFC: the combining accent composed
        "city": "Brest", "country": {"code": "BY"}, "aliases": [{"name": "CM"}],
        "identifiers": [{"scheme": "crm", "value": "7"}], "tags": ["food"],
        "citations": [{"excerpt": "a test statement"}],
    }


async def test_an_explicit_null_clears_a_field_where_leaving_it_out_keeps_it(client, keys):
    """Inputs reach the services as plain dicts (write_inputs.plain_fields): a null is kept, at the
    top and in nested rows, and a field left out is absent."""
    ops = operations("Organization")
    created = await written(client, keys["writer"], ops["create"], input={
        "name": "Acme", "kind": "COMPANY", "country": "BY", "city": "Minsk",
        "citations": [{"source": "test-source", "excerpt": "a test statement", "locator": "p. 2"}],
    })
    await written(client, keys["writer"], ops["update"], id=created["id"], version=1, input={
        "city": None, "citations": [{"source": "test-source", "excerpt": "a test statement", "locator": None}],
    })
    query = """query ($id: ID!) { node(id: $id) { ... on Organization {
        name city country { code } citations { excerpt locator } } } }"""
    assert (await gql(client, query, id=created["id"]))["node"] == {
        "name": "Acme", "city": None, "country": {"code": "BY"},
        "citations": [{"excerpt": "a test statement", "locator": None}],
    }


async def test_relationship_rows_are_editable_and_answered_with_the_record(client, keys):
    key = keys["writer"]
    org = await written(client, key, operations("Organization")["create"],
                        input={"name": "Acme", "kind": "COMPANY", "slug": "acme", "citations": CITE})
    assert org["slug"] == "acme"
    query = """mutation ($input: ProjectInput!) { createProject(input: $input) {
        record { title participants { role organization { slug } citations { excerpt } } } userErrors { code } } }"""
    payload = await run(client, key, query, input={
        "title": "A plant", "kind": "ASSEMBLY_PLANT", "sector": "MACHINERY", "status": "IMPLEMENTED",
        "citations": CITE, "participants": [{"organization": "acme", "role": "OPERATOR", "citations": CITE}],
    })
    assert payload == {"userErrors": [], "record": {"title": "A plant", "participants": [
        {"role": "OPERATOR", "organization": {"slug": "acme"}, "citations": [{"excerpt": "a test statement"}]}]}}


async def test_later_fields_of_one_request_read_what_earlier_ones_wrote(client, keys):
    created = await written(client, keys["writer"], operations("Organization")["create"],
                            input={"name": "Acme", "kind": "COMPANY", "citations": CITE})
    twice = """mutation ($id: ID!) {
      a: updateOrganization(id: $id, version: 1, input: {aliases: [{name: "A"}]}) { record { aliases { name } } }
      b: updateOrganization(id: $id, version: 2, input: {aliases: [{name: "B"}]}) { record { version aliases { name } } }
    }"""
    body = (await mutate(client, keys["writer"], twice, id=created["id"])).json()
    assert body["data"] == {"a": {"record": {"aliases": [{"name": "A"}]}},
                            "b": {"record": {"version": 3, "aliases": [{"name": "B"}]}}}, body


def _columns_selection(kind: str) -> str:
    """Every field of the kind's type that comes from its own row: scalars, enums, partial dates."""
    selected = []
    for name, field in schema._schema.type_map[kind].fields.items():
        if field.args:
            continue
        of = get_named_type(field.type)
        if is_leaf_type(of):
            selected.append(name)
        elif of.name == "PartialDate":
            selected.append(f"{name} {{ value precision approximate lower upper }}")
    return " ".join(selected)


@pytest.mark.parametrize("kind", KINDS)
async def test_each_write_answers_with_what_a_read_then_finds(client, keys, kind):
    """A mutation's record is built from the row as written, not read back (`load_records`): after
    each operation, its answer and a read of the record agree on every field of the record's own
    row, its times included (SQLite keeps them without a zone)."""
    whole, change = KINDS[kind]
    fields = _columns_selection(kind)
    ops = {name: text.replace(RECORD, f"record {{ ... on {kind} {{ id {fields} }} }}")
           for name, text in operations(kind).items()}
    read = f"query ($id: ID!) {{ node(id: $id) {{ ... on {kind} {{ {fields} }} }} }}"
    answers = [await written(client, keys["writer"], ops["upsert"], scheme="crm", value="r1", input=whole)]
    record_id = answers[0]["id"]
    answers.append(await written(client, keys["writer"], ops["delete"], id=record_id, version=1))
    answers.append(await written(client, keys["writer"], ops["restore"], id=record_id))
    answers.append(await written(client, keys["writer"], ops["upsert"], scheme="crm", value="r1", input=change))
    answers.append(await written(client, keys["writer"], ops["update"], id=record_id, version=4,
                                 input={"tags": ["checked"]}))
    for version, answer in enumerate(answers, start=1):
        assert answer["version"] == version, answers
    assert answers[-1] == (await gql(client, read, id=record_id))["node"], answers[-1]
    assert answers[0]["createdAt"] == answers[-1]["createdAt"]
