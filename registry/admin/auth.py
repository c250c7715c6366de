"""Admin login: sessions in a signed cookie, users checked against the database on every request.

sqladmin provides the login/logout pages and asks an AuthenticationBackend; this is that backend.
"""

import time
from collections import OrderedDict
from dataclasses import dataclass

from sqladmin.authentication import AuthenticationBackend
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ..config import Settings
from ..models import AdminUser
from ..services import admin_users

__all__ = ["SESSION_COOKIE", "AdminAuth", "LoginThrottle", "current_actor"]

SESSION_COOKIE = "registry_admin_session"
MAX_USERNAME_LENGTH = 100


class _SessionsBySchemes:
    """Starlette's SessionMiddleware with the cookie's Secure flag set exactly when the request came
    over HTTPS: its own `https_only` is fixed at start-up, and a Secure cookie on plain HTTP (a
    laptop, the tests) would never be sent back."""

    def __init__(self, app: ASGIApp, **options) -> None:
        self.plain = SessionMiddleware(app, https_only=False, **options)
        self.secure = SessionMiddleware(app, https_only=True, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chosen = self.secure if scope.get("scheme") in ("https", "wss") else self.plain
        await chosen(scope, receive, send)


@dataclass(slots=True)
class _Failures:
    count: int
    last: float


class LoginThrottle:
    """Failed logins per user name and per client address; past `free` failures each further
    attempt waits 2, 4, 8… seconds (up to `max_wait`) after the last failure.

    Kept in process memory, bounded to `capacity` keys (the least recently failed are forgotten),
    rather than in the database: an attacker can send any number of user names and addresses, and
    a table row per one would be a write per attempt and a table they can grow. The cost: each
    worker counts on its own and a restart forgets. With argon2 on every attempt and the doubling
    wait, guessing stays at a handful of tries per minute per worker.
    """

    def __init__(self, free: int, max_wait: float, capacity: int = 10_000) -> None:
        self.free, self.max_wait, self.capacity = free, max_wait, capacity
        self._failures: OrderedDict[tuple[str, str], _Failures] = OrderedDict()

    def wait_left(self, keys: list[tuple[str, str]], now: float | None = None) -> float:
        """Seconds before another attempt under any of `keys` is heard; 0 when it may go now."""
        now = time.monotonic() if now is None else now
        waits = [0.0]
        for key in keys:
            failures = self._failures.get(key)
            if failures and failures.count >= self.free:
                wait = min(self.max_wait, 2.0 ** (failures.count - self.free + 1))
                waits.append(failures.last + wait - now)
        return max(waits)

    def failed(self, keys: list[tuple[str, str]], now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for key in keys:
            failures = self._failures.pop(key, None) or _Failures(0, now)
            if now - failures.last > 2 * self.max_wait:
                failures.count = 0  # long quiet: start over
            failures.count += 1
            failures.last = now
            self._failures[key] = failures
        while len(self._failures) > self.capacity:
            self._failures.popitem(last=False)

    def succeeded(self, user_key: tuple[str, str]) -> None:
        self._failures.pop(user_key, None)


def current_actor(request: Request) -> str:
    """The change-log actor of the logged-in admin user (set by AdminAuth.authenticate)."""
    return f"admin:{request.state.admin_username}"


class AdminAuth(AuthenticationBackend):
    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        # not super().__init__: that adds a SessionMiddleware without per-scheme Secure cookies
        self.middlewares = [Middleware(
            _SessionsBySchemes, secret_key=settings.admin_secret, session_cookie=SESSION_COOKIE,
            max_age=settings.admin_session_seconds, path="/admin", same_site="strict",
        )]
        self.sessions = sessions
        self.lifetime = settings.admin_session_seconds
        self.throttle = LoginThrottle(settings.admin_login_free_failures, settings.admin_login_max_wait_seconds)
        self.templates = None  # sqladmin's, set when the admin is built: the login page shows the wait

    async def login(self, request: Request) -> Response | bool:
        form = await request.form()
        username, password = str(form.get("username", ""))[:MAX_USERNAME_LENGTH], str(form.get("password", ""))
        address = request.client.host if request.client else "unknown"
        keys = [("user", username.casefold()), ("address", address)]
        wait = self.throttle.wait_left(keys)
        if wait > 0:
            return await self.templates.TemplateResponse(
                request, "sqladmin/login.html",
                {"error": f"Too many failed logins: try again in {int(wait) + 1} seconds."}, status_code=429,
            )
        async with self.sessions() as session, session.begin():
            user = await admin_users.check_login(session, username, password)
        if user is None:
            self.throttle.failed(keys)
            return False
        self.throttle.succeeded(keys[0])
        request.session.clear()
        request.session.update({"user_id": user.id, "since": time.time()})
        return True

    async def logout(self, request: Request) -> Response | bool:
        request.session.clear()
        return False  # sqladmin then redirects to the login page

    async def authenticate(self, request: Request) -> bool:
        user_id, since = request.session.get("user_id"), request.session.get("since", 0)
        # The cookie's max_age slides with every response; this bounds a login's whole life.
        if not isinstance(user_id, int) or time.time() - since > self.lifetime:
            request.session.clear()
            return False
        async with self.sessions() as session:
            user = await session.get(AdminUser, user_id)
        if user is None or user.disabled:
            request.session.clear()
            return False
        request.state.admin_username = user.username
        return True
