"""is_database_outage tells an unreachable or unserving database from a bad statement or schema."""

import sqlite3

import asyncpg
import pytest
import sqlalchemy as sa

from registry.db import create_engine, is_database_outage


async def _error_of(url: str, statement: str) -> BaseException:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text(statement))
    except Exception as error:  # noqa: BLE001 - the error is the result
        return error
    finally:
        await engine.dispose()
    raise AssertionError(f"{statement} ran on {url}")


async def test_real_failures_are_told_apart(tmp_path):
    unreachable = await _error_of("postgresql+asyncpg://postgres@127.0.0.1:1/none", "SELECT 1")
    cannot_open = await _error_of("sqlite+aiosqlite:////nonexistent-directory/x.db", "SELECT 1")
    missing_table = await _error_of(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", "SELECT * FROM nowhere")
    bad_sql = await _error_of(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", "SELEC 1")
    assert is_database_outage(unreachable) and is_database_outage(cannot_open)
    assert isinstance(missing_table, sa.exc.OperationalError)  # as an outage is, on SQLite
    assert not is_database_outage(missing_table) and not is_database_outage(bad_sql)


def _raised_from(error: BaseException, wrapper: BaseException) -> BaseException:
    try:
        try:
            raise error
        except BaseException as cause:
            raise wrapper from cause
    except BaseException as raised:
        return raised


@pytest.mark.parametrize(("error", "outage"), [
    (asyncpg.exceptions.AdminShutdownError("terminating connection"), True),
    (asyncpg.exceptions.CannotConnectNowError("the database system is starting up"), True),
    (asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout"), True),
    (asyncpg.exceptions.TooManyConnectionsError("too many clients"), True),
    (asyncpg.exceptions.InvalidCatalogNameError('database "x" does not exist'), True),
    (asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"), True),
    (asyncpg.exceptions.UndefinedTableError('relation "x" does not exist'), False),
    (asyncpg.exceptions.PostgresSyntaxError("syntax error"), False),
    (ConnectionRefusedError(111, "refused"), True),
    (TimeoutError(), True),  # asyncio's too
    (sa.exc.TimeoutError("QueuePool limit reached"), True),
    (ValueError("a bug"), False),
])
def test_errors_decide_alone_and_under_others(error, outage):
    assert is_database_outage(error) is outage
    assert is_database_outage(_raised_from(error, RuntimeError("while reading"))) is outage
    if isinstance(error, asyncpg.PostgresError):  # the driver's error decides, not SQLAlchemy's wrapper
        wrapped = _raised_from(error, sa.exc.OperationalError("SELECT 1", {}, error))
        assert is_database_outage(wrapped) is outage


def test_an_invalidated_connection_is_an_outage():
    invalidated = sa.exc.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True)
    assert is_database_outage(invalidated)
    assert not is_database_outage(sa.exc.DBAPIError("SELECT 1", {}, Exception("bad")))
    assert not is_database_outage(sqlite3.IntegrityError("UNIQUE constraint failed"))
