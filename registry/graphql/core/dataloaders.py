"""Per-request loaders: every relationship is fetched in one statement per batch, never per row.

Loaders are made lazily by `Loaders`, which lives on the request's context and dies with it,
so no cache outlives a request. They read SQLAlchemy Core rows (no ORM objects on the read
path) and hand back finished GraphQL objects, so resolvers can return a loader's future
directly instead of wrapping it in a coroutine of their own.
"""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import RowMapping
from strawberry.dataloader import DataLoader

from ...models.enums import EntityType
from .types import build

__all__ = ["Fetch", "Loaders"]

T = TypeVar("T")
Fetch = Callable[[sa.Select], Awaitable[Sequence[RowMapping]]]


def _live(table: sa.Table) -> list[sa.ColumnElement[bool]]:
    return [table.c.deleted_at.is_(None)] if "deleted_at" in table.c else []


def _keys_in(column: sa.ColumnElement, keys: list[Any], dialect: str) -> sa.ColumnElement[bool]:
    """`column IN keys`; on PostgreSQL as `= ANY(array)`, one statement text whatever the number of
    keys, so asyncpg prepares it once instead of once per batch size."""
    if dialect == "postgresql":
        return column == sa.func.any(sa.bindparam("keys", keys, type_=postgresql.ARRAY(column.type)))
    return column.in_(keys)


class Loaders:
    def __init__(self, fetch: Fetch, dialect: str):
        self._fetch = fetch
        self._dialect = dialect
        self._loaders: dict[Hashable, DataLoader] = {}

    def _get(self, key: Hashable, load: Callable[[list[Any]], Awaitable[list[Any]]]) -> DataLoader:
        loader = self._loaders.get(key)
        if loader is None:
            loader = self._loaders[key] = DataLoader(load_fn=load)
        return loader

    async def _grouped(self, statement: sa.Select, column: str, keys: list[Any], make: Callable) -> list[list]:
        grouped: dict[Any, list] = defaultdict(list)
        for row in await self._fetch(statement):
            grouped[row[column]].append(make(row))
        return [grouped.get(key, []) for key in keys]

    def node(self, cls: type[T]) -> DataLoader[Any, T | None]:
        """A live record of `cls` by primary key (None when missing or deleted)."""
        table = cls.MODEL.__table__
        primary = table.primary_key.columns.values()[0]

        async def load(keys: list[Any]) -> list[T | None]:
            rows = await self._fetch(sa.select(table).where(_keys_in(primary, keys, self._dialect), *_live(table)))
            found = {row[primary.name]: build(cls, row) for row in rows}
            return [found.get(key) for key in keys]

        return self._get(("node", cls), load)

    def related(self, cls: type[T], column: str) -> DataLoader[Any, list[T]]:
        """Every live row of `cls` whose `column` equals the key, in primary-key order."""
        table = cls.MODEL.__table__

        async def load(keys: list[Any]) -> list[list[T]]:
            statement = (
                sa.select(table).where(_keys_in(table.c[column], keys, self._dialect), *_live(table))
                .order_by(*table.primary_key)
            )
            return await self._grouped(statement, column, keys, lambda row: build(cls, row))

        return self._get(("related", cls, column), load)

    def attached(
        self, table: sa.Table, subject_type: EntityType, make: Callable[[RowMapping], T]
    ) -> DataLoader[Any, list[T]]:
        """Rows of a generic-relation table (aliases, citations, tags…) hanging off one kind of subject."""

        async def load(keys: list[Any]) -> list[list[T]]:
            statement = (
                sa.select(table)
                .where(table.c.subject_type == subject_type, _keys_in(table.c.subject_id, keys, self._dialect))
                .order_by(table.c.id)
            )
            return await self._grouped(statement, "subject_id", keys, make)

        return self._get(("attached", table.name, subject_type), load)
