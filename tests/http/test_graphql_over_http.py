"""GraphQL over HTTP (the current draft): media types, status codes, request parameters."""

import orjson
import pytest

from registry.http.protocol import REMEMBERED_HEADER_CHARS, content_media_type, response_media_type

GRJ = "application/graphql-response+json"
JSON = "application/json"
TYPENAME = {"query": "{ __typename }"}


async def _post(client, body, accept: str | None = None, content_type: str | None = JSON, **kwargs):
    headers = {}
    if accept is not None:
        headers["Accept"] = accept
    if content_type is not None:
        headers["Content-Type"] = content_type
    if not isinstance(body, bytes):
        body = orjson.dumps(body)
    return await client.post("/graphql", content=body, headers=headers, **kwargs)


@pytest.mark.parametrize(("accept", "media_type"), [
    (None, JSON), ("*/*", JSON), (JSON, JSON), ("application/*", JSON), (GRJ, GRJ),
    (f"{JSON}, {GRJ}", GRJ), (f"{GRJ};q=0.5, {JSON}", JSON), (f"{JSON};q=0, {GRJ};q=0.1", GRJ),
    (f"text/html, {GRJ};q=0.9", GRJ),
])
async def test_answers_in_the_media_type_the_client_accepts(client, accept, media_type):
    response = await _post(client, TYPENAME, accept)
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("accept", ["text/html", "application/xml", f"{JSON};q=0", "*/*;q=0", "*/*;q=nan"])
async def test_406_when_neither_json_type_is_acceptable(client, accept):
    response = await _post(client, TYPENAME, accept)
    assert response.status_code == 406
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"
    get = await client.get("/graphql", params=TYPENAME, headers={"Accept": accept})
    assert get.status_code == 406


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/jsonx"])
async def test_415_for_a_body_that_is_not_json(client, content_type):
    response = await _post(client, TYPENAME, content_type=content_type)
    assert response.status_code == 415
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE" and "Content-Type" in error["message"]


@pytest.mark.parametrize("parse", [response_media_type, content_media_type], ids=lambda f: f.__name__)
def test_header_values_are_remembered_only_while_short(parse):
    """A short value is parsed once and answered alike after; a long one is parsed every time, so
    that distinct long values cannot fill memory."""
    short = f"{JSON}; charset=utf-8"
    answer = parse(short)
    hits = parse.cache_info().hits
    assert parse(short) == answer == parse.__wrapped__(short) and parse.cache_info().hits == hits + 1
    long = f"{JSON};" + " x=1;" * REMEMBERED_HEADER_CHARS
    before = parse.cache_info()
    assert parse(long) == parse(long) == parse.__wrapped__(long)
    after = parse.cache_info()
    assert (after.hits, after.misses) == (before.hits, before.misses)


async def test_json_with_a_charset_is_accepted(client):
    assert (await _post(client, TYPENAME, content_type="application/json; charset=utf-8")).status_code == 200


@pytest.mark.parametrize(("body", "message"), [
    (b'"{ __typename }"', "request body: must be a JSON object"),
    (b"42", "request body: must be a JSON object"),
    (b"null", "request body: must be a JSON object"),
    (b"[" * 10_000 + b"]" * 10_000, "request body: not valid JSON"),
    (b'{"query": "\xff\xfe"}', "request body: not valid JSON"),
    (b'{ "not a JSON', "request body: not valid JSON"),
    (b"", "request body: not valid JSON"),
    (b'{"query": 1}', "query: must be a string or null"),
    (b'{"query": ["{ a }"]}', "query: must be a string or null"),
    (b'{"query": "{ __typename }", "variables": "{}"}', "variables: must be an object or null"),
    (b'{"query": "{ __typename }", "variables": [1]}', "variables: must be an object or null"),
    (b'{"query": "{ __typename }", "operationName": {"a": 1}}', "operationName: must be a string or null"),
    (b'{"query": "{ __typename }", "extensions": 0}', "extensions: must be an object or null"),
    (b'{"notquery": "{ __typename }"}', "No GraphQL query found in the request"),
])
@pytest.mark.parametrize("accept", [JSON, GRJ])
async def test_malformed_requests_are_400_naming_what_is_wrong(client, body, message, accept):
    response = await _post(client, body, accept)
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["message"].startswith(message)
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "data" not in response.json()


@pytest.mark.parametrize(("params", "message"), [
    ({"query": "{ __typename }", "variables": "{nope"}, "variables: not valid JSON"),
    ({"query": "{ __typename }", "variables": "[1]"}, "variables: must be an object or null"),
    ({"query": "{ __typename }", "extensions": "1"}, "extensions: must be an object or null"),
])
async def test_malformed_get_parameters_are_400_naming_them(client, params, message):
    response = await client.get("/graphql", params=params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith(message)


@pytest.mark.parametrize(("query", "operation", "variables", "code"), [
    ("{ __typename", None, None, "GRAPHQL_PARSE_FAILED"),
    ("{ nothing }", None, None, "GRAPHQL_VALIDATION_FAILED"),
    ("query ($n: Int!) { projects(first: $n) { totalCount } }", None, {"n": "x"}, "BAD_USER_INPUT"),
    ("query ($n: Int!) { projects(first: $n) { totalCount } }", None, None, "BAD_USER_INPUT"),
    ("query A { __typename }", "B", None, "GRAPHQL_VALIDATION_FAILED"),
    ("mutation { x }", None, None, "GRAPHQL_VALIDATION_FAILED"),  # no Mutation type yet
])
async def test_requests_failing_before_execution_are_400_without_data_for_graphql_response_json(
    client, query, operation, variables, code
):
    body = {"query": query, "operationName": operation, "variables": variables}
    strict = await _post(client, body, GRJ)
    assert strict.status_code == 400, strict.text
    assert strict.headers["content-type"] == GRJ
    assert "data" not in strict.json()
    assert {error["extensions"]["code"] for error in strict.json()["errors"]} == {code}
    # application/json keeps the legacy status: 200, the errors in the body
    legacy = await _post(client, body, JSON)
    assert legacy.status_code == 200 and legacy.json()["errors"]
    assert legacy.json()["errors"][0]["extensions"]["code"] == code


async def test_field_errors_keep_data_and_200(client):
    query = '{ events(filter: {date: {from: "Sept 2002"}}) { totalCount } }'
    response = await _post(client, {"query": query}, GRJ)
    assert response.status_code == 200
    body = response.json()
    assert "data" in body and body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("accept", [JSON, GRJ, None])
async def test_mutation_over_get_is_405_with_allow_post(client, accept):
    headers = {"Accept": accept} if accept else {}
    response = await client.get("/graphql", params={"query": "mutation { __typename }"}, headers=headers)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_get_query_with_variables_in_either_media_type(client):
    params = {"query": "query Type($name: String!) { __type(name: $name) { name } }",
              "variables": '{"name": "Query"}'}
    for accept in (JSON, GRJ):
        response = await client.get("/graphql", params=params, headers={"Accept": accept})
        assert response.status_code == 200 and response.headers["content-type"] == accept
        assert response.json() == {"data": {"__type": {"name": "Query"}}}


async def test_null_parameters_are_allowed(client):
    for name in ("variables", "operationName", "extensions"):
        response = await _post(client, {**TYPENAME, name: None}, GRJ)
        assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}
