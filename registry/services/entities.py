"""The one write path for records: validate references, version, change log, search index.

Each domain module (organizations, people, …) declares an `EntitySpec` describing how its
input maps onto its table and relationship rows; `save` does the rest the same way for all.
A record is written whole: its own columns, aliases, identifiers, tags, citations and owned
relationship rows. Saving the same content again is a no-op (no version bump, no log row).
"""

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from ..models import (
    Alias,
    ChangeAction,
    ChangeLog,
    Citation,
    Country,
    ExternalIdentifier,
    SearchEntry,
    Source,
    Tag,
)
from ..models.base import utcnow
from ..models.enums import EntityType
from ..partial_date import PartialDate
from ..search_text import fold
from .errors import ErrorCode, FieldError, ServiceError
from .inputs import CitationIn, EntityIn, RelationIn

__all__ = ["EntitySpec", "RelationSpec", "SaveOutcome", "SaveResult", "save"]

# Relationship-row ids are derived from their content, so re-saving a record keeps them stable.
_RELATION_NAMESPACE = uuid.UUID("5a0c2f4e-8f7e-4d2b-9a53-6b1f0d1c7e21")
_ENTITY_COLLECTIONS = frozenset({"aliases", "identifiers", "tags", "citations"})


@dataclass(frozen=True)
class RelationSpec:
    """Rows a record owns (a person's positions, a project's participants…)."""

    field: str  # the input attribute that lists them
    model: type[SQLModel]
    entity_type: EntityType
    parent_column: str
    refs: Mapping[str, type[SQLModel]] = field(default_factory=dict)  # input field → referenced table
    partial_dates: tuple[str, ...] = ()


@dataclass(frozen=True)
class EntitySpec:
    model: type[SQLModel]
    entity_type: EntityType
    name_field: str  # the preferred name, indexed for search with the aliases
    refs: Mapping[str, type[SQLModel]] = field(default_factory=dict)
    partial_dates: tuple[str, ...] = ()
    relations: tuple[RelationSpec, ...] = ()


class SaveOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class SaveResult:
    entity: Any
    outcome: SaveOutcome


def _ref_column(name: str, target: type[SQLModel]) -> str:
    return f"{name}_code" if target is Country else f"{name}_id"


def _canonical(slug: str, data: EntityIn) -> dict[str, Any]:
    """The record as a JSON value with collections sorted: equal content gives an equal value."""

    def normalise(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: normalise(v) for k, v in value.items()}
        if isinstance(value, list):
            items = [normalise(v) for v in value]
            return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
        return value

    return {"slug": slug, **normalise(data.model_dump(mode="json"))}


class _References:
    """Turns slugs (and country codes) into ids, remembering answers; collects what is missing."""

    def __init__(self, session: AsyncSession):
        self.session = session
        self.errors: list[FieldError] = []
        self._cache: dict[tuple[type, str], Any] = {}

    async def resolve(self, target: type[SQLModel], key: str | None, path: str) -> Any:
        if key is None:
            return None
        cache_key = (target, key)
        if cache_key not in self._cache:
            if target is Country:
                statement = sa.select(Country.code).where(Country.code == key)
            else:
                statement = sa.select(target.id).where(target.slug == key, target.deleted_at.is_(None))
            self._cache[cache_key] = await self.session.scalar(statement)
        found = self._cache[cache_key]
        if found is None:
            kind = target.__tablename__.replace("_", " ")
            self.errors.append(FieldError(path, ErrorCode.NOT_FOUND, f"no {kind} {key!r}"))
        return found

    async def columns(
        self, data: Any, refs: Mapping[str, type[SQLModel]], partial_dates: tuple[str, ...],
        skip: frozenset[str], path: str,
    ) -> dict[str, Any]:
        """The table columns for an input: references resolved, partial dates given their bounds."""
        columns: dict[str, Any] = {}
        for name in type(data).model_fields:
            if name in skip:
                continue
            value = getattr(data, name)
            if name in refs:
                columns[_ref_column(name, refs[name])] = await self.resolve(refs[name], value, path + name)
            elif name in partial_dates:
                parsed = PartialDate.parse_optional(value)
                columns[name] = parsed.value if parsed else None
                columns[f"{name}_lower"] = parsed.lower if parsed else None
                columns[f"{name}_upper"] = parsed.upper if parsed else None
            else:
                columns[name] = value
        return columns

    async def citations(
        self, citations: list[CitationIn], subject_type: EntityType, subject_id: uuid.UUID, path: str
    ) -> list[dict[str, Any]]:
        rows = []
        for i, citation in enumerate(citations):
            source_id = await self.resolve(Source, citation.source, f"{path}citations.{i}.source")
            rows.append(
                dict(
                    subject_type=subject_type, subject_id=subject_id, source_id=source_id,
                    excerpt=citation.excerpt, locator=citation.locator, note=citation.note,
                )
            )
        return rows


async def _latest_snapshot(session: AsyncSession, entity_type: EntityType, entity_id: uuid.UUID) -> Any:
    return await session.scalar(
        sa.select(ChangeLog.data)
        .where(ChangeLog.entity_type == entity_type, ChangeLog.entity_id == entity_id)
        .order_by(ChangeLog.id.desc())
        .limit(1)
    )


async def _identifier_clashes(
    session: AsyncSession, spec: EntitySpec, data: EntityIn, entity_id: uuid.UUID
) -> list[FieldError]:
    errors = []
    for i, identifier in enumerate(data.identifiers):
        owner = await session.scalar(
            sa.select(ExternalIdentifier.subject_id).where(
                ExternalIdentifier.subject_type == spec.entity_type,
                ExternalIdentifier.scheme == identifier.scheme,
                ExternalIdentifier.value == identifier.value,
                ExternalIdentifier.subject_id != entity_id,
            )
        )
        if owner is not None:
            errors.append(
                FieldError(
                    f"identifiers.{i}", ErrorCode.UNIQUE,
                    f"{identifier.scheme}:{identifier.value} already identifies another {spec.entity_type}",
                )
            )
    return errors


async def _delete_owned_rows(session: AsyncSession, spec: EntitySpec, entity_id: uuid.UUID) -> None:
    for relation in spec.relations:
        owned = sa.select(relation.model.id).where(getattr(relation.model, relation.parent_column) == entity_id)
        await session.execute(
            sa.delete(Citation).where(Citation.subject_type == relation.entity_type, Citation.subject_id.in_(owned))
        )
        await session.execute(
            sa.delete(relation.model).where(getattr(relation.model, relation.parent_column) == entity_id)
        )
    for table in (Citation, Alias, ExternalIdentifier, Tag, SearchEntry):
        await session.execute(
            sa.delete(table).where(table.subject_type == spec.entity_type, table.subject_id == entity_id)
        )


async def _relation_rows(
    refs: _References, relation: RelationSpec, rows: list[RelationIn], parent_id: uuid.UUID
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The relationship rows and their citations, with ids derived from content."""
    values, citations, seen = [], [], set()
    for i, row in enumerate(rows):
        path = f"{relation.field}.{i}."
        columns = await refs.columns(row, relation.refs, relation.partial_dates, frozenset({"citations"}), path)
        content = json.dumps(row.model_dump(mode="json", exclude={"citations"}), sort_keys=True)
        row_id = uuid.uuid5(_RELATION_NAMESPACE, f"{relation.entity_type}:{parent_id}:{content}")
        if row_id in seen:
            refs.errors.append(FieldError(path.rstrip("."), ErrorCode.DUPLICATE, "the same row is listed twice"))
            continue
        seen.add(row_id)
        values.append({"id": row_id, relation.parent_column: parent_id, **columns})
        citations += await refs.citations(row.citations, relation.entity_type, row_id, path)
    return values, citations


def _search_entries(spec: EntitySpec, entity_id: uuid.UUID, data: EntityIn) -> list[dict[str, Any]]:
    names = [(getattr(data, spec.name_field), True)] + [(alias.name, False) for alias in data.aliases]
    return [
        dict(subject_type=spec.entity_type, subject_id=entity_id, text=text[:500], folded=fold(text)[:500],
             is_primary=primary)
        for text, primary in names
        if text and fold(text)
    ]


async def save(
    session: AsyncSession, spec: EntitySpec, slug: str, data: EntityIn, *, actor: str
) -> SaveResult:
    """Create or update the record `slug` of `spec`'s kind with exactly `data`.

    Raises ServiceError listing every problem; the caller's transaction then rolls back."""
    model = spec.model
    snapshot = _canonical(slug, data)
    entity = await session.scalar(sa.select(model).where(model.slug == slug))
    if entity is not None and entity.deleted_at is None:
        if await _latest_snapshot(session, spec.entity_type, entity.id) == snapshot:
            return SaveResult(entity, SaveOutcome.UNCHANGED)
    entity_id = entity.id if entity is not None else uuid.uuid4()

    refs = _References(session)
    skip = _ENTITY_COLLECTIONS | {relation.field for relation in spec.relations}
    columns = await refs.columns(data, spec.refs, spec.partial_dates, skip, "")
    citations = await refs.citations(data.citations, spec.entity_type, entity_id, "")
    relation_values = []
    for relation in spec.relations:
        values, row_citations = await _relation_rows(refs, relation, getattr(data, relation.field), entity_id)
        relation_values.append((relation, values))
        citations += row_citations
    errors = refs.errors + await _identifier_clashes(session, spec, data, entity_id)
    if errors:
        raise ServiceError(errors)

    if entity is None:
        outcome = SaveOutcome.CREATED
        entity = model(id=entity_id, slug=slug, **columns)
        session.add(entity)
    else:
        outcome = SaveOutcome.UPDATED
        for name, value in columns.items():
            setattr(entity, name, value)
        entity.version += 1
        entity.updated_at = utcnow()
        entity.deleted_at = None
        await _delete_owned_rows(session, spec, entity_id)
    await session.flush()

    children: list[tuple[type[SQLModel], list[dict[str, Any]]]] = [
        *((relation.model, values) for relation, values in relation_values),
        (Citation, citations),
        (Alias, [dict(subject_type=spec.entity_type, subject_id=entity_id, **a.model_dump()) for a in data.aliases]),
        (ExternalIdentifier,
         [dict(subject_type=spec.entity_type, subject_id=entity_id, **i.model_dump()) for i in data.identifiers]),
        (Tag, [dict(subject_type=spec.entity_type, subject_id=entity_id, name=t) for t in sorted(set(data.tags))]),
        (SearchEntry, _search_entries(spec, entity_id, data)),
    ]
    for table, rows in children:
        if rows:
            await session.execute(sa.insert(table), rows)
    action = ChangeAction.CREATE if outcome is SaveOutcome.CREATED else ChangeAction.UPDATE
    session.add(
        ChangeLog(
            entity_type=spec.entity_type, entity_id=entity_id, action=action,
            version=entity.version, actor=actor, data=snapshot,
        )
    )
    await session.flush()
    return SaveResult(entity, outcome)
