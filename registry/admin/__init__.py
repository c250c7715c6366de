"""The admin web UI at /admin (sqladmin): login, CSRF, a view per kind, change log, API keys, dashboard."""

from pathlib import Path

from fastapi import FastAPI
from sqladmin import Admin
from sqladmin.authentication import login_required
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import Settings
from .auth import AdminAuth
from .csrf import FormCSRFMiddleware
from .dashboard import dashboard_context
from .views import ENTITY_VIEWS, ApiKeysView, ChangeLogView, CountryView

__all__ = ["mount_admin"]

HERE = Path(__file__).parent
# Everything the admin loads is served by itself (sqladmin ships its assets): no CDN, no internet.
ADMIN_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
             "font-src 'self' data:; script-src 'self'; frame-ancestors 'none'; form-action 'self'")


class AdminHeaders:
    """The admin's CSP (scripts and styles of its own origin; the API's is `default-src 'none'`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"content-security-policy", ADMIN_CSP.encode()))
            await send(message)

        await self.app(scope, receive, with_headers)


class RegistryAdmin(Admin):
    @login_required
    async def index(self, request: Request) -> Response:
        async with self.session_maker() as session:
            context = await dashboard_context(session)
        return await self.templates.TemplateResponse(request, "registry_admin/dashboard.html", context)


def mount_admin(app: FastAPI, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> Admin:
    """Mount the admin on `app` at /admin; `sessions` is bound to the engine when the app starts."""
    auth = AdminAuth(settings, sessions)
    admin = RegistryAdmin(
        app, session_maker=sessions, base_url="/admin", title="KZ–BY registry admin",
        templates_dir=str(HERE / "templates"), authentication_backend=auth,
        middlewares=[Middleware(AdminHeaders), Middleware(FormCSRFMiddleware, secret=settings.admin_secret)],
    )
    auth.templates = admin.templates
    admin.admin.router.routes.insert(0, Mount("/assets", StaticFiles(directory=HERE / "assets"), name="assets"))
    for view in [*ENTITY_VIEWS, CountryView, ChangeLogView, ApiKeysView]:
        admin.add_view(view)
    return admin
