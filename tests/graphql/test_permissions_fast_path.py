"""Permission checks, field extensions and custom Relay ids hold on the fast executor's path.

Strawberry marks a field's resolver as its default (`_is_default`) whenever the field has no
resolver function, even when it has permission classes or extensions: the executor must not take
that marker alone as leave to read the attribute. Each schema here runs through
`PlainFieldExecutor` and through Strawberry's own execution context, which must answer alike.
"""

from typing import Any

import pytest
import strawberry
from strawberry import relay
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission

from registry.graphql.core.compat import StrawberryExecutionContext
from registry.graphql.core.execution import PlainFieldExecutor


class Deny(BasePermission):
    message = "the vault's secret is not for you"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return False


class Shout(FieldExtension):
    def resolve(self, next_: Any, source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        return next_(source, info, **kwargs).upper()


@strawberry.type
class Keeper:
    name: str
    secret: str = strawberry.field(permission_classes=[Deny])


@strawberry.type
class Vault:
    name: str
    secret: str | None = strawberry.field(permission_classes=[Deny])
    motto: str = strawberry.field(extensions=[Shout()])
    keeper: Keeper


@strawberry.type
class Badge(relay.Node):
    code: relay.NodeID[str]
    label: str

    @classmethod
    def resolve_id(cls, root: "Badge", *, info: strawberry.Info) -> str:
        return f"badge-{root.code}"


@strawberry.type
class Pass(relay.Node):
    code: relay.NodeID[str]
    label: str


class VisitorPass(Pass):
    """Not a GraphQL type of its own: served as `Pass`, but Strawberry asks the object's class for its id."""

    @classmethod
    def resolve_id(cls, root: Pass, *, info: strawberry.Info) -> str:
        return f"visitor-{root.code}"


@strawberry.type
class Query:
    @strawberry.field
    def vaults(self) -> list[Vault]:
        return [Vault(name=f"vault {i}", secret=f"s{i}", motto=f"motto {i}", keeper=Keeper(name="k", secret="ks"))
                for i in range(3)]

    @strawberry.field
    def badges(self) -> list[Badge]:
        return [Badge(code="a", label="A"), Badge(code="b", label="B")]

    @strawberry.field
    def passes(self) -> list[Pass]:
        return [Pass(code="a", label="A"), VisitorPass(code="b", label="B")]


fast = strawberry.Schema(query=Query, types=[Badge, Pass], execution_context_class=PlainFieldExecutor)
baseline = strawberry.Schema(query=Query, types=[Badge, Pass], execution_context_class=StrawberryExecutionContext)


def _both(query: str) -> list[tuple[Any, list[tuple[str, Any]]]]:
    results = [schema.execute_sync(query) for schema in (fast, baseline)]
    return [(r.data, sorted((e.message, e.path) for e in r.errors or [])) for r in results]


def test_a_denying_permission_on_a_field_without_resolver_holds():
    ours, theirs = _both("{ vaults { name secret } }")
    assert ours == theirs
    data, errors = ours
    assert [vault["secret"] for vault in data["vaults"]] == [None, None, None]
    assert [message for message, _ in errors] == [Deny.message] * 3


def test_a_denying_permission_on_a_nested_non_null_field_holds():
    ours, theirs = _both("{ vaults { name keeper { name secret } } }")
    assert ours == theirs
    data, errors = ours
    assert data is None  # the non-null secret nulls every parent up to the root
    assert errors and all(message == Deny.message for message, _ in errors)


def test_a_field_extension_on_a_field_without_resolver_runs():
    ours, theirs = _both("{ vaults { name motto } }")
    assert ours == theirs
    assert [vault["motto"] for vault in ours[0]["vaults"]] == ["MOTTO 0", "MOTTO 1", "MOTTO 2"]


@pytest.mark.parametrize(
    ("query", "node_ids"),
    [
        ("{ badges { id label } }", [("Badge", "badge-a"), ("Badge", "badge-b")]),
        ("{ passes { id label } }", [("Pass", "a"), ("Pass", "visitor-b")]),
    ],
    ids=["type-resolve-id", "object-class-resolve-id"],
)
def test_a_custom_resolve_id_gives_the_node_id(query, node_ids):
    ours, theirs = _both(query)
    assert ours == theirs
    data, errors = ours
    assert not errors
    field = next(iter(data))
    assert [relay.GlobalID.from_id(node["id"]) for node in data[field]] == [
        relay.GlobalID(type_name, node_id) for type_name, node_id in node_ids
    ]
