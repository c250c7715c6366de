"""PostGraphile beside the registry (bench/postgraphile_rival.py): the same requests, answers in our shape.

Running PostGraphile needs its Node.js packages, which CI does not install; these tests cover what
decides whether its answers are compared honestly: that its requests ask for the same rows as
ours, that its answers map to ours field by field (and a difference stays a difference), and that
the view it follows citations through holds exactly the projects' citations.
"""

import asyncio
import base64
import json
import uuid
from collections.abc import Iterator

import asyncpg
import pytest
from graphql import parse
from strawberry.relay import to_base64

from bench import queries
from bench.databases import asyncpg_dsn
from bench.postgraphile_rival import normalised, postgraphile_requests, prepare_database
from bench.workload import HttpRequest
from registry import migrate
from registry.db import create_engine, create_sessionmaker
from registry.graphql.core.pagination import _encode as encode_cursor
from tests.utils import factories
from tests.utils.databases import POSTGRES_URL, create_database, drop_database

PROJECT_ID = uuid.UUID("4434eba1-fd52-49bc-bd4f-4846ad4a4bbb")
OUR_ID = to_base64("Project", str(PROJECT_ID))
TITLE = "Завод «Минск–Астана», stage 4"  # non-ASCII and punctuation survive both cursor spellings


def _workload(after: str | None) -> dict[str, list[HttpRequest]]:
    return {
        "Q1-uncached": [HttpRequest.post(queries.PROJECT_PAGE, {"after": after})],
        "Q2-uncached": [HttpRequest.post(queries.PROJECT_DETAIL, {"id": OUR_ID})],
    }


def _sent(request: HttpRequest) -> dict:
    return json.loads(request.body)


def _postgraphile_cursor(title: str, row_id: uuid.UUID) -> str:
    """PostGraphile 4's cursor for orderBy [TITLE_ASC, ID_ASC], as it wrote one in a real answer."""
    return base64.b64encode(json.dumps(["title_asc", "id_asc", [title, str(row_id)]],
                                       separators=(",", ":"), ensure_ascii=False).encode()).decode()


def test_requests_ask_for_the_same_page_and_project():
    theirs = postgraphile_requests(_workload(encode_cursor([TITLE, PROJECT_ID])))

    assert _sent(theirs["Q1-uncached"][0])["variables"] == {"after": _postgraphile_cursor(TITLE, PROJECT_ID)}
    assert _sent(theirs["Q2-uncached"][0])["variables"] == {"id": str(PROJECT_ID)}
    # each request is one operation and the fragment it uses, as a client sends it
    for name, operation in (("Q1-uncached", "ProjectPage"), ("Q2-uncached", "ProjectDetail")):
        document = parse(_sent(theirs[name][0])["query"])
        assert [d.name.value for d in document.definitions] == ["ProjectFields", operation]


def test_the_first_page_has_no_cursor():
    assert _sent(postgraphile_requests(_workload(None))["Q1-uncached"][0])["variables"] == {"after": None}


def _their_project(**changes) -> dict:
    return {
        "id": str(PROJECT_ID), "title": TITLE, "status": "in_progress",
        "actual": "2001-03/2004~", "actualLower": "2001-03-01", "actualUpper": "2004-12-31",
        "projectParticipantsByProjectIdList": [
            {"role": "founder", "organizationByOrganizationId": {
                "name": "Belshina", "deletedAt": None,
                "countryByCountryCode": {"code": "BY", "name": "Belarus"}}},
            {"role": "partner", "organizationByOrganizationId": None},  # a person takes part
            {"role": "host", "organizationByOrganizationId": {
                "name": "Gone LLP", "deletedAt": "2024-01-01T00:00:00+00:00", "countryByCountryCode": None}},
        ],
        "projectCitationsByProjectIdList": [
            {"excerpt": "As agreed.", "sourceBySourceId": {"title": "Review"}},
        ],
        **changes,
    }


def _our_project(**changes) -> dict:
    return {
        "id": OUR_ID, "title": TITLE, "status": "IN_PROGRESS",
        "actual": {"value": "2001-03/2004~", "precision": "RANGE",
                   "lower": "2001-03-01", "upper": "2004-12-31"},
        "participants": [
            {"role": "FOUNDER",
             "organization": {"name": "Belshina", "country": {"code": "BY", "name": "Belarus"}}},
            {"role": "PARTNER", "organization": None},
            {"role": "HOST", "organization": None},  # soft-deleted: the registry hides it
        ],
        "citations": [{"excerpt": "As agreed.", "source": {"title": "Review"}}],
        **changes,
    }


def _page(node: dict, end_cursor: str | None) -> dict:
    return {"data": {"allProjects": {"edges": [{"node": node}],
                                     "pageInfo": {"endCursor": end_cursor, "hasNextPage": True}}}}


def test_a_page_in_our_shape():
    answer = normalised("Q1-uncached", _page(_their_project(), _postgraphile_cursor(TITLE, PROJECT_ID)))
    assert answer == {"data": {"projects": {
        "edges": [{"node": _our_project()}],
        "pageInfo": {"endCursor": encode_cursor([TITLE, PROJECT_ID]), "hasNextPage": True},
    }}}


@pytest.mark.parametrize(("value", "precision"),
                         [("2001", "YEAR"), ("2001-03", "MONTH"), ("2001-03-05~", "DAY")])
def test_precision_is_the_registrys(value, precision):
    answer = normalised("Q1-uncached", _page(_their_project(actual=value), None))
    assert answer["data"]["projects"]["edges"][0]["node"]["actual"]["precision"] == precision


def test_a_project_without_a_date():
    undated = _their_project(actual=None, actualLower=None, actualUpper=None)
    answer = normalised("Q1-uncached", _page(undated, None))
    assert answer["data"]["projects"]["edges"][0]["node"]["actual"] is None


def test_a_different_answer_stays_different():
    """The mapping must not hide a difference: a wrong row, a wrong nested value, a wrong order."""
    expected = normalised("Q1-uncached", _page(_their_project(), None))
    other_title = normalised("Q1-uncached", _page(_their_project(title="Another"), None))
    participants = _their_project()["projectParticipantsByProjectIdList"]
    reordered = normalised("Q1-uncached", _page(
        _their_project(projectParticipantsByProjectIdList=participants[::-1]), None))
    renamed_country = _their_project()
    renamed_country["projectParticipantsByProjectIdList"][0]["organizationByOrganizationId"][
        "countryByCountryCode"]["name"] = "Kazakhstan"
    assert len({json.dumps(a, sort_keys=True) for a in (
        expected, other_title, reordered, normalised("Q1-uncached", _page(renamed_country, None)))}) == 4


def _detail(**changes) -> dict:
    return {"data": {"projectById": _their_project(**{
        "deletedAt": None,
        "projectAgreementsByProjectIdList": [
            {"agreementByAgreementId": {"title": "Treaty", "signed": "1999-05", "deletedAt": None}},
            {"agreementByAgreementId": {"title": "Memo", "signed": None, "deletedAt": None}},
        ],
        "projectEventsByProjectIdList": [
            {"eventByEventId": {"title": "Visit", "date": "2003", "deletedAt": "2024-02-02T00:00:00+00:00"}},
        ],
        **changes,
    })}}


def test_a_project_by_id_in_our_shape():
    assert normalised("Q2-uncached", _detail()) == {"data": {"node": _our_project(
        agreements=[{"agreement": {"title": "Treaty", "signed": {"value": "1999-05"}}},
                    {"agreement": {"title": "Memo", "signed": None}}],
        events=[{"event": None}],  # soft-deleted
    )}}


def test_a_deleted_or_missing_project_is_null():
    deleted = _detail(deletedAt="2024-03-03T00:00:00+00:00")
    assert normalised("Q2-uncached", deleted) == {"data": {"node": None}}
    assert normalised("Q2-uncached", {"data": {"projectById": None}}) == {"data": {"node": None}}


def test_errors_are_left_as_they_are():
    """An error is never mapped into something that could equal our answer."""
    errors = {"errors": [{"message": "syntax error"}], "data": None}
    assert normalised("Q2-uncached", errors) == errors
    assert normalised("Q1-uncached", "Bad Gateway") == "Bad Gateway"


@pytest.fixture
def postgres_database(tmp_path) -> Iterator[str]:
    """A migrated PostgreSQL database holding citations of projects, of organizations and of participants."""
    if POSTGRES_URL is None:
        pytest.skip("PostgreSQL only (PostGraphile serves PostgreSQL): set REGISTRY_TEST_POSTGRES_URL")
    url = create_database("postgres", tmp_path)
    try:
        migrate.upgrade(url)
        asyncio.run(_cited_projects(url))
        yield url
    finally:
        drop_database(url)


async def _cited_projects(url: str) -> None:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await factories.many_projects(session, 3)
    finally:
        await engine.dispose()


async def _view_rows(url: str) -> tuple[list, list, int, str]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        view = await connection.fetch(
            "SELECT id, project_id, source_id, excerpt FROM project_citation ORDER BY id")
        table = await connection.fetch(
            "SELECT id, subject_id, source_id, excerpt FROM citation "
            "WHERE subject_type = 'project' ORDER BY id")
        others = await connection.fetchval("SELECT count(*) FROM citation WHERE subject_type <> 'project'")
        comment = await connection.fetchval(
            "SELECT obj_description('project_citation'::regclass, 'pg_class')")
        return [tuple(r) for r in view], [tuple(r) for r in table], others, comment
    finally:
        await connection.close()


def test_the_view_holds_the_projects_citations_with_their_keys(postgres_database):
    asyncio.run(prepare_database(postgres_database))
    asyncio.run(prepare_database(postgres_database))  # again on a database that has it: --skip-generate runs
    view, table, others, comment = asyncio.run(_view_rows(postgres_database))
    assert len(view) == 3 and view == table
    assert others > 0  # there were other subjects' citations to leave out
    assert comment.splitlines() == [
        "@primaryKey id",
        "@foreignKey (project_id) references project (id)",
        "@foreignKey (source_id) references source (id)",
    ]
