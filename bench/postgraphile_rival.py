"""PostGraphile 4, measured beside the registry: its view, its requests, and its answers in our shape.

The queries are written down in bench/postgraphile/queries.graphql; the server is started by
bench/servers.py (postgraphile_server). Everything here serves one purpose: PostGraphile answers
the same requests as ours (same projects, same pages), and its answers, mapped field by field
to ours, must equal ours before its rate means anything.
"""

import base64
import json
import uuid
from functools import cache

import asyncpg
from graphql import DocumentNode, FragmentDefinitionNode, OperationDefinitionNode, parse, print_ast
from strawberry.relay import from_base64, to_base64

from registry.graphql.core.pagination import _encode as encode_cursor
from registry.partial_date import PartialDate

from .databases import POSTGRAPHILE_DIR, asyncpg_dsn
from .workload import HttpRequest

__all__ = ["MEASURED", "normalised", "postgraphile_requests", "prepare_database"]

# our measurement → the operation in queries.graphql that asks PostGraphile the same
MEASURED = {"Q1-uncached": "ProjectPage", "Q2-uncached": "ProjectDetail"}

# Citations point at their subject through (subject_type, subject_id), which no foreign key can
# express: a view per subject type, with smart comments naming its keys, lets PostGraphile follow
# them. Created in the benchmark database only (the registry's schema does not have it).
PROJECT_CITATION_VIEW = """
CREATE OR REPLACE VIEW project_citation AS
    SELECT id, subject_id AS project_id, source_id, excerpt FROM citation WHERE subject_type = 'project'
"""
PROJECT_CITATION_COMMENT = (
    "COMMENT ON VIEW project_citation IS "
    "E'@primaryKey id\\n@foreignKey (project_id) references project (id)\\n"
    "@foreignKey (source_id) references source (id)'"
)


async def prepare_database(url: str) -> None:
    """Add what PostGraphile needs to the benchmark database (idempotent)."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with connection.transaction():
            await connection.execute(PROJECT_CITATION_VIEW)
            await connection.execute(PROJECT_CITATION_COMMENT)
    finally:
        await connection.close()


@cache
def _operations() -> dict[str, str]:
    """Each operation of queries.graphql as a client sends it: the operation and the fragments."""
    document = parse((POSTGRAPHILE_DIR / "queries.graphql").read_text(encoding="utf-8"))
    fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
    return {
        d.name.value: print_ast(DocumentNode(definitions=(*fragments, d)))
        for d in document.definitions if isinstance(d, OperationDefinitionNode)
    }


def _their_cursor(ours: str | None) -> str | None:
    """Our cursor (urlsafe base64 of [title, id hex]) as PostGraphile's for the same row and order."""
    if ours is None:
        return None
    title, hex_id = json.loads(base64.urlsafe_b64decode(ours))
    keys = json.dumps(["title_asc", "id_asc", [title, str(uuid.UUID(hex_id))]], separators=(",", ":"),
                      ensure_ascii=False)
    return base64.b64encode(keys.encode()).decode()


def _our_cursor(theirs: str | None) -> str | None:
    if theirs is None:
        return None
    *_order, (title, row_id) = json.loads(base64.b64decode(theirs))
    return encode_cursor([title, uuid.UUID(row_id)])


def _their_request(name: str, ours: HttpRequest) -> HttpRequest:
    variables = json.loads(ours.body)["variables"]
    if name == "Q1-uncached":
        variables = {"after": _their_cursor(variables["after"])}
    else:
        _type_name, row_id = from_base64(variables["id"])
        variables = {"id": row_id}
    return HttpRequest.post(_operations()[MEASURED[name]], variables)


def postgraphile_requests(workload: dict[str, list[HttpRequest]]) -> dict[str, list[HttpRequest]]:
    """PostGraphile's requests for Q1 and Q2, one for each of ours, in the same order."""
    return {name: [_their_request(name, request) for request in workload[name]] for name in MEASURED}


def _live(row: dict | None) -> dict | None:
    """A row the registry hides once soft-deleted, without PostGraphile's `deletedAt`."""
    if row is None or row.pop("deletedAt") is not None:
        return None
    return row


def _actual(project: dict) -> dict | None:
    value, lower, upper = project.pop("actual"), project.pop("actualLower"), project.pop("actualUpper")
    if value is None:
        return None
    precision = PartialDate.parse(value).precision.name
    return {"value": value, "precision": precision, "lower": lower, "upper": upper}


def _project(node: dict) -> dict:
    """One project in our field names and order."""
    participants = [
        {"role": p["role"].upper(), "organization": _organization(p["organizationByOrganizationId"])}
        for p in node["projectParticipantsByProjectIdList"]
    ]
    citations = [{"excerpt": c["excerpt"], "source": c["sourceBySourceId"]}
                 for c in node["projectCitationsByProjectIdList"]]
    project = {"id": to_base64("Project", node["id"]), "title": node["title"],
               "status": node["status"].upper(), "actual": _actual(node), "participants": participants,
               "citations": citations}
    if "projectAgreementsByProjectIdList" in node:  # Q2
        project["agreements"] = [
            {"agreement": _dated(a["agreementByAgreementId"], "signed")}
            for a in node["projectAgreementsByProjectIdList"]
        ]
        project["events"] = [{"event": _dated(e["eventByEventId"], "date")}
                             for e in node["projectEventsByProjectIdList"]]
    return project


def _organization(row: dict | None) -> dict | None:
    row = _live(row)
    if row is None:
        return None
    return {"name": row["name"], "country": row["countryByCountryCode"]}


def _dated(row: dict | None, field: str) -> dict | None:
    """An agreement or event: its title and one partial date, of which the query asks only the value."""
    row = _live(row)
    if row is None:
        return None
    value = row[field]
    return {"title": row["title"], field: None if value is None else {"value": value}}


def normalised(name: str, answer: object) -> object:
    """PostGraphile's parsed answer to `name` in our shape; anything unexpected is returned as it is."""
    if not isinstance(answer, dict) or answer.get("errors") or not answer.get("data"):
        return answer
    data = answer["data"]
    if name == "Q1-uncached":
        page = data["allProjects"]
        return {"data": {"projects": {
            "edges": [{"node": _project(edge["node"])} for edge in page["edges"]],
            "pageInfo": {"endCursor": _our_cursor(page["pageInfo"]["endCursor"]),
                         "hasNextPage": page["pageInfo"]["hasNextPage"]},
        }}}
    node = _live(data["projectById"])
    return {"data": {"node": None if node is None else _project(node)}}
