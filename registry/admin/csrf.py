"""CSRF for the admin: starlette-csrf's double-submit cookie, also read from a form field.

starlette-csrf only reads its token from a header, which scripts can set but plain HTML form
posts (every sqladmin form) cannot. This subclass also accepts the token as the `csrf_token`
field of a urlencoded or multipart body: the body is read once (already bounded by
RequestBodyLimit), then handed on unchanged. The token gets into forms and jQuery requests
through assets/csrf.js, which copies it from the cookie.
"""

import re

from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send
from starlette_csrf import CSRFMiddleware

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "FormCSRFMiddleware"]

CSRF_COOKIE = "registry_admin_csrf"
CSRF_FIELD = "csrf_token"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_BODY = "registry.csrf_body"


class FormCSRFMiddleware(CSRFMiddleware):
    def __init__(self, app, secret: str) -> None:
        super().__init__(
            app, secret, cookie_name=CSRF_COOKIE, cookie_path="/admin", cookie_samesite="strict",
            # csrf.js reads it to copy it into forms: it guards nothing by being secret from scripts
            cookie_httponly=False,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in self.safe_methods:
            await super().__call__(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        scope.setdefault("state", {})[_BODY] = body
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await super().__call__(scope, replay, send)

    async def _get_submitted_csrf_token(self, request: Request) -> str | None:
        header = request.headers.get(self.header_name)
        if header:
            return header
        if not request.headers.get("content-type", "").startswith(_FORM_TYPES):
            return None
        body = request.scope.get("state", {}).get(_BODY, b"")

        async def once() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        form = await Request(request.scope, once).form()
        token = form.get(CSRF_FIELD)
        return token if isinstance(token, str) and re.fullmatch(r"[\w.\-]{1,400}", token) else None
