"""One settings object, read from `REGISTRY_*` environment variables (and `.env`)."""

from enum import StrEnum
from pathlib import Path

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

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// (the async drivers)"
            )
        return url


settings = Settings()
