"""One settings object, read from `REGISTRY_*` environment variables (and `.env`)."""

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Environment", "Settings", "settings"]

REPO_ROOT = Path(__file__).resolve().parent.parent


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"
    TEST = "test"


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

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// (the async drivers)"
            )
        return url

    # compat: the GraphQL executor
    executor: Literal["fast", "strawberry"] = Field(
        "fast",
        description="fast: plain fields completed in one step (PlainFieldExecutor); "
        "strawberry: every field through Strawberry's own executor, a fallback",
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


settings = Settings()
