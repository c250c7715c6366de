"""Node lookups and connection pages compiled into one SQL statement (`core/compiler.py`): one
statement for the benchmark's detail page, two for its list page (the keyset page, then its nodes)
whatever the page size, the existing path for what the compiler leaves alone (resolvers,
permission classes, nulls the schema forbids), with the same answers and errors."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import strawberry
from strawberry import relay
from strawberry.permission import BasePermission

from bench.queries import PROJECT_DETAIL, project_page
from registry import services
from registry.config import Settings
from registry.db import StatementLog
from registry.graphql.context import Context
from registry.graphql.core.execution import PlainFieldExecutor
from registry.graphql.core.node_lookup import UnknownTypesAsNull
from registry.graphql.projects.types import ProjectType
from tests.conftest import app_settings, asgi_client
from registry.graphql.core.pagination import MAX_PAGE_SIZE
from tests.graphql.conftest import executor_apps, gql, gql_errors
from tests.graphql.test_execution import CONNECTION_SELECTIONS, NODE_SELECTIONS, _connection_query
from tests.utils import factories

LEFT_TO_THE_EXISTING_PATH = {"history", "tags", "datetimes", "figures"}


@pytest.fixture(scope="module")
async def apps(seeded_database) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """The compiled and the fast executor on the seeded registry (read-only)."""
    async with executor_apps(seeded_database, ("compiled", "fast")) as apps:
        yield apps


async def _statements(client: httpx.AsyncClient, query: str, **variables: Any) -> tuple[dict, int]:
    data, statements = await _statement_texts(client, query, **variables)
    return data, len(statements)


async def _statement_texts(client: httpx.AsyncClient, query: str, **variables: Any) -> tuple[dict, list[str]]:
    with StatementLog(client.app.state.engine) as log:
        data = await gql(client, query, **variables)
        return data, await log.settled()


async def _project_ids(client: httpx.AsyncClient, first: int = 5) -> list[str]:
    data = await gql(client, f"{{ projects(first: {first}) {{ edges {{ node {{ id }} }} }} }}")
    return [edge["node"]["id"] for edge in data["projects"]["edges"]]


async def test_the_detail_page_is_one_statement(apps):
    ids = await _project_ids(apps["fast"])
    await gql(apps["compiled"], PROJECT_DETAIL, id=ids[0])  # warm-up: a new connection's set-up queries
    for node_id in ids:
        (compiled, one), (fast, several) = [await _statements(apps[e], PROJECT_DETAIL, id=node_id) for e in apps]
        assert compiled == fast and compiled["node"]["title"]
        assert one == 1
        assert several >= 8  # the record, then one batch per relationship and level (9 on the bench's data)


async def test_a_node_lookup_is_planned_once_on_postgresql(seeded_database):
    """One id is looked up by `= $1`, whose prepared statement PostgreSQL plans once (a generic
    plan); by `= ANY($1)` it would plan it anew at every lookup, for twice the database's time."""
    if not seeded_database.startswith("postgresql"):
        pytest.skip("plans of prepared statements are PostgreSQL's")
    # The compiled executor whatever REGISTRY_EXECUTOR says (CI runs this file on Strawberry's too).
    async for client in asgi_client(app_settings(seeded_database, database_pool_size=1, executor="compiled")):
        ids = await _project_ids(client, first=10)
        for node_id in ids:
            assert (await gql(client, PROJECT_DETAIL, id=node_id))["node"]["id"] == node_id
        async with client.app.state.engine.connect() as connection:  # the pool's one connection
            plans = (await connection.exec_driver_sql(
                "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE '%json_build_object(''id'', t0.id%'"
            )).all()
    assert len(plans) == 1 and "t0.id = $1" in plans[0].statement, plans
    assert plans[0].generic_plans >= len(ids) - 5 and plans[0].custom_plans <= 5, plans  # 5: PostgreSQL's trial


@pytest.mark.parametrize("name", NODE_SELECTIONS)
async def test_compiled_selections_are_one_statement_and_the_rest_take_the_existing_path(apps, name):
    selection = NODE_SELECTIONS[name]
    fragments = selection.index("fragment ") if "fragment " in selection else len(selection)
    flag = ", $flag: Boolean!" if "$flag" in selection else ""
    query = f"query ($id: ID!{flag}) {{ node(id: $id) {{ {selection[:fragments]} }} }} {selection[fragments:]}"
    variables = {"flag": True} if flag else {}
    node_id = (await _project_ids(apps["fast"], 1))[0]
    await gql(apps["compiled"], query, id=node_id, **variables)
    data, statements = await _statements(apps["compiled"], query, id=node_id, **variables)
    assert data["node"] is not None
    if name in LEFT_TO_THE_EXISTING_PATH:
        assert statements > 1
    else:
        assert statements == 1


async def test_nodes_run_one_statement_per_type(apps):
    ids = await _project_ids(apps["fast"], 3)
    query = "query ($ids: [ID!]!) { nodes(ids: $ids) { id ... on Project { title participants { role } } } }"
    await gql(apps["compiled"], query, ids=ids)
    (compiled, statements), (fast, _) = [await _statements(apps[e], query, ids=[*ids, ids[0]]) for e in apps]
    assert compiled == fast
    assert [node["id"] for node in compiled["nodes"]] == [*ids, ids[0]]
    assert statements == 1


async def test_a_list_page_is_two_statements_whatever_its_size(many, database_url):
    async with executor_apps(database_url, ("compiled", "fast")) as apps:
        for size in (1, 2):  # warm-up: a new connection's set-up queries (one page's nodes by `=`, more by `ANY`)
            await gql(apps["compiled"], project_page(size))
        for size in (1, 10, MAX_PAGE_SIZE):
            (compiled, two), (fast, several) = [await _statements(apps[e], project_page(size)) for e in apps]
            assert compiled == fast and len(compiled["projects"]["edges"]) == size
            assert two == 2  # the keyset page, then its nodes with their participants and citations
            assert several >= 4  # the keyset page, then one batch per relationship and level
        errors = await gql_errors(apps["compiled"], project_page(MAX_PAGE_SIZE + 1))
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT" and errors[0]["path"] == ["projects"]


# per connection selection: statements in all, and how many of them are compiled (build JSON)
CONNECTION_STATEMENTS = {
    "q1": (3, 1),  # keyset page, nodes, totalCount
    "filter-order": (4, 1),  # organizations as q1; projects without relationships: the keyset page alone
    "several-lists": (7, 3),  # a keyset page and its nodes per list, but sources (no relationships)
    "aliases-fragments": (5, 2),
    # the existing path: the keyset page and the prefetch walk, no JSON
    "two-edges": (2, 0),  # keyset page, citations
    "two-nodes": (2, 0),
    "history": (2, 0),  # keyset page, then the history of its records (one batch)
}


@pytest.mark.parametrize("name", CONNECTION_SELECTIONS)
async def test_compiled_connection_selections_build_each_page_in_one_statement(apps, name):
    query = _connection_query(CONNECTION_SELECTIONS[name])
    await gql(apps["compiled"], query)
    data, statements = await _statement_texts(apps["compiled"], query)
    assert data == await gql(apps["fast"], query)
    assert (len(statements), sum("json_" in statement for statement in statements)) == CONNECTION_STATEMENTS[name]


class Deny(BasePermission):
    message = "titles are secret here"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return False


@strawberry.type(name="GuardedProject")
class GuardedProject(ProjectType):
    title: str = strawberry.field(permission_classes=[Deny])


@strawberry.type
class GuardedQuery:
    node: relay.Node | None = relay.node(extensions=[UnknownTypesAsNull()])


guarded = strawberry.Schema(query=GuardedQuery, types=[GuardedProject], execution_context_class=PlainFieldExecutor)


async def test_a_field_with_a_permission_class_takes_the_existing_path_and_is_denied(engine, sessions):
    async with sessions() as session, session.begin():
        await factories.source(session)
        project = await factories.project(session, "guarded", "A guarded project")
    node_id = relay.to_base64("GuardedProject", project.entity.id)
    settings = Settings(database_url="sqlite+aiosqlite:///unused.db", executor="compiled")

    async def run(selection: str) -> tuple[Any, list[str]]:
        context = Context(engine, settings)
        try:
            with StatementLog(engine) as log:
                result = await guarded.execute(
                    f'{{ node(id: "{node_id}") {{ ... on GuardedProject {{ {selection} }} }} }}', context_value=context
                )
                return result, await log.settled()
        finally:
            await context.close()

    await run("slug")  # warm-up
    open_result, statements = await run("slug citations { excerpt }")
    assert open_result.data == {"node": {"slug": "guarded", "citations": [{"excerpt": "a test statement"}]}}
    assert len(statements) == 1 and "json_" in statements[0]  # the compiled statement
    denied, statements = await run("slug title citations { excerpt }")
    assert denied.data == {"node": None}
    assert [error.message for error in denied.errors] == ["titles are secret here"]
    assert len(statements) == 2 and not any("json_" in s for s in statements)  # the loader, then prefetch


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("query ($id: ID!) { node(id: $id) { ... on Project { title citations { excerpt source { title } } } } }",
         ["node", "citations", 0, "source"]),
        ("{ projects { edges { node { title citations { excerpt source { title } } } } } }",
         ["projects", "edges", 0, "node", "citations", 0, "source"]),
    ],
    ids=["node", "page"],
)
async def test_a_null_the_schema_forbids_is_reported_by_the_existing_path(sessions, database_url, query, path):
    async with sessions() as session, session.begin():
        source = await factories.source(session)
        project = await factories.project(session, "cited", "A cited project")  # cites the source
        await services.delete(session, services.SOURCE, source.entity.id,
                              expected_version=source.entity.version, author=factories.AUTHOR)
    node_id = relay.to_base64("Project", project.entity.id)
    answers = []
    for executor in ("compiled", "fast"):
        async with asynccontextmanager(asgi_client)(app_settings(database_url, executor=executor)) as client:
            answers.append((await client.post("/graphql", json={"query": query, "variables": {"id": node_id}})).json())
    assert answers[0] == answers[1]
    assert answers[0]["data"] == ({"node": None} if path[0] == "node" else None)
    assert [error["path"] for error in answers[0]["errors"]] == [path]
