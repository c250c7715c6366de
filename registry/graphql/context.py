"""The per-request GraphQL context: how to read and write the database, who is asking, and this
request's loaders."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import LRUCache, greenlet_spawn
from strawberry.fastapi import BaseContext

from ..config import Settings
from ..config import settings as default_settings
from ..db import DriverStatement, create_sessionmaker
from ..models import ApiKey
from ..services import Author
from .core.dataloaders import Loaders

__all__ = ["Context", "Reads", "Slots"]

# The loaders' statements, compiled for asyncpg: built once per process, so this stays small.
_DRIVER_STATEMENTS: dict[sa.Select, DriverStatement] = {}
# Statements of many shapes (a search's: one per count of words and of each word's corrections;
# 0.1–0.6 MB each once compiled, ~11 ms to compile) would crowd the engine's compiled cache (500
# statements, pruned at 750): they get a cache of their own, pruned at 192. The corrections'
# statement takes a word's trigrams as one value (registry.graphql.core.text_search), so the
# benchmark's 200 searches take 25 shapes (~14 MB kept), not the 78 (~24 MB) they took when each
# count of trigrams was a shape of its own.
VARIED_STATEMENTS_CACHED = 128
_VARIED_OPTIONS = {"compiled_cache": LRUCache(VARIED_STATEMENTS_CACHED)}


async def _unprepare(connection: AsyncConnection, sql: str) -> None:
    """Forget the prepared statement of `sql` on this pooled connection (asyncpg closes it on the
    server at the connection's next statement). SQLAlchemy keeps the last 100 to 150 statements of
    each connection prepared: with searches, whose SQL differs with every query, that was ~1,600
    statements over the 16 connections, ~20 MB of a worker (~15 MB of it their SQL text), for
    the rare query repeated on the same connection."""
    prepared = (await connection.get_raw_connection()).dbapi_connection._prepared_statement_cache
    if prepared is not None:
        prepared.pop(sql, None)


class Reads:
    """One request's reads: one pooled connection, taken on first use (loaders of one level
    would otherwise each check out and ping a connection of their own), in autocommit (no
    BEGIN/ROLLBACK round trips around each statement). Autocommit is set on the connection:
    `engine.execution_options` would build an engine per request, whose event listeners refer
    to each other in cycles; and only once SQLAlchemy runs a statement on it, as statements run
    on asyncpg's own connection (`fetch_prepared`) never begin a transaction (setting it, and
    resetting it when the connection goes back to the pool, was a tenth of a node lookup's CPU).

    Apart from the context so that what the loaders keep (this object's `fetch_fixed`) does not
    lead back to the context, which holds the loaders: without a cycle, a request's objects are
    freed by reference counting as soon as it ends (see `registry.graphql.core.dataloaders`)."""

    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self._on_asyncpg = engine.dialect.driver == "asyncpg"
        self._connection: AsyncConnection | None = None
        self._pooled: PoolProxiedConnection | None = None  # checked out with no Connection around it
        self._driver: Any = None  # asyncpg's connection under `_connection` or `_pooled`, once asked for
        self._owned = True  # False: a write transaction's connection, lent by `read_within`
        self._autocommit = False
        self._lock = asyncio.Lock()

    async def _connected(self) -> AsyncConnection:
        if self._connection is None:
            if self._pooled is None:
                self._connection = await self.engine.connect()
            else:  # SQLAlchemy's Connection around the pooled one taken for the driver: no second checkout
                sync_connection = Connection(self.engine.sync_engine, connection=self._pooled)
                self._connection, self._pooled = AsyncConnection(self.engine, sync_connection), None
        return self._connection

    async def _driver_connection(self) -> Any:
        """asyncpg's connection. Taken straight from the pool when SQLAlchemy has not needed one:
        its Connection object, and the hop that asks it for the driver's, were a fifth of a node
        lookup's CPU in the prepared lane (bench/README.md); it is made only if a statement
        through SQLAlchemy follows (`_connected`)."""
        if self._driver is None:
            if self._connection is not None:
                self._driver = (await self._connection.get_raw_connection()).driver_connection
            else:
                self._pooled = await self.engine.raw_connection()
                self._driver = self._pooled.driver_connection
        return self._driver

    async def _for_sqlalchemy(self) -> AsyncConnection:
        connection = await self._connected()
        if self._owned and not self._autocommit:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            self._autocommit = True
        return connection

    async def read_within(self, connection: AsyncConnection) -> None:
        """Read on `connection` (a write transaction's) from now on, so that reads see its
        uncommitted writes; its owner closes it."""
        async with self._lock:
            await self.close()
            self._connection, self._owned = connection, False

    async def fetch(
        self, statement: sa.Select, parameters: dict[str, Any] | None = None, *, varied: bool = False
    ) -> Sequence[RowMapping]:
        """The rows of `statement`; `varied`: it takes one of many shapes (see VARIED_STATEMENTS_CACHED)
        and values written into its text (`text_search.inline`), so its SQL is seldom sent twice."""
        options = _VARIED_OPTIONS if varied else None
        async with self._lock:
            connection = await self._for_sqlalchemy()
            result = await connection.execute(statement, parameters, execution_options=options)
            rows = result.mappings().all()
            if varied and self._on_asyncpg:
                await _unprepare(connection, result.context.statement)
            return rows

    async def fetch_fixed(self, statement: sa.Select, parameters: dict[str, Any]) -> Sequence[Mapping[str, Any]]:
        """`fetch` for a statement built once per process (the loaders'), which on PostgreSQL runs
        on asyncpg's own connection (`DriverStatement`): never pass one built per request here."""
        if not self._on_asyncpg:
            return await self.fetch(statement, parameters)
        prepared = _DRIVER_STATEMENTS.get(statement)
        if prepared is None:
            prepared = _DRIVER_STATEMENTS[statement] = DriverStatement(statement, self.engine.dialect)
        return await self.fetch_prepared(prepared, parameters)

    async def fetch_prepared(self, prepared: DriverStatement, parameters: Mapping[str, Any]) -> list[Any]:
        """asyncpg's records of `prepared`, run on asyncpg's own connection (PostgreSQL only)."""
        async with self._lock:
            driver = await self._driver_connection()
            try:
                return await prepared.fetch(driver, parameters)
            except BaseException as error:
                # SQLAlchemy never saw this statement fail, so it is up to us: unless the server
                # reported an error in the statement itself, the connection may be lost or
                # mid-protocol, and must not go back to the pool (no pre-ping would catch it).
                if driver.is_closed() or not isinstance(error, asyncpg.PostgresError):
                    await self._invalidate()
                raise

    async def _invalidate(self) -> None:
        """Close the connection in use for good, rather than give it back to the pool."""
        self._driver = None
        if self._connection is not None:
            await self._connection.invalidate()
        elif self._pooled is not None:
            pooled, self._pooled = self._pooled, None
            await greenlet_spawn(pooled.invalidate)  # which gives its place back to the pool

    async def scalar(self, statement: sa.Select) -> Any:
        async with self._lock:
            return await (await self._for_sqlalchemy()).scalar(statement)

    async def close(self) -> None:
        if self._connection is not None and self._owned:
            await self._connection.close()
        elif self._pooled is not None:
            await greenlet_spawn(self._pooled.close)  # the pool's reset may need the driver
        self._connection, self._pooled, self._driver, self._owned, self._autocommit = None, None, None, True, False


@dataclass(frozen=True)
class Slots:
    """How many of the operations that hold much memory while they run a worker runs at once;
    the others wait their turn (their throughput is the worker's CPU either way). Measured: four
    500-record bulkUpserts at once peak ~27 MB above one, sixteen searches ~22 MB above one; a
    20,000-row bulkUpsert holds ~40 times what a 500-record one does."""

    bulk: asyncio.Semaphore
    search: asyncio.Semaphore

    @classmethod
    def of(cls, settings: Settings) -> "Slots":
        return cls(asyncio.Semaphore(settings.bulk_concurrency), asyncio.Semaphore(settings.search_concurrency))


class Context(BaseContext):
    """Made per request; `close()` must be awaited when the request is done."""

    def __init__(
        self, engine: AsyncEngine, settings: Settings = default_settings, *, principal: ApiKey | None = None,
        request_id: str | None = None, sessions: async_sessionmaker[AsyncSession] | None = None,
        slots: Slots | None = None,
    ):
        super().__init__()
        self.settings = settings  # the app's: one schema serves every app of the process
        self.principal = principal  # the live API key the request carries, if any
        self.request_id = request_id
        self.slots = slots or Slots.of(settings)  # the app's, shared by its requests (`create_app`)
        # Writes: a transaction per mutation (`write_transaction`), or one for the whole request
        # while `hold_writes` is on (an Idempotency-Key request: registry/http/router.py).
        self.sessions = sessions or create_sessionmaker(engine)
        self._held: HeldWrites | None = None
        self.engine = engine
        self.dialect = engine.dialect.name
        # What the loaders keep is the reads' method, not the context's, which would be a cycle.
        self.reads = Reads(engine)
        self.loaders = Loaders(self.reads.fetch_fixed, self.dialect)

    @property
    def author(self) -> Author:
        """Who the change log names for this request's writes: the key's name and the request."""
        return Author(self.principal.name if self.principal is not None else "anonymous", self.request_id)

    def hold_writes(self, begin: Callable[[AsyncSession], Awaitable[None]]) -> None:
        """From now on this request's mutations share one transaction, which `finish_writes`
        commits or `discard_writes` rolls back. `begin(session)` runs first in it and must write
        (on SQLite, a transaction only begins at a write: a savepoint opened first would commit
        for good when released)."""
        self._held = HeldWrites(self.sessions(), begin)

    @asynccontextmanager
    async def write_transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose writes commit when the block ends and roll back when it raises."""
        if self._held is None:
            async with self.sessions() as session, session.begin():
                yield session
            return
        session = await self._held.session()
        await self.reads.read_within(await session.connection())
        async with session.begin_nested():  # a refused mutation takes back its own writes only
            yield session

    async def finish_writes(self, before_commit: Callable[[AsyncSession], Awaitable[None]]) -> None:
        """Commit the held transaction, after `before_commit(session)` has run in it."""
        held, self._held = self._held, None
        await self.reads.close()
        session = await held.session()
        try:
            await before_commit(session)
            await session.commit()
        finally:
            await session.close()

    async def discard_writes(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            await self.reads.close()
            await held.close()

    def forget_loaded(self) -> None:
        """Drop what the loaders remember: after a write, later fields must read it afresh."""
        self.loaders = Loaders(self.reads.fetch_fixed, self.dialect)

    async def fetch(
        self, statement: sa.Select, parameters: dict[str, Any] | None = None, *, varied: bool = False
    ) -> Sequence[RowMapping]:
        return await self.reads.fetch(statement, parameters, varied=varied)

    async def fetch_fixed(self, statement: sa.Select, parameters: dict[str, Any]) -> Sequence[Mapping[str, Any]]:
        return await self.reads.fetch_fixed(statement, parameters)

    async def scalar(self, statement: sa.Select) -> Any:
        return await self.reads.scalar(statement)

    async def close(self) -> None:
        await self.reads.close()
        await self.discard_writes()


class HeldWrites:
    """One session for all of a request's writes, begun by its first use."""

    def __init__(self, session: AsyncSession, begin: Callable[[AsyncSession], Awaitable[None]]):
        self._session = session
        self._begin: Callable[[AsyncSession], Awaitable[None]] | None = begin

    async def session(self) -> AsyncSession:
        if self._begin is not None:
            begin, self._begin = self._begin, None
            await begin(self._session)
        return self._session

    async def close(self) -> None:
        await self._session.close()  # rolls back what was not committed
