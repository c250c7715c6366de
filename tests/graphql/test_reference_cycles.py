"""A read leaves nothing for the cyclic garbage collector: reference counting frees it all.

A request's objects caught in a reference cycle (a loader's closure leading back to the context,
the executor's own bound methods, a recursive nested function…) live on until a collection,
and under load those collections took a third of a page's CPU time (issue #14). Each test
warms a request up, then serves it once more with the collector off and asks it for the
garbage: with `gc.DEBUG_SAVEALL`, a failure names each cycle found, object by object.

The request goes to the real ASGI app as a bare ASGI call: an HTTP client's own objects would be
counted too.
"""

import gc
from collections import Counter, deque
from collections.abc import Iterator

import orjson
import pytest
from fastapi import FastAPI

from bench import queries
from bench.asgi import send_to_app
from bench.workload import HttpRequest
from tests.graphql.conftest import gql


async def _post(app: FastAPI, body: dict) -> dict:
    """POST /graphql straight to the ASGI app; the parsed response."""
    request = HttpRequest.post(body["query"], body["variables"])
    status, content = await send_to_app(app, request, host="registry.test")
    assert status == 200, content
    return orjson.loads(content)


def _describe(obj: object) -> str:
    kind = type(obj).__qualname__
    if kind in ("function", "method"):
        return f"{kind} {obj.__qualname__}"
    if kind == "cell":
        try:
            return f"cell of {type(obj.cell_contents).__qualname__}"
        except ValueError:
            return "empty cell"
    return kind


def _cycles(garbage: list[object]) -> Iterator[str]:
    """Each distinct cycle among `garbage`, as the chain of its objects' kinds."""
    inside = {id(obj) for obj in garbage}
    seen: set[int] = set()
    for start in garbage:
        if id(start) in seen:
            continue
        came_from: dict[int, object | None] = {id(start): None}
        queue, last = deque([start]), None
        while queue and last is None:  # breadth first, for the shortest way back to `start`
            current = queue.popleft()
            for referent in gc.get_referents(current):
                if referent is start:
                    last = current
                    break
                if id(referent) in inside and id(referent) not in came_from:
                    came_from[id(referent)] = current
                    queue.append(referent)
        if last is None:
            continue
        chain = [last]
        while (previous := came_from[id(chain[-1])]) is not None:
            chain.append(previous)
        seen.update(id(obj) for obj in chain)
        yield " -> ".join(_describe(obj) for obj in reversed(chain))


async def _garbage_left_by(app: FastAPI, body: dict) -> tuple[int, str]:
    """How many objects serving `body` left in cycles, and a description of them."""
    for _ in range(3):  # warm: parsed, validated and planned documents, prepared statements, pool
        response = await _post(app, body)
        assert "errors" not in response, response
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        await _post(app, body)
        found = gc.collect()
        garbage = list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    kinds = Counter(type(obj).__qualname__ for obj in garbage).most_common(12)
    cycles = Counter(_cycles(garbage)).most_common(12)
    del garbage
    return found, f"objects by kind: {kinds}\ncycles: " + "\n".join(f"{n}× {chain}" for chain, n in cycles)


async def test_a_page_of_fifty_nested_projects_leaves_no_garbage(many):
    found, culprits = await _garbage_left_by(
        many.app, {"query": queries.PROJECT_PAGE, "variables": {"after": None}}
    )
    assert found == 0, culprits


@pytest.fixture
async def detailed_project(api) -> str:
    """The global id of a seeded project with participants, citations, agreements and events."""
    projects = (await gql(api, """{ projects(first: 100) { edges { node {
        id participants { role } citations { excerpt } agreements { agreement { title } } events { event { title } } } } } }"""))
    for edge in projects["projects"]["edges"]:
        if all(edge["node"][name] for name in ("participants", "citations", "agreements", "events")):
            return edge["node"]["id"]
    raise AssertionError("the seed has no project with every relationship")


async def test_a_nested_node_leaves_no_garbage(api, detailed_project):
    found, culprits = await _garbage_left_by(
        api.app, {"query": queries.PROJECT_DETAIL, "variables": {"id": detailed_project}}
    )
    assert found == 0, culprits
