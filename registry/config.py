"""One settings object, read from `REGISTRY_*` environment variables (and `.env`)."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_ADMIN_SECRET", "Environment", "Settings", "settings"]

REPO_ROOT = Path(__file__).resolve().parent.parent


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"
    TEST = "test"


# Public: anyone may sign a session cookie with it, hence refused in production (registry/app.py).
DEFAULT_ADMIN_SECRET = "development-only-admin-secret-do-not-use-in-production"

Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", env_file=".env", extra="ignore")

    env: Environment = Field(Environment.DEVELOPMENT, description="development turns on GraphiQL")
    database_url: str = Field(
        "sqlite+aiosqlite:///./registry.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///… or postgresql+asyncpg://…",
    )
    database_pool_size: int = Field(16, ge=1, description="connections per worker (PostgreSQL)")
    database_echo: bool = Field(False, description="log every SQL statement")
    seed_dir: Path = Field(REPO_ROOT / "seed", description="folder of the seed YAML files")
    sources_dir: Path = Field(
        REPO_ROOT.parent / "shared" / "sources", description="folder of the source documents"
    )
    # ops: database timeouts and readiness
    database_connect_timeout: Seconds = Field(5.0, description="seconds to open a database connection")
    database_command_timeout: Seconds = Field(
        5.0, description="seconds one SQL statement may take (SQLite: waiting for another's lock)"
    )
    database_pool_timeout: Seconds = Field(
        5.0, description="seconds a request waits for a pooled connection (PostgreSQL)"
    )
    readyz_timeout: Seconds = Field(2.0, description="seconds /readyz waits for the database")
    # compat: the GraphQL executor
    executor: Literal["compiled", "fast", "strawberry"] = Field(
        "compiled",
        description="compiled: node lookups as one SQL statement returning the response (compiler.py), "
        "the rest as fast; fast: plain fields completed in one step (PlainFieldExecutor); "
        "strawberry: every field through Strawberry's own executor, a fallback",
    )
    # GraphQL limits (registry/graphql/core/limits.py)
    max_query_length: int = Field(65_536, ge=1, description="longest query text accepted, in characters")
    max_tokens: int = Field(2_000, ge=1, description="most tokens in a document, comments included")
    max_depth: int = Field(10, ge=1, description="deepest nesting of fields in an operation")
    max_aliases: int = Field(30, ge=0, description="most aliases in an operation, per fragment spread")
    max_fragment_spreads: int = Field(
        100, ge=0, description="most fragment spreads in an operation, counting those in the fragments spread"
    )
    max_field_repeats: int = Field(20, ge=1, description="most fields of one response name in a selection set")
    max_query_cost: int = Field(25_000, ge=1, description="most items the lists of a response may hold")
    query_cache_bytes: int = Field(
        64 * 1024 * 1024, ge=0, description="memory for parsed queries and their validation, per worker"
    )
    # http: the HTTP layer (registry/http/)
    max_request_body_bytes: int = Field(
        256 * 1024, ge=1, description="larger request bodies are refused with 413, counted while read"
    )
    response_cache_max_bytes: int = Field(
        64 * 1024 * 1024, ge=0, description="bytes of GET responses each worker keeps cached (0: none)"
    )
    trusted_hosts: list[str] = Field(
        ["localhost", "127.0.0.1"],
        description='Host headers served (JSON list, e.g. ["api.example.org"]; "*" for any), others get 400',
    )
    # writes: idempotency
    idempotency_ttl_hours: int = Field(
        24, ge=1, le=24 * 365, description="how long a stored response answers a retried Idempotency-Key"
    )
    idempotency_wait_seconds: float = Field(
        10, ge=0, le=300, description="how long a retry waits for the first attempt's response before "
        "answering that it is still in progress"
    )
    idempotency_takeover_seconds: int = Field(
        300, ge=1, le=24 * 3600, description="after this, a claim whose first attempt never finished "
        "(a crashed worker) may be taken over by a retry"
    )
    # export: `registry import` limits on the file it reads
    import_max_line_bytes: int = Field(
        1024 * 1024, ge=1, description="longest line `registry import` reads; a longer one is a problem"
    )
    import_max_lines: int = Field(
        2_000_000, ge=1, description="most lines `registry import` reads; a longer file is refused"
    )
    # admin: the web UI at /admin (registry/admin/)
    admin_secret: str = Field(
        DEFAULT_ADMIN_SECRET, min_length=32,
        description="signs admin session and CSRF cookies; production refuses to start with the default",
    )
    admin_session_seconds: int = Field(
        8 * 3600, ge=60, le=30 * 24 * 3600, description="an admin login lasts this long, then asks again"
    )
    admin_login_free_failures: int = Field(
        3, ge=1, le=100, description="failed admin logins per user and per address before each further "
        "attempt must wait"
    )
    admin_login_max_wait_seconds: int = Field(
        300, ge=1, le=24 * 3600, description="the longest wait imposed after repeated failed admin logins "
        "(the wait doubles with each failure up to this)"
    )
    # perf: the read path's per-request costs (issue #14)
    access_log: bool | None = Field(
        None,
        description="one log line per HTTP request (uvicorn's access log); unset: on, except in production",
    )

    @property
    def logs_access(self) -> bool:
        """Whether `registry serve` writes an access-log line per request. Off by default in
        production: the line is ~130,000 CPU instructions plus a write per request (bench/README.md),
        paid by every read the API serves, and a deployment behind a proxy or load balancer has
        its access log there; errors and warnings are logged either way."""
        return self.access_log if self.access_log is not None else self.env != Environment.PRODUCTION
    telemetry: bool = Field(
        False, description="FastAPI's native OpenTelemetry (request spans, metrics, logs through the global "
        "providers, once opentelemetry-sdk is installed and configured); false: off, and its check on every "
        "request skipped",
    )
    prepared_lane: bool = Field(
        True, description="answer repeated node(id:)/nodes(ids:) queries from their compiled statements, "
        "without the GraphQL machinery (registry/http/prepared.py); needs REGISTRY_EXECUTOR=compiled",
    )
    prepared_lane_plans: int = Field(
        256, ge=1, le=100_000, description="query texts the prepared lane keeps plans for, per worker "
        "(least recently used dropped first)",
    )
    # writes: GraphQL mutations, bulk upsert and API-key auth (registry/graphql/core/mutations.py, registry/http/auth.py)
    require_auth_for_read: bool = Field(
        False, description="true: every GraphQL request needs a live API key (reads too), else 401"
    )
    max_write_body_bytes: int = Field(
        4 * 1024 * 1024, ge=1, description="request body limit for POSTs carrying `Authorization: Bearer`: "
        "room for a bulkUpsert of 1,000 records (the key is checked before the body is read)"
    )
    bulk_max_rows: int = Field(
        20_000, ge=1, description="most rows (aliases, citations, participants…) one bulkUpsert may hold in all"
    )
    bulk_concurrency: int = Field(
        2, ge=1, le=64, description="bulkUpserts each worker runs at once (others wait their turn): bounds its memory"
    )
    search_concurrency: int = Field(
        4, ge=1, le=64, description="search and searchFacets fields each worker runs at once (others wait their turn)"
    )

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// (the async drivers)"
            )
        return url


settings = Settings()
