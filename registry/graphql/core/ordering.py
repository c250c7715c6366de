"""Turning a list of {field, direction} into sort keys."""

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any, Protocol

import sqlalchemy as sa

from .enums import OrderDirection
from .pagination import SortKey

__all__ = ["OrderTerm", "live", "sort_keys"]


class OrderTerm(Protocol):
    field: Any
    direction: OrderDirection


def sort_keys(
    order_by: Sequence[OrderTerm] | None, columns: Mapping[Enum, sa.ColumnElement], default: Sequence[OrderTerm]
) -> list[SortKey]:
    return [
        SortKey(columns[term.field], descending=term.direction == OrderDirection.DESC)
        for term in (order_by or default)
    ]


def live(table: sa.Table) -> list[sa.ColumnElement[bool]]:
    return [table.c.deleted_at.is_(None)]
