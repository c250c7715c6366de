"""The loaders' statements on asyncpg's own connection: the same rows as through SQLAlchemy (enum
columns as their stored values, which `build` turns into members), and the same objects."""

import asyncpg
import pytest
import sqlalchemy as sa

from registry.db import DriverStatement, StatementLog, create_engine
from registry.graphql.context import Context
from registry.graphql.core.dataloaders import _attached_to, _by_key
from registry.graphql.core.types import AliasType, CitationType, build
from registry.graphql.organizations.types import OrganizationType
from registry.graphql.projects.types import ProjectType
from registry.models import Alias, Citation, metadata
from registry.models.enums import EntityType

TABLES_WITH_IDS = sorted(name for name, table in metadata.tables.items() if "id" in table.c)


def _typed(rows) -> list[dict]:
    """Rows with each value's type beside it: a value of another type would compare unequal."""
    return [{key: (value, type(value)) for key, value in dict(row).items()} for row in rows]


def _as_sqlalchemy_reads(statement: sa.Select, records) -> list[dict]:
    """Driver records with enum columns turned into members, as `build` turns them (SQLAlchemy's
    only result processing on this schema); everything else must already be what SQLAlchemy reads."""
    enums = {column.key: column.type.enum_class for column in statement.selected_columns
             if isinstance(column.type, sa.Enum)}
    return [{key: enums[key](value) if key in enums and value is not None else value
             for key, value in dict(record).items()} for record in records]


@pytest.fixture
async def postgres_engine(seeded_database):
    if not seeded_database.startswith("postgresql+asyncpg"):
        pytest.skip("DriverStatement runs on asyncpg's connection only; SQLite reads through SQLAlchemy")
    engine = create_engine(seeded_database)
    yield engine
    await engine.dispose()


async def _both(engine, statement: sa.Select, keys: list) -> tuple[list, list]:
    async with engine.connect() as connection:
        through_sqlalchemy = (await connection.execute(statement, {"keys": keys})).mappings().all()
        driver = (await connection.get_raw_connection()).driver_connection
        records = await DriverStatement(statement, engine.dialect).fetch(driver, {"keys": keys})
    return _typed(through_sqlalchemy), _typed(_as_sqlalchemy_reads(statement, records))


@pytest.mark.parametrize("table_name", TABLES_WITH_IDS)
async def test_rows_by_key_match_sqlalchemys_but_for_enum_members(postgres_engine, table_name):
    table = metadata.tables[table_name]
    async with postgres_engine.connect() as connection:
        keys = list((await connection.execute(sa.select(table.c.id))).scalars())
    ours, theirs = await _both(postgres_engine, _by_key(table, "id", "postgresql", ordered=True), keys)
    assert theirs == ours
    if table_name in ("organization", "project", "figure", "citation", "source"):
        assert ours, f"the seed has {table_name} rows: the comparison must not be vacuous"


@pytest.mark.parametrize("table", [Citation.__table__, Alias.__table__], ids=["citation", "alias"])
@pytest.mark.parametrize("subject_type", [EntityType.ORGANIZATION, EntityType.PROJECT, EntityType.PERSON])
async def test_attached_rows_bind_the_fixed_enum_like_sqlalchemy(postgres_engine, table, subject_type):
    async with postgres_engine.connect() as connection:
        keys = list((await connection.execute(
            sa.select(table.c.subject_id).where(table.c.subject_type == subject_type).distinct()
        )).scalars())
    assert keys
    ours, theirs = await _both(postgres_engine, _attached_to(table, subject_type, "postgresql"), keys)
    assert theirs == ours and ours


async def test_statement_log_counts_driver_statements(postgres_engine):
    prepared = DriverStatement(_by_key(metadata.tables["country"], "code", "postgresql"), postgres_engine.dialect)
    async with postgres_engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        # warm: the pool's connection set up, asyncpg's type introspection for the array done
        await prepared.fetch(driver, {"keys": ["KZ"]})
    with StatementLog(postgres_engine) as log:
        # in autocommit, as the read path runs: no BEGIN/ROLLBACK (the log would count them too)
        async with postgres_engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert [row["name"] for row in await prepared.fetch(driver, {"keys": ["KZ"]})] == ["Kazakhstan"]
            await prepared.fetch(driver, {"keys": ["BY"]})
            await connection.execute(sa.select(1))
        statements = await log.settled()
    assert statements.count(prepared.sql) == 2 and len(statements) == 3, statements


async def test_the_statement_log_counts_an_executemany_once(postgres_engine):
    """SQLAlchemy runs it through asyncpg's `executemany`, which asyncpg's query logger sees too."""
    table = sa.table("many", sa.column("n"))
    with StatementLog(postgres_engine) as log:
        async with postgres_engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
            await connection.execute(sa.text("CREATE TEMPORARY TABLE many (n int)"))
            await connection.execute(sa.insert(table), [{"n": 1}, {"n": 2}])
            await connection.execute(sa.insert(table), [{"n": 3}, {"n": 4}])
        statements = await log.settled()
    assert len(statements) == 3 and statements[1] == statements[2], statements


@pytest.mark.parametrize("through_sqlalchemy_too", [False, True], ids=["driver only", "and SQLAlchemy"])
async def test_a_connection_lost_under_a_driver_statement_is_not_reused(postgres_engine, through_sqlalchemy_too):
    """Whether the request's connection was taken for the driver alone or SQLAlchemy ran a
    statement on it too (then a Connection wraps it)."""
    statement = _by_key(metadata.tables["country"], "code", "postgresql")
    url = postgres_engine.url
    engine = create_engine(url.render_as_string(hide_password=False), pool_size=1)  # one connection
    try:
        context = Context(engine)
        await context.fetch_fixed(statement, {"keys": ["KZ"]})
        if through_sqlalchemy_too:
            pid = await context.scalar(sa.select(sa.func.pg_backend_pid()))
        else:
            pid = context.reads._driver.get_server_pid()
        admin = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        # asyncpg reports it as the server's shutdown error or, if the statement was already on
        # its way, as a protocol or connection error
        with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError)):
            await context.fetch_fixed(statement, {"keys": ["BY"]})
        await context.close()
        assert engine.pool.checkedout() == 0

        context = Context(engine)  # the pool's only connection must be a new one
        rows = await context.fetch_fixed(statement, {"keys": ["BY"]})
        assert [row["name"] for row in rows] == ["Belarus"]
        assert await context.scalar(sa.select(sa.func.pg_backend_pid())) != pid
        await context.close()
    finally:
        await engine.dispose()


@pytest.mark.parametrize("cls", [ProjectType, OrganizationType, CitationType, AliasType], ids=lambda c: c.__name__)
async def test_objects_built_from_driver_records_equal_those_from_sqlalchemy_rows(postgres_engine, cls):
    statement = _by_key(cls.MODEL.__table__, "id", "postgresql", ordered=True)
    async with postgres_engine.connect() as connection:
        keys = list((await connection.execute(sa.select(cls.MODEL.__table__.c.id))).scalars())
        rows = (await connection.execute(statement, {"keys": keys})).mappings().all()
        driver = (await connection.get_raw_connection()).driver_connection
        records = await DriverStatement(statement, postgres_engine.dialect).fetch(driver, {"keys": keys})
    assert rows
    from_records = _typed(vars(build(cls, record)) for record in records)
    assert from_records == _typed(vars(build(cls, row)) for row in rows)


async def test_a_requests_reads_never_hold_a_transaction_open(postgres_engine):
    """Statements on asyncpg's own connection begin none; autocommit is set on the connection only
    once SQLAlchemy runs a statement on it, so that one cannot begin one either."""
    context = Context(postgres_engine)
    try:
        await context.fetch_fixed(_by_key(metadata.tables["country"], "code", "postgresql"), {"keys": ["KZ"]})
        driver = context.reads._driver
        assert not driver.is_in_transaction()
        assert (await context.reads.fetch(sa.select(sa.literal(1).label("one")))) == [{"one": 1}]
        assert not driver.is_in_transaction()
    finally:
        await context.close()


async def test_a_request_checks_out_one_connection_whichever_reads_first(postgres_engine):
    """Taken from the pool for the driver's statements, the same connection serves SQLAlchemy's
    that follow, and goes back to the pool once, reset."""
    statement = _by_key(metadata.tables["country"], "code", "postgresql")
    context = Context(postgres_engine)
    try:
        await context.fetch_fixed(statement, {"keys": ["KZ"]})
        assert postgres_engine.pool.checkedout() == 1
        pid = context.reads._driver.get_server_pid()
        assert await context.scalar(sa.select(sa.func.pg_backend_pid())) == pid
        await context.fetch_fixed(statement, {"keys": ["BY"]})
        assert postgres_engine.pool.checkedout() == 1
    finally:
        await context.close()
    assert postgres_engine.pool.checkedout() == 0
    context = Context(postgres_engine)
    try:
        await context.fetch_fixed(statement, {"keys": ["KZ"]})
        assert context.reads._driver.get_server_pid() == pid  # given back to the pool, not lost
        assert not context.reads._driver.is_in_transaction()
    finally:
        await context.close()
