"""What a record's detail page shows beyond its columns: citations, aliases, identifiers, rows
that link it to other records (both ways), and its change history. Reads only."""

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Alias, Citation, ExternalIdentifier, SearchEntry, Source, metadata
from ..models.enums import EntityType
from ..partial_date import PartialDate, PartialDateError
from ..services import EntitySpec, history
from ..services.feed import ChangeEntry

__all__ = ["NAME_COLUMNS", "RecordDetails", "details_of", "label_of", "partial_date_label"]

MAX_RELATED_ROWS = 200  # per linking table, on one page
MAX_HISTORY = 100
# The column that names a record of each table, for links and pickers.
NAME_COLUMNS = {
    "organization": "name", "person": "display_name", "project": "title", "agreement": "title",
    "event": "title", "source": "title", "figure": "original", "country": "name",
}
_NOT_LINKS = {"citation", "alias", "external_identifier", "tag", "search_entry", "change_log"}


@dataclass(frozen=True)
class Link:
    kind: str
    key: str  # the id, or a country's code
    label: str


@dataclass(frozen=True)
class RelatedRow:
    values: dict[str, Any]  # the row's own columns (role, title, period…)
    links: dict[str, Link]  # its other references, by column


@dataclass(frozen=True)
class RelatedGroup:
    title: str
    rows: list[RelatedRow]


@dataclass(frozen=True)
class RecordDetails:
    aliases: list[Any]
    identifiers: list[Any]
    citations: list[tuple[Any, str]]  # citation, source title
    related: list[RelatedGroup]
    history: list[ChangeEntry]
    dates: dict[str, str]  # partial-date field → "2002-09 (month)"


def partial_date_label(text: str | None) -> str:
    if not text:
        return ""
    try:
        parsed = PartialDate.parse(text)
    except PartialDateError:
        return text
    return f"{text} ({parsed.precision.value}{', approximate' if parsed.approximate else ''})"


async def label_of(session: AsyncSession, table_name: str, keys: set[Any]) -> dict[Any, str]:
    table = metadata.tables[table_name]
    key_column = table.c.code if table_name == "country" else table.c.id
    rows = await session.execute(sa.select(key_column, table.c[NAME_COLUMNS[table_name]]).where(key_column.in_(keys)))
    return {key: str(name) for key, name in rows.all()}


async def _related(session: AsyncSession, spec: EntitySpec, entity_id: uuid.UUID) -> list[RelatedGroup]:
    """Every row of another table whose foreign key names this record: its own relationship rows
    (a person's positions) and those of others that name it (an organization's projects)."""
    target = spec.model.__table__
    found: list[tuple[str, sa.Table, sa.Column, list[Any]]] = []
    for table in metadata.sorted_tables:
        if table.name in _NOT_LINKS:
            continue
        for key in table.foreign_keys:
            if key.column.table is target and key.column.name == "id":
                rows = (await session.execute(
                    sa.select(table).where(key.parent == entity_id).limit(MAX_RELATED_ROWS))).mappings().all()
                if rows:
                    found.append((f"{table.name.replace('_', ' ')} (by {key.parent.name.removesuffix('_id')})",
                                  table, key.parent, rows))
    wanted: dict[str, set[Any]] = {}
    for _title, table, via, rows in found:
        for key in table.foreign_keys:
            if key.parent is not via:
                wanted.setdefault(key.column.table.name, set()).update(
                    row[key.parent.name] for row in rows if row[key.parent.name] is not None)
    labels = {name: await label_of(session, name, keys) for name, keys in wanted.items()}
    groups = []
    for title, table, via, rows in found:
        references = {key.parent.name: key.column.table.name for key in table.foreign_keys if key.parent is not via}
        shown = []
        for row in rows:
            links = {column: Link(kind, str(row[column]), labels[kind].get(row[column], str(row[column])))
                     for column, kind in references.items() if row[column] is not None}
            values = {name: value for name, value in row.items()
                      if name not in references and name != via.name and name != "id"
                      and not name.endswith(("_lower", "_upper")) and value is not None}
            shown.append(RelatedRow(values, links))
        groups.append(RelatedGroup(title, shown))
    return groups


async def details_of(session: AsyncSession, spec: EntitySpec, entity: Any) -> RecordDetails:
    subject = (spec.entity_type, entity.id)

    def of_subject(table):
        return sa.select(table).where(table.subject_type == subject[0], table.subject_id == subject[1])

    citations = (await session.execute(
        sa.select(Citation, Source.title).join(Source, Source.id == Citation.source_id)
        .where(Citation.subject_type == subject[0], Citation.subject_id == subject[1]).order_by(Citation.id)
    )).all()
    page = await history(session, spec.kind, entity.id, limit=MAX_HISTORY)
    return RecordDetails(
        aliases=list((await session.scalars(of_subject(Alias))).all()),
        identifiers=list((await session.scalars(of_subject(ExternalIdentifier))).all()),
        citations=[(citation, title) for citation, title in citations],
        related=await _related(session, spec, entity.id),
        history=list(reversed(page.entries)),
        dates={name: partial_date_label(getattr(entity, name)) for name in spec.partial_dates},
    )


def search_condition(entity_type: EntityType, folded: str) -> sa.ColumnElement[bool]:
    """Records of `entity_type` with a name or alias containing `folded` (already folded)."""
    return sa.select(SearchEntry.subject_id).where(
        SearchEntry.subject_type == entity_type, SearchEntry.folded.contains(folded, autoescape=True)
    ).scalar_subquery()
