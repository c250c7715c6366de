"""The variables check: the quick walk that finds whether there is a problem agrees with the walk
that names it, and the problem named is the one it always was."""

import pytest
from graphql import get_operation_ast, parse, type_from_ast
from strawberry.relay import GlobalID

from registry.graphql.core.argument_values import _any_problem, _first_problem, variable_problem
from registry.graphql.core.compat import graphql_core_schema
from registry.graphql.schema import schema

NUL = "\x00"
AN_ID = str(GlobalID("Project", "00000000-0000-0000-0000-000000000000"))
VARIABLES = "($records: [BulkRecordInput!]!, $ids: [ID!], $id: ID, $text: String)"


@pytest.fixture(scope="module")
def types() -> dict:
    operation = get_operation_ast(parse(f"query {VARIABLES} {{ __typename }}"))
    core_schema = graphql_core_schema(schema)
    return {d.variable.name.value: type_from_ast(core_schema, d.type) for d in operation.variable_definitions}


def _record(i: int, **fields) -> dict:
    organization = {"name": f"Organization {i}", "kind": "COMPANY", "country": "KZ",
                    "citations": [{"source": "a-source", "excerpt": "a statement"}], **fields}
    return {"scheme": "partner", "value": str(i), "organization": organization}


def _nested(depth: int) -> list:
    value: list = [NUL]
    for _ in range(depth):
        value = [value]
    return value


SAMPLES = [  # (variables, the argument named in the refusal, or None)
    ({"records": [_record(i) for i in range(500)], "ids": [AN_ID], "id": AN_ID, "text": "ok"}, None),
    ({"records": [_record(0), _record(1, city=f"a{NUL}b")]}, "$records[1].organization.city"),
    ({"records": [_record(0, citations=[{"source": "s", "excerpt": NUL}])]},
     "$records[0].organization.citations[0].excerpt"),
    ({"records": [_record(i) for i in range(1001)]}, "$records"),
    ({"records": [_record(0, aliases=[{"name": "x"}] * 101)]}, "$records[0].organization.aliases"),
    ({"records": [_record(0, unknown={"deeper": [f"{NUL}"]})]}, "$records[0].organization.unknown.deeper[0]"),
    ({"ids": [AN_ID, "zzz", "!!!"]}, "$ids[2]"),  # of several, the last is named, as always
    ({"ids": "zzz"}, "$ids"),  # graphql-core takes a single value for a list
    ({"id": "zzz", "text": NUL}, "$text"),
    ({"undeclared": {"a": [1, 2.5, True, None, NUL]}}, "$undeclared.a[4]"),
    ({"undeclared": _nested(50_000)}, "$undeclared" + "[0]" * 50_001),
]


@pytest.mark.parametrize(("variables", "argument"), SAMPLES)
def test_the_quick_walk_agrees_with_the_naming_walk(types, variables, argument):
    problem = variable_problem(variables, types)
    assert (problem.extensions["argument"] if problem else None) == argument
    assert _any_problem(variables, types) is (_first_problem(variables, types) is not None)
