"""Per-request loaders: every relationship is fetched in one statement per batch, never per row.

Loaders are made lazily by `Loaders`, which lives on the request's context and dies with it,
so no cache outlives a request. Rows are SQLAlchemy Core mappings (no ORM objects on the
read path: building those was the main cost measured for nested lists).
"""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from strawberry.dataloader import DataLoader

from ...models.enums import EntityType

__all__ = ["Fetch", "Loaders"]

Fetch = Callable[[sa.Select], Awaitable[Sequence[RowMapping]]]


def _live(table: sa.Table) -> list[sa.ColumnElement[bool]]:
    return [table.c.deleted_at.is_(None)] if "deleted_at" in table.c else []


class Loaders:
    def __init__(self, fetch: Fetch):
        self._fetch = fetch
        self._loaders: dict[Hashable, DataLoader] = {}

    def _get(self, key: Hashable, load: Callable[[list[Any]], Awaitable[list[Any]]]) -> DataLoader:
        loader = self._loaders.get(key)
        if loader is None:
            loader = self._loaders[key] = DataLoader(load_fn=load)
        return loader

    def by_id(self, table: sa.Table) -> DataLoader[Any, RowMapping | None]:
        """A live row by primary key (None when missing or deleted)."""
        primary = table.primary_key.columns.values()[0]

        async def load(keys: list[Any]) -> list[RowMapping | None]:
            rows = await self._fetch(sa.select(table).where(primary.in_(keys), *_live(table)))
            found = {row[primary.name]: row for row in rows}
            return [found.get(key) for key in keys]

        return self._get(("by_id", table.name), load)

    def by_column(
        self, table: sa.Table, column: str, order_by: Sequence[sa.ColumnElement] = ()
    ) -> DataLoader[Any, list[RowMapping]]:
        """All live rows whose `column` equals the key."""
        key_column = table.c[column]
        ordering = list(order_by) or list(table.primary_key.columns)

        async def load(keys: list[Any]) -> list[list[RowMapping]]:
            statement = sa.select(table).where(key_column.in_(keys), *_live(table)).order_by(*ordering)
            grouped: dict[Any, list[RowMapping]] = defaultdict(list)
            for row in await self._fetch(statement):
                grouped[row[column]].append(row)
            return [grouped.get(key, []) for key in keys]

        return self._get(("by_column", table.name, column), load)

    def for_subject(self, table: sa.Table, subject_type: EntityType) -> DataLoader[Any, list[RowMapping]]:
        """Rows of a generic-relation table (aliases, citations, tags…) hanging off one kind of subject."""

        async def load(keys: list[Any]) -> list[list[RowMapping]]:
            statement = (
                sa.select(table)
                .where(table.c.subject_type == subject_type, table.c.subject_id.in_(keys))
                .order_by(table.c.id)
            )
            grouped: dict[Any, list[RowMapping]] = defaultdict(list)
            for row in await self._fetch(statement):
                grouped[row["subject_id"]].append(row)
            return [grouped.get(key, []) for key in keys]

        return self._get(("for_subject", table.name, subject_type), load)
