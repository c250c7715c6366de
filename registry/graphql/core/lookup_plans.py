"""Plans for documents that only look records up by global id, answered from compiled statements.

A query whose every root field is `node(id:)`, `nodes(ids:)` or `__typename` needs nothing of
graphql-core once its document has validated: each lookup's selection is one compiled statement per
type (`compiler.shared_statement`), whose JSON is the node's whole response. `LookupPlan` keeps what
answering it takes (the root fields, their response keys, where their ids come from, the declared
variables) so that `registry.http.prepared` can answer later requests of the same text without
parsing, validating or executing them. It answers nothing it cannot answer exactly as the normal
path would: `bind` and `answer` return None for anything else, and the request then takes the
normal path.

Ids come from string literals or from variables declared `ID!` (for `id`) or `[ID!]!` (for `ids`)
without a default; a document with a directive anywhere, another root field, or another argument
is not planned. Per request, the variables get the checks the normal path gives them: the same
argument checks (`argument_values.variable_problem`), and the cost limit, which a list of ids
changes (`PreparedDocument.cost`).
"""

import uuid
from collections import OrderedDict
from functools import cache
from typing import Any, NamedTuple

import sqlalchemy as sa
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLID,
    GraphQLInputType,
    GraphQLSchema,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    StringValueNode,
    VariableNode,
    get_operation_ast,
    is_list_type,
    is_non_null_type,
    type_from_ast,
)
from graphql.execution.collect_fields import FragmentDetails, collect_fields
from strawberry import relay
from strawberry.relay import GlobalID, GlobalIDValueError

from .argument_values import variable_problem
from .compat import VariableValues, graphql_core_schema
from .compiler import Irregular, shared_statement
from .execution import shared_plans
from .limits import Limits, PreparedDocument, prepare
from .types import Record

__all__ = ["LookupPlan", "LookupPlans", "make_plan"]


class _Selection(NamedTuple):
    """What the compiler reads of a resolved field, as graphql-core's resolve info holds it."""

    schema: GraphQLSchema
    operation: OperationDefinitionNode
    fragments: dict[str, Any]
    field_nodes: list[FieldNode]
    return_type: Any
    variable_values: dict[str, Any]


class _RootField(NamedTuple):
    key: str  # the response key
    name: str  # node, nodes or __typename
    ids: str | tuple[str, ...] | None  # the variable's name (a str), or the literal ids
    selection: _Selection | None


class LookupPlan:
    """How to answer one operation of one query text, for any ids."""

    def __init__(
        self, schema: Any, prepared: PreparedDocument, operation_name: str | None, fields: list[_RootField],
        variables: dict[str, GraphQLInputType],
    ):
        self._schema = schema  # Strawberry's: the record types, by name
        self._prepared = prepared  # its cost polynomial; holds the document (and its nodes) alive
        self._operation_name = operation_name
        self._fields = fields
        self._variables = variables  # the declared types, by name

    def bind(self, variables: dict[str, Any], limits: Limits) -> list[tuple[str, ...]] | None:
        """The ids of each root field for these variables; None when the normal path would refuse
        them or coerce them into something else (an ID given as a number, one id for a list)."""
        if not variables.keys() <= self._variables.keys():
            return None  # the normal path checks undeclared variables too
        bound = []
        for field in self._fields:
            ids = field.ids
            if isinstance(ids, str):
                value = variables.get(ids)
                if field.name == "node" and type(value) is str:
                    ids = (value,)
                elif field.name == "nodes" and type(value) is list and all(type(item) is str for item in value):
                    ids = tuple(value)
                else:
                    return None
            bound.append(ids or ())
        if variable_problem(variables, self._variables) is not None:
            return None
        if self._prepared.cost(self._operation_name, variables) > limits.max_cost:
            return None
        return bound

    async def answer(self, bound: list[tuple[str, ...]], reads: Any, dialect: sa.Dialect) -> dict | None:
        """The response's `data` for the bound ids, read through `reads`; None when a record is
        missing, an id names no record type, or a value needs the normal path (`Irregular`)."""
        data: dict[str, Any] = {}
        for field, ids in zip(self._fields, bound, strict=True):
            if field.selection is None:
                data[field.key] = "Query"
                continue
            nodes = await _lookup(self._schema, field.selection, ids, reads, dialect)
            if nodes is None:
                return None
            data[field.key] = nodes[0] if field.name == "node" else nodes
        return data


async def _lookup(
    schema: Any, selection: _Selection, ids: tuple[str, ...], reads: Any, dialect: sa.Dialect
) -> list | None:
    wanted: list[tuple[type, uuid.UUID]] = []
    by_class: dict[type, list[uuid.UUID]] = {}
    for text in ids:
        try:
            global_id = GlobalID.from_id(text)
            key = uuid.UUID(global_id.node_id)
        except (GlobalIDValueError, ValueError):
            return None
        definition = schema.get_type_by_name(global_id.type_name)
        cls = _compiled_record_class(getattr(definition, "origin", None))
        if cls is None:
            return None
        wanted.append((cls, key))
        by_class.setdefault(cls, []).append(key)
    found = {}
    for cls, keys in by_class.items():
        statement = shared_statement(selection, dialect, cls)
        if statement is None:
            return None
        try:
            loaded = await statement.load(reads, keys)
        except Irregular:
            return None
        found.update(((cls, key), completed.data) for key, completed in loaded.items())
    if len(found) < len(set(wanted)):
        return None  # not found (or deleted): the normal path says so
    return [found[item] for item in wanted]


@cache
def _compiled_record_class(origin: Any) -> type | None:
    """`origin` when it is a Record type whose lookup is the compiled one (`Record.resolve_nodes`)."""
    if (
        not isinstance(origin, type)
        or not issubclass(origin, Record)
        or origin.resolve_nodes.__func__ is not Record.resolve_nodes.__func__
        or origin.resolve_node.__func__ is not relay.Node.resolve_node.__func__
    ):
        return None
    return origin


def make_plan(strawberry_schema: Any, query: str, operation_name: str | None, limits: Limits,
              cache_bytes: int) -> LookupPlan | None:
    """The plan of `query`'s operation `operation_name`, or None when it is not a lookup the plan
    answers. Only for a text the normal path has served without errors: this checks its shape,
    not its validity."""
    try:
        prepared = prepare(query, limits, cache_bytes)  # the parser cache's: the normal path parsed it
    except GraphQLError:
        return None
    document = prepared.document
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation != OperationType.QUERY:
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    if shared_plans(operation, fragments) is None:
        return None  # a directive: the selection depends on the variables
    schema = graphql_core_schema(strawberry_schema)
    declared = {}
    for definition in operation.variable_definitions or ():
        if definition.default_value is not None:
            return None
        declared[definition.variable.name.value] = type_from_ast(schema, definition.type)
    collected = collect_fields(
        schema, {name: FragmentDetails(node) for name, node in fragments.items()}, VariableValues({}, {}),
        schema.query_type, operation,
    )
    fields = []
    for key, details in collected.grouped_field_set.items():
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            fields.append(_RootField(key, name, None, None))
            continue
        argument = {"node": "id", "nodes": "ids"}.get(name)
        if argument is None or len(node.arguments) != 1 or node.arguments[0].name.value != argument:
            return None
        ids = _ids(node.arguments[0].value, declared, listed=name == "nodes")
        if ids is None:
            return None
        selection = _Selection(
            schema, operation, fragments, [d.node for d in details], schema.query_type.fields[name].type, {}
        )
        fields.append(_RootField(key, name, ids, selection))
    return LookupPlan(strawberry_schema, prepared, operation_name, fields, declared)


def _ids(value: Any, declared: dict[str, Any], *, listed: bool) -> str | tuple[str, ...] | None:
    """Where a lookup's ids come from: a variable of exactly `ID!` (`[ID!]!` for a list), or
    string literals; None for anything else."""
    if isinstance(value, VariableNode):
        name = value.name.value
        type_ = declared.get(name)
        if listed:
            if not (is_non_null_type(type_) and is_list_type(type_.of_type)):
                return None
            type_ = type_.of_type.of_type
        return name if is_non_null_type(type_) and type_.of_type is GraphQLID else None
    if not listed and isinstance(value, StringValueNode):
        return (value.value,)
    if listed and isinstance(value, ListValueNode) and all(isinstance(v, StringValueNode) for v in value.values):
        return tuple(v.value for v in value.values)
    return None


class LookupPlans:
    """Plans (or None: not a lookup) by (query text, operationName), the least recently used
    dropped first beyond `max_entries`; counts the requests they answered."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self.served = 0
        self._entries: OrderedDict[tuple[str, str | None], LookupPlan | None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: tuple[str, str | None]) -> bool:
        return key in self._entries

    def get(self, key: tuple[str, str | None]) -> LookupPlan | None:
        plan = self._entries.get(key)
        if plan is not None:
            self._entries.move_to_end(key)
        return plan

    def put(self, key: tuple[str, str | None], plan: LookupPlan | None) -> None:
        self._entries[key] = plan
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
