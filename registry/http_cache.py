"""HTTP caching of GraphQL GET requests: an ETag from the registry's data version.

Every committed write adds a change_log row, so the highest change id is a version of all
the data. A GET whose If-None-Match carries the current version gets 304 without running
the query. The version is read before the query runs: if a write lands in between, the
response is labelled with the older version, which costs one extra refetch, never a stale hit.
"""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .models import ChangeLog

__all__ = ["ETagMiddleware", "data_version"]


async def data_version(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return await connection.scalar(sa.select(sa.func.coalesce(sa.func.max(ChangeLog.id), 0)))


class ETagMiddleware:
    def __init__(self, app: ASGIApp, path: str = "/graphql"):
        self.app = app
        self.path = path

    def _applies(self, scope: Scope) -> bool:
        return (
            scope["type"] == "http" and scope["method"] == "GET" and scope["path"].rstrip("/") == self.path
            and b"query=" in scope.get("query_string", b"")
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._applies(scope):
            await self.app(scope, receive, send)
            return
        etag = f'W/"{await data_version(scope["app"].state.engine)}"'
        if etag in Headers(scope=scope).get("if-none-match", ""):
            await send({"type": "http.response.start", "status": 304,
                        "headers": [(b"etag", etag.encode()), (b"cache-control", b"no-cache")]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_etag(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = MutableHeaders(scope=message)
                headers["ETag"] = etag
                headers["Cache-Control"] = "no-cache"  # may be stored, must be revalidated
            await send(message)

        await self.app(scope, receive, send_with_etag)
