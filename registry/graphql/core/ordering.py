"""Turning a list of {field, direction} into sort keys."""

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any, Protocol

import sqlalchemy as sa

from .enums import OrderDirection
from .errors import bad_argument
from .pagination import SortKey

__all__ = ["OrderTerm", "live", "sort_keys"]


class OrderTerm(Protocol):
    field: Any
    direction: OrderDirection


def sort_keys(
    order_by: Sequence[OrderTerm] | None, columns: Mapping[Enum, sa.ColumnElement], default: Sequence[OrderTerm]
) -> list[SortKey]:
    """One key per term, each field at most once (a repeat orders nothing and lengthens the SQL)."""
    terms = order_by or default
    if len(terms) > len(columns):
        raise bad_argument("orderBy", f"at most {len(columns)} terms, one per field; got {len(terms)}")
    seen: set[Enum] = set()
    for index, term in enumerate(terms):
        if term.field in seen:
            raise bad_argument(f"orderBy[{index}].field", f"{term.field.name} is already ordered by")
        seen.add(term.field)
    return [SortKey(columns[term.field], descending=term.direction == OrderDirection.DESC) for term in terms]


def live(table: sa.Table) -> list[sa.ColumnElement[bool]]:
    return [table.c.deleted_at.is_(None)]
