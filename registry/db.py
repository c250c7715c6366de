"""Async engine and sessions. One engine per process; sessions per request or command."""

import asyncio
import functools
import json
import sqlite3
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple, Self

import asyncpg
import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.util import await_

__all__ = [
    "DriverStatement", "StatementLog", "TableRows", "create_engine", "create_sessionmaker", "execute_fixed",
    "insert_rows", "insert_tables", "is_database_outage", "is_sqlite",
]


def is_sqlite(url: str | sa.URL) -> bool:
    return sa.make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # SQLite leaves foreign keys off unless asked, per connection; WAL lets readers run beside a writer.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _json_text(value: Any) -> str:
    """JSON columns' text (the change log's snapshots): orjson's, which writes them several times
    faster than `json.dumps` (a bulk write logs 500 snapshots and their diffs); `json.dumps` for
    what orjson refuses (integers past 64 bits), so nothing storable is refused."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


def create_engine(
    url: str,
    *,
    pool_size: int = 16,
    echo: bool = False,
    connect_timeout: float | None = None,
    command_timeout: float | None = None,
    pool_timeout: float | None = None,
) -> AsyncEngine:
    """The engine for `url`. Timeouts are in seconds; None keeps the driver's own (asyncpg: 60 s to
    connect, statements unbounded; SQLite: 5 s waiting for a lock; the pool: 30 s for a connection).

    On PostgreSQL a timed-out connect or statement raises `TimeoutError`, and asyncpg cancels the
    statement on the server; the command timeout is the connection's, so it bounds statements run
    on asyncpg's connection directly (`DriverStatement`) as well as SQLAlchemy's. On SQLite, which
    cannot hang on a network, the command timeout bounds the wait for another writer's lock."""
    if is_sqlite(url):
        connect_args = {} if command_timeout is None else {"timeout": command_timeout}
        engine = create_async_engine(url, echo=echo, connect_args=connect_args, json_serializer=_json_text)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = {
        name: value
        for name, value in (("timeout", connect_timeout), ("command_timeout", command_timeout))
        if value is not None
    }
    pool_options = {} if pool_timeout is None else {"pool_timeout": pool_timeout}
    # No pre-ping: it would add a round trip to every checkout (one per request on the read path);
    # connections are recycled instead, and a dropped one fails that request only.
    return create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=0, pool_recycle=1800,
        connect_args=connect_args, json_serializer=_json_text, **pool_options,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


# PostgreSQL error classes that say the server cannot serve now, not that the statement is wrong:
# connection exceptions (08), insufficient resources (53: too many connections, disk full),
# operator intervention (57: shutdown, cannot connect now, statement timeout), and the configured
# database not existing (3D000: dropped, or not created yet).
_POSTGRES_OUTAGES = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InvalidCatalogNameError,
)
# SQLite's primary result codes for a database that cannot be reached or used right now; others
# (no such table, constraint, syntax) are faults of the schema or statement.
_SQLITE_OUTAGES = {
    sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_FULL, sqlite3.SQLITE_NOTADB,
}


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and what it was raised from or while handling, outermost first (each once)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_database_outage(error: BaseException) -> bool:
    """Whether `error` comes from the database being unreachable or unable to serve (a dropped
    connection, a timeout, a server shutting down), rather than from a bad statement or schema.

    The driver's own error decides when there is one (SQLAlchemy's OperationalError wraps both
    "cannot open the database" and SQLite's "no such table"); otherwise connection failures and
    timeouts count, and so does an OperationalError with nothing more precise beneath it."""
    operational = False
    for cause in _causes(error):
        if isinstance(cause, asyncpg.PostgresError):
            return isinstance(cause, _POSTGRES_OUTAGES)
        if isinstance(cause, sqlite3.Error) and getattr(cause, "sqlite_errorcode", None) is not None:
            return cause.sqlite_errorcode & 0xFF in _SQLITE_OUTAGES  # low byte: the primary code
        if isinstance(cause, sa.exc.DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, OSError | sa.exc.TimeoutError | sa.exc.InterfaceError):
            return True  # OSError covers ConnectionError and TimeoutError (asyncio's too)
        operational = operational or isinstance(cause, sa.exc.OperationalError)
    return operational


class DriverStatement:
    """A fixed statement compiled once, run on asyncpg's own connection.

    SQLAlchemy's execution layer (execution context, parameter and result wrapping, the greenlet
    hop) costs about 300 µs of CPU per statement, where asyncpg's own `fetch` of the same
    statement costs about 80 µs: with nine statements, a fifth of a record's detail page. For the
    statements built once per process (the read path's loaders', the write path's, see
    `execute_fixed`), the SQL text and parameter order are worked out once here, and parameters
    go through their bind type's processor as SQLAlchemy would do. Rows are asyncpg's records,
    read by column name or position, with values as the driver decodes them: SQLAlchemy's result
    processors are not applied. In this schema only enum columns have one (a stored value becomes
    its member), and the loaders' rows go to `build`, which does that itself; turning every
    record into a processed dict was 8% of a page's time."""

    def __init__(self, statement: sa.Executable, dialect: Dialect):
        compiled = statement.compile(dialect=dialect)
        if compiled.post_compile_params or compiled.literal_execute_params:  # rendered per execution
            raise ValueError("a statement with expanding parameters cannot be compiled once")
        self.sql = compiled.string
        fixed = compiled.params  # values bound into the statement itself (e.g. an enum constant)
        self._parameters = [
            (name, fixed.get(name), compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in compiled.positiontup or []
        ]

    def arguments(self, parameters: Mapping[str, Any]) -> list[Any]:
        values = []
        for name, fixed, process in self._parameters:
            value = parameters.get(name, fixed)
            values.append(process(value) if process is not None and value is not None else value)
        return values

    async def fetch(self, connection: Any, parameters: Mapping[str, Any]) -> list[Any]:
        """asyncpg records; `connection` is asyncpg's (`(await c.get_raw_connection()).driver_connection`)."""
        return await connection.fetch(self.sql, *self.arguments(parameters))


# Bounded: the write path has few fixed statements, but a batch's look-up may union any of its branches
@functools.lru_cache(maxsize=512)
def _driver_statement(statement: sa.Executable, dialect: Dialect) -> DriverStatement:
    return DriverStatement(statement, dialect)


def execute_fixed(
    session: Session, statement: sa.Executable, parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]]
) -> Sequence[Any]:
    """Run `statement`, built once per process (never one built per write: each shape is kept),
    in the session's transaction, with one set of parameters (its rows are returned) or several
    (an executemany: nothing is returned). From async code:
    `await session.run_sync(execute_fixed, statement, parameters)`.

    On asyncpg, with one set of parameters, it runs on the driver's own connection
    (`DriverStatement`) once SQLAlchemy has begun the transaction there; otherwise, and for the
    transaction's first statement, through SQLAlchemy (on PostgreSQL, `insert_rows` makes one
    statement of many rows). Rows are read by column position or name. As through SQLAlchemy, pending ORM
    changes are flushed first and a constraint violation raises `IntegrityError`."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    connection = session.connection()
    driver = connection.connection.driver_connection
    many = not isinstance(parameters, Mapping)
    if not many and connection.dialect.driver == "asyncpg" and driver.is_in_transaction():
        prepared = _driver_statement(statement, connection.dialect)
        try:
            return await_(prepared.fetch(driver, parameters))
        except asyncpg.IntegrityConstraintViolationError as error:
            raise sa.exc.IntegrityError(prepared.sql, None, error) from error
        except BaseException as error:
            # as in `Reads.fetch_prepared`: SQLAlchemy never saw this statement fail
            if driver.is_closed() or not isinstance(error, asyncpg.PostgresError):
                connection.invalidate()
            raise
    result = session.execute(statement, parameters)
    return [] if many or not getattr(result, "returns_rows", True) else result.all()


class TableRows(NamedTuple):
    """Rows for one table of `insert_tables`, each with the same keys in the same order.
    `skip_conflicts`: rows that a unique constraint refuses are left out (ON CONFLICT DO NOTHING)."""

    table: sa.Table
    rows: Sequence[Mapping[str, Any]]
    skip_conflicts: bool = False


def insert_rows(
    session: Session, table: sa.Table, rows: Sequence[Mapping[str, Any]], *, skip_conflicts: bool = False,
    first: sa.ScalarSelect | None = None,
) -> None:
    """INSERT `rows` (each with the same keys, in order) into `table`, in the session's transaction.

    On PostgreSQL it is one statement however many rows there are: each column's values go as
    one array, unnested (`execute_fixed`). An executemany runs the INSERT once per row, and those
    executions cost the server twice as much: 500 search entries took 33 ms one by one and 16 ms
    as arrays, and a bulk write of 500 records spent most of its database time there. Elsewhere
    (SQLite, in-process) it is an executemany.

    `skip_conflicts`: as in TableRows. `first`: on PostgreSQL, a scalar subquery run once before
    any row is inserted (say, to take a lock before the rows draw ids from a sequence)."""
    insert_tables(session, [TableRows(table, rows, skip_conflicts)], first=first)


def insert_tables(session: Session, batches: Sequence[TableRows], *, first: sa.ScalarSelect | None = None) -> None:
    """`insert_rows` for several tables, in the order given. On PostgreSQL that is still one
    statement, and one round trip: each table's INSERT but the last is a data-modifying CTE of
    the last one's (a record's owned rows, search entries and new stems took four round trips, a
    quarter of a single create's statements). The CTEs run to completion whether or not read, and
    foreign keys are checked once the whole statement is done, as they would be after separate
    statements. `first` (one table only) as in `insert_rows`."""
    batches = [batch for batch in batches if batch.rows]
    if not batches:
        return
    shapes = tuple((batch.table, tuple(batch.rows[0]), batch.skip_conflicts) for batch in batches)
    if session.get_bind().dialect.name != "postgresql":
        for (table, _columns, skip_conflicts), batch in zip(shapes, batches, strict=True):
            execute_fixed(session, _sqlite_insert(table, skip_conflicts), batch.rows)
        return
    if first is not None and len(shapes) > 1:
        raise ValueError("`first` is run before one table's rows: give it one table")
    arrays = {
        _array_name(table, name): [row[name] for row in batch.rows]
        for (table, columns, _), batch in zip(shapes, batches, strict=True) for name in columns
    }
    execute_fixed(session, _arrays_insert(shapes, first), arrays)


@functools.cache
def _sqlite_insert(table: sa.Table, skip_conflicts: bool) -> sa.Insert:
    return sqlite.insert(table).on_conflict_do_nothing() if skip_conflicts else sa.insert(table)


def _array_name(table: sa.Table, column: str) -> str:
    return f"{table.name}__{column}"  # unique across the tables of one statement


# Bounded: a few shapes per table (the columns a write gives), and the sets of tables a write fills
@functools.lru_cache(maxsize=128)
def _arrays_insert(shapes: tuple[tuple[sa.Table, tuple[str, ...], bool], ...], first: sa.ScalarSelect | None) -> sa.Insert:
    *earlier, (table, columns, skip_conflicts) = shapes
    last = _table_insert(table, columns, skip_conflicts, first)
    ctes = [_table_insert(*shape, None).cte(f"insert_{i}") for i, shape in enumerate(earlier)]
    return last.add_cte(*ctes) if ctes else last


def _table_insert(
    table: sa.Table, columns: tuple[str, ...], skip_conflicts: bool, first: sa.ScalarSelect | None,
) -> sa.Insert:
    arrays = [sa.bindparam(_array_name(table, name), type_=_array_of(table.c[name].type)) for name in columns]
    given = sa.func.unnest(*arrays).table_valued(*columns, with_ordinality="position").render_derived(name="given")
    rows = sa.select(*(given.c[name] for name in columns)).order_by(given.c.position)  # ids drawn in row order
    if first is not None:
        rows = rows.where(first.is_not(None))  # an uncorrelated subquery: evaluated once, before the first row
    insert = postgresql.insert(table).from_select(list(columns), rows)
    return insert.on_conflict_do_nothing() if skip_conflicts else insert


def _array_of(column_type: sa.types.TypeEngine) -> postgresql.ARRAY:
    # Strings as VARCHAR without a length: a cast to VARCHAR(n) would silently cut a longer value
    # short, where the column itself refuses it. (Enum members are strings already; the column's
    # CHECK constraint still holds them to their values.)
    if isinstance(column_type, sa.TypeDecorator):  # SQLModel's AutoString
        column_type = column_type.impl_instance
    return postgresql.ARRAY(sa.String() if isinstance(column_type, sa.String) else column_type)


class StatementLog:
    """The SQL statements an engine runs inside `with StatementLog(engine) as log:`.

    Counts both ways statements run: through SQLAlchemy (its `before_cursor_execute` event) and
    through `DriverStatement` (asyncpg's query logger, added to each connection checked out
    inside the block). asyncpg reports a query on the event loop's next turn: read the list
    through `await log.settled()`. For tests and the benchmark's statements per request."""

    def __init__(self, engine: AsyncEngine):
        self._engine = engine.sync_engine
        self._statements: list[str] = []
        self._driver_connections: set[Any] = set()
        # SQLAlchemy runs an executemany through asyncpg's `executemany`, which asyncpg logs too
        self._logged_twice: Counter[str] = Counter()

    def _executed(self, connection, _cursor, statement: str, _parameters, _context, executemany: bool) -> None:
        self._statements.append(statement)
        if executemany and connection.connection.driver_connection in self._driver_connections:
            self._logged_twice[statement] += 1

    def _driver_executed(self, query: Any) -> None:
        if self._logged_twice[query.query] > 0:
            self._logged_twice[query.query] -= 1
            return
        self._statements.append(query.query)

    def _checked_out(self, _dbapi_connection, _record, proxy) -> None:
        driver = proxy.driver_connection
        if hasattr(driver, "add_query_logger") and driver not in self._driver_connections:
            driver.add_query_logger(self._driver_executed)
            self._driver_connections.add(driver)

    def __enter__(self) -> Self:
        event.listen(self._engine, "before_cursor_execute", self._executed)
        event.listen(self._engine, "checkout", self._checked_out)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self._engine, "before_cursor_execute", self._executed)
        event.remove(self._engine, "checkout", self._checked_out)
        for driver in self._driver_connections:
            driver.remove_query_logger(self._driver_executed)
        self._driver_connections.clear()

    async def settled(self) -> list[str]:
        await asyncio.sleep(0)
        return list(self._statements)

    def clear(self) -> None:
        self._statements.clear()
