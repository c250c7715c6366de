"""HTTP caching of GraphQL GET requests, keyed on the registry's data version.

Every committed write adds a change_log row, so the highest change id is a version of all
the data; on PostgreSQL, where a smaller id may commit after a greater one (registry.services.
changes), the version also names the write transactions still in flight, so that it moves when
any of them commits. For a GET query this middleware reads that version first (one indexed
statement), then:
- serves a response cached in this process under (version, response media type, caller's
  credentials, and the query, variables, operationName and extensions exactly as sent), running
  nothing, or 304 when `If-None-Match` matches the version;
- otherwise runs the query, keeps a clean 200 under that key, and answers 304 instead of it
  when `If-None-Match` matches: a conditional request is only answered once the request is known
  good, so a syntax error or a mutation sent with the current ETag still gets its 4xx.
The version is read before the query runs, so a cached response holds data at least as new
as its key: no worker serves data older than the last write completed before the request
began, and a write in between costs one extra execution, never a stale answer.
A request repeating a GraphQL parameter is not looked up (the router refuses it), and only 200s
are kept, so a mutation, refused over GET with 405, is never cached. A request carrying an API
key is never served from the cache either: its key is checked on every request (a revoked key
is refused at once, not once the data changes), so it always runs.
"""

import hashlib
from collections import OrderedDict
from urllib.parse import parse_qsl

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..db import is_database_outage
from ..models import ChangeLog
from .protocol import etag_matches, response_media_type, unavailable_response
from .router import GRAPHQL_PARAMETERS

__all__ = ["GraphQLResponseCache", "ResponseCache", "data_version"]

MAX_CACHED_BODY = 1 << 20
MAX_ENTRIES = 2048


_VERSION = {
    # with the ids of the transactions the snapshot sees running (read-only ones have none)
    "postgresql": sa.text(
        "SELECT coalesce(max(id), 0), (SELECT string_agg(xid::text, ',' ORDER BY xid) "
        "FROM pg_snapshot_xip(pg_current_snapshot()) AS xid) FROM change_log"),
    "sqlite": sa.select(sa.func.coalesce(sa.func.max(ChangeLog.id), 0), sa.null()),
}


async def data_version(engine: AsyncEngine) -> str:
    """The highest change id, and on PostgreSQL the write transactions in flight: "1234" when
    none is, else "1234-" and a digest of their ids (any of them may hold a smaller id)."""
    # autocommit: one round trip, not BEGIN, SELECT and ROLLBACK (this runs on every cached GET);
    # set on the connection, as an engine option it would build an engine (and cycles) per call
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        highest, in_flight = (await connection.execute(_VERSION[engine.dialect.name])).one()
    if not in_flight:
        return str(highest)
    digest = hashlib.sha256(in_flight.encode()).hexdigest()[:16]
    return f"{highest}-{digest}"


def _cost(key: tuple, body: bytes) -> int:
    """Bytes an entry holds: its body and the texts of its key (a query may be long too)."""
    return len(body) + sum(len(part) for part in key if isinstance(part, str))


class ResponseCache:
    """An LRU of response bodies bounded in entries and in bytes; older data versions age out."""

    def __init__(self, max_bytes: int, max_entries: int = MAX_ENTRIES):
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.size = 0  # bytes held, by `_cost`
        self._entries: OrderedDict[tuple, bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple) -> bytes | None:
        body = self._entries.get(key)
        if body is not None:
            self._entries.move_to_end(key)
        return body

    def put(self, key: tuple, body: bytes) -> None:
        cost = _cost(key, body)
        if cost > self.max_bytes:
            return
        if (replaced := self._entries.pop(key, None)) is not None:
            self.size -= _cost(key, replaced)
        self._entries[key] = body
        self.size += cost
        while len(self._entries) > self.max_entries or self.size > self.max_bytes:
            old_key, old_body = self._entries.popitem(last=False)
            self.size -= _cost(old_key, old_body)


def _request_key(scope: Scope, headers: Headers, media_type: str) -> tuple | None:
    """What decides the response besides the data version: the GraphQL parameters exactly as
    the router will run them, the media type and the caller; None when the router would refuse
    the request (a repeated parameter) or there is no query (the GraphiQL page)."""
    sent: dict[str, str] = {}
    # parsed as Starlette parses `request.query_params`, which the router reads
    for name, value in parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True):
        if name in GRAPHQL_PARAMETERS:
            if name in sent:
                return None
            sent[name] = value
    if "query" not in sent:
        return None
    credentials = headers.get("authorization") or headers.get("x-api-key") or ""
    return (
        media_type,
        hashlib.sha256(credentials.encode()).hexdigest() if credentials else "",
        *(sent.get(name) for name in GRAPHQL_PARAMETERS),
    )


class GraphQLResponseCache:
    def __init__(self, app: ASGIApp, *, path: str = "/graphql", max_bytes: int):
        self.app = app
        self.path = path
        self.cache = ResponseCache(max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].rstrip("/") != self.path:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if "authorization" in headers:  # checked on every request by the router: see above
            await self.app(scope, receive, send)
            return
        media_type = response_media_type(headers.get("accept"))
        request_key = _request_key(scope, headers, media_type) if media_type is not None else None
        if request_key is None:  # the router answers: the GraphiQL page, 400 or 406
            await self.app(scope, receive, send)
            return
        try:
            version = await data_version(scope["app"].state.engine)
        except Exception as error:
            if not is_database_outage(error):
                raise
            await unavailable_response(media_type)(scope, receive, send)
            return
        etag = f'W/"{version}"'
        common = [
            (b"etag", etag.encode()), (b"cache-control", b"no-cache"), (b"vary", b"authorization, x-api-key"),
        ]
        not_modified = etag_matches(headers.get("if-none-match"), etag)
        key = (version, *request_key)

        if (body := self.cache.get(key)) is not None:  # this request had a clean 200 at this version
            if not_modified:
                await _send_not_modified(send, common)
                return
            length = str(len(body)).encode()
            await send({"type": "http.response.start", "status": 200, "headers": [
                *common, (b"content-type", media_type.encode()), (b"content-length", length)]})
            await send({"type": "http.response.body", "body": body})
            return

        # A 200's start is held until its body is complete: a clean one is cached, and becomes a
        # 304 when the client holds the current version. A body too large to keep is passed on.
        held_start: Message | None = None
        chunks: list[bytes] = []
        held_bytes = 0

        async def keep_or_revalidate(message: Message) -> None:
            nonlocal held_start, held_bytes
            if message["type"] == "http.response.start" and message["status"] == 200:
                response_headers = MutableHeaders(scope=message)
                for name, value in common:
                    response_headers[name.decode()] = value.decode()
                held_start = message
                return
            if held_start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            held_bytes += len(chunks[-1])
            if held_bytes > MAX_CACHED_BODY:  # too large to cache: pass everything on
                await send(held_start)
                await send({**message, "body": b"".join(chunks)})
                held_start = None
                return
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            # errors may be passing (an outage, a bad argument): only clean answers are kept
            if b'"errors"' not in body:
                self.cache.put(key, body)
                if not_modified:
                    await _send_not_modified(send, common)
                    return
            await send(held_start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, keep_or_revalidate)


async def _send_not_modified(send: Send, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": 304, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
