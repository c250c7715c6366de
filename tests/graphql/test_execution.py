"""The executor completes plain attribute fields itself: same answers and errors as graphql-core's.

`REGISTRY_EXECUTOR=strawberry` turns that off, and `compiled` (the default) adds node lookups
compiled into one SQL statement (`core/compiler.py`): the registry must answer alike under all three.
"""

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import strawberry
from pydantic import ValidationError
from strawberry import relay
from strawberry.extensions import ParserCache

from registry.config import Settings
from registry.graphql.core.compat import StrawberryExecutionContext
from registry.graphql.core.execution import PlainFieldExecutor
from registry.graphql.core.prefetch import NOT_LOADED
from tests.conftest import app_settings
from tests.graphql.conftest import executor_apps, gql
from tests.graphql.test_readme_examples import EXAMPLES


@strawberry.type
class Leaf:
    code: str
    note: str | None = None


@strawberry.type
class Item:
    name: str
    tags: list[str]
    leaf: Leaf | None
    leaves: list[Leaf]

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()


ITEMS: list[Item] = []


@strawberry.type
class Tagged(relay.Node):
    code: relay.NodeID[str]
    label: str


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return ITEMS

    @strawberry.field
    def tagged(self) -> list[Tagged]:
        return [Tagged(code=f"t{i}", label=f"tag {i}") for i in range(3)]


class CountingExecutor(PlainFieldExecutor):
    """Counts the fields graphql-core resolved one by one (each gets a resolve info), and the plans made."""

    resolved = planned = 0

    def build_resolve_info(self, *args: Any, **kwargs: Any) -> Any:
        CountingExecutor.resolved += 1
        return super().build_resolve_info(*args, **kwargs)

    def _make_plan(self, *args: Any) -> Any:
        CountingExecutor.planned += 1
        return super()._make_plan(*args)


# The parser cache hands every request the same document, as in the registry's schema: plans
# made for one request are then shared with the next ones (unless variables can change them).
fast = strawberry.Schema(query=Query, execution_context_class=PlainFieldExecutor, extensions=[ParserCache])
baseline = strawberry.Schema(query=Query, execution_context_class=StrawberryExecutionContext)
counting = strawberry.Schema(query=Query, execution_context_class=CountingExecutor, extensions=[ParserCache])


def _items(**changes: Any) -> list[Item]:
    items = [
        Item(name=f"item {i}", tags=["a", "b"], leaf=Leaf(code=f"L{i}") if i % 2 else None,
             leaves=[Leaf(code="x", note="n"), Leaf(code="y")])
        for i in range(3)
    ]
    for name, value in changes.items():
        setattr(items[1], name, value)
    return items


def _both(query: str, **variables: Any) -> tuple[Any, Any]:
    results = [schema.execute_sync(query, variable_values=variables) for schema in (fast, baseline)]
    return [(r.data, [(e.message, e.path) for e in r.errors or []]) for r in results]


SELECTIONS = [
    "{ items { name tags leaf { code note } leaves { code note } } }",
    "{ items { n: name name again: name leaf { c: code } } }",
    "{ items { ...F } } fragment F on Item { name leaves { ...L } } fragment L on Leaf { code }",
    "{ items { ... on Item { name } __typename leaf { __typename code } } }",
    "{ items { shout name leaves { code } } }",
    "{ items { name leaves { code } } items2: items { tags } }",
    "{ tagged { id label } }",
]


@pytest.mark.parametrize("query", SELECTIONS)
def test_plain_fields_answer_as_graphql_core_does(query):
    ITEMS[:] = _items()
    fast_result, baseline_result = _both(query)
    assert fast_result == baseline_result
    assert all(fast_result[0].values()) and not fast_result[1]


def test_skip_and_include_follow_each_requests_variables():
    ITEMS[:] = _items()
    query = "query ($on: Boolean!) { items { name @include(if: $on) tags @skip(if: $on) leaf { code @skip(if: $on) } } }"
    for flag in (True, False, True):  # one parsed document, run with different variables
        fast_result, baseline_result = _both(query, on=flag)
        assert fast_result == baseline_result
        assert ("name" in fast_result[0]["items"][0]) is flag


@pytest.mark.parametrize(
    "changes",
    [
        {"name": None},  # null in a non-null field: the item's parent list becomes null
        {"leaves": [Leaf(code="x"), None]},  # null item in a list of non-null items
        {"leaves": "not a list"},
        {"leaves": NOT_LOADED},  # a relationship nobody prefetched
        {"leaf": "not a Leaf"},
        {"tags": ["a", object()]},  # a value the String scalar cannot serialise
        {"leaf": Leaf(code=None)},  # type: ignore[arg-type]
    ],
    ids=["null", "null-item", "not-a-list", "not-loaded", "wrong-object", "unserialisable", "nested-null"],
)
def test_irregular_values_fail_as_graphql_core_fails(changes):
    ITEMS[:] = _items(**changes)
    fast_result, baseline_result = _both("{ items { name tags leaf { code } leaves { code } } }")
    assert fast_result == baseline_result
    assert fast_result[1], "the irregular value must be reported"


# `items` and each item's `shout` (a resolver) only; the plain values need none. Strawberry's own
# path resolves every field: per item name, tags, leaf, leaves, shout and two leaves' code and note,
# and the one leaf's code.
ONE_BY_ONE = {"fast": 1 + len(_items()), "strawberry": 1 + 9 * len(_items()) + 1}


@pytest.mark.parametrize(
    ("context", "resolved"),
    [
        (None, ONE_BY_ONE["fast"]),  # a context without settings (as here) takes the plain path
        (SimpleNamespace(settings=Settings(executor="fast")), ONE_BY_ONE["fast"]),
        (SimpleNamespace(settings=Settings(executor="strawberry")), ONE_BY_ONE["strawberry"]),
    ],
    ids=["no-settings", "fast", "strawberry"],
)
def test_plain_fields_are_resolved_one_by_one_only_on_the_strawberry_setting(context, resolved):
    ITEMS[:] = _items()
    CountingExecutor.resolved = 0
    query = "{ items { name tags leaf { code } leaves { code note } shout } }"
    result = counting.execute_sync(query, context_value=context)
    assert result.data == baseline.execute_sync(query).data and not result.errors
    assert CountingExecutor.resolved == resolved


def test_the_executor_setting_is_read_from_the_environment(monkeypatch, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"
    monkeypatch.setenv("REGISTRY_EXECUTOR", "strawberry")
    assert app_settings(url).executor == "strawberry"  # so CI's second pass reaches every test app
    monkeypatch.setenv("REGISTRY_EXECUTOR", "turbo")
    with pytest.raises(ValidationError, match=r"executor\n  Input should be 'compiled', 'fast' or 'strawberry'"):
        app_settings(url)


def test_default_node_ids_are_plain():
    CountingExecutor.resolved = 0
    result = counting.execute_sync("{ tagged { id label } }")
    assert not result.errors
    assert [relay.GlobalID.from_id(node["id"]).node_id for node in result.data["tagged"]] == ["t0", "t1", "t2"]
    assert CountingExecutor.resolved == 1  # `tagged` only


def test_plans_are_made_once_per_parsed_operation():
    ITEMS[:] = _items()
    query = "{ items { name leaf { code } leaves { code } } }"
    CountingExecutor.planned = 0
    first = counting.execute_sync(query)
    made = CountingExecutor.planned
    second = counting.execute_sync(query)
    assert first.data == second.data and not first.errors
    # Item, and Leaf under `leaf` and under `leaves`: all made by the first request
    assert made == 3 and CountingExecutor.planned == made


REGISTRY_QUERIES = [
    # the benchmark's page and detail, with node ids, enums, partial dates and nested lists
    """{ projects(first: 20) { totalCount edges { cursor node { id title status actual { value precision
        lower upper approximate } participants { role organization { id name country { code name } } }
        citations { excerpt locator source { title } } } } pageInfo { endCursor hasNextPage } } }""",
    """{ organizations(first: 30, orderBy: [{field: NAME, direction: DESC}]) { edges { node { __typename name
        kind parent { name parent { name } } country { code } aliases { name kind } } } } }""",
    """{ agreements(first: 10) { edges { node { title signed { value } parties { role organization { name } }
        signatories { person { displayName country { name } } } citations { source { title } } } } } }""",
    """{ search(query: "belaz") { matchedName node { id ... on Organization { name country { code } } } } }""",
    """{ timeline(first: 15) { kind title date { value lower upper } node { id } } }""",
    """{ figures(first: 10) { edges { node { metric value valueMax unit period { value } fromCountry { code } } } } }""",
    # the seed queries' shapes: filters, ordering, relationships both ways, through node(id:)
    """{ events(first: 100, orderBy: [{field: DATE, direction: DESC}, {field: TITLE}]) { edges { node { id title
        date { lower } participants { role person { slug } organization { slug } } agreementsSigned { slug } } } } }""",
    """{ people(first: 100) { edges { node { id displayName positions { title organization { slug } }
        agreementsSigned { agreement { slug parties { organization { slug } } } } } } } }""",
    *EXAMPLES,
]

NODE_QUERY = """query ($ids: [ID!]!) { nodes(ids: $ids) { id __typename ... on Record { slug tags aliases { name } }
    ... on Organization { name projects { role project { slug participants { organization { slug } } } } }
    ... on Agreement { status signed { value precision } signatories { person { displayName } } } } }"""


@pytest.fixture(scope="module")
async def executors(seeded_database) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """An app per `REGISTRY_EXECUTOR` setting on the seeded registry (read-only)."""
    async with executor_apps(seeded_database, EXECUTORS) as apps:
        yield apps


EXECUTORS = ("compiled", "fast", "strawberry")


def _root_field(query: str) -> str:
    return query.split("(")[0].strip("{ \n")


@pytest.mark.parametrize("query", REGISTRY_QUERIES, ids=_root_field)
async def test_registry_answers_alike_under_every_executor_setting(executors, query):
    compiled, fast, strawberry_own = [await gql(executors[executor], query) for executor in EXECUTORS]
    assert compiled == fast == strawberry_own
    assert all(fast.values())


async def _node_ids(client: httpx.AsyncClient, first: int = 5) -> list[str]:
    """Global ids of the first records of each Node type (with nested records for most)."""
    lists = await gql(client, f"""{{ organizations(first: {first}) {{ edges {{ node {{ id }} }} }}
        agreements(first: {first}) {{ edges {{ node {{ id }} }} }} projects(first: {first}) {{ edges {{ node {{ id }} }} }}
        events(first: {first}) {{ edges {{ node {{ id }} }} }} people(first: {first}) {{ edges {{ node {{ id }} }} }}
        sources(first: {first}) {{ edges {{ node {{ id }} }} }} }}""")
    return [edge["node"]["id"] for connection in lists.values() for edge in connection["edges"]]


async def test_node_lookups_answer_alike_under_every_executor_setting(executors):
    ids = await _node_ids(executors["fast"])
    compiled, fast, strawberry_own = [await gql(executors[executor], NODE_QUERY, ids=ids) for executor in EXECUTORS]
    assert compiled == fast == strawberry_own
    assert [node["id"] for node in fast["nodes"]] == ids


# Selections under node(id:) for the compiler (`core/compiler.py`): every type, aliases, fragments
# on types and interfaces, __typename at every level, partial dates whole and in part, enums, global
# ids of nested records, nulls (missing relationships and dates), and fields it leaves to the
# existing path (a resolver, tags, datetimes, decimals).
_PARTIAL_DATE = "{ value precision approximate lower upper __typename }"
NODE_SELECTIONS = {
    "q2": "... on Project { id title status actual { value precision lower upper } participants { role "
          "organization { name country { code name } } } citations { excerpt source { title } } "
          "agreements { agreement { title signed { value } } } events { event { title date { value } } } }",
    "aliases-fragments": "__typename i: id ...R ... on Project { t: title title kind sector status "
                         f"planned {_PARTIAL_DATE} actual {{ v: value p: precision a: approximate }} location "
                         "description country { __typename code name } ...P } "
                         "fragment R on Record { slug version aliases { name lang kind } identifiers { scheme value } } "
                         "fragment P on Project { participants { __typename role organization { id name kind "
                         f"founded {_PARTIAL_DATE} parent {{ id name }} }} person {{ id displayName }} citations {{ "
                         f"excerpt locator note source {{ id title published {_PARTIAL_DATE} }} }} }} }}",
    "interfaces": "... on Cited { citations { excerpt source { __typename file author publication url } } } "
                  "... on Record { slug }",
    "organization": f"... on Organization {{ name kind city founded {_PARTIAL_DATE} dissolved {{ value }} description "
                    "parent { name } children { name } positions { title period { value precision } asOf { value } "
                    "person { displayName } } projects { role project { title } } agreements { role agreement "
                    "{ title } } signatures { agreement { title } person { displayName } } events { role event "
                    "{ title } } }",
    "agreement": f"... on Agreement {{ title kind status initialed {_PARTIAL_DATE} signed {_PARTIAL_DATE} ratified "
                 f"{{ value }} inForce {_PARTIAL_DATE} ended {{ value }} valid {_PARTIAL_DATE} city country {{ name }} "
                 "parties { role organization { name } citations { excerpt } } signatories { person { displayName } "
                 "organization { name } } signingEvent { id title date { value } } projects { project { title } } }",
    "event": f"... on Event {{ title kind date {_PARTIAL_DATE} city participants {{ role person {{ displayName "
             "givenName familyName patronymic } organization { name } } agreementsSigned { title } "
             "projects { relation project { id title } } }",
    "person": "... on Person { displayName givenName familyName country { code } positions { title organization "
              "{ name } } events { role event { title } } agreementsSigned { agreement { title } } "
              "projects { role project { title } } }",
    "source": f"... on Source {{ file title author publication published {_PARTIAL_DATE} url description }}",
    "skip-include": "... on Record { slug @skip(if: $flag) version @include(if: $flag) } "
                    "... on Project @include(if: $flag) { title }",
    # left to the existing path: a resolver, a list of strings, datetimes, decimals
    "history": "... on Record { history(first: 2) { edges { node { action } } } }",
    "tags": "... on Record { tags }",
    "datetimes": "... on Record { createdAt updatedAt aliases { name } }",
    "figures": "... on Project { figures { value unit } }",
}


@pytest.mark.parametrize("selection", NODE_SELECTIONS.values(), ids=NODE_SELECTIONS)
async def test_compiled_node_lookups_answer_as_the_other_executors(executors, selection):
    ids = await _node_ids(executors["fast"], first=3)
    fragments = selection.index("fragment ") if "fragment " in selection else len(selection)
    flags = (True, False) if "$flag" in selection else (None,)
    variables = ", $flag: Boolean!" if "$flag" in selection else ""
    query = (f"query ($id: ID!{variables}) {{ node(id: $id) {{ {selection[:fragments]} }} }} "
             f"{selection[fragments:]}")
    answered = 0
    for node_id in [*ids, "UHJvamVjdDowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA="]:  # and a missing one
        for flag in flags:
            given = {"id": node_id} if flag is None else {"id": node_id, "flag": flag}
            compiled, fast, strawberry_own = [await gql(executors[executor], query, **given) for executor in EXECUTORS]
            assert compiled == fast == strawberry_own, (node_id, flag)
            answered += compiled["node"] is not None
    assert answered == len(flags) * len(ids)


# Connection pages for the compiler (`compiler.page_statement`): the edges' nodes of every root list
# in one statement, with filters, orderings, aliases and fragments around them, totalCount and
# pageInfo beside them, and shapes it leaves to the existing path (`edges` or `node` under two
# response keys, a resolver under the node, nodes without relationships: the keyset rows answer
# them). The first root field takes `$after`/`$before`.
CONNECTION_SELECTIONS = {
    "q1": f"projects(first: 7, after: $after, before: $before) {{ totalCount edges {{ cursor node {{ id title "
          f"status actual {_PARTIAL_DATE} participants {{ role organization {{ id name country {{ code name }} }} }} "
          "citations { excerpt locator source { title } } } } pageInfo { startCursor endCursor hasNextPage "
          "hasPreviousPage } }",
    "filter-order": "organizations(first: 9, after: $after, before: $before, filter: {country: [\"BY\"]}, "
                    "orderBy: [{field: FOUNDED, direction: DESC}, {field: NAME}]) { totalCount edges { cursor node { "
                    f"__typename id name kind founded {_PARTIAL_DATE} parent {{ name }} aliases {{ name kind }} }} }} }} "
                    "projects(filter: {status: [IMPLEMENTED, IN_PROGRESS]}, orderBy: [{field: STATUS}]) { edges { "
                    "node { title status } } }",
    "several-lists": "agreements(first: 6, after: $after, before: $before, orderBy: [{field: TITLE, direction: DESC}]) "
                     f"{{ edges {{ cursor node {{ title signed {_PARTIAL_DATE} parties {{ role organization {{ name }} }} }} }} }} "
                     "events(first: 4) { edges { node { title date { value } participants { person { displayName } } } } } "
                     "people(first: 5) { edges { node { displayName positions { title organization { name } } } } } "
                     "sources(first: 3) { edges { node { id title published { value } } } }",
    "aliases-fragments": "list: projects(last: 6, after: $after, before: $before) { ...Page } "
                         "again: projects(first: 2) { n: totalCount e: edges { c: cursor ...Edge } } "
                         "fragment Page on ProjectConnection { info: pageInfo { hasNextPage } edges { cursor ...Edge "
                         "node { t: title } } } "
                         "fragment Edge on ProjectEdge { node { __typename i: id ... on Record { slug } "
                         "...P } } fragment P on Project { title participants { organization { name } } }",
    # left to the existing path: the nodes under two response keys, a resolver under the node
    "two-edges": "projects(first: 5, after: $after, before: $before) { a: edges { cursor node { title "
                 "citations { excerpt } } } b: edges { node { id } } }",
    "two-nodes": "projects(first: 5, after: $after, before: $before) { edges { cursor a: node { title "
                 "citations { excerpt } } b: node { id } } }",
    "history": "projects(first: 3, after: $after, before: $before) { edges { cursor node { title history(first: 1) "
               "{ edges { node { action } } } } } }",
}


def _connection_query(selection: str) -> str:
    fragments = selection.index("fragment ") if "fragment " in selection else len(selection)
    return (f"query ($after: String, $before: String) {{ {selection[:fragments]} }} {selection[fragments:]}")


@pytest.mark.parametrize("selection", CONNECTION_SELECTIONS.values(), ids=CONNECTION_SELECTIONS)
async def test_compiled_connection_pages_answer_as_the_other_executors(executors, selection):
    query = _connection_query(selection)
    cursors = _cursors(next(iter((await gql(executors["fast"], query)).values())))
    assert len(cursors) >= 3, "the seed must hold a few records of the first list"
    for given in ({}, {"after": cursors[1]}, {"before": cursors[1]}):
        compiled, fast, strawberry_own = [await gql(executors[executor], query, **given) for executor in EXECUTORS]
        assert compiled == fast == strawberry_own, given
        assert all(fast.values())


def _cursors(value: Any) -> list[str]:
    """The edges' cursors in a connection's answer, in order (whatever their aliases)."""
    if isinstance(value, list):
        return [cursor for item in value for cursor in _cursors(item)]
    if isinstance(value, dict):
        found = [value["cursor"]] if "cursor" in value else []
        return found + [cursor for key, item in value.items() if key != "cursor" for cursor in _cursors(item)]
    return []
