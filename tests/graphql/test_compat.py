"""The Strawberry and graphql-core internals `registry.graphql.core.compat` names are there, as it expects.

On a release the module was not written for, these fail first, naming the internal and the
installed versions: the executor would otherwise answer wrongly or crash on every request.
"""

import dataclasses
import importlib
import inspect
import tomllib
from importlib.metadata import version
from types import ModuleType
from typing import Any

import pytest
import strawberry
from graphql import GraphQLSchema
from graphql.execution import Executor, MiddlewareManager
from graphql.execution.collect_fields import CollectedFields, FieldDetails
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from strawberry import relay
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission

from registry.config import REPO_ROOT

PACKAGES = ("strawberry-graphql", "graphql-core")
INSTALLED = ", ".join(f"{package} {version(package)}" for package in PACKAGES)


def _compat() -> ModuleType:
    try:
        return importlib.import_module("registry.graphql.core.compat")
    except (ImportError, AttributeError) as error:  # an internal it imports is gone
        pytest.fail(f"registry.graphql.core.compat cannot import an internal on {INSTALLED}: {error}")


def _changed(internal: str, how: str) -> str:
    return f"{internal} changed on {INSTALLED}: {how} (see registry/graphql/core/compat.py)"


@pytest.mark.parametrize("package", PACKAGES)
def test_the_installed_version_is_one_compat_was_written_for(package):
    supported = _compat().SUPPORTED_VERSIONS[package]
    assert version(package) in SpecifierSet(supported), (
        f"{package} {version(package)} is installed; registry/graphql/core/compat.py was written for "
        f"{supported}: check every internal it lists, then widen SUPPORTED_VERSIONS and pyproject.toml"
    )


def test_pyproject_pins_the_supported_versions():
    dependencies = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = {(requirement := Requirement(line)).name: requirement.specifier for line in dependencies}
    for package, supported in _compat().SUPPORTED_VERSIONS.items():
        assert pins.get(package) == SpecifierSet(supported), f"pyproject.toml pins {package} {pins.get(package)}"


def test_the_executor_methods_have_the_expected_parameters():
    compat = _compat()
    assert issubclass(compat.StrawberryExecutionContext, Executor), _changed(
        "strawberry.schema.schema.StrawberryGraphQLCoreExecutionContext", "no longer a graphql-core Executor"
    )
    for method, expected in compat.EXECUTOR_METHODS.items():
        found = getattr(compat.StrawberryExecutionContext, method, None)
        assert callable(found), _changed(f"Executor.{method}", "gone")
        parameters = tuple(inspect.signature(found).parameters)[1:]  # after self
        assert parameters == expected, _changed(f"Executor.{method}", f"parameters {parameters}, not {expected}")


def test_the_executor_attributes_are_declared():
    compat = _compat()
    declared: dict[str, Any] = {}
    for cls in reversed(compat.StrawberryExecutionContext.__mro__):
        declared |= getattr(cls, "__annotations__", {})
    missing = [name for name in compat.EXECUTOR_ATTRIBUTES if name not in declared]
    assert not missing, _changed("Executor attributes", f"{missing} no longer declared")
    assert MiddlewareManager().middlewares == (), _changed("MiddlewareManager.middlewares", "gone")


def test_collected_fields_have_the_expected_shape():
    assert CollectedFields._fields[:2] == ("grouped_field_set", "new_defer_usages") and len(
        CollectedFields._fields
    ) == 3, _changed("graphql.execution.collect_fields.CollectedFields", f"fields {CollectedFields._fields}")
    assert FieldDetails._fields[0] == "node", _changed("FieldDetails.node", f"fields {FieldDetails._fields}")


class _Deny(BasePermission):
    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return False


class _Pass(FieldExtension):
    def resolve(self, next_: Any, source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        return next_(source, info, **kwargs)


@strawberry.type
class Thing(relay.Node):
    code: relay.NodeID[str]
    plain: str
    guarded: str = strawberry.field(permission_classes=[_Deny])
    extended: str = strawberry.field(extensions=[_Pass()])
    renamed: str = strawberry.field(name="otherName")

    @strawberry.field
    def computed(self) -> str:
        return self.plain


@strawberry.type
class CustomId(relay.Node):
    code: relay.NodeID[str]

    @classmethod
    def resolve_id(cls, root: "CustomId", *, info: strawberry.Info) -> str:
        return root.code


@strawberry.type
class Query:
    things: list[Thing]
    custom: list[CustomId]


def _graphql_core_schema() -> GraphQLSchema:
    return strawberry.Schema(query=Query)._schema  # the graphql-core schema the executor runs on


def test_plain_attribute_reads_strawberrys_field_definitions():
    plain_attribute = _compat().plain_attribute
    fields = _graphql_core_schema().get_type("Thing").fields
    found = {name: plain_attribute(field) for name, field in fields.items()}
    assert found == {
        "id": None, "plain": "plain", "guarded": None, "extended": None, "otherName": "renamed", "computed": None,
    }, _changed("the Strawberry definition on graphql-core fields, or the `_is_default` resolver marker", f"{found}")


def test_default_node_id_recognises_relays_id_resolver():
    default_node_id = _compat().default_node_id
    schema = _graphql_core_schema()
    thing, custom = schema.get_type("Thing"), schema.get_type("CustomId")
    assert default_node_id(thing, thing.fields["id"]) == (Thing, "code"), _changed(
        "relay.Node._id (the Node.id resolver) or Node.resolve_id_attr", "not recognised"
    )
    assert default_node_id(custom, custom.fields["id"]) is None, _changed("relay.Node.resolve_id", "not compared")
    assert default_node_id(thing, thing.fields["plain"]) is None


def test_node_resolve_nodes_takes_the_arguments_record_overrides_it_with():
    parameters = inspect.signature(relay.Node.resolve_nodes).parameters  # Record.resolve_nodes overrides it
    keyword_only = [name for name, parameter in parameters.items() if parameter.kind is parameter.KEYWORD_ONLY]
    assert keyword_only == ["info", "node_ids", "required"], _changed("relay.Node.resolve_nodes", f"{keyword_only}")


def test_selections_have_the_fields_prefetch_reads():
    compat = _compat()
    expected = {
        compat.SelectedField: {"name", "directives", "arguments", "selections", "alias"},
        compat.InlineFragment: {"type_condition", "selections"},
        compat.FragmentSpread: {"type_condition", "selections"},
    }
    for cls, names in expected.items():
        found = {field.name for field in dataclasses.fields(cls)}
        assert names <= found, _changed(f"strawberry.types.nodes.{cls.__name__}", f"fields {sorted(found)}")
    selection = compat.selected_field("citations", [compat.selected_field("source")])
    assert (selection.name, selection.selections[0].name, selection.alias) == ("citations", "source", None)
    assert compat.to_camel_case("value_max") == "valueMax", _changed("strawberry.utils.str_converters", "")


def test_strawberry_types_are_dataclasses_build_can_fill():
    # `registry.graphql.core.types.build` sets an object's __dict__ from its dataclass fields
    # (skipping __init__, which was most of the read path's cost).
    names = [field.name for field in dataclasses.fields(Thing) if field.init]
    thing = Thing.__new__(Thing)
    thing.__dict__.update(code="c", plain="p", guarded="g", extended="e", renamed="r")
    assert names == ["code", "plain", "guarded", "extended", "renamed"], _changed("strawberry.type", f"{names}")
    assert (thing.code, thing.renamed) == ("c", "r")


def test_the_executor_build_takes_the_context_and_hide_suggestions():
    compat = _compat()
    parameters = inspect.signature(compat.StrawberryExecutionContext.build).parameters
    leading = tuple(parameters)[: len(compat.EXECUTOR_BUILD_PARAMETERS)]
    assert leading == compat.EXECUTOR_BUILD_PARAMETERS, _changed("Executor.build", f"parameters start {leading}")
    assert "hide_suggestions" in parameters, _changed("Executor.build", "no hide_suggestions parameter")


def test_the_graphql_core_schema_is_reachable():
    @strawberry.type
    class Query:
        name: str

    assert isinstance(_compat().graphql_core_schema(strawberry.Schema(query=Query)), GraphQLSchema), _changed(
        "strawberry.Schema._schema", "not a graphql-core schema"
    )
