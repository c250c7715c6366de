"""Schemathesis fuzzes every root field of the committed schema against the live registry.

Its queries are valid and invalid alike (wrong types, unknown enum values, out-of-range numbers,
odd unicode). Whatever it sends, the server may refuse but must not fail: no 5xx, and no error
masked as "Unexpected error." (which means an exception the code did not expect), and every error
coded (`extensions.code`).

CI's bounded run draws the same cases every time, so a red run is reproducible. A longer run
(`make fuzz`, or REGISTRY_FUZZ_EXAMPLES=N) draws new cases each time; Hypothesis prints the seed
and the shrunk query of any failure.
"""

import base64
import os

import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from registry.config import REPO_ROOT

EXAMPLES_PER_FIELD = 25  # x 12 root fields: 300 cases per engine in CI
LONG_RUN = "REGISTRY_FUZZ_EXAMPLES" in os.environ
UNEXPECTED = "Unexpected error."
REQUEST_TIMEOUT = 30  # seconds: a liveness guard, not a speed check

# The committed SDL, not introspection: production may turn introspection off.
schema = schemathesis.graphql.from_path(REPO_ROOT / "schema.graphql")

# Arbitrary integers and strings rarely get past the first argument check (a page size of
# 1..100, a date such as 2002-09), so half of the values are drawn from what the registry
# accepts or nearly accepts, letting the fuzzing reach the resolvers and the database.
NODE_TYPES = ["Organization", "Person", "Project", "Agreement", "Event", "Figure", "Source"]
REGISTRY_WORDS = [
    "1996", "2002-09", "2002-09-15", "2002~", "0000", "9999-12-31", "2001-02-30", "1996-13",
    "KZ", "BY", "RU", "kz", "Nazarbaev", "kazmunaigaz", "MTZ", "BelAZ", "Минск", "Astana",
    "WyJ4Il0=", "W10=", "e30=",  # cursors: ["x"], [], {}
]
unknown_global_ids = st.builds(
    lambda kind, uuid: base64.b64encode(f"{kind}:{uuid}".encode()).decode(),
    st.sampled_from(NODE_TYPES), st.uuids(),
)
schemathesis.graphql.scalar(
    "Int", st.one_of(st.integers(-1, 501), st.integers(-(2**31), 2**31 - 1)).map(nodes.Int)
)
schemathesis.graphql.scalar("String", st.one_of(st.sampled_from(REGISTRY_WORDS), st.text()).map(nodes.String))
schemathesis.graphql.scalar("ID", st.one_of(unknown_global_ids, st.text()).map(nodes.String))
# Decimal (a figure's value in the write inputs) travels as a string: numbers, huge ones, and junk.
schemathesis.graphql.scalar("Decimal", st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False).map(str), st.sampled_from(["-1", "1e999", "NaN"]), st.text(),
).map(nodes.String))


def _request(response) -> str:
    """Method and URL: the reproduction Schemathesis prints is always the POST."""
    return f"{response.request.method} {response.request.url}"


@schemathesis.check
def not_a_5xx(ctx, response, case) -> None:
    """The server answers every query, valid or not, without failing."""
    assert response.status_code < 500, (
        f"{_request(response)}: status {response.status_code}: {response.text[:500]}"
    )


def _errors(response) -> list:
    try:
        body = response.json()
    except ValueError:
        return []  # not JSON: checked by the status alone
    return [e for e in (body.get("errors") if isinstance(body, dict) else None) or [] if isinstance(e, dict)]


@schemathesis.check
def no_unexpected_error(ctx, response, case) -> None:
    """No error is one the server masked because it did not expect it (a bug, not a bad query)."""
    masked = [e for e in _errors(response) if UNEXPECTED in str(e.get("message"))]
    assert not masked, f"{_request(response)}: masked server errors: {masked}"


@schemathesis.check
def every_error_is_coded(ctx, response, case) -> None:
    """A client can act on every error by its `extensions.code`, not by parsing the message."""
    uncoded = [e for e in _errors(response) if not (e.get("extensions") or {}).get("code")]
    assert not uncoded, f"{_request(response)}: errors without extensions.code: {uncoded}"


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("REGISTRY_FUZZ_EXAMPLES", EXAMPLES_PER_FIELD)),
    derandomize=not LONG_RUN,
    deadline=None,  # requests to a live server: speed belongs to bench/
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
def test_no_query_makes_the_server_fail(case, live_registry):
    endpoint = f"{live_registry}/graphql"
    checks = [not_a_5xx, no_unexpected_error, every_error_is_coded]
    case.call_and_validate(base_url=endpoint, checks=checks, timeout=REQUEST_TIMEOUT)
    # as a GET, the same query also goes through the response cache (registry/http/cache.py)
    as_get = requests.get(endpoint, params={"query": case.body}, timeout=REQUEST_TIMEOUT)
    case.validate_response(as_get, checks=checks)
