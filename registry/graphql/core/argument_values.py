"""Checks every argument value passes before any resolver sees it: no NUL character, no long list.

PostgreSQL refuses U+0000 in text (SQLite keeps it), and each item of a list argument becomes one
SQL parameter (PostgreSQL takes at most 32,767 per statement). graphql-core reserves the name of
the String scalar, so its parsing cannot be overridden; instead literals in the document are
checked by a validation rule (cached with the rest of the document's validation) and variables
just before execution, both naming what they refuse: `filter.tag[2]` for an argument, `$tags[2]`
for a variable.
"""

from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    ExecutionResult,
    GraphQLError,
    ListValueNode,
    Node,
    ObjectFieldNode,
    StringValueNode,
    ValidationRule,
    VariableDefinitionNode,
)
from strawberry.extensions import AddValidationRules

from .errors import bad_argument

__all__ = ["MAX_LIST_LENGTH", "ArgumentValueChecks"]

MAX_LIST_LENGTH = 100
_NUL = "\x00"
_NUL_REFUSED = "must not contain the NUL character (U+0000)"


def _too_long(length: int) -> str:
    return f"at most {MAX_LIST_LENGTH} items, got {length}"


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
    """Refuses a string literal holding NUL and a list literal longer than MAX_LIST_LENGTH."""

    def enter_string_value(self, node: StringValueNode, _key, parent, path, ancestors) -> None:
        if _NUL in node.value:
            self.report_error(bad_argument(_literal_path([*ancestors, parent], path), _NUL_REFUSED, node))

    def enter_list_value(self, node: ListValueNode, _key, parent, path, ancestors) -> None:
        if len(node.values) > MAX_LIST_LENGTH:
            argument = _literal_path([*ancestors, parent], path)
            self.report_error(bad_argument(argument, _too_long(len(node.values)), node))


def _variable_problem(variables: dict[str, Any]) -> GraphQLError | None:
    """The first NUL or over-long list anywhere in the variables (walked without recursion)."""
    pending = [(f"${name}", value) for name, value in variables.items()]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if _NUL in value:
                return bad_argument(path, _NUL_REFUSED)
        elif isinstance(value, list):
            if len(value) > MAX_LIST_LENGTH:
                return bad_argument(path, _too_long(len(value)))
            pending += [(f"{path}[{index}]", item) for index, item in enumerate(value)]
        elif isinstance(value, dict):
            pending += [(f"{path}.{key}", item) for key, item in value.items()]
    return None


class ArgumentValueChecks(AddValidationRules):
    """Adds the literal rule, and answers a request whose variables fail the same checks unexecuted."""

    def __init__(self) -> None:
        super().__init__([ArgumentLiteralRule])

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if (problem := _variable_problem(context.variables or {})) is not None:
            context.result = ExecutionResult(data=None, errors=[problem])  # Strawberry then skips execution
        yield
