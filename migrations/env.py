"""Alembic environment: async engine, batch mode on SQLite, the registry's metadata."""

import asyncio
import warnings

from alembic import context
from sqlalchemy.engine import Connection

from registry.config import settings
from registry.db import create_engine, is_sqlite
from registry.models import metadata

config = context.config
database_url = config.attributes.get("database_url") or settings.database_url

# Objects the migrations make by hand and models do not describe (SQLite's FTS5 search table
# and its shadow tables): `alembic check` must not report them as drift.
HAND_MADE_TABLE_PREFIXES = ("search_entry_fts", "search_term_fts")
# Search indexes 0010 and 0011 write by hand: a collation and CASE expressions autogenerate renders
# otherwise than PostgreSQL reflects them, and per-field trigram indexes PostgreSQL alone has.
HAND_MADE_INDEXES = {"ix_search_entry_ranking", *(f"ix_search_entry_{field}_terms"
                                                  for field in ("name", "alias", "description", "citation"))}


# SQLite cannot reflect expression indexes, so autogenerate skips comparing them (0004 writes
# them by hand): that is expected, not worth a warning on every `registry db check`.
warnings.filterwarnings("ignore", message="autogenerate skipping metadata-specified expression-based index")
warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index")


def include_name(name, type_, parent_names) -> bool:
    return not (type_ == "table" and name and name.startswith(HAND_MADE_TABLE_PREFIXES))


def include_object(object_, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "index" and name in HAND_MADE_INDEXES)


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=metadata,
        render_as_batch=is_sqlite(database_url),
        include_name=include_name,
        include_object=include_object,
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=database_url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    # no statement timeout: a migration may rightly run longer than any request
    engine = create_engine(database_url, connect_timeout=settings.database_connect_timeout)
    try:
        async with engine.connect() as async_connection:
            await async_connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
