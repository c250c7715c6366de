"""The one resolver behind every root list (organizations, people, projects…)."""

from collections.abc import Mapping
from enum import Enum
from functools import partial
from typing import Any

import sqlalchemy as sa
import strawberry
from strawberry import Info

from .ordering import live, sort_keys
from .pagination import Connection, paginate
from .types import page_nodes

__all__ = ["record_list"]


def record_list(
    node_type: Any,
    filter_type: Any,
    order_type: Any,
    order_columns: Mapping[Enum, sa.ColumnElement],
    default_order: Enum,
    description: str,
) -> Any:
    """A root connection field: `filter`, `orderBy`, keyset `first/after/last/before`, `totalCount`."""
    table = node_type.MODEL.__table__
    default = [order_type(field=default_order)]

    async def resolve(
        info: Info,
        filter: filter_type | None = None,  # noqa: A002 (the argument's public name)
        order_by: list[order_type] | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[node_type]:
        conditions = filter.conditions(info.context.dialect) if filter is not None else []
        return await paginate(
            info, table=table, where=[*live(table), *conditions],
            order=sort_keys(order_by, order_columns, default), page_nodes=partial(page_nodes, node_type),
            first=first, after=after, last=last, before=before,
        )

    return strawberry.field(resolver=resolve, description=description)
