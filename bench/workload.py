"""The concrete requests of each measurement, drawn (with a seeded RNG) from what the database holds.

    Q1-uncached  POST a page of 50 projects after a random cursor (or the first page)
    Q2-uncached  POST one random project by global id, with agreements and events
    Q3-search    POST search for a random organization or person name, re-cased or re-spelled;
                 a name with one or two typos; a topic word or phrase (descriptions, excerpts)
    Q4-timeline  POST one page of the timeline over a random window of a year or so
    Q1-cached    GET  the same as Q1, cycling through 8 requests (repeat hits)
    Q2-cached    GET  the same as Q2, cycling through 8 requests
"""

import json
import random
from dataclasses import dataclass
from urllib.parse import urlencode

import sqlalchemy as sa
from strawberry.relay import to_base64

from registry.db import create_engine
from registry.graphql.core.pagination import _encode as encode_cursor
from registry.models import Project, SearchEntry, SearchField
from registry.models.enums import EntityType

from . import queries
from .vocabulary import PROJECT_PHRASES, SPELLING_SWAPS

__all__ = ["MEASUREMENTS", "HttpRequest", "build_workload"]

MEASUREMENTS = ["Q1-uncached", "Q2-uncached", "Q3-search", "Q4-timeline", "Q1-cached", "Q2-cached"]
REPEATED = 8  # distinct requests the cached measurements cycle through


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str
    body: str | None = None
    headers: tuple[str, ...] = ()  # "Name: value" lines besides Host and Accept

    @classmethod
    def post(cls, query: str, variables: dict) -> "HttpRequest":
        return cls("POST", "/graphql", json.dumps({"query": query, "variables": variables}))

    @classmethod
    def post_with(cls, headers: tuple[str, ...], query: str, variables: dict) -> "HttpRequest":
        return cls("POST", "/graphql", json.dumps({"query": query, "variables": variables}), headers)

    @classmethod
    def get(cls, query: str, variables: dict) -> "HttpRequest":
        return cls("GET", "/graphql?" + urlencode({"query": query, "variables": json.dumps(variables)}))

    def to_json(self) -> dict:
        return {"method": self.method, "target": self.target, "body": self.body, "headers": list(self.headers)}


def _respelled(name: str, rng: random.Random) -> str:
    """The name as a user might type it: re-cased, re-spelled or shortened (search must still find it)."""
    words = name.split()
    variants = [name, name.lower(), name.upper(), " ".join(words[:2]) if len(words) > 2 else words[-1]]
    variants += [name.replace(stored, typed, 1) for stored, typed in SPELLING_SWAPS if stored in name][:1]
    return rng.choice(variants)


# Topic searches: words of the generated descriptions and excerpts (bench/generate.py).
TOPICS = ["cooperation between partners", "machine building", "based in", "review", "partners",
          *[phrase.lower() for phrase in PROJECT_PHRASES]]
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _misspelled(name: str, rng: random.Random, edits: int) -> str:
    """The name with `edits` typos (a letter dropped, added or changed) in its longest word, when that
    word is long enough for search to forgive them (5+ letters for one, 9+ for two)."""
    words = name.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) < (9 if edits == 2 else 5):
        return name
    for _ in range(edits):
        at = rng.randrange(1, len(word) - 1)  # keep the ends: most typos fall inside a word
        kind = rng.choice(["drop", "add", "change"])
        if kind == "drop":
            word = word[:at] + word[at + 1:]
        elif kind == "add":
            word = word[:at] + rng.choice(_LETTERS) + word[at:]
        else:
            word = word[:at] + rng.choice(_LETTERS) + word[at + 1:]
    words[longest] = word
    return " ".join(words)


async def _rows(url: str) -> tuple[list, list]:
    projects, entries = Project.__table__, SearchEntry.__table__
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            project_rows = (await connection.execute(
                sa.select(projects.c.id, projects.c.title).where(projects.c.deleted_at.is_(None))
                .order_by(projects.c.id))).all()
            name_rows = (await connection.execute(
                sa.select(entries.c.text)
                .where(entries.c.subject_type.in_([EntityType.ORGANIZATION, EntityType.PERSON]),
                       entries.c.field.in_([SearchField.NAME, SearchField.ALIAS]))
                .order_by(entries.c.id))).all()
        return project_rows, name_rows
    finally:
        await engine.dispose()


async def build_workload(url: str, seed: int = 7) -> dict[str, list[HttpRequest]]:
    rng = random.Random(seed)
    project_rows, name_rows = await _rows(url)

    # Cursors come from the server's own encoder: walking every page to collect them would take
    # longer than the benchmark at 10× scale. Each is a row's (title, id), exactly what
    # `pageInfo.endCursor` returns for that row; the parity check then exercises them.
    def sample(rows: list, count: int) -> list:
        return rng.sample(rows, min(count, len(rows)))

    page_variables = [{"after": None}] + [
        {"after": encode_cursor([title, project_id])} for project_id, title in sample(project_rows, 200)
    ]
    detail_variables = [
        {"id": to_base64("Project", str(project_id))} for project_id, _ in sample(project_rows, 400)
    ]
    search_variables = [{"query": _respelled(text, rng)} for (text,) in sample(name_rows, 140)]
    search_variables += [{"query": _misspelled(text, rng, 1)} for (text,) in sample(name_rows, 20)]
    search_variables += [{"query": _misspelled(text, rng, 2)} for (text,) in sample(name_rows, 20)]
    search_variables += [{"query": rng.choice(TOPICS)} for _ in range(20)]
    rng.shuffle(search_variables)
    timeline_variables = []
    for _ in range(60):
        year = rng.randint(1995, 2024)
        timeline_variables.append({"from": str(year), "to": rng.choice([str(year), f"{year + 1}-06"])})

    return {
        "Q1-uncached": [HttpRequest.post(queries.PROJECT_PAGE, v) for v in page_variables],
        "Q2-uncached": [HttpRequest.post(queries.PROJECT_DETAIL, v) for v in detail_variables],
        "Q3-search": [HttpRequest.post(queries.SEARCH, v) for v in search_variables],
        "Q4-timeline": [HttpRequest.post(queries.TIMELINE, v) for v in timeline_variables],
        "Q1-cached": [HttpRequest.get(queries.PROJECT_PAGE, v) for v in page_variables[:REPEATED]],
        "Q2-cached": [HttpRequest.get(queries.PROJECT_DETAIL, v) for v in detail_variables[:REPEATED]],
    }
