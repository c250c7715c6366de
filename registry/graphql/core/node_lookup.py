"""Relay's node(id:) and nodes(ids:) answering null for an id of a type that has no records.

A global id is opaque to clients (Relay's Global Object Identification spec): one whose type
name is unknown (`Unicorn:1`) or not a Node (`Country:KZ`) names no record, just like an id of a
deleted record, so it gets what the schema promises for "no such record": null (at its own
index in nodes(ids:), the others still answered). Strawberry would raise instead, an unexpected
error that nulls the whole of nodes(ids:). An id that does not decode at all, and more ids than
any list argument takes, are refused as BAD_USER_INPUT before this (see `argument_values`).
"""

import inspect
from typing import Any

from strawberry import Info
from strawberry.extensions import FieldExtension
from strawberry.relay import GlobalID, GlobalIDValueError

__all__ = ["UnknownTypesAsNull"]


def _names_a_node_type(global_id: GlobalID, info: Info) -> bool:
    try:
        global_id.resolve_type(info)
    except GlobalIDValueError:
        return False
    return True


async def _resolved(result: Any) -> Any:
    # Strawberry's node resolvers hand back an awaitable, which its async wrapper wraps once more
    while inspect.isawaitable(result):
        result = await result
    return result


class UnknownTypesAsNull(FieldExtension):
    """For the `node` and `nodes` fields: only ids of Node types reach Strawberry's lookup."""

    async def resolve_async(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        if "id" in kwargs:
            if not _names_a_node_type(kwargs["id"], info):
                return None
            return await _resolved(next_(source, info, **kwargs))
        known = [_names_a_node_type(global_id, info) for global_id in kwargs["ids"]]
        ids = [global_id for global_id, ok in zip(kwargs["ids"], known, strict=True) if ok]
        found = iter(await _resolved(next_(source, info, ids=ids)))
        return [next(found) if ok else None for ok in known]
