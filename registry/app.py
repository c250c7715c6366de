"""The FastAPI application factory: `/graphql`, `/healthz`, `/readyz`."""

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import ClientDisconnect

from . import migrate
from .admin import mount_admin
from .config import DEFAULT_ADMIN_SECRET, Environment, Settings
from .config import settings as default_settings
from .db import create_engine, create_sessionmaker
from .graphql.context import Context, Slots
from .graphql.core.lookup_plans import LookupPlans
from .graphql.schema import schema
from .http import GraphQLHttpRouter, GraphQLResponseCache, RequestBodyLimit, SecurityHeaders
from .http.auth import Refusal, caller, request_id
from .http.prepared import PreparedLane
from .logs import describe_failure

__all__ = ["create_app"]

logger = logging.getLogger("registry.app")


_TELEMETRY_OFF = {"tracing": False, "metrics": False, "logs": False}


def _settle_heap() -> None:
    """Take what start-up built (modules, schema, pools) out of every later garbage collection.

    Sixteen nested requests in flight keep enough objects alive that CPython's collector runs
    many full passes, each walking every long-lived object: frozen, those are skipped. (Raising
    the first threshold as well cost 40–70 MB per worker for no measurable speed: bench/README.md.)
    """
    gc.collect()
    gc.freeze()


async def _warn_if_unreachable(engine: AsyncEngine) -> None:
    """Try one connection, so that a wrong or unreachable database is reported at start-up
    rather than by the first request; the app starts either way (/readyz says not ready)."""
    try:
        async with engine.connect():
            pass
    except Exception as exc:
        logger.warning(
            "database %s is unreachable at start-up (%s); serving anyway, /readyz reports not ready",
            engine.url.render_as_string(hide_password=True), describe_failure(exc),
        )


async def _client_disconnected(request: Request, _exc: ClientDisconnect) -> Response:
    # The client left before its request was read: no one to answer, and no fault of ours.
    logger.info("client disconnected before sending its whole request: %s %s",
                request.method, request.url.path)
    return Response(status_code=400)


async def _refused(_request: Request, refusal: Refusal) -> Response:
    return refusal.response


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or default_settings
    if settings.env == Environment.PRODUCTION and settings.admin_secret == DEFAULT_ADMIN_SECRET:
        # anyone could sign an admin session cookie with the public default
        raise RuntimeError("REGISTRY_ADMIN_SECRET is the development default: set a secret of 32+ characters")
    admin_sessions = create_sessionmaker(None)  # bound to the engine at start-up

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.database_url,
            pool_size=settings.database_pool_size,
            echo=settings.database_echo,
            connect_timeout=settings.database_connect_timeout,
            command_timeout=settings.database_command_timeout,
            pool_timeout=settings.database_pool_timeout,
        )
        app.state.engine = engine
        app.state.sessions = create_sessionmaker(engine)
        admin_sessions.configure(bind=engine)
        await _warn_if_unreachable(engine)
        _settle_heap()
        try:
            yield
        finally:
            await engine.dispose()

    development = settings.env == Environment.DEVELOPMENT
    app = FastAPI(
        title="Kazakhstan–Belarus cooperation registry",
        lifespan=lifespan,
        # FastAPI asks OpenTelemetry's global providers on every request whether to trace it (~1% of
        # a node lookup's CPU); with telemetry off it need not ask
        telemetry=None if settings.telemetry else _TELEMETRY_OFF,
        # the OpenAPI pages describe operations routes only, and load scripts from a CDN: development only
        docs_url="/docs" if development else None,
        redoc_url="/redoc" if development else None,
        openapi_url="/openapi.json" if development else None,
    )
    app.state.settings = settings
    app.add_exception_handler(ClientDisconnect, _client_disconnected)
    app.add_exception_handler(Refusal, _refused)

    slots = Slots.of(settings)  # one worker's, shared by its requests

    async def graphql_context(request: Request) -> AsyncIterator[Context]:
        context = Context(request.app.state.engine, settings, request_id=request_id(request),
                          sessions=request.app.state.sessions, slots=slots)
        try:
            # a bad key is refused here, the body unread; the key is looked up on the request's reads
            context.principal = await caller(request, context.reads, settings)
            yield context
        finally:
            await context.close()

    graphql = GraphQLHttpRouter(
        schema,
        context_getter=graphql_context,
        graphql_ide="graphiql" if development else None,
        allow_queries_via_get=True,
    )
    app.include_router(graphql, prefix="/graphql")
    mount_admin(app, settings, admin_sessions)
    if settings.prepared_lane and settings.executor == "compiled":
        # innermost: every middleware below holds for the requests it answers too
        app.state.lookup_plans = LookupPlans(settings.prepared_lane_plans)
        app.add_middleware(PreparedLane, path="/graphql", schema=schema, settings=settings,
                           plans=app.state.lookup_plans)
    # outermost last: every response gets the security headers, hosts are checked before the body
    # is read, and the body limit holds before the cache or GraphQL reads anything
    app.add_middleware(GraphQLResponseCache, path="/graphql", max_bytes=settings.response_cache_max_bytes)
    app.add_middleware(RequestBodyLimit, max_bytes=settings.max_request_body_bytes,
                       max_bytes_with_key=settings.max_write_body_bytes)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.trusted_hosts)
    app.add_middleware(SecurityHeaders)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """The process is alive (no database call)."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"])
    async def readyz() -> JSONResponse:
        """The database answers and its schema is at the newest migration."""
        try:
            async with asyncio.timeout(settings.readyz_timeout):
                current = await migrate.current_revision(app.state.engine)
        except Exception as exc:  # any failure to reach the database means "not ready"
            # The driver's words (host names, user names, server versions) go to the log, not to
            # whoever asks: /readyz is as public as the rest of the API.
            logger.warning("/readyz: database unreachable: %s", describe_failure(exc))
            return JSONResponse({"status": "unavailable", "reason": "database unreachable"}, 503)
        head = migrate.head_revision()
        if current != head:
            reason = f"database at migration {current or 'none'}, code expects {head}: run `registry db upgrade`"
            return JSONResponse({"status": "unavailable", "reason": reason}, 503)
        return JSONResponse({"status": "ok", "migration": current})

    return app
