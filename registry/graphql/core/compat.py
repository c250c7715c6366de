"""The private parts of Strawberry and graphql-core the registry relies on, all in one place.

The fast executor (`execution.py`) and the prefetch walk (`prefetch.py`) reach below the public
APIs of both libraries: graphql-core's executor methods (documented as private), Strawberry's
execution context, the Strawberry definitions kept on graphql-core's schema objects, the marker on
Strawberry's basic resolvers, Relay's `Node.id` resolver. Each is named here with what it is and
why we need it, and the rest of the package uses it from here only.

`pyproject.toml` pins both libraries to `SUPPORTED_VERSIONS`. `tests/graphql/test_compat.py`
checks the installed versions against them and every internal below against the shape listed
here, so an upgrade fails there, naming the internal and the version, rather than answering wrongly.
"""

from typing import Any

from cross_web import HTTPException
from graphql import GraphQLField, GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema
from graphql.execution.collect_fields import FieldDetails, FragmentDetails, collect_subfields
from graphql.execution.values import VariableValues
from strawberry.http.parse_content_type import parse_content_type
from strawberry.relay import Node
from strawberry.resolvers import is_default_resolver
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types.field import StrawberryField
from strawberry.types.graphql import OperationType
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection
from strawberry.types.unset import UNSET
from strawberry.utils.str_converters import to_camel_case

# Re-exported for the rest of the package, each for one reason:
# - `FragmentSpread`, `InlineFragment`, `SelectedField`, `Selection`: the selection tree of
#   `Info.selected_fields` (not exported), which the prefetch walk follows to load each
#   relationship the client asked for;
# - `to_camel_case`: how Strawberry names a field unless it sets a name (auto_camel_case), which
#   the prefetch walk uses to map the client's field names back to Python attributes;
# - `MaybeNullValidationRule`, `OneOfInputValidationRule`: Strawberry's own validation rules,
#   which its ValidationCache adds to graphql-core's; our validation (`limits.py`) replaces that
#   cache, so it runs them itself;
# - `HTTPException` (from cross_web, which Strawberry's views are built on), `parse_content_type`,
#   `CannotGetOperationTypeError`, `InvalidOperationTypeError`, `OperationType`, `UNSET`: what
#   the router (`registry/http/router.py`) meets when it extends Strawberry's HTTP view: the
#   exception its hooks raise to refuse a request, the errors it raises for a mutation over GET
#   or an unnamed operation among several, its content-type parser (which the router and the
#   prepared lane read through `http/protocol.py`), and the marker of an argument not given.

__all__ = [
    "UNSET",
    "FieldDetails",
    "FragmentDetails",
    "VariableValues",
    "collect_subfields",
    "graphql_core_info",
    "strawberry_origin",
    "CannotGetOperationTypeError",
    "HTTPException",
    "InvalidOperationTypeError",
    "MaybeNullValidationRule",
    "OneOfInputValidationRule",
    "OperationType",
    "parse_content_type",
    "EXECUTOR_ATTRIBUTES",
    "EXECUTOR_BUILD_PARAMETERS",
    "EXECUTOR_METHODS",
    "SUPPORTED_VERSIONS",
    "FragmentSpread",
    "InlineFragment",
    "SelectedField",
    "Selection",
    "StrawberryExecutionContext",
    "default_node_id",
    "graphql_core_schema",
    "plain_attribute",
    "selected_field",
    "to_camel_case",
]

SUPPORTED_VERSIONS = {"strawberry-graphql": ">=0.341.2,<0.342", "graphql-core": ">=3.3.2,<3.4"}
"""The releases this module was written for (and the tests pass on); pyproject.toml pins the same."""

# --- graphql-core: the executor ------------------------------------------------------------------

EXECUTOR_METHODS: dict[str, tuple[str, ...]] = {
    "complete_object_value": ("return_type", "field_details_list", "info", "path", "result", "position_context"),
    "execute_fields": ("parent_type", "source_value", "path", "grouped_field_set", "position_context"),
    "collect_subfields": ("return_type", "field_details_list"),
    "build_resolve_info": ("field_def", "field_nodes", "parent_type", "path"),
}
"""Private methods of graphql-core's executor, with their parameters: `PlainFieldExecutor`
overrides `complete_object_value` to complete plain fields in one step, calls `collect_subfields`
(whose result is `(grouped_field_set, new_defer_usages, forbidden_directives)`, a grouped field
set mapping response keys to lists of `FieldDetails` with a `.node`) and `execute_fields` for the
fields it leaves to graphql-core; the tests count `build_resolve_info` calls."""

EXECUTOR_BUILD_PARAMETERS = ("schema", "document", "root_value", "context_value")
"""The first parameters of graphql-core's `Executor.build`, the classmethod that coerces the
variables; `PlainFieldExecutor.build` reads the context among them and passes `hide_suggestions`
(a keyword parameter) in production, which Strawberry never sets."""

EXECUTOR_ATTRIBUTES = (
    "schema", "operation", "fragment_definitions", "context_value", "middleware_manager", "async_helpers",
)
"""Executor attributes `PlainFieldExecutor` reads (`middleware_manager.middlewares` too), or sets:
`async_helpers`, the `GraphQLResolveInfoHelpers` of the executor's own `gather_async_work` and
`track_async_work` that resolve infos carry, made weak to break a cycle."""

# --- graphql-core: field collection --------------------------------------------------------------
# `collect_subfields(schema, fragments, variable_values, operation, object_type, field_details_list)`
# (module `graphql.execution.collect_fields`, not exported) groups a field's sub-selection for one
# object type, through fragments and @skip/@include, exactly as the executor does; with it take its
# `FieldDetails(node, defer_usage)`, `FragmentDetails(definition)` and `VariableValues(sources,
# coerced)` (Strawberry's resolve info carries only the coerced dict; `sources` serve fragment
# variables and printing, neither of which collecting needs). The compiler (`compiler.py`) runs it
# from a resolver, where the executor's own memoised method is out of reach.

# --- Strawberry ----------------------------------------------------------------------------------

StrawberryExecutionContext = StrawberryGraphQLCoreExecutionContext
"""Strawberry's executor (in `strawberry.schema.schema`, not exported): `PlainFieldExecutor` extends
it, so that resolvers keep Strawberry's info objects; `REGISTRY_EXECUTOR=strawberry` leaves it every field."""

_DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF
# The key under which Strawberry keeps, in a graphql-core type's or field's `extensions`, the
# Strawberry definition it was made from.

_NODE_ID_RESOLVER = Node._id.__func__
# The resolver of Relay's `Node.id` (a private classmethod): recognised so that its global id is
# computed without it when a type keeps Strawberry's defaults.


def _definition(graphql_object: GraphQLField | GraphQLObjectType) -> Any:
    return graphql_object.extensions.get(_DEFINITION) if graphql_object.extensions else None


def graphql_core_info(info: Any) -> GraphQLResolveInfo:
    """graphql-core's resolve info under Strawberry's `Info` (its private `_raw_info`): the field
    nodes, fragments and variables the compiler collects a node's selection from."""
    return info._raw_info


def strawberry_origin(object_type: GraphQLObjectType) -> type | None:
    """The Strawberry class a graphql-core object type was made from."""
    definition = _definition(object_type)
    return definition.origin if definition is not None else None


def graphql_core_schema(schema: Any) -> GraphQLSchema:
    """The graphql-core schema a Strawberry schema wraps (its private `_schema`): our validation
    rules and argument checks work on graphql-core's types, as Strawberry's own extensions do."""
    return schema._schema


def plain_attribute(field_def: GraphQLField) -> str | None:
    """The attribute Strawberry's basic resolver reads for this field, or None when the field has
    anything more: a resolver, an argument-taking `get_result`, a permission class, an extension.

    Strawberry marks a field's resolver `_is_default` (`is_default_resolver`) whenever the field
    has no resolver function, even when it has permission classes or extensions (it then wraps them
    around the read): the marker alone must not let a field skip its checks."""
    field = _definition(field_def)
    if (
        not isinstance(field, StrawberryField)
        or not is_default_resolver(field_def.resolve)
        or field.permission_classes
        or not field.is_basic_field  # no resolver and no extensions (permissions are one)
        or field.default_resolver is not getattr  # StrawberryConfig(default_resolver=…) differs
        or type(field).get_result is not StrawberryField.get_result
    ):
        return None
    return field.python_name


def default_node_id(object_type: GraphQLObjectType, field_def: GraphQLField) -> tuple[type, str] | None:
    """`(node class, NodeID attribute)` when the field is Relay's `Node.id` and the type keeps
    Strawberry's `resolve_id` and `resolve_typename`: then its value is
    `GlobalID(<GraphQL type name>, str(getattr(node, <NodeID attribute>)))` for a node of exactly
    that class (Strawberry asks the node's own class, which a subclass may change)."""
    field = _definition(field_def)
    resolver = field.base_resolver if isinstance(field, StrawberryField) else None
    if resolver is None or getattr(resolver.wrapped_func, "__func__", None) is not _NODE_ID_RESOLVER:
        return None
    node_class = _definition(object_type).origin
    if (
        node_class.resolve_id.__func__ is not Node.resolve_id.__func__
        or node_class.resolve_typename.__func__ is not Node.resolve_typename.__func__
        or field.permission_classes
        or field.extensions
    ):
        return None
    return node_class, node_class.resolve_id_attr()


def selected_field(name: str, selections: list[Selection] | None = None) -> SelectedField:
    """A selection made in code (a resolver prefetching more than the client asked for), built by
    keyword: the order of `SelectedField`'s fields is Strawberry's to change."""
    return SelectedField(name=name, directives={}, arguments={}, selections=selections or [])
