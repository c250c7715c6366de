"""Every ordering of every list pages correctly: small pages, forward and backward, join up to
the whole list in one page, and both cursors together bound a page either way, on both engines.

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
    edges { cursor node { id } }
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


@pytest.mark.parametrize("list_name", LISTS)
async def test_after_and_before_together_bound_the_page_either_way(api, list_name):
    # Relay's algorithm: both cursors cut the list whichever of first/last is given, then it counts
    for order_by in await _orderings(api, LISTS[list_name]):
        whole = (await _page(api, list_name, order_by, first=100))["edges"]
        ids, cursors = [edge["node"]["id"] for edge in whole], [edge["cursor"] for edge in whole]
        between = ids[1:-1]  # strictly after the first row, strictly before the last
        after, before = cursors[0], cursors[-1]
        assert len(between) >= 3, (list_name, "needs rows between the cursors")

        page = await _page(api, list_name, order_by, first=100, after=after, before=before)
        assert [edge["node"]["id"] for edge in page["edges"]] == between, (list_name, order_by)
        head = await _page(api, list_name, order_by, first=2, after=after, before=before)
        assert [edge["node"]["id"] for edge in head["edges"]] == between[:2], (list_name, order_by, "first")
        tail = await _page(api, list_name, order_by, last=2, after=after, before=before)
        assert [edge["node"]["id"] for edge in tail["edges"]] == between[-2:], (list_name, order_by, "last")
        for cut in (page, head, tail):  # rows lie beyond both cursors
            assert cut["pageInfo"]["hasNextPage"] and cut["pageInfo"]["hasPreviousPage"], (list_name, cut)

        crossed = await _page(api, list_name, order_by, first=100, after=before, before=after)
        assert crossed["edges"] == [], (list_name, order_by, "no row is after the end and before the start")
