"""GET queries carry an ETag from the data version and answer If-None-Match with 304."""

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
