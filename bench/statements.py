"""SQL statements per request, counted in-process on the real app (the same code `registry serve` runs).

Each request is sent once to warm up (and, for GET, to fill the response cache), then again inside
a `registry.db.StatementLog` on the app's engine (statements run through SQLAlchemy and on
asyncpg's connection alike): the second run is the steady state a measurement sees. Connection
checkouts are counted too.
"""

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import event

from registry.app import create_app
from registry.config import Environment, Settings
from registry.db import StatementLog

from . import queries
from .servers import BENCH_ADMIN_SECRET
from .workload import HttpRequest

__all__ = ["count_statements"]

PAGE_SIZES = (5, 100)  # Q1 at two page sizes: the count must not depend on it


class _Checkouts:
    def __init__(self):
        self.count = 0

    def __call__(self, *_args) -> None:
        self.count += 1


async def _send(client: httpx.AsyncClient, request: HttpRequest) -> str | None:
    """Send the request; returns the error it answered with, if any."""
    headers = {"content-type": "application/json"} if request.body else {}
    response = await client.request(request.method, request.target, content=request.body, headers=headers)
    if response.status_code != 200 or "errors" in response.json():
        return f"HTTP {response.status_code}: {response.text[:300]}"
    return None


async def count_statements(database_url: str, workload: dict[str, list[HttpRequest]]) -> dict[str, dict]:
    """{measurement: {"statements", "checkouts", "error"}}, plus "Q1-first-5"/"Q1-first-100".

    A request that fails is still counted (its statements up to the failure) and its error kept."""
    samples = {name: requests[1 if len(requests) > 1 else 0] for name, requests in workload.items()}
    for first in PAGE_SIZES:
        samples[f"Q1-first-{first}"] = HttpRequest.post(queries.project_page(first), {"after": None})
    app = create_app(Settings(database_url=database_url, env=Environment.PRODUCTION, admin_secret=BENCH_ADMIN_SECRET))
    counts = {}
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:  # trusted
            engine = app.state.engine.sync_engine
            for name, request in samples.items():
                await _send(client, request)
                checkouts = _Checkouts()
                event.listen(engine, "checkout", checkouts)
                try:
                    with StatementLog(app.state.engine) as log:
                        error = await _send(client, request)
                        statements = len(await log.settled())
                finally:
                    event.remove(engine, "checkout", checkouts)
                counts[name] = {"statements": statements, "checkouts": checkouts.count, "error": error}
    return counts
