"""Per-request loaders: every relationship is fetched in one statement per batch, never per row.

Every caller (`prefetch`, `node`, search) knows all the keys of a level at once, so a loader
here is a batch with a per-request memory rather than Strawberry's DataLoader: DataLoader
exists to gather keys from many independent resolvers, and pays for it with a future and a
callback per key, which were a fifth of a nested page's time. `Loaders` lives on the request's
context and dies with it, so nothing cached outlives a request. The loading functions a batch
keeps refer to the fetch function, never back to `Loaders` (nor the fetch function to the
context): a request's loaders and everything they loaded are then freed by reference counting
the moment the request ends, instead of waiting, in reference cycles, for the garbage collector. Statements are built once per
process with the keys as one bound parameter (SQLAlchemy then reuses its compiled form), read
as Core rows (no ORM objects on the read path), and turned into finished GraphQL objects.
"""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from functools import cache, partial
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import RowMapping

from ...models.enums import EntityType
from .types import build

__all__ = ["Batch", "Fetch", "Loaders", "keys_in"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Fetch = Callable[[sa.Select, dict[str, Any]], Awaitable[Sequence[Mapping[str, Any]]]]


class Batch(Generic[K, V]):
    """Loads the keys it has not seen in one call of `load`, remembers every answer."""

    def __init__(self, load: Callable[[list[K]], Awaitable[dict[K, V]]], missing: Callable[[], V]):
        self._load = load
        self._missing = missing
        self._known: dict[K, V] = {}

    async def load_many(self, keys: Sequence[K]) -> list[V]:
        known = self._known
        unseen = [key for key in dict.fromkeys(keys) if key not in known]
        if unseen:
            found = await self._load(unseen)
            for key in unseen:
                known[key] = found[key] if key in found else self._missing()
        return [known[key] for key in keys]


def _live(table: sa.Table) -> list[sa.ColumnElement[bool]]:
    return [table.c.deleted_at.is_(None)] if "deleted_at" in table.c else []


def keys_in(column: sa.ColumnElement, dialect: str) -> sa.ColumnElement[bool]:
    """`column IN :keys`; on PostgreSQL as `= ANY(:keys)`, one statement text whatever the number
    of keys, so asyncpg prepares it once instead of once per batch size."""
    if dialect == "postgresql":
        return column == sa.func.any(sa.bindparam("keys", type_=postgresql.ARRAY(column.type)))
    return column.in_(sa.bindparam("keys", expanding=True))


@cache
def _by_key(table: sa.Table, column: str, dialect: str, ordered: bool = False) -> sa.Select:
    """Live rows of `table` whose `column` is one of :keys (in primary-key order if `ordered`)."""
    statement = sa.select(table).where(keys_in(table.c[column], dialect), *_live(table))
    return statement.order_by(*table.primary_key) if ordered else statement


@cache
def _attached_to(table: sa.Table, subject_type: EntityType, dialect: str) -> sa.Select:
    """Rows of a generic-relation table about subjects of one type whose ids are in :keys."""
    return (
        sa.select(table)
        .where(table.c.subject_type == subject_type, keys_in(table.c.subject_id, dialect))
        .order_by(table.c.id)
    )


async def _grouped(fetch: Fetch, statement: sa.Select, column: str, keys: list[Any], make: Callable) -> dict:
    grouped: dict[Any, list] = defaultdict(list)
    for row in await fetch(statement, {"keys": keys}):
        grouped[row[column]].append(make(row))
    return grouped


class Loaders:
    def __init__(self, fetch: Fetch, dialect: str):
        self._fetch = fetch
        self._dialect = dialect
        self._shared: dict[Hashable, Any] = {}

    def _batch(self, key: Hashable, load: Callable, missing: Callable[[], Any]) -> Batch:
        return self.shared(key, lambda: Batch(load, missing))

    def shared(self, key: Hashable, make: Callable[[], V]) -> V:
        """The object `make` returns, made once per request under `key` (e.g. the DataLoader of
        a field with arguments, which `prefetch` cannot fill)."""
        shared = self._shared.get(key)
        if shared is None:
            shared = self._shared[key] = make()
        return shared

    def node(self, cls: type[V]) -> Batch[Any, V | None]:
        """A live record of `cls` by primary key (None when missing or deleted)."""
        table = cls.MODEL.__table__
        primary = table.primary_key.columns.values()[0].name
        statement, fetch = _by_key(table, primary, self._dialect), self._fetch

        async def load(keys: list[Any]) -> dict[Any, V]:
            return {row[primary]: build(cls, row) for row in await fetch(statement, {"keys": keys})}

        return self._batch(("node", cls), load, lambda: None)

    def related(self, cls: type[V], column: str) -> Batch[Any, list[V]]:
        """Every live row of `cls` whose `column` equals the key, in primary-key order."""
        statement, fetch = _by_key(cls.MODEL.__table__, column, self._dialect, ordered=True), self._fetch

        async def load(keys: list[Any]) -> dict[Any, list[V]]:
            return await _grouped(fetch, statement, column, keys, partial(build, cls))

        return self._batch(("related", cls, column), load, list)

    def attached(
        self, table: sa.Table, subject_type: EntityType, make: Callable[[RowMapping], V]
    ) -> Batch[Any, list[V]]:
        """Rows of a generic-relation table (aliases, citations, tags…) hanging off one kind of subject."""
        statement, fetch = _attached_to(table, subject_type, self._dialect), self._fetch

        async def load(keys: list[Any]) -> dict[Any, list[V]]:
            return await _grouped(fetch, statement, "subject_id", keys, make)

        return self._batch(("attached", table.name, subject_type), load, list)
