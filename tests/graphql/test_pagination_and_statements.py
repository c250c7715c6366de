"""Keyset pagination over many rows, and a statement count that does not grow with the page."""

import pytest

from registry.db import StatementLog
from tests.graphql.conftest import gql, gql_errors
from tests.utils import factories

NESTED = """
query ($first: Int!) {
  projects(first: $first) {
    edges { node { title
      participants { role citations { excerpt }
        organization { name country { name } citations { excerpt locator source { title } } } }
      citations { excerpt source { title } } } }
  }
}"""

PAGE = """
query ($first: Int, $after: String, $last: Int, $before: String) {
  projects(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { title } }
  }
}"""


async def test_statements_per_request_do_not_depend_on_page_size(many):
    # warm-up: a new pooled connection runs set-up queries once (asyncpg's type introspection,
    # here of the array of keys: a page of two, as one record is read by `=`)
    await gql(many, NESTED, first=2)
    counts = {}
    for first in (5, 100):
        with StatementLog(many.app.state.engine) as log:
            data = await gql(many, NESTED, first=first)
            statements = await log.settled()
        assert len(data["projects"]["edges"]) == first
        assert all(edge["node"]["participants"][0]["organization"]["country"]["name"] == "Belarus"
                   for edge in data["projects"]["edges"])
        counts[first] = len(statements)
    # compiled (`core/compiler.py`): the keyset page, then its nodes as JSON; else one per
    # relationship and level: the page, participants, their citations, the projects' citations,
    # organizations, sources, countries, the organizations' citations
    expected = 2 if many.app.state.settings.executor == "compiled" else 8
    assert counts[5] == counts[100] == expected, counts


async def test_forward_pages_cover_every_row_once_in_order(many):
    titles, after = [], None
    while True:
        page = (await gql(many, PAGE, first=25, after=after))["projects"]
        assert page["totalCount"] == 120
        titles += [edge["node"]["title"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert titles == sorted(titles) and len(titles) == 120 == len(set(titles))


async def test_backward_pages_with_last_and_before(many):
    last_page = (await gql(many, PAGE, last=10))["projects"]
    assert [e["node"]["title"] for e in last_page["edges"]] == [f"Project {i:04d}" for i in range(110, 120)]
    assert last_page["pageInfo"]["hasPreviousPage"] is True
    previous = (await gql(many, PAGE, last=10, before=last_page["pageInfo"]["startCursor"]))["projects"]
    assert [e["node"]["title"] for e in previous["edges"]] == [f"Project {i:04d}" for i in range(100, 110)]


async def test_cursor_stays_valid_when_rows_are_inserted_before_it(many, sessions):
    first_page = (await gql(many, PAGE, first=10))["projects"]
    async with sessions() as session, session.begin():
        await factories.project(session, "aaa-new", "AAA inserted first")
    second_page = (await gql(many, PAGE, first=10, after=first_page["pageInfo"]["endCursor"]))["projects"]
    assert second_page["edges"][0]["node"]["title"] == "Project 0010"  # no repeat, no skip
    assert second_page["totalCount"] == 121


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [("first: 101", "first"), ("last: 101", "last"), ("first: -1", "first"),
     ("first: 1, last: 1", "last"), ('after: "not-a-cursor"', "after")],
)
async def test_bad_page_arguments_name_the_argument(many, arguments, argument):
    errors = await gql_errors(many, f"{{ projects({arguments}) {{ totalCount }} }}")
    assert errors[0]["extensions"]["argument"] == argument
    assert errors[0]["message"].startswith(f"{argument}:")
