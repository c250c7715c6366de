"""The executor: Strawberry's own, completing plain attribute fields in one step.

graphql-core completes every field of a response the same way: it builds a resolve info, calls
the field's resolver, checks whether the result must be awaited, then completes it by its type.
For a page of 50 projects that is some 1,700 fields, and it was 60% of the request's CPU time,
although nearly all of them only read an attribute (`prefetch` has already set every
relationship as a plain attribute).

`PlainFieldExecutor` keeps that machinery for every field that needs it, and completes the rest
from a plan worked out once per selection: a field is *plain* when Strawberry would serve it
with its basic resolver (no resolver function, no arguments, no field extension or permission),
and its type is a scalar, an enum, a list of them, or an object type whose selected fields are
all plain in turn. Plain fields are read with `getattr` and serialised by their type's own
`coerce_output_value`, exactly what graphql-core would do. Relay's `Node.id`, when a type keeps
Strawberry's default `resolve_id` and `resolve_typename`, is plain too: the global id of the type's
name and its `NodeID` attribute, which is all Strawberry's resolver computes (through an info
object, argument parsing and a `GlobalID`: a tenth of a page's time). Every other field (a
resolver, `__typename`, an interface) goes through graphql-core's `execute_fields` as before.

A plain read has no side effects, so anything out of the ordinary (a null in a non-null field,
a value of the wrong type, a scalar that will not serialise, a relationship nobody prefetched)
drops the whole object back to graphql-core's path, which then reports the error with its
usual path and message.

Plans are made once per parsed operation and shared by the requests that run it (the parser
cache hands them the same document), unless a directive makes the selection depend on the
variables: then each request makes its own. Making them was a tenth of a detail page's time.
"""

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
    GraphQLString,
    OperationDefinitionNode,
    is_enum_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.pyutils import Undefined
from strawberry import relay
from strawberry.relay import to_base64
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

__all__ = ["PlainFieldExecutor", "forget_shared_plans"]

Complete = Callable[[Any], Any]


class _Irregular(Exception):
    """A plain value the fast path does not complete; graphql-core's path will (and report it)."""


class _ObjectPlan:
    """How to complete one object type under one selection."""

    __slots__ = ("delegated", "names", "plain")

    def __init__(self, names: list[str], plain: list[tuple[str, str, Complete]], delegated: dict):
        self.names = names  # every response key, in the order the client asked for them
        self.plain = plain  # (response key, attribute, completion) of the plain fields
        self.delegated = delegated  # the rest, as a graphql-core grouped field set

    def complete_plain(self, source: Any) -> dict[str, Any]:
        if not self.delegated:  # the plain fields are all of them, in the client's order
            return {key: complete(getattr(source, attribute)) for key, attribute, complete in self.plain}
        data = dict.fromkeys(self.names)
        for key, attribute, complete in self.plain:
            data[key] = complete(getattr(source, attribute))
        return data


class PlainFieldExecutor(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (object type, id(field details)) -> (field details kept alive, plan or None)
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[Any, _ObjectPlan | None]] = {}
        self._shared: dict[tuple, tuple[Any, _ObjectPlan | None]] | None = _shared_plans(
            self.operation, self.fragment_definitions
        )

    def complete_object_value(self, return_type, field_details_list, info, path, result, position_context):
        # Incremental delivery (@defer/@stream) and field middleware keep graphql-core's path.
        if position_context is None and not _has_middleware(self.middleware_manager):
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
        plain, delegated = [], {}
        for key, details in grouped_field_set.items():
            field_node = details[0].node
            field_def = self.schema.get_field(object_type, field_node.name.value)
            attribute, complete = None, None
            if field_def is None or field_node.arguments:
                pass
            elif _reads_attribute(field_def):
                attribute = _strawberry_field(field_def).python_name
                complete = self._completion(field_def.type, details)
            elif (attribute := _default_node_id_attribute(object_type, field_def)) is not None:
                complete = _global_id(object_type.name)
            if complete is None:
                delegated[key] = details
            else:
                plain.append((key, attribute, complete))
        if not plain:
            return None
        return _ObjectPlan(list(grouped_field_set), plain, delegated)

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


def _shared_plans(operation: OperationDefinitionNode, fragments: dict[str, Any]) -> dict | None:
    """Plans shared by every request running `operation` (the same parsed object), or None when
    a directive (@skip, @include, @defer…) can make the selection depend on the variables."""
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


def _has_middleware(manager: Any) -> bool:
    # Strawberry always passes a manager; it wraps resolvers only when an extension has `resolve`.
    return manager is not None and bool(manager.middlewares)


def _strawberry_field(field_def: Any) -> Any:
    return field_def.extensions.get("strawberry-definition") if field_def.extensions else None


def _reads_attribute(field_def: Any) -> bool:
    """Strawberry serves the field with its basic resolver (`getattr`, no info, no arguments).

    Strawberry marks that resolver `_is_default` only for a field without resolver, extensions
    or permissions; the default resolver must still be `getattr` (it is configurable)."""
    definition = _strawberry_field(field_def)
    return (
        definition is not None
        and getattr(field_def.resolve, "_is_default", False)
        and definition.default_resolver is getattr
    )


def _default_node_id_attribute(object_type: GraphQLObjectType, field_def: Any) -> str | None:
    """The attribute holding the node id, when the field is Relay's `Node.id` served Strawberry's
    default way: `GlobalID(<GraphQL type name>, str(getattr(node, <NodeID attribute>)))`."""
    definition = _strawberry_field(field_def)
    resolver = definition.base_resolver if definition is not None else None
    if resolver is None or getattr(resolver.wrapped_func, "__func__", None) is not _NODE_ID_RESOLVER:
        return None
    origin = object_type.extensions["strawberry-definition"].origin
    if (
        origin.resolve_id.__func__ is not relay.Node.resolve_id.__func__
        or origin.resolve_typename.__func__ is not relay.Node.resolve_typename.__func__
        or definition.extensions
    ):
        return None
    return origin.resolve_id_attr()


_NODE_ID_RESOLVER = relay.Node._id.__func__


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
        if is_type_of is not None and not is_type_of(value, None):
            raise _Irregular
        return plan.complete_plain(value)

    return complete


def forget_shared_plans(document: DocumentNode) -> None:
    """Drop the plans of `document`'s operations, which keep it alive: for a parser cache that
    lets the document go."""
    for definition in document.definitions:
        _SHARED_PLANS.pop(id(definition), None)
