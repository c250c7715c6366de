"""Throw-away databases for tests: a SQLite file, or a PostgreSQL database created and dropped."""

import asyncio
import os
import uuid
from pathlib import Path

import asyncpg
import sqlalchemy as sa

POSTGRES_URL = os.environ.get("REGISTRY_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


def _asyncpg_dsn(url: sa.URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(sa.make_url(POSTGRES_URL)))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def create_database(backend: str, directory: Path) -> str:
    """A new empty database; returns its async SQLAlchemy URL."""
    name = f"registry_test_{uuid.uuid4().hex[:12]}"
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{directory / name}.db"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    return sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
        return
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
