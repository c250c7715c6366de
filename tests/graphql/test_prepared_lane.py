"""The prepared lane (`registry/http/prepared.py`): a node lookup served before answers with the
same status, headers and bytes as the app with the lane switched off; everything else, and every
request it cannot answer exactly, is the app's own answer."""

from base64 import b64encode
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from bench.queries import PROJECT_DETAIL
from registry import services
from registry.graphql.core.lookup_plans import LookupPlans
from tests.conftest import app_settings, asgi_client
from tests.graphql.conftest import gql
from tests.graphql.test_compiler import LEFT_TO_THE_EXISTING_PATH
from tests.graphql.test_execution import NODE_SELECTIONS
from tests.http.test_outages import _admin, _assert_unavailable, postgres_database  # noqa: F401 — a fixture
from tests.utils import factories

MISSING_PROJECT = b64encode(b"Project:00000000-0000-0000-0000-000000000000").decode()


@asynccontextmanager
async def lane_and_app(database_url: str, **settings: Any) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """(an app with the lane, the same app without it) on the database; the compiled executor for
    both, whatever REGISTRY_EXECUTOR says, because the lane answers with its statements."""
    async with AsyncExitStack() as stack:
        yield tuple([
            await stack.enter_async_context(asynccontextmanager(asgi_client)(
                app_settings(database_url, prepared_lane=lane, executor="compiled", **settings)
            ))
            for lane in (True, False)
        ])


@pytest.fixture(scope="module")
async def apps(seeded_database) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with lane_and_app(seeded_database) as apps:
        yield apps


def _served(client: httpx.AsyncClient) -> int:
    return client.app.state.lookup_plans.served


async def _post(client: httpx.AsyncClient, body: dict, headers: dict | None = None) -> tuple:
    response = await client.post("/graphql", json=body, headers=headers)
    return response.status_code, response.headers.multi_items(), response.content


async def _same_answer(apps, body: dict, *, lane_answers: bool, headers: dict | None = None) -> bytes:
    """Posts `body` to the lane twice (a plan is made after the first) and to the app without it:
    the answers are equal, and the second came from the lane when `lane_answers`."""
    lane, app = apps
    first = await _post(lane, body, headers)
    served = _served(lane)
    second = await _post(lane, body, headers)
    assert _served(lane) == served + lane_answers
    expected = await _post(app, body, headers)
    assert first == second == expected, (body, second, expected)
    return expected[2]


async def _left_to_the_app(lane: httpx.AsyncClient, app: httpx.AsyncClient, body: dict) -> bytes:
    """Posts `body` to both: the lane does not answer it, and its answer is the app's."""
    served = _served(lane)
    answer = await _post(lane, body)
    assert answer == await _post(app, body)
    assert _served(lane) == served
    return answer[2]


async def _ids(client: httpx.AsyncClient, field: str, first: int) -> list[str]:
    data = await gql(client, f"{{ {field}(first: {first}) {{ edges {{ node {{ id }} }} }} }}")
    return [edge["node"]["id"] for edge in data[field]["edges"]]


def _node_query(selection: str) -> str:
    fragments = selection.index("fragment ") if "fragment " in selection else len(selection)
    return f"query ($id: ID!) {{ node(id: $id) {{ {selection[:fragments]} }} }} {selection[fragments:]}"


async def test_the_detail_page_is_served_by_the_lane_as_by_the_app(apps):
    for node_id in await _ids(apps[1], "projects", 3):
        body = await _same_answer(apps, {"query": PROJECT_DETAIL, "variables": {"id": node_id}}, lane_answers=True)
        assert b'"title"' in body


@pytest.mark.parametrize("name", [name for name in NODE_SELECTIONS if name != "skip-include"])
async def test_the_compiler_selections_answer_alike(apps, name):
    compiled = name not in LEFT_TO_THE_EXISTING_PATH
    # (the selections left alone are about projects or records: an organization's could be compiled)
    ids = await _ids(apps[1], "projects", 2) + (await _ids(apps[1], "organizations", 1) if compiled else [])
    for node_id in ids:
        body = {"query": _node_query(NODE_SELECTIONS[name]), "variables": {"id": node_id}}
        await _same_answer(apps, body, lane_answers=compiled)


async def test_directives_are_left_to_the_app(apps):
    query = _node_query(NODE_SELECTIONS["skip-include"]).replace("($id: ID!)", "($id: ID!, $flag: Boolean!)")
    node_id = (await _ids(apps[1], "projects", 1))[0]
    for flag in (True, False):
        await _same_answer(apps, {"query": query, "variables": {"id": node_id, "flag": flag}}, lane_answers=False)


async def test_several_root_fields_literals_aliases_and_accept(apps):
    projects = await _ids(apps[1], "projects", 2)
    organization = (await _ids(apps[1], "organizations", 1))[0]
    query = (
        f'query Pair($id: ID!, $ids: [ID!]!) {{ __typename a: node(id: "{projects[0]}") {{ id __typename }} '
        "b: node(id: $id) { ...Named ... on Project { title t: title } } "
        "n: nodes(ids: $ids) { id ...Named } node(id: $id) { id } } "
        "fragment Named on Organization { name } query Other { __typename }"
    )
    variables = {"id": organization, "ids": [projects[1], organization, projects[1]]}
    for accept in (None, "application/graphql-response+json", "*/*"):
        headers = {"Accept": accept} if accept else None
        body = {"query": query, "variables": variables, "operationName": "Pair"}
        await _same_answer(apps, body, lane_answers=True, headers=headers)
    literal = {"query": f'{{ nodes(ids: ["{projects[0]}", "{organization}"]) {{ id }} }}'}
    await _same_answer(apps, literal, lane_answers=True)


async def test_what_the_lane_cannot_answer_exactly_is_the_apps_answer(apps):
    lane, app = apps
    project = (await _ids(app, "projects", 1))[0]
    country = b64encode(b"Country:KZ").decode()
    unknown = b64encode(b"Unicorn:00000000-0000-0000-0000-000000000000").decode()
    planned = {"query": PROJECT_DETAIL, "variables": {"id": project}}
    await _same_answer(apps, planned, lane_answers=True)
    for variables in (
        {"id": MISSING_PROJECT},  # not found
        {"id": "abc"},  # not a global id
        {"id": country}, {"id": unknown},  # no such record type
        {"id": b64encode(b"Project:not-a-uuid").decode()},
        {"id": "x" * 200_000},  # huge
        {"id": "a\x00b"},
        {"id": 5}, {"id": None}, {"id": [project]}, {}, {"id": project, "other": "a\x00"},
    ):
        served = _served(lane)
        assert await _post(lane, {**planned, "variables": variables}) == await _post(app, {**planned, "variables": variables})
        assert _served(lane) == served, variables
    for body in (
        {**planned, "operationName": "Other"},  # no such operation
        {**planned, "extensions": {"persistedQuery": {}}},
        {"query": "mutation { __typename }"},
        {"query": PROJECT_DETAIL, "variables": "not an object"},
    ):
        served = _served(lane)
        assert await _post(lane, body) == await _post(app, body)
        assert await _post(lane, body) == await _post(app, body)
        assert _served(lane) == served, body
    served = _served(lane)
    assert await _post(lane, planned, {"Idempotency-Key": "k1"}) == await _post(app, planned, {"Idempotency-Key": "k1"})
    get = {"query": PROJECT_DETAIL, "variables": f'{{"id": "{project}"}}'}
    assert (await lane.get("/graphql", params=get)).content == (await app.get("/graphql", params=get)).content
    assert _served(lane) == served


@pytest.mark.parametrize("query", [
    "{ node { id } }",  # a required argument left out (found by the schemathesis fuzzing: a 500)
    "{ nodes { id } }",
    '{ node(id: "x", extra: 1) { id } }',
    '{ node(id: "UHJvamVjdDox") { notAField } }',
    '{ node(id: "UHJvamVjdDox") { ...missing } }',
    'query ($id: Unknown!) { node(id: $id) { id } }',
])
async def test_invalid_lookups_get_the_apps_refusal(apps, query):
    lane, app = apps
    for _ in range(2):  # the second time too: nothing was planned from a refused text
        assert b"GRAPHQL_VALIDATION_FAILED" in await _left_to_the_app(lane, app, {"query": query})


async def test_nodes_with_more_ids_than_a_list_takes_are_refused_as_today(apps):
    lane, app = apps
    ids = await _ids(app, "projects", 2)
    query = {"query": "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }"}
    await _same_answer(apps, {**query, "variables": {"ids": ids}}, lane_answers=True)
    too_many = {**query, "variables": {"ids": [ids[0]] * 101}}
    assert b"BAD_USER_INPUT" in await _left_to_the_app(lane, app, too_many)


async def test_the_cost_limit_holds_for_the_ids_a_request_sends(seeded_database):
    async with lane_and_app(seeded_database, max_query_cost=30) as (lane, app):
        ids = await _ids(app, "projects", 2)
        query = {"query": "query ($ids: [ID!]!) { nodes(ids: $ids) { id ... on Project { participants { role } } } }"}
        await _same_answer((lane, app), {**query, "variables": {"ids": ids}}, lane_answers=True)
        costly = {**query, "variables": {"ids": ids * 3}}  # 6 + 6 x 10 items
        assert b'"limit":"cost"' in await _left_to_the_app(lane, app, costly)


async def test_plans_are_kept_for_a_bounded_number_of_texts(seeded_database):
    async with lane_and_app(seeded_database, prepared_lane_plans=20) as (lane, _app):
        for number in range(60):
            await _post(lane, {"query": f"{{ n{number}: node(id: {MISSING_PROJECT!r}) {{ id }} }}".replace("'", '"')})
            await _post(lane, {"query": f"{{ projects(first: {number % 5 + 1}) {{ totalCount }} t{number}: __typename }}"})
        assert len(lane.app.state.lookup_plans) == 20
    plans = LookupPlans(max_entries=100)
    for number in range(10_000):
        plans.put((f"query {number}", None), None)
    assert len(plans) == 100 and ("query 9999", None) in plans and ("query 0", None) not in plans


async def test_a_soft_deleted_record_is_the_apps_answer(database_url, sessions):
    async with sessions() as session, session.begin():
        await factories.source(session)
        await factories.countries(session)
        kept = (await factories.project(session, "kept", "Kept")).entity
        gone = (await factories.project(session, "gone", "Gone")).entity
    async with lane_and_app(database_url) as (lane, app):
        query = "query ($id: ID!) { node(id: $id) { ... on Project { title citations { excerpt } } } }"
        [kept_id, gone_id] = [b64encode(f"Project:{p.id}".encode()).decode() for p in (kept, gone)]
        await _same_answer((lane, app), {"query": query, "variables": {"id": gone_id}}, lane_answers=True)
        async with sessions() as session, session.begin():
            await services.delete(session, services.PROJECT, gone.id, expected_version=gone.version,
                                  author=factories.AUTHOR)
        served = _served(lane)
        deleted = {"query": query, "variables": {"id": gone_id}}
        assert await _post(lane, deleted) == await _post(app, deleted)
        assert (await lane.post("/graphql", json=deleted)).json() == {"data": {"node": None}}
        assert _served(lane) == served
        await _same_answer((lane, app), {"query": query, "variables": {"id": kept_id}}, lane_answers=True)


async def test_a_null_the_schema_forbids_is_the_apps_answer(database_url, sessions):
    async with sessions() as session, session.begin():
        source = (await factories.source(session)).entity
        await factories.countries(session)
        project = (await factories.project(session, "cited", "Cited")).entity  # cites the source
    body = {"query": "query ($id: ID!) { node(id: $id) { ... on Project { title citations { source { title } } } } }",
            "variables": {"id": b64encode(f"Project:{project.id}".encode()).decode()}}
    async with lane_and_app(database_url) as (lane, app):
        await _same_answer((lane, app), body, lane_answers=True)
        async with sessions() as session, session.begin():
            await services.delete(session, services.SOURCE, source.id, expected_version=source.version,
                                  author=factories.AUTHOR)
        served = _served(lane)
        status, headers, content = await _post(lane, body)  # citations[0].source is null: Irregular
        assert (status, headers, content) == await _post(app, body)
        assert b'"errors"' in content and _served(lane) == served


async def _project_id(sessions) -> str:
    """The global id of a project added to the database (`keys` gave it a source and countries)."""
    async with sessions() as session, session.begin():
        project = (await factories.project(session, "keyed", "Keyed")).entity
    return b64encode(f"Project:{project.id}".encode()).decode()


async def test_api_keys_are_checked_in_the_lane_too(database_url, sessions, keys):
    body = {"query": PROJECT_DETAIL, "variables": {"id": await _project_id(sessions)}}
    async with lane_and_app(database_url) as (lane, app):
        for key in ("reader", "writer"):
            await _same_answer((lane, app), body, lane_answers=True, headers={"Authorization": f"Bearer {keys[key]}"})
        for header in (f"Bearer {keys['revoked']}", "Bearer wrong", "Basic abc", "Bearer "):
            served = _served(lane)
            status, headers, content = await _post(lane, body, {"Authorization": header})
            assert status == 401 and (status, headers, content) == await _post(app, body, {"Authorization": header})
            assert _served(lane) == served  # a refusal is not an answer


async def test_reads_that_need_a_key_need_one_in_the_lane_too(database_url, sessions, keys):
    body = {"query": PROJECT_DETAIL, "variables": {"id": await _project_id(sessions)}}
    async with lane_and_app(database_url, require_auth_for_read=True) as (lane, app):
        await _same_answer((lane, app), body, lane_answers=True, headers={"Authorization": f"Bearer {keys['reader']}"})
        status, headers, content = await _post(lane, body)
        assert status == 401 and b"UNAUTHENTICATED" in content
        assert (status, headers, content) == await _post(app, body)


async def test_an_outage_is_503_through_the_lane_as_today(postgres_database):
    database = sa.make_url(postgres_database).database
    async for lane in asgi_client(app_settings(postgres_database, executor="compiled")):
        async with lane.app.state.sessions() as session, session.begin():
            await factories.source(session)
            await factories.countries(session)
            project = (await factories.project(session, "p", "P")).entity
        body = {"query": PROJECT_DETAIL, "variables": {"id": b64encode(f"Project:{project.id}".encode()).decode()}}
        for _ in range(2):
            assert (await lane.post("/graphql", json=body)).status_code == 200
        served = _served(lane)
        await _admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database)
        # the lane's connection fails: the app answers, as today (503, or 200 on a connection the
        # pool has replaced meanwhile), never a 500
        response = await lane.post("/graphql", json=body)
        if response.status_code != 200:
            _assert_unavailable(response)
        assert _served(lane) == served
        for _ in range(3):  # until the pool has replaced its dead connections
            await lane.post("/graphql", json=body)
        assert (await lane.post("/graphql", json=body)).status_code == 200 and _served(lane) > served
        await _admin(f'DROP DATABASE "{database}" WITH (FORCE)')
        for accept in ("application/json", "application/graphql-response+json"):
            _assert_unavailable(await lane.post("/graphql", json=body, headers={"Accept": accept}), accept)
