"""Pure ASGI middleware: the request body limit and the headers every response carries."""

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .protocol import error_response

__all__ = ["RequestBodyLimit", "SecurityHeaders"]

# No page of this API needs to load anything, run a script or be framed; GraphiQL sets its own.
STRICT_CSP = "default-src 'none'; frame-ancestors 'none'"


class _BodyTooLarge(Exception):
    pass


class RequestBodyLimit:
    """413 for a request body over `max_bytes`: refused up front by its Content-Length, and
    counted while it is read (a chunked body, or one longer than it said), never buffered whole.

    A POST carrying `Authorization: Bearer` may send up to `max_bytes_with_key` (a bulk upsert):
    the key is checked before the body is read (`http/auth.py`), so a wrong one costs no more."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_bytes_with_key: int | None = None):
        self.app = app
        self.max_bytes = max_bytes
        self.max_bytes_with_key = max(max_bytes, max_bytes_with_key or max_bytes)

    def _limit(self, scope: Scope, headers: Headers) -> int:
        keyed = scope["method"] == "POST" and headers.get("authorization", "")[:7].lower() == "bearer "
        return self.max_bytes_with_key if keyed else self.max_bytes

    @staticmethod
    def _too_large(limit: int) -> ASGIApp:
        return error_response(413, f"request body: larger than {limit} bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self._limit(scope, headers)
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await error_response(400, "Content-Length: not a number of bytes")(scope, receive, send)
                return
            if int(declared) > limit:
                await self._too_large(limit)(scope, receive, send)
                return
        received = 0
        response_started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except _BodyTooLarge:
            if response_started:
                raise
            await self._too_large(limit)(scope, receive, send)


class SecurityHeaders:
    """`X-Content-Type-Options: nosniff` and, unless the response set its own, a strict CSP."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers.setdefault("Content-Security-Policy", STRICT_CSP)
            await send(message)

        await self.app(scope, receive, send_with_headers)
