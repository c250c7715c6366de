"""Checks every argument value passes before any resolver sees it: no NUL character, no long
list, no ID that is not a global id.

PostgreSQL refuses U+0000 in text (SQLite keeps it), each item of a list argument becomes one SQL
parameter (PostgreSQL takes at most 32,767 per statement), and Strawberry reports an undecodable
global id without a code or the argument's name. graphql-core reserves the names of the String
and ID scalars, so their parsing cannot be overridden; instead literals in the document are
checked by a validation rule (cached with the rest of the document's validation) and variables
just before execution, both naming what they refuse: `filter.tag[2]` for an argument, `$tags[2]`
for a variable.
"""

from collections.abc import Iterator
from itertools import repeat
from typing import Any

from graphql import (
    ArgumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLID,
    GraphQLInputType,
    GraphQLNonNull,
    ListValueNode,
    Node,
    ObjectFieldNode,
    StringValueNode,
    ValidationRule,
    VariableDefinitionNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_input_object_type,
    is_list_type,
    type_from_ast,
)
from strawberry.extensions import AddValidationRules
from strawberry.relay import GlobalID, GlobalIDValueError

from .compat import graphql_core_schema
from .errors import bad_argument

__all__ = ["MAX_LIST_LENGTH", "ArgumentValueChecks", "allow_longer_lists", "variable_problem"]

MAX_LIST_LENGTH = 100
# Lists of these input types may hold more items (bulkUpsert's records), by the item type's name:
# the item type, not the argument, is what both a literal and a variable know where they are checked.
_LONGER_LISTS: dict[str, int] = {}
_NUL = "\x00"
_NUL_REFUSED = "must not contain the NUL character (U+0000)"


def allow_longer_lists(item_type_name: str, maximum: int) -> None:
    """Let lists of the input type `item_type_name` hold up to `maximum` items (its field checks the rest)."""
    _LONGER_LISTS[item_type_name] = maximum


def _list_limit(list_type: GraphQLInputType | None) -> int:
    named = get_named_type(list_type) if list_type is not None else None
    return _LONGER_LISTS.get(named.name, MAX_LIST_LENGTH) if named is not None else MAX_LIST_LENGTH


def _too_long(maximum: int, length: int) -> str:
    return f"at most {maximum} items, got {length}"


def _text_problem(text: str, input_type: GraphQLInputType | None) -> str | None:
    if _NUL in text:
        return _NUL_REFUSED
    if input_type is not None and get_named_type(input_type) is GraphQLID:
        try:
            GlobalID.from_id(text)
        except GlobalIDValueError:
            return "not an id given out by this API"
    return None


def _literal_path(chain: list[Any], keys: list[str | int]) -> str:
    """`filter.tag[2]`, or `$tags[2]` in a variable's default, for the value under `chain`.

    `chain` holds the visitor's ancestors and parent, `keys[i]` the key leading out of `chain[i]`.
    """
    parts: list[str] = []
    for i, item in enumerate(chain):
        if isinstance(item, ArgumentNode):
            parts = [item.name.value]
        elif isinstance(item, VariableDefinitionNode):
            parts = [f"${item.variable.name.value}"]
        elif isinstance(item, ObjectFieldNode):
            parts.append(f".{item.name.value}")
        elif not isinstance(item, Node) and isinstance(chain[i - 1], ListValueNode):  # the list's items
            parts.append(f"[{keys[i]}]")
    return "".join(parts)


class ArgumentLiteralRule(ValidationRule):
    """Refuses string literals holding NUL or (as an ID) not a global id, and long list literals."""

    def enter_string_value(self, node: StringValueNode, _key, parent, path, ancestors) -> None:
        if (problem := _text_problem(node.value, self.context.get_input_type())) is not None:
            self.report_error(bad_argument(_literal_path([*ancestors, parent], path), problem, node))

    def enter_list_value(self, node: ListValueNode, _key, parent, path, ancestors) -> None:
        maximum = _list_limit(self.context.get_input_type())
        if len(node.values) > maximum:
            argument = _literal_path([*ancestors, parent], path)
            self.report_error(bad_argument(argument, _too_long(maximum, len(node.values)), node))


def variable_problem(
    variables: dict[str, Any], types: dict[str, GraphQLInputType | None]
) -> GraphQLError | None:
    """The first problem anywhere in the variables, walked along their declared types (without
    recursion, so no nesting is too deep); a value whose shape does not fit its type is left to
    graphql-core's own coercion errors.

    Variables almost always pass, so they are walked once without noting where each value sits
    (a bulk write's 500 records took half as long again that way), and only if this walk finds
    a problem, again to name the first one and its place."""
    return _first_problem(variables, types) if _any_problem(variables, types) else None


def _any_problem(variables: dict[str, Any], types: dict[str, GraphQLInputType | None]) -> bool:
    """Whether `_first_problem` finds one: the same checks, in any order. Strings in an input
    object are checked where they are met and scalars are not queued."""
    pending = [(value, types.get(name)) for name, value in variables.items()]
    while pending:
        value, input_type = pending.pop()
        if isinstance(input_type, GraphQLNonNull):
            input_type = input_type.of_type
        if isinstance(value, dict):
            fields = input_type.fields if is_input_object_type(input_type) else {}
            for key, item in value.items():
                if isinstance(item, str):
                    field = fields.get(key)
                    if _text_problem(item, field.type if field else None) is not None:
                        return True
                elif isinstance(item, (list, dict)):
                    field = fields.get(key)
                    pending.append((item, field.type if field else None))
        elif isinstance(value, list):
            if len(value) > _list_limit(input_type):
                return True
            pending += zip(value, repeat(input_type.of_type if is_list_type(input_type) else None))
        elif isinstance(value, str) and _text_problem(value, input_type) is not None:
            return True
    return False


# Where a value sits in the variables: (the enclosing place, a dict key or list index), the root
# place's key being the variable's name. Spelt out only for an error, so walking stays linear
# however deep the values nest.
_Place = tuple[Any, str | int]


def _spelt(place: _Place) -> str:
    steps = []
    while place[0] is not None:
        place, key = place
        steps.append(f"[{key}]" if isinstance(key, int) else f".{key}")
    return f"${place[1]}" + "".join(reversed(steps))


def _first_problem(
    variables: dict[str, Any], types: dict[str, GraphQLInputType | None]
) -> GraphQLError | None:
    """`variable_problem`'s answer: the walk that names the place of what it refuses."""
    pending = [((None, name), value, types.get(name)) for name, value in variables.items()]
    while pending:
        place, value, input_type = pending.pop()
        input_type = get_nullable_type(input_type) if input_type is not None else None
        if isinstance(value, str):
            if (problem := _text_problem(value, input_type)) is not None:
                return bad_argument(_spelt(place), problem)
        elif isinstance(value, list):
            maximum = _list_limit(input_type)
            if len(value) > maximum:
                return bad_argument(_spelt(place), _too_long(maximum, len(value)))
            item_type = input_type.of_type if is_list_type(input_type) else None
            pending += [((place, index), item, item_type) for index, item in enumerate(value)]
        elif isinstance(value, dict):
            fields = input_type.fields if is_input_object_type(input_type) else {}
            pending += [((place, key), item, fields[key].type if key in fields else None)
                        for key, item in value.items()]
    return None


class ArgumentValueChecks(AddValidationRules):
    """Adds the literal rule, and answers a request whose variables fail the same checks unexecuted."""

    def __init__(self) -> None:
        super().__init__([ArgumentLiteralRule])

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        operation = get_operation_ast(context.graphql_document, context.operation_name)
        definitions = (operation.variable_definitions if operation is not None else None) or ()
        types = {
            definition.variable.name.value: type_from_ast(graphql_core_schema(context.schema), definition.type)
            for definition in definitions
        }
        if (problem := variable_problem(context.variables or {}, types)) is not None:
            context.result = ExecutionResult(data=None, errors=[problem])  # Strawberry then skips execution
        yield
