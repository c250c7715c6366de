"""One HTTP request sent straight to an ASGI app, with no HTTP client or server around it.

For in-process measures of the app alone (bench/profile.py, the reference-cycle test): an HTTP
client's own objects and calls would be counted with the app's.
"""

import asyncio
from collections import deque

from starlette.types import ASGIApp, Message

from .workload import HttpRequest

__all__ = ["send_to_app"]


async def send_to_app(app: ASGIApp, request: HttpRequest, host: str = "localhost") -> tuple[int, bytes]:
    """The response's status and body."""
    path, _, query = request.target.partition("?")
    body = (request.body or "").encode()
    headers = [(b"host", host.encode())]
    for line in request.headers:
        name, _, value = line.partition(":")
        headers.append((name.strip().lower().encode(), value.strip().encode()))
    if request.body is not None:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": request.method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000), "server": (host, 80),
    }
    incoming = deque([{"type": "http.request", "body": body, "more_body": False}])
    sent: list[Message] = []

    async def receive() -> Message:
        if incoming:
            return incoming.popleft()
        await asyncio.Event().wait()  # the client stays connected until the response is sent
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(message.get("body", b"") for message in sent[1:])
