"""The executor completes plain attribute fields itself: same answers and errors as graphql-core's."""

from typing import Any

import pytest
import strawberry
from strawberry.extensions import ParserCache
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from registry.db import create_engine
from registry.graphql.context import Context
from registry.graphql.core.execution import PlainFieldExecutor
from registry.graphql.core.prefetch import NOT_LOADED
from registry.graphql.schema import schema as registry_schema


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
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return ITEMS


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
baseline = strawberry.Schema(query=Query, execution_context_class=StrawberryGraphQLCoreExecutionContext)


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
]


@pytest.mark.parametrize("query", SELECTIONS)
def test_plain_fields_answer_as_graphql_core_does(query):
    ITEMS[:] = _items()
    fast_result, baseline_result = _both(query)
    assert fast_result == baseline_result
    assert fast_result[0]["items"] and not fast_result[1]


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


def test_plain_fields_are_not_resolved_one_by_one():
    ITEMS[:] = _items()
    counting = strawberry.Schema(query=Query, execution_context_class=CountingExecutor, extensions=[ParserCache])
    CountingExecutor.resolved = 0
    result = counting.execute_sync("{ items { name tags leaf { code } leaves { code note } shout } }")
    assert not result.errors
    # `items` and each item's `shout` (a resolver) only; the 3 × 8 plain values need none
    assert CountingExecutor.resolved == 1 + len(ITEMS)


def test_plans_are_made_once_per_parsed_operation():
    ITEMS[:] = _items()
    counting = strawberry.Schema(query=Query, execution_context_class=CountingExecutor, extensions=[ParserCache])
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
]


@pytest.mark.parametrize("query", REGISTRY_QUERIES, ids=lambda q: q.split("(")[0].strip("{ "))
async def test_registry_answers_as_with_graphql_cores_executor(seeded_database, query, monkeypatch):
    engine = create_engine(seeded_database)
    results = []
    try:
        for executor in (PlainFieldExecutor, StrawberryGraphQLCoreExecutionContext):
            monkeypatch.setattr(registry_schema, "execution_context_class", executor)
            context = Context(engine)
            try:
                results.append(await registry_schema.execute(query, context_value=context))
            finally:
                await context.close()
    finally:
        await engine.dispose()
    ours, theirs = results
    assert ours.errors is None and theirs.errors is None, (ours.errors, theirs.errors)
    assert ours.data == theirs.data
    assert any(ours.data.values())
