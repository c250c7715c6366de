"""Health and readiness through real HTTP on the ASGI app; FastAPI's telemetry switch."""

import pytest
from opentelemetry import trace
from pydantic import ValidationError

from registry.config import Settings
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


class _RecordingTracerProvider(trace.TracerProvider):
    """A configured OpenTelemetry provider (the API's own classes: the SDK is not installed) that
    keeps the names of the spans started."""

    def __init__(self):
        self.spans: list[str] = []

    def get_tracer(self, *_args, **_kwargs) -> trace.Tracer:
        provider = self

        class RecordingTracer(trace.NoOpTracer):
            def start_span(self, name, *args, **kwargs):
                provider.spans.append(name)
                return super().start_span(name, *args, **kwargs)

        return RecordingTracer()


@pytest.mark.parametrize(("telemetry", "first_spans"), [(False, []), (True, ["POST"])])
async def test_fastapi_traces_requests_only_with_telemetry_on(database_url, monkeypatch, telemetry, first_spans):
    provider = _RecordingTracerProvider()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)  # as a deployment's SDK sets it
    async for client in asgi_client(app_settings(database_url, telemetry=telemetry)):
        response = await client.post("/graphql", json={"query": "{ __typename }"})
        assert response.json() == {"data": {"__typename": "Query"}}
    assert provider.spans[:1] == first_spans  # the request's span (then FastAPI's operation spans)


@pytest.mark.parametrize("value", ["maybe", "2", ""])
def test_telemetry_takes_a_boolean_only(value):
    with pytest.raises(ValidationError):
        Settings(telemetry=value)
