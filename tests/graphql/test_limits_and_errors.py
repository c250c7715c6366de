"""User errors keep their message, internal ones are masked (limits: test_query_limits.py)."""

import logging

from tests.conftest import app_settings, asgi_client
from tests.graphql.conftest import gql_errors


async def test_unknown_enum_value_in_variables_names_the_path(client):
    errors = await gql_errors(client, "query ($f: ProjectFilter) { projects(filter: $f) { totalCount } }",
                              f={"status": ["FINISHED"]})
    assert "$f' has invalid value at .status[0]" in errors[0]["message"]
    assert "ProjectStatus" in errors[0]["message"]


async def test_unknown_enum_literal_is_located(client):
    query = "{ projects(filter: {status: [FINISHED]}) { totalCount } }"
    errors = await gql_errors(client, query)
    assert "FINISHED" in errors[0]["message"]
    assert errors[0]["locations"] == [{"line": 1, "column": query.index("FINISHED") + 1}]


async def test_bad_date_window_names_the_argument(client, caplog):
    errors = await gql_errors(client, '{ events(filter: {date: {from: "Sept 2002"}}) { totalCount } }')
    assert errors[0]["extensions"]["argument"] == "filter.date.from"
    # a client's mistake is not logged as a server error
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_global_id_of_the_wrong_type_names_the_argument(client):
    from strawberry.relay import GlobalID

    wrong = str(GlobalID("Person", "00000000-0000-0000-0000-000000000000"))
    errors = await gql_errors(client, "query ($id: ID!) { projects(filter: {organization: $id}) { totalCount } }",
                              id=wrong)
    assert errors[0]["extensions"]["argument"] == "filter.organization"


async def test_internal_errors_are_masked_and_logged(empty_database, caplog):
    # an unmigrated database makes every query fail inside the server
    async for client in asgi_client(app_settings(empty_database)):
        errors = await gql_errors(client, "{ projects { totalCount } }")
        assert errors[0]["message"] == "Unexpected error."
        assert "no such table" not in str(errors) and "relation" not in str(errors)
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name == "registry.graphql"]
    assert logged and logged[0].exc_info is not None, caplog.text  # the operator sees the cause
