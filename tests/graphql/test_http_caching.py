"""GET queries carry an ETag from the data version and answer If-None-Match with 304; the
response cache keys on exactly what runs and holds a byte budget."""

import pytest
from starlette.datastructures import Headers

from registry.db import StatementLog
from registry.services.api_keys import revoke_api_key
from registry.http.cache import GraphQLResponseCache, ResponseCache, _request_key
from registry.http.protocol import etag_matches
from tests.utils import factories

QUERY = {"query": "{ projects { totalCount } }"}


async def test_get_has_etag_and_revalidates_with_304(client, sessions):
    first = await client.get("/graphql", params=QUERY)
    assert first.status_code == 200 and first.headers["etag"]
    again = await client.get("/graphql", params=QUERY, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""

    async with sessions() as session, session.begin():
        await factories.source(session)
    changed = await client.get("/graphql", params=QUERY, headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200
    assert changed.headers["etag"] != first.headers["etag"]


async def test_post_is_not_cached(client):
    post = await client.post("/graphql", json=QUERY)
    assert post.status_code == 200 and "etag" not in post.headers


async def test_graphiql_only_in_development(database_url):
    from registry.config import Environment
    from tests.conftest import app_settings, asgi_client

    for env, expected in ((Environment.DEVELOPMENT, 200), (Environment.PRODUCTION, 404)):
        async for client in asgi_client(app_settings(database_url, env=env)):
            page = await client.get("/graphql", headers={"Accept": "text/html"})
            assert page.status_code == expected, env
            if expected == 200:
                assert "graphiql" in page.text.lower()


async def test_no_caller_is_served_another_callers_cached_answer(client, keys, sessions):
    """Anonymous GETs are cached; a GET with a key always runs (its key is checked every time, so
    a key revoked meanwhile is refused at once), and never gets an answer cached for another."""

    async def statements_run(headers: dict[str, str]) -> int:
        with StatementLog(client.app.state.engine) as log:
            assert (await client.get("/graphql", params=QUERY, headers=headers)).status_code == 200
            return len(await log.settled())

    alice, bob = {"Authorization": f"Bearer {keys['writer']}"}, {"Authorization": f"Bearer {keys['reader']}"}
    assert await statements_run({}) > 1  # executed
    assert await statements_run({}) == 1  # the cached answer: the data version only
    assert await statements_run(alice) > 1  # not the anonymous caller's
    assert await statements_run(alice) > 1  # nor her own: her key is checked again
    assert await statements_run(bob) > 1
    async with sessions() as session, session.begin():
        await revoke_api_key(session, "writer")
    assert (await client.get("/graphql", params=QUERY, headers=alice)).status_code == 401


async def test_repeated_get_is_served_from_the_cache_until_a_write(client, sessions):
    with StatementLog(client.app.state.engine) as log:
        first = await client.get("/graphql", params=QUERY)
        executed_first = len(await log.settled())
        log.clear()
        second = await client.get("/graphql", params=QUERY)
        executed_second = len(await log.settled())
    assert second.content == first.content
    assert executed_second == 1 < executed_first  # the data version only

    async with sessions() as session, session.begin():
        await factories.source(session)
        await factories.countries(session)
        await factories.project(session, "p-1", "Project One")
    third = await client.get("/graphql", params=QUERY)
    total = first.json()["data"]["projects"]["totalCount"]
    assert third.json()["data"]["projects"]["totalCount"] == total + 1


async def test_repeated_graphql_parameters_are_refused_and_never_poison_the_cache(client):
    # Strawberry runs the last of repeated parameters; a cache keyed on the first would store
    # B's answer under A's key
    a, b = "{ a: __typename }", "{ b: __typename }"
    for name, first, second in (("query", a, b), ("variables", "{}", '{"x": 1}'),
                                ("operationName", "A", "B"), ("extensions", "{}", "{}")):
        refused = await client.get("/graphql", params=[("query", a), (name, first), (name, second)])
        assert refused.status_code == 400, (name, refused.text)
        assert refused.json()["errors"][0]["message"] == f"{name}: given more than once"
        assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert (await client.get("/graphql", params={"query": a})).json() == {"data": {"a": "Query"}}


async def test_queries_differing_only_in_whitespace_are_kept_apart(client):
    # whitespace is meaning (in string literals; a line break ends a comment): a key on
    # whitespace-collapsed text would answer the second query with the first one's data
    both = await client.get("/graphql", params={"query": "{ a: __typename # b follows\n b: __typename }"})
    one = await client.get("/graphql", params={"query": "{ a: __typename # b follows b: __typename\n }"})
    assert both.json() == {"data": {"a": "Query", "b": "Query"}}
    assert one.json() == {"data": {"a": "Query"}}


def test_cache_key_is_the_parameters_as_sent_the_media_type_and_the_caller():
    def key(query_string: bytes, media_type: str = "application/json", **headers: str):
        return _request_key({"query_string": query_string}, Headers(headers=headers), media_type)

    assert key(b"query=%7Ba%7D") != key(b"query=%7B+a%7D")  # the text as sent
    assert key(b"query=%7Ba%7D&variables=%7B%7D") != key(b"query=%7Ba%7D")
    assert key(b"query=%7Ba%7D") != key(b"query=%7Ba%7D", "application/graphql-response+json")
    assert key(b"query=%7Ba%7D", authorization="Bearer x") != key(b"query=%7Ba%7D", authorization="Bearer y")
    assert key(b"query=%7Ba%7D&unrelated=1&unrelated=2") == key(b"query=%7Ba%7D")
    assert key(b"query=%7Ba%7D&query=%7Bb%7D") is None
    assert key(b"query=%7Ba%7D&operationName=A&operationName=B") is None
    assert key(b"variables=%7B%7D") is None  # no query: the router answers


def test_response_cache_holds_its_byte_budget():
    cache = ResponseCache(max_bytes=10_000, max_entries=1_000)
    for i in range(100):
        cache.put((i, f"query {i}"), b"x" * 1_000)
        assert cache.size <= 10_000
    assert len(cache) < 10 and cache.get((99, "query 99")) is not None  # the newest stay
    assert cache.get((0, "query 0")) is None
    cache.put((100, "q" * 20_000), b"")  # a key alone over the budget is not kept
    assert cache.get((100, "q" * 20_000)) is None and cache.size <= 10_000


async def test_response_cache_budget_comes_from_the_settings(database_url):
    from tests.conftest import app_settings, asgi_client

    async for client in asgi_client(app_settings(database_url, response_cache_max_bytes=0)):
        with StatementLog(client.app.state.engine) as log:
            await client.get("/graphql", params=QUERY)
            log.clear()
            await client.get("/graphql", params=QUERY)
            assert len(await log.settled()) > 1  # nothing cached: the query ran again


@pytest.mark.parametrize(("header", "matches"), [
    ('W/"7"', True), ('"7"', True), ('W/"1", W/"7"', True), ("*", True), (' W/"3" ,"7" ', True),
    ('W/"77"', False), ('W/"7x"', False), ('"a,W/\"7\""', False), ("", False), ('W/"1"', False),
])
def test_if_none_match_follows_rfc_9110(header, matches):
    assert etag_matches(header, 'W/"7"') is matches


async def test_if_none_match_is_evaluated_only_for_a_good_request(client):
    etag = (await client.get("/graphql", params=QUERY)).headers["etag"]
    conditional = {"If-None-Match": etag}
    syntax_error = await client.get("/graphql", params={"query": "{ projects {"}, headers=conditional)
    assert syntax_error.status_code == 200 and syntax_error.json()["errors"]
    mutation = await client.get("/graphql", params={"query": "mutation { x }"}, headers=conditional)
    assert mutation.status_code == 405 and mutation.headers["allow"] == "POST"
    fresh = await client.get("/graphql", params={"query": "{ sources { totalCount } }"}, headers=conditional)
    assert fresh.status_code == 304 and fresh.content == b""  # good, not yet cached, same version
    assert (await client.get("/graphql", params=QUERY, headers={"If-None-Match": "*"})).status_code == 304


def _response_cache(app) -> ResponseCache:
    layer = app.middleware_stack  # built by the first request
    while not isinstance(layer, GraphQLResponseCache):
        layer = layer.app
    return layer.cache


async def test_no_cache_holds_a_mutation_or_an_error(client):
    variables_missing = "query ($n: Int!) { projects(first: $n) { totalCount } }"
    for query in ("mutation { x }", "{ projects {", "{ nothing }", variables_missing):
        assert (await client.get("/graphql", params={"query": query})).status_code in (200, 405)
    assert len(_response_cache(client.app)) == 0
    await client.get("/graphql", params=QUERY)
    assert len(_response_cache(client.app)) == 1
