"""Filling relationship fields before the response is built, one batch per relationship and level.

Relationship fields (a project's participants, a participant's organization…) are plain
attributes, not resolvers: Strawberry then serves them like any column, without building an
Info object and a future per field, which was most of the time a nested list took. Whatever
hands objects to the response (a connection, `node`, search hits…) calls `prefetch` with the
client's selection: for each relationship the client asked for, every parent of that level is
loaded in one batch (`dataloaders`), the results are set on the parents, and the walk goes down.
The number of statements follows the query's shape, never the number of rows. The batches run
one after another, not gathered: a request reads through one connection, so gathering them bought
no overlap and cost a task, a future and a lock hand-over each (a tenth of a detail page's time).

A type lists its relationships in `RELATED` (merged along its bases); a relationship field is
declared with `related_field()`, whose value is NOT_LOADED until prefetch sets it, so a path
that forgot to prefetch fails loudly instead of answering with an empty list.
"""

import importlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry import Info
from strawberry.types import get_object_definition, has_object_definition

from .compat import FragmentSpread, InlineFragment, SelectedField, Selection, to_camel_case

if TYPE_CHECKING:
    from .dataloaders import Loaders

__all__ = ["NOT_LOADED", "Attached", "Many", "One", "lazy", "prefetch", "related_field", "related_specs",
           "selections_under"]


def lazy(path: str) -> Callable[[], type]:
    """`"module:Name"`, imported when first needed (types of different domains refer to each other)."""
    module, _, name = path.partition(":")
    return lambda: getattr(importlib.import_module(module), name)


class _NotLoaded:
    """The value of a relationship nobody prefetched: GraphQL fails on it instead of answering wrongly."""

    def __repr__(self) -> str:
        return "NOT_LOADED"


NOT_LOADED: Any = _NotLoaded()


def related_field(description: str | None = None) -> Any:
    """A relationship field: NOT_LOADED until `prefetch` sets it."""
    return strawberry.field(default=NOT_LOADED, description=description)


@dataclass(frozen=True)
class One:
    """The record whose primary key is in the parent's `key` attribute (None when the key is)."""

    target: Callable[[], type]
    key: str

    async def load(self, loaders: "Loaders", parents: Sequence[Any]) -> list[Any]:
        keys = [getattr(parent, self.key) for parent in parents]
        present = [key for key in keys if key is not None]
        found = dict(zip(present, await loaders.node(self.target()).load_many(present), strict=True))
        return [found.get(key) if key is not None else None for key in keys]


@dataclass(frozen=True)
class Many:
    """The rows of the target's table whose `column` holds the parent's id."""

    target: Callable[[], type]
    column: str

    async def load(self, loaders: "Loaders", parents: Sequence[Any]) -> list[Any]:
        return await loaders.related(self.target(), self.column).load_many([parent.uuid for parent in parents])


@dataclass(frozen=True)
class Attached:
    """Rows of a generic-relation table (citations, aliases…) about the parent, made by `make`:
    objects of `target` built from each row, when it is given (the compiler reads them so)."""

    table: Callable[[], Any]
    make: Callable[[Any], Any]
    target: type | None = None

    async def load(self, loaders: "Loaders", parents: Sequence[Any]) -> list[Any]:
        subject_type = type(parents[0]).ENTITY_TYPE
        loader = loaders.attached(self.table(), subject_type, self.make)
        return await loader.load_many([parent.uuid for parent in parents])


@cache
def related_specs(cls: type) -> dict[str, Any]:
    """The relationships of `cls` by attribute: its `RELATED` merged along its bases."""
    specs: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        specs.update(base.__dict__.get("RELATED", {}))
    return specs


@cache
def _graphql_names(cls: type) -> dict[str, str]:
    """GraphQL field name → Python attribute (the schema camel-cases names unless a field sets one)."""
    return {
        field.graphql_name or to_camel_case(field.python_name): field.python_name
        for field in get_object_definition(cls, strict=True).fields
    }


@cache
def _type_names(cls: type) -> set[str]:
    definition = get_object_definition(cls, strict=True)
    return {definition.name, *(interface.name for interface in definition.interfaces)}


def _fields(items: Iterable[Selection], type_names: set[str] | None = None) -> Iterator[SelectedField]:
    """The fields of `items`, through the fragments that apply to a type of `type_names` (every
    fragment when None). A generator, not a nested recursive function: such a function refers to
    itself through its closure, a reference cycle per call left for the garbage collector."""
    for item in items:
        if isinstance(item, SelectedField):
            yield item
        elif type_names is None or item.type_condition is None or item.type_condition in type_names:
            yield from _fields(item.selections, type_names)


def _requested(cls: type, selections: Iterable[Selection]) -> dict[str, list[Selection]]:
    """The relationship fields of `cls` that `selections` ask for, with their merged sub-selections."""
    specs, names = related_specs(cls), _graphql_names(cls)
    requested: dict[str, list[Selection]] = defaultdict(list)
    for field in _fields(selections, _type_names(cls)):
        python_name = names.get(field.name)
        if python_name in specs:
            requested[python_name] += field.selections
    return requested


async def _prefetch_class(loaders: "Loaders", cls: type, parents: list[Any], selections: list[Selection]) -> None:
    specs = related_specs(cls)
    requested = _requested(cls, selections)
    children: list[tuple[list[Any], list[Selection]]] = []
    for name, below in requested.items():
        loaded = await specs[name].load(loaders, parents)
        for parent, value in zip(parents, loaded, strict=True):
            setattr(parent, name, value)
        found = [v for value in loaded for v in (value if isinstance(value, list) else [value]) if v is not None]
        unique = list({id(v): v for v in found}.values())  # loaders hand out one object per record
        children.append((unique, below))
    for objects, below in children:
        await _prefetch(loaders, objects, below)


async def _prefetch(loaders: "Loaders", objects: list[Any], selections: list[Selection]) -> None:
    if not objects or not selections:
        return
    by_class: dict[type, list[Any]] = defaultdict(list)
    for obj in objects:
        if has_object_definition(type(obj)):
            by_class[type(obj)].append(obj)
    for cls, group in by_class.items():
        await _prefetch_class(loaders, cls, group, selections)


async def prefetch(info: Info, objects: Iterable[Any], selections: list[Selection]) -> None:
    """Fill every relationship `selections` asks for on `objects` (and below), level by level."""
    await _prefetch(info.context.loaders, [obj for obj in objects if obj is not None], selections)


def selections_under(selections: Iterable[Selection], *path: str) -> list[Selection]:
    """The selections found by following field names `path` (through fragments) from `selections`."""
    current = list(selections)
    for name in path:
        current = [below for field in _fields(current) if field.name == name for below in field.selections]
    return current
