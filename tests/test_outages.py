"""A database that cannot be reached, or accepts connections and never answers: every wait is
bounded, readiness says so without the driver's words, and the log stays a line per request."""

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from registry.db import create_engine
from registry.graphql.context import Context
from tests.conftest import app_settings, asgi_client

LIVENESS = 20  # seconds: far past every timeout below (and short of the drivers' own); only a hang reaches it
QUICK = {"database_connect_timeout": 0.5, "database_command_timeout": 0.5, "readyz_timeout": 0.5}
QUERY = "{ sources(first: 1) { totalCount } organizations(first: 1) { totalCount } }"


@pytest.fixture
async def silent_database() -> AsyncIterator[str]:
    """A PostgreSQL URL whose server accepts TCP connections and never sends a byte."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"postgresql+asyncpg://registry:secret@127.0.0.1:{port}/registry"
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


class FreezingProxy:
    """A TCP relay to a real database that, once frozen, passes nothing more on any connection
    (old or new) while keeping them all open: a database that stopped answering mid-connection."""

    def __init__(self, upstream: sa.URL):
        self.upstream = upstream
        self.frozen = False
        self._closing = asyncio.Event()
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> str:
        """The URL of the upstream database through this relay."""
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return self.upstream.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self._writers.append(client_writer)
        if not self.frozen:
            upstream = self.upstream
            server_reader, server_writer = await asyncio.open_connection(upstream.host, upstream.port)
            self._writers.append(server_writer)
            await asyncio.gather(
                self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer)
            )
        await self._closing.wait()  # frozen: hold the connection open, silent

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (data := await reader.read(1 << 16)) and not self.frozen:
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass

    async def close(self) -> None:
        self._closing.set()
        for writer in self._writers:
            writer.close()
        self._server.close()
        await self._server.wait_closed()


REFUSING_DATABASE = "postgresql+asyncpg://registry:secret@127.0.0.1:1/registry"  # nothing listens on port 1


async def test_readyz_on_a_silent_database_is_a_generic_503_with_the_detail_in_the_log(
    silent_database, caplog
):
    caplog.set_level(logging.INFO, logger="registry")
    async for client in asgi_client(app_settings(silent_database, **QUICK)):
        ready = await asyncio.wait_for(client.get("/readyz"), LIVENESS)
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "reason": "database unreachable"}
    readyz_lines = [r for r in caplog.records
                    if r.name == "registry.app" and r.getMessage().startswith("/readyz")]
    assert [r.levelname for r in readyz_lines] == ["WARNING"]
    assert "TimeoutError" in readyz_lines[0].getMessage()


async def test_readyz_on_a_refusing_database_keeps_the_drivers_words_out_of_the_response(caplog):
    async for client in asgi_client(app_settings(REFUSING_DATABASE, **QUICK)):
        ready = await asyncio.wait_for(client.get("/readyz"), LIVENESS)
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "reason": "database unreachable"}
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "registry.app")
    assert "Connect call failed" in logged or "refused" in logged.lower(), logged


@pytest.mark.parametrize("database", ["silent", "refusing"])
async def test_start_up_with_an_unreachable_database_warns_once_and_serves(database, silent_database, caplog):
    url = silent_database if database == "silent" else REFUSING_DATABASE
    caplog.set_level(logging.INFO, logger="registry")
    async for client in asgi_client(app_settings(url, **QUICK)):
        assert (await client.get("/healthz")).status_code == 200  # started all the same
    warnings = [r for r in caplog.records if r.name == "registry.app" and "start-up" in r.getMessage()]
    assert [r.levelname for r in warnings] == ["WARNING"], caplog.text
    message = warnings[0].getMessage()
    assert "127.0.0.1" in message and "/readyz" in message
    assert "secret" not in message  # the password stays out of the log


async def test_graphql_on_a_silent_database_fails_with_one_warning_line(silent_database, caplog):
    async for client in asgi_client(app_settings(silent_database, **QUICK)):
        caplog.clear()  # the start-up warning is tested above
        response = await asyncio.wait_for(client.post("/graphql", json={"query": QUERY}), LIVENESS)
    body = response.json()
    assert response.status_code == 503 or body["errors"], body  # failed (the HTTP layer picks the status)
    assert "TimeoutError" not in response.text and "127.0.0.1" not in response.text
    logged = [r for r in caplog.records if r.name.startswith("registry")]
    assert [r.levelname for r in logged] == ["WARNING"], caplog.text
    assert logged[0].exc_info is None and "TimeoutError" in logged[0].getMessage()


async def test_an_outage_writes_one_short_line_per_failed_request(caplog):
    """Refused connections fail fast, so an outage is many failed requests a second: each may
    write one line, never a traceback or SQL (one outage of 6 s used to write 11.5 MB)."""
    requests = 40
    async for client in asgi_client(app_settings(REFUSING_DATABASE, **QUICK)):
        caplog.clear()
        for _ in range(requests):
            body = (await asyncio.wait_for(client.post("/graphql", json={"query": QUERY}), LIVENESS)).json()
            assert body.get("errors"), body
    assert [r.levelname for r in caplog.records] == ["WARNING"] * requests, caplog.text
    assert all(r.exc_info is None and len(r.getMessage()) < 400 for r in caplog.records), caplog.text
    assert "SELECT" not in caplog.text


async def test_a_database_that_stops_answering_mid_connection_fails_requests_within_the_timeouts(
    database_url, caplog
):
    if not database_url.startswith("postgresql+asyncpg"):
        pytest.skip("a SQLite file cannot stop answering")
    proxy = FreezingProxy(sa.make_url(database_url))
    try:
        async for client in asgi_client(app_settings(await proxy.start(), **QUICK)):
            assert (await client.get("/readyz")).status_code == 200  # pooled connections, through the relay
            assert "errors" not in (await client.post("/graphql", json={"query": QUERY})).json()
            proxy.frozen = True
            caplog.clear()
            failed = await asyncio.wait_for(client.post("/graphql", json={"query": QUERY}), LIVENESS)
            assert failed.status_code == 503 or failed.json()["errors"], failed.text
            assert (await asyncio.wait_for(client.get("/readyz"), LIVENESS)).status_code == 503
    finally:
        await proxy.close()
    outage_lines = [r for r in caplog.records if r.name == "registry.graphql"]
    assert [r.levelname for r in outage_lines] == ["WARNING"], caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_a_request_waits_for_a_pooled_connection_no_longer_than_the_pool_timeout(database_url, caplog):
    if not database_url.startswith("postgresql+asyncpg"):
        pytest.skip("the pool size and its timeout are PostgreSQL's")
    settings = app_settings(database_url, database_pool_size=1, database_pool_timeout=0.5)
    async for client in asgi_client(settings):
        async with client.app.state.engine.connect():  # the pool's only connection, held
            caplog.clear()
            response = await asyncio.wait_for(client.post("/graphql", json={"query": QUERY}), LIVENESS)
        assert response.status_code == 503 or response.json()["errors"], response.text
        assert "errors" not in (await client.post("/graphql", json={"query": QUERY})).json()  # free again
    logged = [r for r in caplog.records if r.name == "registry.graphql"]
    assert [r.levelname for r in logged] == ["WARNING"], caplog.text
    assert "TimeoutError" in logged[0].getMessage()


async def test_statements_and_driver_statements_past_the_command_timeout_fail(database_url):
    """On PostgreSQL the command timeout bounds both ways statements run: through SQLAlchemy, and
    on asyncpg's own connection (the loaders' `DriverStatement`); the pool then serves again."""
    if not database_url.startswith("postgresql+asyncpg"):
        pytest.skip("a statement cannot hang on SQLite (its lock wait is tested below)")
    engine = create_engine(database_url, command_timeout=0.5)
    slow = sa.select(sa.func.pg_sleep(LIVENESS * 2))
    try:
        with pytest.raises(TimeoutError):
            async with engine.connect() as connection:
                await asyncio.wait_for(connection.execute(slow), LIVENESS)
        context = Context(engine)
        try:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(context.fetch_fixed(slow, {}), LIVENESS)
        finally:
            await context.close()
        async with engine.connect() as connection:
            assert await connection.scalar(sa.select(1)) == 1
    finally:
        await engine.dispose()


async def test_a_sqlite_writer_waits_for_a_lock_no_longer_than_the_command_timeout(database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's statements are bounded by the command timeout itself (above)")
    engine = create_engine(database_url, command_timeout=0.5)
    try:
        async with engine.connect() as holder, engine.connect() as waiter:
            await holder.exec_driver_sql("BEGIN IMMEDIATE")  # takes the write lock and keeps it
            with pytest.raises(sa.exc.OperationalError, match="database is locked"):
                await asyncio.wait_for(waiter.exec_driver_sql("BEGIN IMMEDIATE"), LIVENESS)
            await holder.rollback()
    finally:
        await engine.dispose()
