"""Loading the curated seed files (see seed/FORMAT.md) through the service layer.

Three steps, so a broken file never half-writes the database:
1. `read_seed` parses and validates every file, collecting every problem (file, record, field);
2. `load_seed` saves every record in one transaction (the caller commits or rolls back), then
   rebuilds the search index;
3. `check_excerpts` proves each citation's excerpt occurs in its source document.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from .models import Country, Source
from .services import (
    AGREEMENT,
    EVENT,
    FIGURE,
    ORGANIZATION,
    PERSON,
    PROJECT,
    SOURCE,
    AgreementIn,
    Author,
    EntitySpec,
    EventIn,
    FigureIn,
    OrganizationIn,
    PersonIn,
    ProjectIn,
    SaveOutcome,
    ServiceError,
    SourceIn,
    save,
    save_country,
)
from .services.inputs import CitationIn
from .services.search_index import rebuild as rebuild_search_index

__all__ = ["SeedData", "SeedLoadError", "SeedProblem", "check_excerpts", "load_seed", "read_seed"]

AUTHOR = Author("seed")
COUNTRIES_FILE = "countries.yaml"
ORGANIZATION_FILE = "organizations.yaml"
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class SeedKind:
    file: str
    spec: EntitySpec
    schema: type[BaseModel]


# In load order: a kind only refers to kinds above it (organizations also to each other).
KINDS = (
    SeedKind("sources.yaml", SOURCE, SourceIn),
    SeedKind("organizations.yaml", ORGANIZATION, OrganizationIn),
    SeedKind("people.yaml", PERSON, PersonIn),
    SeedKind("events.yaml", EVENT, EventIn),
    SeedKind("agreements.yaml", AGREEMENT, AgreementIn),
    SeedKind("projects.yaml", PROJECT, ProjectIn),
    SeedKind("figures.yaml", FIGURE, FigureIn),
)
_FILE_OF_MODEL = {kind.spec.model: kind.file for kind in KINDS} | {Country: COUNTRIES_FILE}


@dataclass(frozen=True, slots=True)
class SeedProblem:
    file: str
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        where = ".".join(part for part in (self.record, self.field) if part)
        return f"{self.file}: {where}: {self.message}" if where else f"{self.file}: {self.message}"


@dataclass
class SeedData:
    countries: dict[str, str] = field(default_factory=dict)
    records: dict[str, dict[str, BaseModel]] = field(default_factory=dict)  # file → slug → input

    def __len__(self) -> int:
        return len(self.countries) + sum(len(records) for records in self.records.values())


def _read_yaml(path: Path, problems: list[SeedProblem]) -> dict[str, Any]:
    if not path.exists():
        problems.append(SeedProblem(path.name, "", "", "file is missing"))
        return {}
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        problems.append(SeedProblem(path.name, "", "", f"not valid YAML: {exc}"))
        return {}
    if content is None:
        return {}
    if not isinstance(content, dict):
        problems.append(SeedProblem(path.name, "", "", "must be a mapping of slug → record"))
        return {}
    return content


def _validate_record(kind: SeedKind, slug: Any, raw: Any, problems: list[SeedProblem]) -> BaseModel | None:
    try:
        if not isinstance(slug, str) or not SLUG.fullmatch(slug):
            raise ValueError("slugs are lower-case words joined by hyphens")
        if not isinstance(raw, dict):
            raise ValueError("a record must be a mapping of fields")
        return kind.schema.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            location = ".".join(str(part) for part in error["loc"])
            problems.append(SeedProblem(kind.file, str(slug), location, error["msg"]))
    except ValueError as exc:
        problems.append(SeedProblem(kind.file, str(slug), "", str(exc)))
    return None


def _references(kind: SeedKind, record: BaseModel) -> Iterator[tuple[str, type, str]]:
    """(field path, referenced table, key) for every reference a record makes."""
    for name, target in kind.spec.refs.items():
        if (value := getattr(record, name)) is not None:
            yield name, target, value
    for relation in kind.spec.relations:
        for i, row in enumerate(getattr(record, relation.field)):
            for name, target in relation.refs.items():
                if (value := getattr(row, name)) is not None:
                    yield f"{relation.field}.{i}.{name}", target, value


def _citations(kind: SeedKind, record: BaseModel) -> Iterator[tuple[str, CitationIn]]:
    for i, citation in enumerate(record.citations):
        yield f"citations.{i}", citation
    for relation in kind.spec.relations:
        for i, row in enumerate(getattr(record, relation.field)):
            for j, citation in enumerate(row.citations):
                yield f"{relation.field}.{i}.citations.{j}", citation


def read_seed(directory: Path) -> tuple[SeedData, list[SeedProblem]]:
    """Parse and validate every seed file; every problem is reported, none stops the others."""
    problems: list[SeedProblem] = []
    data = SeedData()
    for code, name in _read_yaml(directory / COUNTRIES_FILE, problems).items():
        if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{2}", code) or not isinstance(name, str):
            problems.append(SeedProblem(COUNTRIES_FILE, str(code), "", "expected `XX: Country name` (ISO 3166-1)"))
        else:
            data.countries[code] = name
    # every slug a file names counts as known, valid or not, so one bad record is one problem, not a cascade
    known: dict[str, set] = {COUNTRIES_FILE: set(data.countries)}
    for kind in KINDS:
        records = data.records.setdefault(kind.file, {})
        raw_records = _read_yaml(directory / kind.file, problems)
        known[kind.file] = set(raw_records)
        for slug, raw in raw_records.items():
            if (record := _validate_record(kind, slug, raw, problems)) is not None:
                records[slug] = record

    for kind in KINDS:
        for slug, record in data.records[kind.file].items():
            for path, target, key in _references(kind, record):
                if key not in known[_FILE_OF_MODEL[target]]:
                    problems.append(
                        SeedProblem(kind.file, slug, path, f"unknown reference {key!r} (not in {_FILE_OF_MODEL[target]})")
                    )
            for path, citation in _citations(kind, record):
                if citation.source not in known[_FILE_OF_MODEL[Source]]:
                    problems.append(SeedProblem(kind.file, slug, f"{path}.source", f"unknown source {citation.source!r}"))
    try:
        data.records[ORGANIZATION_FILE] = _parents_first(data.records[ORGANIZATION_FILE])
    except CycleError as exc:
        problems.append(SeedProblem(ORGANIZATION_FILE, "", "parent", f"organizations are their own ancestors: {exc.args[1]}"))
    return data, problems


def _parents_first(organizations: dict[str, OrganizationIn]) -> dict[str, OrganizationIn]:
    graph = {slug: {org.parent} if org.parent in organizations else set() for slug, org in organizations.items()}
    return {slug: organizations[slug] for slug in TopologicalSorter(graph).static_order()}


class SeedLoadError(Exception):
    def __init__(self, problems: list[SeedProblem]):
        self.problems = problems
        super().__init__("; ".join(map(str, problems)))


async def load_seed(
    session: AsyncSession, data: SeedData, on_record: Callable[[str, str, SaveOutcome], None] | None = None
) -> dict[SaveOutcome, int]:
    """Save every record through the services, in the caller's transaction; count the outcomes."""
    counts = dict.fromkeys(SaveOutcome, 0)
    for code, name in sorted(data.countries.items()):
        outcome = await save_country(session, code, name, author=AUTHOR)
        counts[outcome] += 1
        if on_record:
            on_record(COUNTRIES_FILE, code, outcome)
    await session.flush()
    for kind in KINDS:
        for slug, record in data.records[kind.file].items():
            try:
                result = await save(session, kind.spec, slug, record, author=AUTHOR)
            except ServiceError as exc:
                raise SeedLoadError([SeedProblem(kind.file, slug, e.field, e.message) for e in exc.errors]) from exc
            counts[result.outcome] += 1
            if on_record:
                on_record(kind.file, slug, result.outcome)
    # Unchanged records are not rewritten, so their search entries may predate the index's
    # present shape: re-indexing everything keeps a re-run of the seed the way to refresh it.
    await rebuild_search_index(session, [kind.spec for kind in KINDS])
    return counts


def _normalise_text(text: str) -> str:
    return " ".join(text.replace("\\$", "$").split())


def check_excerpts(data: SeedData, sources_dir: Path) -> list[SeedProblem]:
    """Every citation whose excerpt does not occur in its source document (whitespace-insensitive)."""
    sources = data.records["sources.yaml"]
    texts: dict[str, str | None] = {}
    for slug, source in sources.items():
        path = sources_dir / source.file
        texts[slug] = _normalise_text(path.read_text(encoding="utf-8")) if path.exists() else None
    problems = [
        SeedProblem("sources.yaml", slug, "file", f"{sources_dir / sources[slug].file} does not exist")
        for slug, text in texts.items()
        if text is None
    ]
    for kind in KINDS:
        for slug, record in data.records[kind.file].items():
            for path, citation in _citations(kind, record):
                text = texts.get(citation.source)
                if text is not None and _normalise_text(citation.excerpt) not in text:
                    problems.append(
                        SeedProblem(kind.file, slug, f"{path}.excerpt",
                                    f"not found in {sources[citation.source].file}: {citation.excerpt!r}")
                    )
    return problems
