"""Deterministic synthetic registry data, bulk-loaded into PostgreSQL or SQLite.

    python -m bench.generate                         # scale 1, PostgreSQL (REGISTRY_BENCH_DATABASE_URL)
    python -m bench.generate --scale 0.02 --database sqlite

The database is dropped, re-created and migrated with the project's own migrations, then filled
table by table: COPY on PostgreSQL (asyncpg `copy_records_to_table`), executemany INSERTs on
SQLite (whose FTS5 triggers index the search entries as they arrive). One seeded RNG drives
everything, so a seed and a scale always give the same rows, ids included.

At scale 1: 20,000 organizations, 10,000 people, 50,000 projects (each with ≈3 participants,
≈2 citations, ≈1 agreement and ≈1 event), 5,000 agreements, 10,000 events, 20,000 figures,
40 sources; aliases for a third of the organizations and people; one search entry per name,
alias, description and citation excerpt, with the dictionary of their stems, made by the service
layer's own function.
"""

import argparse
import asyncio
import itertools
import json
import random
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import sqlalchemy as sa

from registry import migrate, models
from registry.db import create_engine, is_sqlite
from registry.models import enums
from registry.models.enums import EntityType
from registry.partial_date import PartialDate
from registry.services.search_index import MAX_TERM_LENGTH, entry_rows, term_ends

from . import vocabulary as words
from .databases import asyncpg_dsn, bench_database_url, recreate_database

__all__ = ["Sizes", "SyntheticRegistry", "generate"]

DEFAULT_SEED = 20261123
CHUNK_ROWS = 10_000
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)  # fixed, so created_at/updated_at are deterministic too

# Weighted like the real registry: mostly companies, few ministries and embassies.
ORGANIZATION_KINDS = {
    "company": 40, "trading_house": 10, "service_center": 10, "joint_venture": 8, "state_owned_enterprise": 8,
    "bank": 6, "association": 5, "education_research": 5, "media": 3, "cultural": 2, "ministry": 1,
    "embassy": 1, "other": 1,
}
MONEY_METRICS = {"bilateral_trade", "exports", "imports", "financing", "investment"}


@dataclass(frozen=True)
class Sizes:
    organizations: int
    people: int
    projects: int
    agreements: int
    events: int
    figures: int
    sources: int

    @classmethod
    def at(cls, scale: float) -> "Sizes":
        def scaled(count: int, minimum: int) -> int:
            return max(minimum, round(count * scale))

        return cls(
            organizations=scaled(20_000, 20), people=scaled(10_000, 20), projects=scaled(50_000, 50),
            agreements=scaled(5_000, 10), events=scaled(10_000, 10), figures=scaled(20_000, 10),
            sources=scaled(40, 3),
        )


@dataclass(frozen=True, slots=True)
class Named:
    """A record's names, kept from its own pass for the alias and search-entry passes."""

    entity_type: EntityType
    id: uuid.UUID
    name: str
    aliases: tuple[tuple[str, str, str], ...] = ()  # (name, lang, alias kind)
    description: str | None = None


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:100] or "record"


def _excerpt(k: int) -> str:
    return f"The project is mentioned in the review (item {k + 1})."


def _values(enum: type) -> list[str]:
    return [member.value for member in enum]


class SyntheticRegistry:
    """The rows of every table, produced in foreign-key order by `tables()`.

    Each pass remembers the ids (and names) later passes refer to; rows themselves are
    streamed, so 10× scale does not need every row in memory at once."""

    def __init__(self, sizes: Sizes, seed: int = DEFAULT_SEED):
        self.sizes = sizes
        self.rng = random.Random(seed)
        self._clock = itertools.count()
        self.named: list[Named] = []
        self.source_ids: list[uuid.UUID] = []
        self.organization_ids: list[uuid.UUID] = []
        self.person_ids: list[uuid.UUID] = []
        self.event_ids: list[uuid.UUID] = []
        self.agreement_ids: list[uuid.UUID] = []
        self.project_ids: list[uuid.UUID] = []
        self.citation_counts: dict[uuid.UUID, int] = {}  # a project's excerpts, for the search entries
        self.search_stems: set[str] = set()

    def tables(self) -> Iterator[tuple[sa.Table, Iterable[dict[str, Any]]]]:
        yield models.Country.__table__, self.countries()
        yield models.Source.__table__, self.sources()
        yield models.Organization.__table__, self.organizations()
        yield models.Person.__table__, self.people()
        yield models.Position.__table__, self.positions()
        yield models.Event.__table__, self.events()
        yield models.EventParticipant.__table__, self.event_participants()
        yield models.Agreement.__table__, self.agreements()
        yield models.AgreementParty.__table__, self.agreement_parties()
        yield models.AgreementSignatory.__table__, self.agreement_signatories()
        yield models.Project.__table__, self.projects()
        yield models.ProjectParticipant.__table__, self.project_participants()
        yield models.ProjectAgreement.__table__, self.project_agreements()
        yield models.ProjectEvent.__table__, self.project_events()
        yield models.Citation.__table__, self.project_citations()
        yield models.Figure.__table__, self.figures()
        yield models.Alias.__table__, self.aliases()
        yield models.SearchEntry.__table__, self.search_entries()
        yield models.SearchTerm.__table__, self.search_terms()
        yield models.ChangeLog.__table__, self.change_log()

    # --- building blocks -------------------------------------------------------------------------

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _entity(self, name: str) -> dict[str, Any]:
        """Columns every record has: id, a unique slug, version, timestamps."""
        tick = next(self._clock)
        at = BASE_TIME + timedelta(minutes=tick)
        return {"id": self._uuid(), "slug": f"{_slugify(name)}-{tick}", "version": 1,
                "created_at": at, "updated_at": at, "deleted_at": None}

    def _country(self) -> str:
        roll = self.rng.random()
        if roll < 0.45:
            return "KZ"
        if roll < 0.9:
            return "BY"
        return self.rng.choice(list(words.COUNTRIES))

    def _city(self, country: str) -> str | None:
        cities = words.CITIES.get(country)
        return self.rng.choice(cities) if cities else None

    def _partial_date(self, first_year: int = 1992, last_year: int = 2025) -> str:
        """An EDTF text at a realistic mix of precisions: day, month, year, approximate, range, open."""
        rng, year = self.rng, self.rng.randint(first_year, last_year)
        roll = rng.random()
        if roll < 0.40:
            return f"{year}-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}"
        if roll < 0.65:
            return f"{year}-{rng.randint(1, 12):02}"
        if roll < 0.85:
            return str(year)
        if roll < 0.90:
            return f"{year}~"
        if roll < 0.97:
            return f"{year}/{year + rng.randint(1, 5)}"
        return f"{year}/.."

    def _dated(self, column: str, probability: float, **years: int) -> dict[str, Any]:
        """A partial-date column with its derived bounds, as the service layer stores it."""
        if self.rng.random() >= probability:
            return {column: None, f"{column}_lower": None, f"{column}_upper": None}
        parsed = PartialDate.parse(self._partial_date(**years))
        return {column: parsed.value, f"{column}_lower": parsed.lower, f"{column}_upper": parsed.upper}

    def _spelling_variant(self, name: str) -> str | None:
        for stored, typed in words.SPELLING_SWAPS:
            if stored in name:
                return name.replace(stored, typed, 1)
        return None

    # --- records ---------------------------------------------------------------------------------

    def countries(self) -> Iterator[dict[str, Any]]:
        for code, name in words.COUNTRIES.items():
            yield {"code": code, "name": name}

    def sources(self) -> Iterator[dict[str, Any]]:
        for i in range(self.sizes.sources):
            title = f"{words.SOURCE_TITLES[i % len(words.SOURCE_TITLES)]}, volume {i + 1}"
            row = self._entity(title) | {
                "file": f"source-{i + 1:04}.md", "title": title,
                "author": self.rng.choice([None, "Editorial board"]),
                "publication": "Regional cooperation yearbook", "url": f"https://example.org/sources/{i + 1}",
                "description": None, **self._dated("published", 0.9, first_year=1995),
            }
            self.source_ids.append(row["id"])
            self.named.append(Named(EntityType.SOURCE, row["id"], title))
            yield row

    def organizations(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        kinds, weights = list(ORGANIZATION_KINDS), list(ORGANIZATION_KINDS.values())
        for _ in range(self.sizes.organizations):
            country = self._country()
            city = self._city(country)
            kind = rng.choices(kinds, weights)[0]
            stem = rng.choice(words.NAME_ROOTS) + rng.choice(words.NAME_ROOTS).lower()
            ending = rng.choice(words.NAME_ENDINGS[kind])
            name = f"{city or words.COUNTRIES[country]} {stem} {ending}"
            aliases = []
            if rng.random() < 0.3:
                aliases.append((f"{stem.upper()} {ending}", "en", "abbreviation"))
                if (variant := self._spelling_variant(name)) is not None:
                    aliases.append((variant, "en", "spelling_variant"))
            has_parent = self.organization_ids and rng.random() < 0.1
            parent = rng.choice(self.organization_ids) if has_parent else None
            row = self._entity(name) | {
                "name": name, "kind": kind, "country_code": country, "city": city, "parent_id": parent,
                **self._dated("founded", 0.7, first_year=1991, last_year=2020),
                **self._dated("dissolved", 0.05, first_year=2010),
                "description": (f"{kind.replace('_', ' ')} based in {city}"
                                if city and rng.random() < 0.5 else None),
            }
            self.organization_ids.append(row["id"])
            self.named.append(Named(EntityType.ORGANIZATION, row["id"], name, tuple(aliases), row["description"]))
            yield row

    def people(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        for _ in range(self.sizes.people):
            country = rng.choice(["KZ", "BY"]) if rng.random() < 0.95 else "RU"
            names_of = "KZ" if country == "KZ" else "BY"
            given, given_cyrillic = rng.choice(words.GIVEN_NAMES[names_of])
            family, family_cyrillic = rng.choice(words.FAMILY_NAMES[names_of])
            display_name = f"{given} {family}"
            aliases = []
            if rng.random() < 0.35:
                aliases.append((f"{given_cyrillic} {family_cyrillic}", "ru", "translation"))
            if rng.random() < 0.15 and (variant := self._spelling_variant(display_name)) is not None:
                aliases.append((variant, "en", "spelling_variant"))
            row = self._entity(display_name) | {
                "display_name": display_name, "given_name": given, "family_name": family,
                "patronymic": rng.choice(words.PATRONYMICS) if rng.random() < 0.6 else None,
                "country_code": country, "description": None,
            }
            self.person_ids.append(row["id"])
            self.named.append(Named(EntityType.PERSON, row["id"], display_name, tuple(aliases)))
            yield row

    def positions(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        for person_id in self.person_ids:
            if rng.random() < 0.3:
                continue
            over_a_period = rng.random() < 0.5  # else known only "as of" a date
            yield {"id": self._uuid(), "person_id": person_id,
                   "organization_id": rng.choice(self.organization_ids),
                   "title": rng.choice(words.POSITION_TITLES),
                   **self._dated("period", 1.0 if over_a_period else 0.0),
                   **self._dated("as_of", 0.0 if over_a_period else 1.0)}

    def events(self) -> Iterator[dict[str, Any]]:
        rng, kinds = self.rng, _values(enums.EventKind)
        for i in range(self.sizes.events):
            country = rng.choice(["KZ", "BY"])
            city = self._city(country)
            title = f"{rng.choice(words.EVENT_PHRASES)} {city}, no. {i + 1}"
            row = self._entity(title) | {
                "title": title, "kind": rng.choice(kinds), **self._dated("date", 0.95),
                "country_code": country, "city": city, "description": None,
            }
            self.event_ids.append(row["id"])
            self.named.append(Named(EntityType.EVENT, row["id"], title))
            yield row

    def event_participants(self) -> Iterator[dict[str, Any]]:
        rng, roles = self.rng, _values(enums.EventParticipantRole)
        for event_id in self.event_ids:
            for _ in range(rng.choice([1, 2, 3, 4, 5])):
                by_organization = rng.random() < 0.7
                yield {"id": self._uuid(), "event_id": event_id,
                       "organization_id": rng.choice(self.organization_ids) if by_organization else None,
                       "person_id": None if by_organization else rng.choice(self.person_ids),
                       "role": rng.choice(roles)}

    def agreements(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        kinds, statuses = _values(enums.AgreementKind), _values(enums.AgreementStatus)
        for i in range(self.sizes.agreements):
            country = rng.choice(["KZ", "BY"])
            title = f"{rng.choice(words.AGREEMENT_PHRASES)}, no. {i + 1}"
            row = self._entity(title) | {
                "title": title, "kind": rng.choice(kinds), "status": rng.choice(statuses),
                **self._dated("initialed", 0.1), **self._dated("signed", 0.85),
                **self._dated("ratified", 0.3), **self._dated("in_force", 0.5),
                **self._dated("ended", 0.1), **self._dated("valid", 0.2),
                "country_code": country, "city": self._city(country),
                "signing_event_id": rng.choice(self.event_ids) if rng.random() < 0.2 else None,
                "description": None,
            }
            self.agreement_ids.append(row["id"])
            self.named.append(Named(EntityType.AGREEMENT, row["id"], title))
            yield row

    def agreement_parties(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        for agreement_id in self.agreement_ids:
            for organization_id in rng.sample(self.organization_ids, 2):
                yield {"id": self._uuid(), "agreement_id": agreement_id, "organization_id": organization_id,
                       "role": "party" if rng.random() < 0.9 else "observer"}

    def agreement_signatories(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        for agreement_id in self.agreement_ids:
            for person_id in rng.sample(self.person_ids, rng.choice([1, 2])):
                yield {"id": self._uuid(), "agreement_id": agreement_id, "person_id": person_id,
                       "organization_id": rng.choice(self.organization_ids) if rng.random() < 0.5 else None}

    def projects(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        kinds, sectors = _values(enums.ProjectKind), _values(enums.Sector)
        statuses = _values(enums.ProjectStatus)
        for _ in range(self.sizes.projects):
            country = self._country()
            city = self._city(country) or words.COUNTRIES[country]
            stem = rng.choice(words.NAME_ROOTS) + rng.choice(words.NAME_ROOTS).lower()
            title = f"{rng.choice(words.PROJECT_PHRASES)} {stem} {city}"
            if rng.random() < 0.5:
                title += f", stage {rng.randint(1, 60)}"
            row = self._entity(title) | {
                "title": title, "kind": rng.choice(kinds), "sector": rng.choice(sectors),
                "status": rng.choice(statuses), **self._dated("planned", 0.6), **self._dated("actual", 0.8),
                "country_code": country, "location": city,
                "description": (f"{title}: cooperation between partners from {city}"
                                if rng.random() < 0.5 else None),
            }
            self.project_ids.append(row["id"])
            self.named.append(Named(EntityType.PROJECT, row["id"], title, description=row["description"]))
            yield row

    def project_participants(self) -> Iterator[dict[str, Any]]:
        rng, roles = self.rng, _values(enums.ProjectParticipantRole)
        for project_id in self.project_ids:
            for _ in range(rng.choice([2, 3, 3, 4])):
                roll = rng.random()
                organization_id = rng.choice(self.organization_ids) if roll < 0.95 else None
                person_id = rng.choice(self.person_ids) if roll >= 0.8 else None  # some for an organization
                yield {"id": self._uuid(), "project_id": project_id, "organization_id": organization_id,
                       "person_id": person_id, "role": rng.choice(roles)}

    def project_agreements(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        for project_id in self.project_ids:
            for agreement_id in rng.sample(self.agreement_ids, rng.choice([0, 1, 1, 2])):
                yield {"id": self._uuid(), "project_id": project_id, "agreement_id": agreement_id}

    def project_events(self) -> Iterator[dict[str, Any]]:
        rng, relations = self.rng, _values(enums.ProjectEventRelation)
        for project_id in self.project_ids:
            for event_id in rng.sample(self.event_ids, rng.choice([0, 1, 1, 2])):
                yield {"id": self._uuid(), "project_id": project_id, "event_id": event_id,
                       "relation": rng.choice(relations)}

    def project_citations(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        for project_id in self.project_ids:
            self.citation_counts[project_id] = count = rng.choice([1, 2, 2, 3])
            for k in range(count):
                yield {"subject_type": EntityType.PROJECT.value, "subject_id": project_id,
                       "source_id": rng.choice(self.source_ids),
                       "excerpt": _excerpt(k),
                       "locator": f"para. {rng.randint(1, 400)}", "note": None}

    def figures(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        metrics, qualifiers = _values(enums.FigureMetric), _values(enums.FigureQualifier)
        for _ in range(self.sizes.figures):
            metric, qualifier = rng.choice(metrics), rng.choice(qualifiers)
            units = ["USD", "RUB", "KZT"] if metric in MONEY_METRICS else ["tonne", "count"]
            unit = rng.choice(units)
            value = Decimal(rng.randint(1, 10**9)) / 100
            value_max = value * 2 if qualifier == "range" else None
            exporter = rng.choice(["KZ", "BY"])
            row = self._entity(metric) | {
                "metric": metric, "value": value, "value_max": value_max, "unit": unit,
                "qualifier": qualifier,
                **self._dated("period", 0.95), "from_country_code": exporter,
                "to_country_code": "BY" if exporter == "KZ" else "KZ",
                "subject_project_id": rng.choice(self.project_ids) if rng.random() < 0.5 else None,
                "subject_organization_id": rng.choice(self.organization_ids) if rng.random() < 0.2 else None,
                "original": f"{qualifier.replace('_', ' ')} {value} {unit}", "description": None,
            }
            yield row

    # --- names and the change log ----------------------------------------------------------------

    def aliases(self) -> Iterator[dict[str, Any]]:
        for named in self.named:
            for name, lang, kind in dict.fromkeys(named.aliases):  # unique per (subject, name, lang)
                yield {"subject_type": named.entity_type.value, "subject_id": named.id, "name": name,
                       "lang": lang, "kind": kind}

    def search_entries(self) -> Iterator[dict[str, Any]]:
        """Every name, alias, description and excerpt, as registry.services.search_index writes them."""
        for named in self.named:
            excerpts = [_excerpt(k) for k in range(self.citation_counts.get(named.id, 0))]
            for row in entry_rows(named.entity_type, named.id, named.name, [a[0] for a in named.aliases],
                                  named.description, excerpts):
                self.search_stems.update(row["terms"].split())
                yield row | {"subject_type": row["subject_type"].value, "field": row["field"].value}

    def search_terms(self) -> Iterator[dict[str, Any]]:
        """The dictionary of stems the entries hold (filled by the search_entries pass)."""
        for term in sorted(self.search_stems):
            if len(term) <= MAX_TERM_LENGTH:
                yield {"term": term, "ends": term_ends(term)}

    def change_log(self) -> Iterator[dict[str, Any]]:
        # The highest change id is the data version the ETag middleware reads: one row per source will do.
        for i, source_id in enumerate(self.source_ids):
            yield {"entity_type": EntityType.SOURCE.value, "entity_id": source_id, "action": "create",
                   "version": 1, "actor": "bench.generate", "changed_at": BASE_TIME + timedelta(seconds=i),
                   "data": {"generated": True}}


# --- writing ---------------------------------------------------------------------------------------

Write = Callable[[sa.Table, list[dict[str, Any]]], Awaitable[None]]


@asynccontextmanager
async def _postgres_writer(url: str) -> AsyncIterator[Write]:
    connection = await asyncpg.connect(asyncpg_dsn(url))

    async def write(table: sa.Table, rows: list[dict[str, Any]]) -> None:
        columns = list(rows[0])
        records = [tuple(json.dumps(v) if isinstance(v, dict) else v for v in row.values()) for row in rows]
        await connection.copy_records_to_table(table.name, columns=columns, records=records)

    try:
        yield write
    finally:
        await connection.close()


@asynccontextmanager
async def _sqlite_writer(url: str) -> AsyncIterator[Write]:
    engine = create_engine(url)  # the app's engine: foreign keys on, WAL
    try:
        async with engine.begin() as connection:

            async def write(table: sa.Table, rows: list[dict[str, Any]]) -> None:
                await connection.execute(sa.insert(table), rows)

            yield write
    finally:
        await engine.dispose()


def _chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


async def _load(url: str, registry: SyntheticRegistry, verbose: bool) -> None:
    writer = _sqlite_writer(url) if is_sqlite(url) else _postgres_writer(url)
    async with writer as write:
        for table, rows in registry.tables():
            started, count = time.perf_counter(), 0
            for chunk in _chunks(rows, CHUNK_ROWS):
                await write(table, chunk)
                count += len(chunk)
            if verbose:
                seconds = time.perf_counter() - started
                print(f"  {table.name:<20} {count:>9,} rows  {seconds:5.1f} s", flush=True)


async def _analyze(url: str) -> None:
    """Fresh planner statistics (and PostgreSQL's visibility map), as a long-running database has."""
    if is_sqlite(url):
        engine = create_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.execute(sa.text("ANALYZE"))
        finally:
            await engine.dispose()
        return
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def generate(url: str, scale: float = 1.0, seed: int = DEFAULT_SEED, verbose: bool = True) -> Sizes:
    """Wipe the database at `url`, migrate it and fill it; returns the record counts."""
    sizes = Sizes.at(scale)
    started = time.perf_counter()
    recreate_database(url)
    migrate.upgrade(url)
    if verbose:
        print(f"generating scale {scale} into {sa.make_url(url).render_as_string()}", flush=True)
    asyncio.run(_load(url, SyntheticRegistry(sizes, seed), verbose))
    asyncio.run(_analyze(url))
    if verbose:
        print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 50,000 projects (default: 1.0)")
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--database-url", help="an explicit SQLAlchemy async URL (overrides --database)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    generate(bench_database_url(args.database, args.database_url), args.scale, args.seed)


if __name__ == "__main__":
    main()
