"""HTTP caching of GraphQL GET requests, keyed on the registry's data version.

Every committed write adds a change_log row, so the highest change id is a version of all
the data. For a GET query this middleware reads that version first (one indexed statement),
then:
- answers `If-None-Match` carrying the current version with 304, running nothing;
- serves a response cached in this process under (version, normalised query, variables,
  operation, caller's credentials), running nothing;
- otherwise runs the query and keeps the response under that key.
The version is read before the query runs, so a cached response holds data at least as new
as its key: no worker serves data older than the last write completed before the request
began, and a write in between costs one extra execution, never a stale answer.
"""

import hashlib
import json
from collections import OrderedDict
from urllib.parse import parse_qs

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .models import ChangeLog

__all__ = ["GraphQLHttpCache", "ResponseCache", "data_version"]

MAX_CACHED_BODY = 1 << 20


async def data_version(engine: AsyncEngine) -> int:
    # autocommit: one round trip, not BEGIN, SELECT and ROLLBACK (this runs on every cached GET)
    async with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
        return await connection.scalar(sa.select(sa.func.coalesce(sa.func.max(ChangeLog.id), 0)))


class ResponseCache:
    """A bounded LRU of response bodies; entries of older data versions simply age out."""

    def __init__(self, max_entries: int = 2048):
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, bytes] = OrderedDict()

    def get(self, key: tuple) -> bytes | None:
        body = self._entries.get(key)
        if body is not None:
            self._entries.move_to_end(key)
        return body

    def put(self, key: tuple, body: bytes) -> None:
        self._entries[key] = body
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


def _request_key(scope: Scope, headers: Headers) -> tuple | None:
    """The query, variables and operation as the cache sees them; None when they are not parseable."""
    params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    query = " ".join(params.get("query", [""])[0].split())
    try:
        variables = json.loads(params.get("variables", ["{}"])[0] or "{}")
    except ValueError:
        return None
    credentials = headers.get("authorization") or headers.get("x-api-key") or ""
    return (
        query,
        json.dumps(variables, sort_keys=True, separators=(",", ":")),
        params.get("operationName", [""])[0],
        hashlib.sha256(credentials.encode()).hexdigest() if credentials else "",
    )


class GraphQLHttpCache:
    def __init__(self, app: ASGIApp, path: str = "/graphql", max_entries: int = 2048):
        self.app = app
        self.path = path
        self.cache = ResponseCache(max_entries)

    def _applies(self, scope: Scope) -> bool:
        return (
            scope["type"] == "http" and scope["method"] == "GET" and scope["path"].rstrip("/") == self.path
            and b"query=" in scope.get("query_string", b"")
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._applies(scope):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        version = await data_version(scope["app"].state.engine)
        etag = f'W/"{version}"'
        common = [(b"etag", etag.encode()), (b"cache-control", b"no-cache"), (b"vary", b"authorization, x-api-key")]
        if etag in headers.get("if-none-match", ""):
            await send({"type": "http.response.start", "status": 304, "headers": common})
            await send({"type": "http.response.body", "body": b""})
            return

        request_key = _request_key(scope, headers)
        key = (version, *request_key) if request_key is not None else None
        if key is not None and (body := self.cache.get(key)) is not None:
            await send({"type": "http.response.start", "status": 200, "headers": [
                *common, (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return

        status, chunks = 0, []

        async def send_and_keep(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if status == 200:
                    response_headers = MutableHeaders(scope=message)
                    for name, value in common:
                        response_headers[name.decode()] = value.decode()
            elif message["type"] == "http.response.body" and status == 200:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    body = b"".join(chunks)
                    # errors may be passing (an unreachable database): only clean answers are kept
                    if key is not None and len(body) <= MAX_CACHED_BODY and b'"errors"' not in body:
                        self.cache.put(key, body)
            await send(message)

        await self.app(scope, receive, send_and_keep)
