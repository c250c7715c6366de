"""The executor: Strawberry's own, completing plain attribute fields in one step.

graphql-core completes every field of a response the same way: it builds a resolve info, calls
the field's resolver, checks whether the result must be awaited, then completes it by its type.
For a page of 50 projects that is some 1,700 fields, and it was 60% of the request's CPU time,
although nearly all of them only read an attribute (`prefetch` has already set every
relationship as a plain attribute).

`PlainFieldExecutor` keeps that machinery for every field that needs it, and completes the rest
from a plan worked out once per selection: a field is *plain* when Strawberry would serve it
with its basic resolver (no resolver function, no arguments, no field extension or permission
class: Strawberry marks a field with either as having its default resolver too, so that marker
alone is not enough), and its type is a scalar, an enum, a list of them, or an object type whose
selected fields are all plain in turn. Plain fields are read with `getattr` and serialised by
their type's own `coerce_output_value`, exactly what graphql-core would do. Relay's `Node.id`,
when a type keeps Strawberry's default `resolve_id` and `resolve_typename`, is plain too for a
node of exactly that type: the global id of the type's name and its `NodeID` attribute, which is
all Strawberry's resolver computes (through an info object, argument parsing and a `GlobalID`: a
tenth of a page's time). Every other field (a resolver, `__typename`, an interface) goes through
graphql-core's `execute_fields` as before. The private names of Strawberry and graphql-core this
relies on are gathered, and checked against the installed versions, in `compat`.

`REGISTRY_EXECUTOR=strawberry` turns the plain path off: every field then goes through
Strawberry's own executor, a fallback should this one misbehave.

A plain read has no side effects, so anything out of the ordinary (a null in a non-null field,
a value of the wrong type, a scalar that will not serialise, a relationship nobody prefetched)
drops the whole object back to graphql-core's path, which then reports the error with its
usual path and message.

Plans are made once per parsed operation and shared by the requests that run it (the parser
cache hands them the same document), unless a directive makes the selection depend on the
variables: then each request makes its own. Making them was a tenth of a detail page's time.
"""

import weakref
from collections import OrderedDict
from collections.abc import Callable
from enum import Enum
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLBoolean,
    GraphQLID,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfoHelpers,
    GraphQLString,
    OperationDefinitionNode,
    Undefined,
    is_enum_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from strawberry.relay import to_base64

from ...config import Environment
from .compat import StrawberryExecutionContext, default_node_id, plain_attribute

__all__ = ["Completed", "PlainFieldExecutor", "forget_shared_plans", "shared_plans"]

Complete = Callable[[Any], Any]


class _Irregular(Exception):
    """A plain value the fast path does not complete; graphql-core's path will (and report it)."""


class Completed:
    """An object whose response is already made (by the database: `compiler`): the executor
    returns `data` as the object's value, for the selection it was made for."""

    __slots__ = ("__as_strawberry_type__", "data")  # Strawberry casts the node it resolves

    def __init__(self, data: dict[str, Any]):
        self.data = data


class _ObjectPlan:
    """How to complete one object type under one selection."""

    __slots__ = ("delegated", "names", "node_class", "plain")

    def __init__(
        self, names: list[str], plain: list[tuple[str, str, Complete]], delegated: dict, node_class: type | None
    ):
        self.names = names  # every response key, in the order the client asked for them
        self.plain = plain  # (response key, attribute, completion) of the plain fields
        self.delegated = delegated  # the rest, as a graphql-core grouped field set
        self.node_class = node_class  # when `Node.id` is plain: the only class whose id it computes

    def complete_plain(self, source: Any) -> dict[str, Any]:
        if self.node_class is not None and type(source) is not self.node_class:
            raise _Irregular  # a subclass may resolve its id its own way
        if not self.delegated:  # the plain fields are all of them, in the client's order
            return {key: complete(getattr(source, attribute)) for key, attribute, complete in self.plain}
        data = dict.fromkeys(self.names)
        for key, attribute, complete in self.plain:
            data[key] = complete(getattr(source, attribute))
        return data


class PlainFieldExecutor(StrawberryExecutionContext):
    @classmethod
    def build(cls, schema, document, root_value=None, context_value=None, *args, hide_suggestions=False, **kwargs):
        # graphql-core coerces the variables here, and Strawberry never asks it to hide "Did you
        # mean" suggestions: production names no schema fields in errors (validation hides its own).
        settings = getattr(context_value, "settings", None)
        hide_suggestions = hide_suggestions or (settings is not None and settings.env == Environment.PRODUCTION)
        return super().build(
            schema, document, root_value, context_value, *args, hide_suggestions=hide_suggestions, **kwargs
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core hands resolvers its own bound methods (`info.async_helpers`), kept on the
        # executor: a reference cycle that kept each request's executor, context, loaders and every
        # object they loaded alive until a garbage collection. Weak, they are freed when the
        # request ends; nothing calls them after it (resolvers and graphql-core run while the
        # executor does, and @defer/@stream, whose sub-executors could outlive it, are not enabled).
        self.async_helpers = GraphQLResolveInfoHelpers(
            gather=_weak(self.gather_async_work), track=_weak(self.track_async_work)
        )
        # Field middleware keeps every field on graphql-core's path, and so does the app's setting
        # (a context without settings, as tests' own schemas have, takes the plain path).
        settings = getattr(self.context_value, "settings", None)
        self._plain_fields = (settings is None or settings.executor != "strawberry") and not _has_middleware(
            self.middleware_manager
        )
        # (object type, id(field details)) -> (field details kept alive, plan or None)
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[Any, _ObjectPlan | None]] = {}
        self._shared: dict[tuple, tuple[Any, _ObjectPlan | None]] | None = (
            shared_plans(self.operation, self.fragment_definitions) if self._plain_fields else None
        )

    def complete_object_value(self, return_type, field_details_list, info, path, result, position_context):
        if type(result) is Completed:
            return result.data
        # Incremental delivery (@defer/@stream) keeps graphql-core's path.
        if self._plain_fields and position_context is None:
            plan = self._plan(return_type, field_details_list)
            if plan is not None and (return_type.is_type_of is None or return_type.is_type_of(result, info)):
                try:
                    data = plan.complete_plain(result)
                except Exception:  # noqa: BLE001 — irregular: graphql-core's path below reports it
                    data = None
                if data is not None:
                    return self._with_delegated(return_type, plan, data, path, result)
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _with_delegated(self, parent_type, plan: _ObjectPlan, data: dict, path, source: Any) -> Any:
        if not plan.delegated:
            return data
        rest = self.execute_fields(parent_type, source, path, plan.delegated, None)
        if not self.is_awaitable(rest):
            data.update(rest)
            return data

        async def merged() -> dict[str, Any]:
            data.update(await rest)
            return data

        return merged()

    def _plan(self, object_type: GraphQLObjectType, field_details_list: Any) -> _ObjectPlan | None:
        key = (object_type, id(field_details_list))
        known = self._plans.get(key)
        if known is None:
            known = self._plans[key] = (field_details_list, self._shared_plan(object_type, field_details_list))
        return known[1]

    def _shared_plan(self, object_type: GraphQLObjectType, field_details_list: Any) -> _ObjectPlan | None:
        """The plan other requests running the same parsed operation made, or a new one."""
        if self._shared is None:
            return self._make_plan(object_type, field_details_list)
        # The parsed document is cached (core/limits.py), so its nodes are the same objects on every
        # request; the plan keeps them alive, so their ids cannot be reused by another document.
        key = (object_type, *(id(details.node) for details in field_details_list))
        known = self._shared.get(key)
        if known is None:
            known = self._shared[key] = (field_details_list, self._make_plan(object_type, field_details_list))
        return known[1]

    def _make_plan(self, object_type: GraphQLObjectType, field_details_list: Any) -> _ObjectPlan | None:
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(object_type, field_details_list)
        if new_defer_usages:
            return None
        plain, delegated, node_class = [], {}, None
        for key, details in grouped_field_set.items():
            field_node = details[0].node
            field_def = self.schema.get_field(object_type, field_node.name.value)
            attribute, complete = None, None
            if field_def is None or field_node.arguments:
                pass
            elif (attribute := plain_attribute(field_def)) is not None:
                complete = self._completion(field_def.type, details)
            elif (node_id := default_node_id(object_type, field_def)) is not None:
                node_class, attribute = node_id
                complete = _global_id(object_type.name)
            if complete is None:
                delegated[key] = details
            else:
                plain.append((key, attribute, complete))
        if not plain:
            return None
        return _ObjectPlan(list(grouped_field_set), plain, delegated, node_class)

    def _completion(self, type_: GraphQLOutputType, details: Any) -> Complete | None:
        """A function completing a value of `type_`, or None when some part of it is not plain."""
        if is_non_null_type(type_):
            inner = self._completion(type_.of_type, details)
            return None if inner is None else _non_null(inner)
        if is_list_type(type_):
            item = self._completion(type_.of_type, details)
            return None if item is None else _list_of(item)
        if is_leaf_type(type_):
            return _leaf(type_)
        if is_object_type(type_):
            plan = self._plan(type_, details)
            if plan is None or plan.delegated:
                return None  # a nested object with resolvers is completed by graphql-core, level by level
            return _object(type_, plan)
        return None  # interfaces and unions: the runtime type is resolved by graphql-core


_SHARED_PLANS: OrderedDict[int, tuple[OperationDefinitionNode, dict | None]] = OrderedDict()
_SHARED_OPERATIONS = 512  # a backstop: the parser cache drops the plans of what it evicts


def shared_plans(operation: OperationDefinitionNode, fragments: dict[str, Any]) -> dict | None:
    """Plans shared by every request running `operation` (the same parsed object), or None when
    a directive (@skip, @include, @defer…) can make the selection depend on the variables. The
    compiler keeps its statements here too (under keys of its own), dropped with the document."""
    entry = _SHARED_PLANS.get(id(operation))
    if entry is None:
        shared = None if _has_directives([operation, *fragments.values()]) else {}
        entry = _SHARED_PLANS[id(operation)] = (operation, shared)  # keeps `operation` (and its id) alive
        if len(_SHARED_PLANS) > _SHARED_OPERATIONS:
            _SHARED_PLANS.popitem(last=False)
    else:
        _SHARED_PLANS.move_to_end(id(operation))
    return entry[1]


def _has_directives(nodes: list[Any]) -> bool:
    for node in nodes:
        for selection in node.selection_set.selections if node.selection_set else ():
            if selection.directives or (getattr(selection, "selection_set", None) and _has_directives([selection])):
                return True
    return False


def _weak(method: Callable) -> Callable:
    """`method`, called through a weak reference to its object."""
    reference = weakref.WeakMethod(method)

    def call(*args: Any) -> Any:
        return reference()(*args)

    return call


def _has_middleware(manager: Any) -> bool:
    # Strawberry always passes a manager; it wraps resolvers only when an extension has `resolve`.
    return manager is not None and bool(manager.middlewares)


def _global_id(type_name: str) -> Complete:
    def complete(value: Any) -> Any:
        if value is None:
            raise _Irregular
        return to_base64(type_name, str(value))

    return complete


def _non_null(inner: Complete) -> Complete:
    def complete(value: Any) -> Any:
        if value is None:
            raise _Irregular
        return inner(value)

    return complete


def _list_of(item: Complete) -> Complete:
    def complete(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is not list and type(value) is not tuple:
            raise _Irregular
        return [item(element) for element in value]

    return complete


def _leaf(leaf_type: Any) -> Complete:
    coerce = leaf_type.coerce_output_value
    unchanged = _SERIALISED_AS_ITSELF.get(leaf_type)  # graphql-core returns such values as they are
    names: dict[Any, Any] | None = {} if is_enum_type(leaf_type) else None  # enum member -> name

    def complete(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is unchanged:
            return value
        if names is not None and isinstance(value, Enum):
            name = names.get(value)
            if name is None:
                name = names[value] = coerce(value)
            return name
        if isinstance(value, Exception):  # graphql-core raises a resolver's returned exception
            raise _Irregular
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise _Irregular
        return coerced

    return complete


# Scalars whose serialisation returns a value of this exact type unchanged (graphql-core's own).
_SERIALISED_AS_ITSELF = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool}


def _object(object_type: GraphQLObjectType, plan: _ObjectPlan) -> Complete:
    is_type_of = object_type.is_type_of

    def complete(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is Completed:  # a connection page's node, made by the database (`compiler`)
            return value.data
        if is_type_of is not None and not is_type_of(value, None):
            raise _Irregular
        return plan.complete_plain(value)

    return complete


def forget_shared_plans(document: DocumentNode) -> None:
    """Drop the plans of `document`'s operations, which keep it alive: for a parser cache that
    lets the document go."""
    for definition in document.definitions:
        _SHARED_PLANS.pop(id(definition), None)
