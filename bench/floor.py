"""The SQL floor: the fastest honest way to give the benchmark's answers, to compare the server against.

A plain ASGI app, served by uvicorn exactly as `registry serve` serves the real one (same
loop, same HTTP parser, no access log as in production), on the same driver (asyncpg or aiosqlite through a
SQLAlchemy async engine). It knows only the benchmark's query texts (bench/queries.py): each
request is answered by ONE hand-written SQL statement whose single value is the response body,
built by the database (bench/floor_sql.py); search first reads its typo corrections with the
server's own dictionary statement, as the server does. Python only decodes the arguments (cursor, global
id, search words, date window) and copies the database's text to the socket. No GraphQL
parsing, no validation, no objects, no response cache.

    REGISTRY_DATABASE_URL=... uvicorn bench.floor:create_app --factory --port 8100
"""

import base64
import binascii
import inspect
import os
import uuid
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.types import Receive, Scope, Send

from registry.graphql.core.text_search import correct, correction_candidates
from registry.partial_date import PartialDate
from registry.search_text import analyse

from . import floor_sql, queries

__all__ = ["Floor", "create_app"]

Statement = tuple[str, dict[str, Any]]


class BadRequest(Exception):
    pass


def _global_id(type_name: str, hex_id: str) -> str:
    return base64.b64encode(f"{type_name}:{uuid.UUID(hex_id)}".encode()).decode()


def _page_cursor(title: str, hex_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([title, hex_id])).decode()


def _sqlite_functions(dbapi_connection, _record) -> None:
    # SQLite has no base64: the two encoders the floor's SQL calls, registered per connection.
    dbapi_connection.create_function("global_id", 2, _global_id, deterministic=True)
    dbapi_connection.create_function("page_cursor", 2, _page_cursor, deterministic=True)


def _create_engine(url: str) -> AsyncEngine:
    engine = create_async_engine(url, pool_size=16, max_overflow=0)  # the server's pool size, no pre-ping
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_functions)
    return engine


@lru_cache(maxsize=256)
def _compiled(statement: str) -> sa.TextClause:
    return sa.text(statement)


class Floor:
    def __init__(self, database_url: str):
        self.database_url = database_url
        self.dialect = floor_sql.DIALECTS[sa.make_url(database_url).get_backend_name()]
        self.engine: AsyncEngine | None = None
        self.reader: AsyncEngine | None = None  # the engine in autocommit, as the server reads
        self.statements: dict[str, Callable[[dict], Statement | Awaitable[Statement]]] = {
            queries.PROJECT_PAGE: self._project_page,
            queries.PROJECT_DETAIL: self._project_detail,
            queries.SEARCH: self._search,
            queries.TIMELINE: self._timeline,
        }

    # --- one statement per query -----------------------------------------------------------------

    def _project_page(self, variables: dict) -> Statement:
        if not variables.get("after"):
            return floor_sql.project_page(self.dialect, 50, after=False), {}
        try:
            title, hex_id = orjson.loads(base64.urlsafe_b64decode(variables["after"]))
            after_id = self.dialect.uuid_value(uuid.UUID(hex_id))
        except (ValueError, TypeError, binascii.Error):
            raise BadRequest("after: not a cursor") from None
        statement = floor_sql.project_page(self.dialect, 50, after=True)
        return statement, {"after_title": title, "after_id": after_id}

    def _project_detail(self, variables: dict) -> Statement:
        try:
            type_name, _, node_id = base64.b64decode(variables["id"]).decode().partition(":")
            project_id = uuid.UUID(node_id)
        except (KeyError, ValueError, binascii.Error):
            raise BadRequest("id: not a global id") from None
        if type_name != "Project":
            raise BadRequest("id: the floor only knows projects")
        return floor_sql.project_detail(self.dialect), {"id": self.dialect.uuid_value(project_id)}

    async def _search(self, variables: dict) -> Statement:
        # Typo corrections need their own statement first, as on the server (its own builder:
        # the dictionary lookup is not what the floor measures, the ranked search is).
        words = list({word.folded: word for word in analyse(variables.get("query") or "")}.values())
        if not words:
            raise BadRequest("query: needs at least one letter or digit")
        candidates = correction_candidates(words, self.engine.dialect.name)
        if candidates is not None:
            async with self.reader.connect() as connection:
                rows = (await connection.execute(candidates)).all()
        return floor_sql.search(self.dialect, correct(words, rows if candidates is not None else []))

    def _timeline(self, variables: dict) -> Statement:
        start = PartialDate.parse(variables["from"]).lower if variables.get("from") else None
        end = PartialDate.parse(variables["to"]).upper if variables.get("to") else None
        return floor_sql.timeline(self.dialect, start, end)

    # --- HTTP ------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        path = scope["path"].rstrip("/")
        if path == "/graphql":
            status, body = await self._graphql(scope, receive)
        elif path == "/readyz":
            status, body = 200, await self._answer("SELECT '{\"status\": \"ok\"}'", {})
        else:
            status, body = 404, b'{"detail": "not found"}'
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.engine = _create_engine(self.database_url)
                self.reader = self.engine.execution_options(isolation_level="AUTOCOMMIT")
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.engine.dispose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _graphql(self, scope: Scope, receive: Receive) -> tuple[int, bytes]:
        try:
            if scope["method"] == "GET":
                params = parse_qs(scope["query_string"].decode("latin-1"))
                query = params.get("query", [""])[0]
                variables = orjson.loads(params.get("variables", ["{}"])[0] or "{}")
            else:
                payload = orjson.loads(await _read_body(receive))
                query, variables = payload.get("query", ""), payload.get("variables") or {}
            statement = self.statements.get(query)
            if statement is None:
                raise BadRequest("the floor answers only the benchmark's queries")
            built = statement(variables)
            return 200, await self._answer(*(await built if inspect.isawaitable(built) else built))
        except (BadRequest, orjson.JSONDecodeError) as exc:
            return 400, orjson.dumps({"errors": [{"message": str(exc)}]})

    async def _answer(self, statement: str, params: dict[str, Any]) -> bytes:
        async with self.reader.connect() as connection:
            body = await connection.scalar(_compiled(statement), params)
        return body.encode()


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def create_app() -> Floor:
    return Floor(os.environ["REGISTRY_DATABASE_URL"])
