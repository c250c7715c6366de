"""Production hygiene: no OpenAPI pages, nosniff and a CSP on every response, trusted hosts only."""

import pytest
from starlette.datastructures import MutableHeaders

from registry.config import Environment
from registry.http.middleware import STRICT_CSP, SecurityHeaders
from tests.conftest import app_settings, asgi_client


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
@pytest.mark.parametrize(("env", "status"), [(Environment.PRODUCTION, 404), (Environment.TEST, 404),
                                             (Environment.DEVELOPMENT, 200)])
async def test_openapi_pages_only_in_development(database_url, path, env, status):
    async for client in asgi_client(app_settings(database_url, env=env)):
        assert (await client.get(path)).status_code == status


async def test_every_response_is_nosniff_with_a_strict_csp(client):
    for response in (
        await client.get("/healthz"),
        await client.post("/graphql", json={"query": "{ __typename }"}),
        await client.post("/graphql", json={"query": "{ __typename }"}),  # from the prepared lane
        await client.get("/graphql", params={"query": "{ __typename }"}),
        await client.get("/graphql", params={"query": "{ __typename }"}),  # from the cache
        await client.post("/graphql", content=b"x", headers={"Content-Type": "text/plain"}),
        await client.get("/nowhere"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


@pytest.mark.parametrize("headers", [
    [],
    [(b"content-type", b"application/json"), (b"content-length", b"2")],
    [(b"x-content-type-options", b"sniff"), (b"a", b"1"), (b"x-content-type-options", b"other")],
    [(b"content-security-policy", b"default-src 'self'"), (b"b", b"2")],
    [(b"a", b"1"), (b"content-security-policy", b"x"), (b"x-content-type-options", b"x"), (b"content-security-policy", b"y")],
])
async def test_security_headers_are_set_as_starlettes_mutable_headers_set_them(headers):
    """Their order and duplicates too: nosniff replaces the first X-Content-Type-Options and drops
    the others, a CSP the response set is kept."""
    sent = []

    async def app(_scope, _receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": list(headers)})
        await send({"type": "http.response.body", "body": b"{}"})

    async def send(message):
        sent.append(message)

    await SecurityHeaders(app)({"type": "http"}, None, send)
    expected = {"type": "http.response.start", "status": 200, "headers": list(headers)}
    mutable = MutableHeaders(scope=expected)
    mutable["X-Content-Type-Options"] = "nosniff"
    mutable.setdefault("Content-Security-Policy", STRICT_CSP)
    assert sent[0]["headers"] == expected["headers"] and sent[1]["body"] == b"{}"


async def test_graphiql_in_development_has_a_csp_that_lets_it_load(database_url):
    async for client in asgi_client(app_settings(database_url, env=Environment.DEVELOPMENT)):
        page = await client.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        csp = page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "https://unpkg.com" in csp
        assert page.headers["x-content-type-options"] == "nosniff"


async def test_foreign_hosts_are_refused_and_never_followed_in_redirects(client):
    # a trailing slash redirects: its Location must never carry a foreign Host
    foreign = await client.post(
        "/graphql/", json={"query": "{ __typename }"}, headers={"Host": "evil.example"}
    )
    assert foreign.status_code == 400 and "evil.example" not in foreign.headers.get("location", "")
    assert (await client.get("/healthz", headers={"Host": "evil.example"})).status_code == 400
    assert (await client.get("/healthz")).status_code == 200  # registry.test, the trusted host


async def test_trusted_hosts_come_from_the_settings(database_url):
    settings = app_settings(database_url, trusted_hosts=["api.example.org"])
    async for client in asgi_client(settings):
        assert (await client.get("/healthz")).status_code == 400
        assert (await client.get("/healthz", headers={"Host": "api.example.org"})).status_code == 200
