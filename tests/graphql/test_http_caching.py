"""GET queries carry an ETag from the data version and answer If-None-Match with 304."""

from registry.db import StatementLog
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


async def test_repeated_get_is_served_from_the_cache_until_a_write(client, sessions):
    with StatementLog(client.app.state.engine) as log:
        first = await client.get("/graphql", params=QUERY)
        executed_first = len(await log.settled())
        log.clear()
        second = await client.get("/graphql", params={"query": "{  projects { totalCount }  }"})  # respaced
        executed_second = len(await log.settled())
    assert second.content == first.content
    assert executed_second == 1 < executed_first  # the data version only

    async with sessions() as session, session.begin():
        await factories.source(session)
        await factories.countries(session)
        await factories.project(session, "p-1", "Project One")
    third = await client.get("/graphql", params=QUERY)
    assert third.json()["data"]["projects"]["totalCount"] == first.json()["data"]["projects"]["totalCount"] + 1


def test_cache_key_normalises_the_query_and_separates_callers():
    from starlette.datastructures import Headers

    from registry.http_cache import _request_key

    def key(query_string: bytes, **headers: str):
        return _request_key({"query_string": query_string}, Headers(headers=headers))

    plain = key(b"query=%7B+projects+%7B+totalCount+%7D+%7D&variables=%7B%22a%22%3A1%2C%22b%22%3A2%7D")
    respaced = key(b"query=%7B++projects+%7B+totalCount+%7D%7D&variables=%7B%22b%22%3A2%2C%22a%22%3A1%7D")
    assert plain[1] == respaced[1]  # variables compare as JSON, not text
    assert key(b"query=%7Ba%7D") == key(b"query=%20%7Ba%7D%20")
    assert key(b"query=%7Ba%7D", authorization="Bearer x") != key(b"query=%7Ba%7D", authorization="Bearer y")
    assert key(b"query=%7Ba%7D&variables=not-json") is None
