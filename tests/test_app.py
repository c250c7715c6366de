"""Health and readiness through real HTTP on the ASGI app."""

from tests.conftest import app_settings, asgi_client


async def test_healthz_and_readyz_on_migrated_database(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ok"


async def test_readyz_is_503_with_reason_when_not_migrated(empty_database):
    async for client in asgi_client(app_settings(empty_database)):
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert "registry db upgrade" in ready.json()["reason"]
        assert (await client.get("/healthz")).status_code == 200


async def test_readyz_is_503_when_database_unreachable(tmp_path):
    url = "postgresql+asyncpg://postgres@127.0.0.1:1/none"
    async for client in asgi_client(app_settings(url)):
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert "database unreachable" in ready.json()["reason"]
