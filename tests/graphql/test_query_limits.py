"""Limits on a GraphQL document (registry/graphql/core/limits.py): each refused with a coded error."""

import asyncio
import gc
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from graphql import OperationDefinitionNode, specified_rules
from strawberry.relay import GlobalID

from registry.config import Environment, Settings
from registry.graphql.core import limits
from registry.graphql.schema import schema
from tests.conftest import app_settings, asgi_client
from tests.graphql.conftest import gql, gql_errors

DEFAULTS = Settings()


async def _client(database_url: str, **overrides) -> AsyncIterator[httpx.AsyncClient]:
    async for client in asgi_client(app_settings(database_url, **overrides)):
        yield client


def _refused(errors: list[dict], limit: str) -> dict:
    """The error refusing the request for `limit`, checked to be coded for the client."""
    assert len(errors) == 1, errors
    assert errors[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", errors
    assert errors[0]["extensions"]["limit"] == limit, errors
    return errors[0]


def _deep(depth: int) -> str:
    """A query whose fields nest `depth` deep: organizations → edges → node → parent → parent …"""
    inner = "name"
    for _ in range(depth - 3):
        inner = f"parent {{ {inner} }}"
    return f"{{ organizations(first: 1) {{ edges {{ node {{ {inner} }} }} }} }}"


async def test_query_deeper_than_the_limit_is_refused(client):
    await gql(client, _deep(DEFAULTS.max_depth))
    error = _refused(await gql_errors(client, _deep(DEFAULTS.max_depth + 1)), "depth")
    assert error["extensions"]["maximum"] == 10 and error["extensions"]["value"] == 11
    assert "nests fields 11 deep; at most 10" in error["message"]


async def test_depth_counts_the_fields_of_fragments_where_they_are_spread(client):
    # each fragment alone is shallow; spread inside each other they nest 3 + 4 + 4 = 11 deep
    query = (
        "{ organizations(first: 1) { edges { node { ...A } } } }"
        " fragment A on Organization { parent { parent { parent { parent { ...B } } } } }"
        " fragment B on Organization { parent { parent { parent { parent { name } } } } }"
    )
    _refused(await gql_errors(client, query), "depth")


async def test_introspection_does_not_count_toward_the_depth(client):
    ofs = "name"
    for _ in range(12):
        ofs = f"ofType {{ {ofs} }}"
    data = await gql(client, f"{{ __schema {{ types {{ fields {{ type {{ {ofs} }} }} }} }} }}")
    assert data["__schema"]["types"]


async def test_aliases_are_counted_each_time_their_fragment_is_spread(client):
    aliases = " ".join(f"a{i}: totalCount" for i in range(16))
    fragment = f" fragment F on ProjectConnection {{ {aliases} }}"
    await gql(client, "{ projects { ...F } }" + fragment)  # 16
    twice = "{ projects { ...F } more: projects { ...F } }" + fragment
    error = _refused(await gql_errors(client, twice), "aliases")
    assert error["extensions"]["value"] == 33 and "at most 30" in error["message"]


async def test_too_many_tokens_are_refused_comments_included(client):
    fields = " ".join(["totalCount"] * DEFAULTS.max_tokens)
    error = _refused(await gql_errors(client, f"{{ projects {{ {fields} }} }}"), "tokens")
    assert f"more than {DEFAULTS.max_tokens} tokens" in error["message"]
    comments = "\n".join(["# padding"] * DEFAULTS.max_tokens)
    _refused(await gql_errors(client, f"{{ projects {{ totalCount }} }}\n{comments}"), "tokens")


async def test_a_query_text_over_the_length_limit_is_refused_before_parsing(client):
    # not even a document: a parser would have reported a syntax error at its first character
    text = "}" * (DEFAULTS.max_query_length + 1)
    error = _refused(await gql_errors(client, text), "queryLength")
    assert f"{DEFAULTS.max_query_length + 1} characters long" in error["message"]


async def test_fragment_spreads_are_counted_through_the_fragments_spread(client):
    # 1 + 2 + 4 + … : 127 spreads of seven fragments, each spread twice by the one before
    query = "{ ...F0 }" + "".join(f" fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(6))
    query += " fragment F6 on Query { __typename }"
    error = _refused(await gql_errors(client, query), "fragmentSpreads")
    assert error["extensions"]["value"] == 127 and error["extensions"]["maximum"] == 100


async def test_a_field_repeated_in_one_selection_set_is_refused(client):
    # graphql-core compares same-named fields pairwise: quadratic in how often one is repeated
    at_most = DEFAULTS.max_field_repeats
    await gql(client, "{ projects { " + "totalCount " * at_most + "} }")
    repeated = "{ projects { " + "totalCount " * (at_most + 1) + "} }"
    error = _refused(await gql_errors(client, repeated), "fieldRepeats")
    assert f"'totalCount' is selected {at_most + 1} times" in error["message"]
    # inline fragments add their fields to the selection set around them
    inline = "{ projects { " + "... on ProjectConnection { totalCount } " * (at_most + 1) + "} }"
    _refused(await gql_errors(client, inline), "fieldRepeats")


NESTED_LISTS = """query ($first: Int) {
  projects(first: $first) { edges { node { participants { citations { excerpt } } } } }
}"""


async def test_a_costly_query_is_refused_naming_its_cost_and_the_limit(client):
    # 100 organizations × 10 children × 10 × 10 … (10 assumed for a list without a page argument)
    query = (
        "{ organizations(first: 100) { edges { node { children { children { children { projects {"
        " project { participants { role } } } } } } } } } }"
    )
    error = _refused(await gql_errors(client, query), "cost")
    assert error["extensions"]["value"] == 100 + 1_000 + 10_000 + 100_000 + 1_000_000 + 10_000_000
    assert error["extensions"]["maximum"] == DEFAULTS.max_query_cost == 25_000
    assert "11111100 items, over the limit of 25000" in error["message"]


async def test_the_cost_takes_page_sizes_from_the_variables_of_each_request(database_url):
    # projects + participants + their citations: n + 10n + 100n
    async for client in _client(database_url, max_query_cost=1_000):
        await gql(client, NESTED_LISTS, first=9)  # 999
        error = _refused(await gql_errors(client, NESTED_LISTS, first=10), "cost")  # the same document
        assert error["extensions"]["value"] == 1_110
        # no value: the connection's default page of 20; a variable's default when it has one
        assert _refused(await gql_errors(client, NESTED_LISTS), "cost")["extensions"]["value"] == 2_220
        with_default = NESTED_LISTS.replace("$first: Int", "$first: Int = 5")
        await gql(client, with_default)
        error = _refused(await gql_errors(client, with_default, first=100), "cost")
        assert error["extensions"]["value"] == 11_100


async def test_nodes_cost_as_many_items_as_ids(database_url):
    query = "query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Project { citations { excerpt } } } }"
    ids = [str(GlobalID("Project", str(uuid.UUID(int=i)))) for i in range(10)]
    async for client in _client(database_url, max_query_cost=100):
        await gql(client, query, ids=ids[:9])  # 9 + 90
        assert _refused(await gql_errors(client, query, ids=ids), "cost")["extensions"]["value"] == 110


async def test_limits_are_settings(database_url):
    async for client in _client(database_url, max_depth=4, max_aliases=1, max_fragment_spreads=0):
        _refused(await gql_errors(client, _deep(5)), "depth")
        two_aliases = "{ a: projects { totalCount } b: projects { totalCount } }"
        _refused(await gql_errors(client, two_aliases), "aliases")
        one_spread = "{ ...F } fragment F on Query { projects { totalCount } }"
        _refused(await gql_errors(client, one_spread), "fragmentSpreads")
    async for client in _client(database_url, max_tokens=10):
        await gql(client, "{ projects { totalCount } }")  # 6 tokens
        _refused(await gql_errors(client, "{ projects { totalCount } }  " + "#\n" * 5), "tokens")
    async for client in _client(database_url, max_query_length=20):
        _refused(await gql_errors(client, "{ projects { totalCount } }"), "queryLength")


async def test_several_operations_need_an_operation_name(client):
    query = "query A { projects { totalCount } } query B { organizations { totalCount } }"
    body = (await client.post("/graphql", json={"query": query})).json()
    assert "data" not in body, body  # a request error: nothing ran
    assert body["errors"][0]["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"
    assert "2 operations: give operationName" in body["errors"][0]["message"]
    body = (await client.post("/graphql", json={"query": query, "operationName": "B"})).json()
    assert body == {"data": {"organizations": {"totalCount": 0}}}
    body = (await client.post("/graphql", json={"query": query, "operationName": "A"})).json()
    assert body == {"data": {"projects": {"totalCount": 0}}}


async def test_suggestions_are_hidden_in_production_only(database_url):
    query = "{ projcts { totalCount } }"
    async for client in _client(database_url, env=Environment.DEVELOPMENT):
        assert "Did you mean 'projects'?" in (await gql_errors(client, query))[0]["message"]
        message = (await gql_errors(client, "query ($f: ProjectFilter) { projects(filter: $f) { totalCount } }",
                                    f={"statuss": ["ACTIVE"]}))[0]["message"]
        assert "Did you mean 'status'?" in message, message
    async for client in _client(database_url, env=Environment.PRODUCTION):
        message = (await gql_errors(client, query))[0]["message"]
        assert message == "Cannot query field 'projcts' on type 'Query'.", message
        # nor do variables naming an unknown input field (graphql-core coerces them in execution)
        variables_query = "query ($f: ProjectFilter) { projects(filter: $f) { totalCount } }"
        message = (await gql_errors(client, variables_query, f={"statuss": ["ACTIVE"]}))[0]["message"]
        assert "statuss" in message and "Did you mean" not in message, message
        # introspection stays available
        data = await gql(client, "{ __schema { queryType { name } } }")
        assert data["__schema"]["queryType"]["name"] == "Query"


def _operations_alive(marker: str) -> int:
    """Parsed operations of query texts containing `marker` still in memory (with their tokens)."""
    gc.collect()
    return sum(
        isinstance(o, OperationDefinitionNode) and o.loc is not None and marker in o.loc.source.body
        for o in gc.get_objects()
    )


async def test_parsed_documents_are_kept_within_the_byte_budget(database_url):
    budget = 300_000  # room for six of the documents below (70 tokens at 640 bytes each, and text)
    padding = " ".join(f"f{j}: totalCount" for j in range(20))
    async for client in _client(database_url, query_cache_bytes=budget):
        for i in range(40):
            await gql(client, f"query BudgetTest{i} {{ projects {{ totalCount {padding} }} }}")
        assert limits._DOCUMENTS.size <= budget
        # and nothing else keeps the evicted ones alive (the executor's shared plans did)
        assert _operations_alive("BudgetTest") <= 6


# Bombs: documents small on the wire whose naive validation takes exponential time.

def _spread_bomb(levels: int) -> str:
    fragments = "".join(f" fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return "{ ...F0 }" + fragments + f" fragment F{levels} on Query {{ __typename }}"


def _alias_bomb(levels: int) -> str:
    fragments = "".join(
        f" fragment F{i} on Query {{ a{i}: __typename ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    return "{ ...F0 }" + fragments + f" fragment F{levels} on Query {{ __typename }}"


def _nested_list_bomb(levels: int) -> str:
    fragments = "".join(
        f" fragment F{i} on Organization {{ children {{ ...F{i + 1}"
        f" ... on Organization {{ ...F{i + 1} }} }} }}"
        for i in range(levels)
    )
    last = f" fragment F{levels} on Organization {{ name }}"
    return "{ organizations { edges { node { ...F0 } } } }" + fragments + last


def _inline_bomb(levels: int) -> str:
    inner = "__typename"
    for _ in range(levels):
        inner = f"... on Query {{ {inner} }} ... on Query {{ {inner} }}"
    return f"{{ {inner} }}"


# name: (bomb, its levels, the limit refusing it)
BOMBS: dict[str, tuple[Callable[[int], str], int, str]] = {
    "fragment spreads": (_spread_bomb, 30, "fragmentSpreads"),
    "aliases through fragments": (_alias_bomb, 30, "aliases"),
    "nested lists of fragments": (_nested_list_bomb, 30, "depth"),
    "inline fragments": (_inline_bomb, 10, "tokens"),  # its text doubles with each level
}


def _validation_calls(query: str, **overrides) -> int:
    """Python function calls made parsing and validating `query` (all rules): a count, not a time."""
    unbounded = {name: 10**12 for name in ("max_query_length", "max_tokens", "max_depth", "max_aliases",
                                           "max_fragment_spreads", "max_field_repeats", "max_cost")}
    limit_values = limits.Limits(**{**unbounded, "hide_suggestions": False, **overrides})
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        calls += event == "call"

    sys.setprofile(count)
    try:
        prepared = limits.prepare(query, limit_values, 0)
        prepared.errors(schema._schema, tuple(specified_rules), limit_values)
    finally:
        sys.setprofile(None)
    return calls


@pytest.mark.parametrize("bomb", [_spread_bomb, _alias_bomb, _nested_list_bomb])
def test_validation_is_linear_in_the_number_of_fragments(bomb):
    # every limit lifted, so graphql-core's rules see the whole bomb too; doubling the levels
    # (×2^levels the expanded size) must about double the work
    calls = [_validation_calls(bomb(levels)) for levels in (8, 16, 32)]
    assert calls[1] < 2.5 * calls[0] and calls[2] < 2.5 * calls[1], calls


async def test_deeply_nested_inline_fragments_are_measured_without_recursion(client):
    # no field depth; as deep as the parser accepts (nesting adds no tokens to speak of)
    query = "{ " + "... on Query { " * 150 + "__typename" + " }" * 151
    assert await gql(client, query) == {"__typename": "Query"}


@pytest.mark.parametrize("field", ["totalCount", "... on ProjectConnection { totalCount }"])
def test_validation_is_linear_in_the_number_of_repeated_fields(field):
    # every other limit lifted: the repeats are refused before graphql-core compares them pairwise
    repeats = DEFAULTS.max_field_repeats
    calls = [
        _validation_calls("{ projects { " + f"{field} " * count + "} }", max_field_repeats=repeats)
        for count in (250, 500, 1000)
    ]
    assert calls[1] < 2.5 * calls[0] and calls[2] < 2.5 * calls[1], calls


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def server(database_url) -> AsyncIterator[str]:
    """A real uvicorn server (one worker) on a free local port; its base URL."""
    port = _free_port()
    env = {**os.environ, "REGISTRY_DATABASE_URL": database_url, "REGISTRY_ENV": "test"}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "registry.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            for _ in range(300):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("the server did not start")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:  # a worker pinned by a bomb ignored SIGTERM
            process.kill()
            process.wait()


async def test_bombs_are_refused_while_the_server_stays_healthy(server):
    refused: dict[str, str] = {}

    async def send_bombs(client: httpx.AsyncClient) -> None:
        for name, (bomb, levels, limit) in BOMBS.items():
            body = (await client.post("/graphql", json={"query": bomb(levels)})).json()
            limits_named = {error["extensions"].get("limit") for error in body["errors"]}
            refused[name] = limit if limit in limits_named else str(body)

    async def poll_health(client: httpx.AsyncClient, sending: asyncio.Task) -> int:
        answers = 0
        while True:
            assert (await client.get("/healthz")).json() == {"status": "ok"}
            answers += 1
            if sending.done():
                return answers

    async with httpx.AsyncClient(base_url=server, timeout=30) as bombs, httpx.AsyncClient(
        base_url=server, timeout=30
    ) as health:
        sending = asyncio.create_task(send_bombs(bombs))
        # a liveness guard: before the fix the first bomb pinned the worker for hours
        answers = await asyncio.wait_for(poll_health(health, sending), 30)
        await sending
    assert refused == {name: limit for name, (_, _, limit) in BOMBS.items()}
    assert answers >= 1
