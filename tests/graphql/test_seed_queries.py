"""Every root field on the seeded registry, through real HTTP, on each backend."""

from datetime import date

import pytest

from registry.config import REPO_ROOT
from registry.search_text import fold_tokens
from registry.seeding import KINDS, read_seed
from tests.graphql.conftest import gql, gql_errors

SEED, _ = read_seed(REPO_ROOT / "seed")
ROOT_FIELDS = {
    "sources.yaml": "sources", "organizations.yaml": "organizations", "people.yaml": "people",
    "projects.yaml": "projects", "agreements.yaml": "agreements", "events.yaml": "events",
    "figures.yaml": "figures",
}


async def _node_id(api, field: str, slug: str) -> str:
    """The global id of the record `slug` in the root list `field` (found by walking the list)."""
    after = None
    while True:
        page = (await gql(api, f"""query ($after: String) {{ {field}(first: 100, after: $after) {{
            pageInfo {{ hasNextPage endCursor }} edges {{ node {{ id slug }} }} }} }}""", after=after))[field]
        for edge in page["edges"]:
            if edge["node"]["slug"] == slug:
                return edge["node"]["id"]
        if not page["pageInfo"]["hasNextPage"]:
            raise AssertionError(f"{slug} not in {field}")
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize(("file", "field"), ROOT_FIELDS.items())
async def test_each_root_list_counts_every_seed_record(api, file, field):
    data = await gql(api, f"{{ {field}(first: 3) {{ totalCount edges {{ node {{ id slug citations {{ excerpt }} }} }} }} }}")
    assert data[field]["totalCount"] == len(SEED.records[file])
    assert len(data[field]["edges"]) == 3


async def test_node_and_nodes_round_trip_global_ids(api):
    project_id = await _node_id(api, "projects", "astanaeximbank-minsk")
    person_id = await _node_id(api, "people", "nursultan-nazarbayev")
    data = await gql(api, """query ($id: ID!, $ids: [ID!]!) {
        node(id: $id) { id ... on Project { title } }
        nodes(ids: $ids) { id ... on Person { displayName } ... on Project { title } } }""",
                     id=project_id, ids=[person_id, project_id])
    assert data["node"] == {"id": project_id, "title": "AstanaEximbank in Minsk"}
    assert [n["id"] for n in data["nodes"]] == [person_id, project_id]
    assert data["nodes"][0]["displayName"] == "Nursultan Nazarbayev"


async def test_node_of_an_unknown_id_is_null(api):
    from strawberry.relay import GlobalID

    missing = str(GlobalID("Project", "00000000-0000-0000-0000-000000000000"))
    assert (await gql(api, "query ($id: ID!) { node(id: $id) { id } }", id=missing))["node"] is None


async def test_partial_dates_keep_their_precision(api):
    event_id = await _node_id(api, "events", "astanaeximbank-minsk-opening")
    event = (await gql(api, """query ($id: ID!) { node(id: $id) { ... on Event {
        date { value precision approximate lower upper } } } }""", id=event_id))["node"]
    assert event["date"] == {"value": "2002-09", "precision": "MONTH", "approximate": False,
                             "lower": "2002-09-01", "upper": "2002-09-30"}


async def test_filters_by_enum_country_and_date_window(api):
    data = await gql(api, """{
      finance: projects(first: 100, filter: {sector: [FINANCE]}) { totalCount edges { node { sector } } }
      banks: organizations(first: 100, filter: {kind: [BANK], country: ["BY"]}) { edges { node { slug kind country { code } } } }
      visits: events(first: 100, filter: {kind: [OFFICIAL_VISIT], date: {from: "1996", to: "1997"}}) {
        edges { node { slug date { lower upper } } } }
    }""")
    expected_finance = [r for r in SEED.records["projects.yaml"].values() if r.sector == "finance"]
    assert data["finance"]["totalCount"] == len(expected_finance) > 0
    assert {e["node"]["sector"] for e in data["finance"]["edges"]} == {"FINANCE"}
    banks = data["banks"]["edges"]
    assert "astanaeximbank" in {e["node"]["slug"] for e in banks}
    assert all(e["node"]["kind"] == "BANK" and e["node"]["country"]["code"] == "BY" for e in banks)
    visits = {e["node"]["slug"]: e["node"]["date"] for e in data["visits"]["edges"]}
    assert {"nazarbayev-official-visit-belarus-1996", "lukashenko-official-visit-kazakhstan-1997"} <= set(visits)
    for window in visits.values():  # overlap of bounds with 1996-01-01 … 1997-12-31
        assert date.fromisoformat(window["lower"]) <= date(1997, 12, 31)
        assert date.fromisoformat(window["upper"]) >= date(1996, 1, 1)


async def test_filters_by_participant_party_and_text(api):
    kazakhstan = await _node_id(api, "organizations", "kazakhstan")
    bank = await _node_id(api, "organizations", "astanaeximbank")
    data = await gql(api, """query ($kz: ID!, $bank: ID!) {
      projects(first: 100, filter: {organization: $bank}) { edges { node { slug } } }
      agreements(first: 100, filter: {party: $kz}) { totalCount }
      people(first: 100, filter: {organization: $kz}) { edges { node { slug } } }
      organizations(first: 10, filter: {text: "kazmunaigaz"}) { edges { node { slug } } }
    }""", kz=kazakhstan, bank=bank)
    assert "astanaeximbank-minsk" in {e["node"]["slug"] for e in data["projects"]["edges"]}
    assert data["agreements"]["totalCount"] >= 10
    assert "nursultan-nazarbayev" in {e["node"]["slug"] for e in data["people"]["edges"]}
    assert [e["node"]["slug"] for e in data["organizations"]["edges"]] == ["kazmunaigas"]


async def test_order_by_date_descending_then_title(api):
    data = await gql(api, """{ events(first: 100, orderBy: [{field: DATE, direction: DESC}, {field: TITLE}]) {
        edges { node { title date { lower } } } } }""")
    lowers = [e["node"]["date"]["lower"] for e in data["events"]["edges"] if e["node"]["date"]]
    assert lowers == sorted(lowers, reverse=True)
    names = await gql(api, "{ organizations(first: 100, orderBy: [{field: NAME, direction: ASC}]) { edges { node { name } } } }")
    ordered = [e["node"]["name"] for e in names["organizations"]["edges"]]
    assert ordered == sorted(ordered)


async def test_relationships_in_both_directions(api):
    bank = await _node_id(api, "organizations", "astanaeximbank")
    treaty = await _node_id(api, "agreements", "treaty-friendship-cooperation-1996")
    data = await gql(api, """query ($bank: ID!, $treaty: ID!) {
      bank: node(id: $bank) { ... on Organization { name aliases { name kind }
        projects { role citations { excerpt source { file } } project { slug participants { organization { slug } } } } } }
      treaty: node(id: $treaty) { ... on Agreement { status signed { value precision }
        signatories { person { displayName agreementsSigned { agreement { slug } } } }
        parties { organization { slug } }
        signingEvent { slug agreementsSigned { slug } participants { role person { slug } } } } }
    }""", bank=bank, treaty=treaty)
    bank = data["bank"]
    assert {"name": "Astanaeximbank", "kind": "SPELLING_VARIANT"} in bank["aliases"]
    minsk = next(p for p in bank["projects"] if p["project"]["slug"] == "astanaeximbank-minsk")
    assert "astanaeximbank" in {p["organization"]["slug"] for p in minsk["project"]["participants"]}
    assert minsk["citations"] and minsk["citations"][0]["source"]["file"].endswith(".txt")
    treaty = data["treaty"]
    assert treaty["signed"] == {"value": "1996-01", "precision": "MONTH"}
    assert {p["organization"]["slug"] for p in treaty["parties"]} == {"kazakhstan", "belarus"}
    assert treaty["signingEvent"]["slug"] == "nazarbayev-official-visit-belarus-1996"
    assert "treaty-friendship-cooperation-1996" in {a["slug"] for a in treaty["signingEvent"]["agreementsSigned"]}
    for signatory in treaty["signatories"]:
        assert "treaty-friendship-cooperation-1996" in {
            s["agreement"]["slug"] for s in signatory["person"]["agreementsSigned"]}


def _expected_hits(query: str) -> set[str]:
    """The records a search must find by name: every query word folded inside one folded name,
    its words run together (a Python oracle; word forms, typos and full text find more)."""
    words = fold_tokens(query)
    hits = set()
    for kind in KINDS:
        for slug, record in SEED.records[kind.file].items():
            names = [getattr(record, kind.spec.name_field)] + [alias.name for alias in record.aliases]
            if any(all(w in "".join(fold_tokens(name)) for w in words) for name in names if name):
                hits.add(slug)
    return hits


@pytest.mark.parametrize(
    ("query", "must_find"),
    [("Nazarbaev", "nursultan-nazarbayev"), ("NAZARBAYEV", "nursultan-nazarbayev"),
     ("Назарбаев", "nursultan-nazarbayev"), ("kazmunaigaz", "kazmunaigas"), ("KazMunayGas", "kazmunaigas"),
     ("Astanaeximbank", "astanaeximbank"), ("astana eximbank", "astanaeximbank"),
     ("belneftekhim", "belneftekhim"), ("Lukashenka", None), ("MTZ", "minsk-tractor-plant"),
     ("Chargé", None)],
)
async def test_search_tolerates_variants_and_matches_the_oracle(api, query, must_find):
    hits = (await gql(api, "query ($q: String!) { search(query: $q, first: 100) { score node { ... on Record { slug } } } }",
                      q=query))["search"]
    slugs = {hit["node"]["slug"] for hit in hits}
    assert _expected_hits(query) <= {hit["node"]["slug"] for hit in hits if hit["score"] >= 3}  # a name tier
    if must_find:
        assert must_find in slugs
        assert hits[0]["score"] >= hits[-1]["score"]


async def test_search_ranks_exact_names_first_and_filters_kinds(api):
    hits = (await gql(api, """{ search(query: "AstanaEximbank", kinds: [ORGANIZATION, PROJECT]) {
        score matchedName node { __typename ... on Record { slug } } } }"""))["search"]
    assert hits[0]["node"]["slug"] == "astanaeximbank" and hits[0]["node"]["__typename"] == "Organization"
    assert hits[0]["matchedName"] == "AstanaEximbank"  # the preferred name, not the alias "Astanaeximbank"
    assert {h["node"]["__typename"] for h in hits} <= {"Organization", "Project"}


async def test_search_rejects_an_empty_query(api):
    errors = await gql_errors(api, '{ search(query: "  ?! ") { score } }')
    assert errors[0]["extensions"]["argument"] == "query"


async def test_timeline_orders_items_by_their_dates(api):
    items = (await gql(api, """{ timeline(from: "1996", to: "1996") {
        kind title date { value lower upper } node { ... on Record { slug } } } }"""))["timeline"]
    slugs = {(item["kind"], item["node"]["slug"]) for item in items}
    assert ("AGREEMENT_SIGNED", "treaty-friendship-cooperation-1996") in slugs
    assert ("EVENT", "nazarbayev-official-visit-belarus-1996") in slugs
    lowers = [item["date"]["lower"] or "0000" for item in items]
    assert lowers == sorted(lowers)
    for item in items:
        assert (item["date"]["lower"] or "0000") <= "1996-12-31" and (item["date"]["upper"] or "9999") >= "1996-01-01"


async def test_a_short_timeline_is_the_start_of_the_whole_one(api):
    # each kind's statement cuts its own rows; the merged page must still be the whole order's start
    query = "query ($first: Int!) { timeline(first: $first) { kind title date { lower upper } node { id } } }"
    whole = (await gql(api, query, first=500))["timeline"]
    assert 50 < len(whole) < 500
    keys = [(i["date"]["lower"] or "0000", i["date"]["upper"] or "9999", i["title"]) for i in whole]
    assert keys == sorted(keys)
    for first in (1, 7, 30, 100):
        assert (await gql(api, query, first=first))["timeline"] == whole[:first], first


async def test_timeline_kinds_and_bad_window(api):
    items = (await gql(api, '{ timeline(kinds: [AGREEMENT_SIGNED], first: 500) { kind } }'))["timeline"]
    assert items and {i["kind"] for i in items} == {"AGREEMENT_SIGNED"}
    errors = await gql_errors(api, '{ timeline(from: "1996-13") { kind } }')
    assert errors[0]["extensions"]["argument"] == "from"


async def test_figure_series_gives_chart_points_with_sources(api):
    points = (await gql(api, """{ figureSeries(metric: BILATERAL_TRADE, unit: USD) {
        period { value lower } value valueMax unit qualifier sources { file } figure { original } } }"""))["figureSeries"]
    expected = [r for r in SEED.records["figures.yaml"].values()
                if r.metric == "bilateral_trade" and r.unit == "USD" and not r.from_country and not r.to_country]
    assert len(points) == len(expected) > 3
    lowers = [p["period"]["lower"] for p in points if p["period"]]
    assert lowers == sorted(lowers)
    assert all(p["sources"] and p["unit"] == "USD" for p in points)
