"""Which database the benchmark uses, and wiping it so every run starts from the same state."""

import asyncio
import os
from pathlib import Path

import asyncpg
import sqlalchemy as sa

from registry.db import is_sqlite

__all__ = [
    "BENCH_DIR", "POSTGRAPHILE_DIR", "RESULTS_DIR", "asyncpg_dsn", "bench_database_url", "recreate_database",
]

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"  # gitignored
POSTGRAPHILE_DIR = BENCH_DIR / "postgraphile"  # its package.json; node_modules gitignored
POSTGRES_URL = os.environ.get(
    "REGISTRY_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/registry_bench"
)
SQLITE_URL = f"sqlite+aiosqlite:///{RESULTS_DIR / 'registry_bench.db'}"


def bench_database_url(database: str = "postgres", url: str | None = None) -> str:
    """An explicit URL wins; else `postgres` (REGISTRY_BENCH_DATABASE_URL or its default) or `sqlite`."""
    if url:
        return url
    return SQLITE_URL if database == "sqlite" else POSTGRES_URL


def asyncpg_dsn(url: str | sa.URL) -> str:
    """The SQLAlchemy URL as a plain asyncpg DSN."""
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def recreate_database(url: str) -> None:
    """Drop the database (or SQLite file) if it exists and create it empty."""
    parsed = sa.make_url(url)
    if is_sqlite(url):
        path = Path(parsed.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    asyncio.run(_recreate_postgres(parsed))


async def _recreate_postgres(url: sa.URL) -> None:
    # CREATE/DROP DATABASE cannot run inside the database itself: go through the maintenance one.
    connection = await asyncpg.connect(asyncpg_dsn(url.set(database="postgres")))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{url.database}"')
    finally:
        await connection.close()
