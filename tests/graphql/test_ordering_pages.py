"""Every ordering of every list pages correctly: small pages, forward and backward, join up to
the whole list in one page, on both engines.

The orderings come from the schema itself, so a new order field is covered without editing this
file. Undated rows sort last under a sentinel date; descending date orders start with them, which
is where PostgreSQL once repeated the first page forever (asyncpg sent the sentinel 9999-12-31 as
'infinity'). Every loop here is bounded so such a fault fails instead of hanging.
"""

import math

import pytest

from tests.graphql.conftest import gql

LISTS = {  # root field: its OrderField enum
    "organizations": "OrganizationOrderField",
    "people": "PersonOrderField",
    "projects": "ProjectOrderField",
    "agreements": "AgreementOrderField",
    "events": "EventOrderField",
    "figures": "FigureOrderField",
    "sources": "SourceOrderField",
}
PAGE_SIZE = 9

PAGE = """
query ($orderBy: [%(order)s!], $first: Int, $after: String, $last: Int, $before: String) {
  %(list)s(orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { id } }
  }
}"""


async def _orderings(api, enum: str) -> list[list[dict]]:
    """Each field ascending and descending, and each field descending then the next ascending."""
    data = await gql(api, "query ($name: String!) { __type(name: $name) { enumValues { name } } }", name=enum)
    fields = [value["name"] for value in data["__type"]["enumValues"]]
    orderings = [[{"field": field, "direction": way}] for field in fields for way in ("ASC", "DESC")]
    following = fields[1:] + fields[:1]
    orderings += [[{"field": field, "direction": "DESC"}, {"field": then, "direction": "ASC"}]
                  for field, then in zip(fields, following, strict=True) if field != then]
    return orderings


async def _page(api, list_name: str, order_by: list[dict], **arguments) -> dict:
    query = PAGE % {"list": list_name, "order": LISTS[list_name].removesuffix("Field")}
    return (await gql(api, query, orderBy=order_by, **arguments))[list_name]


@pytest.mark.parametrize("list_name", LISTS)
async def test_pages_of_every_ordering_join_up_to_the_whole_list(api, list_name):
    for order_by in await _orderings(api, LISTS[list_name]):
        whole = await _page(api, list_name, order_by, first=100)
        expected = [edge["node"]["id"] for edge in whole["edges"]]
        assert len(expected) == whole["totalCount"] >= 3, (list_name, "needs rows for three pages")
        page_size = min(PAGE_SIZE, len(expected) // 3)  # at least three pages, the last maybe short
        most_pages = math.ceil(len(expected) / page_size)

        forward, after = [], None
        for _ in range(most_pages):
            page = await _page(api, list_name, order_by, first=page_size, after=after)
            forward += [edge["node"]["id"] for edge in page["edges"]]
            assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert forward == expected, (list_name, order_by, "forward")

        backward, before = [], None
        for _ in range(most_pages):
            page = await _page(api, list_name, order_by, last=page_size, before=before)
            backward = [edge["node"]["id"] for edge in page["edges"]] + backward
            if not page["pageInfo"]["hasPreviousPage"]:
                break
            before = page["pageInfo"]["startCursor"]
        assert backward == expected, (list_name, order_by, "backward")
