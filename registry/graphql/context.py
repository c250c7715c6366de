"""The per-request GraphQL context: how to read the database, and this request's loaders."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.fastapi import BaseContext

from .core.dataloaders import Loaders

__all__ = ["Context"]


class Context(BaseContext):
    def __init__(self, engine: AsyncEngine):
        super().__init__()
        # Reads run in autocommit: no BEGIN/ROLLBACK round trips around each statement.
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.dialect = engine.dialect.name
        self.loaders = Loaders(self.fetch)

    async def fetch(self, statement: sa.Select) -> Sequence[RowMapping]:
        async with self.engine.connect() as connection:
            return (await connection.execute(statement)).mappings().all()

    async def scalar(self, statement: sa.Select) -> Any:
        async with self.engine.connect() as connection:
            return await connection.scalar(statement)
