"""The one write path for records: validate references, version, change log, search index.

Each domain module (organizations, people, …) declares an `EntitySpec` describing how its
input maps onto its table and relationship rows; the operations here (`save`, `create`,
`update`, `delete`, `restore`, `upsert_by_identifier`) do the rest the same way for all, inside
the caller's transaction. A record is written whole: its own columns, aliases, identifiers,
tags, citations and owned relationship rows; a partial update merges the given fields onto
the record's latest snapshot first. Saving the same content again is a no-op (no version bump,
no log row). Every refusal raises ServiceError with every problem, before anything is written.
"""

import json
import re
import unicodedata
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from ..models import (
    Alias,
    ChangeAction,
    ChangeKind,
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
from .changes import Author, latest_change, record_change
from .errors import ErrorCode, FieldError, ServiceError, VersionConflict
from .inputs import CitationIn, EntityIn, IdentifierIn, RelationIn, Slug
from .search_index import entry_rows, insert_entries

__all__ = [
    "EntitySpec",
    "RelationSpec",
    "SaveOutcome",
    "SaveResult",
    "create",
    "delete",
    "import_record",
    "restore",
    "save",
    "update",
    "upsert_by_identifier",
]

# Relationship-row ids are derived from their content, so re-saving a record keeps them stable.
_RELATION_NAMESPACE = uuid.UUID("5a0c2f4e-8f7e-4d2b-9a53-6b1f0d1c7e21")
_ENTITY_COLLECTIONS = frozenset({"aliases", "identifiers", "tags", "citations"})
_SLUG = TypeAdapter(Slug)


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
    input: type[EntityIn]  # the record's whole input: what create takes and update merges onto
    refs: Mapping[str, type[SQLModel]] = field(default_factory=dict)
    partial_dates: tuple[str, ...] = ()
    relations: tuple[RelationSpec, ...] = ()

    @property
    def kind(self) -> ChangeKind:
        return ChangeKind(self.entity_type.value)


class SaveOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    RESTORED = "restored"


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
        self, data: Any, model: type[SQLModel], refs: Mapping[str, type[SQLModel]], partial_dates: tuple[str, ...],
        skip: frozenset[str], path: str,
    ) -> dict[str, Any]:
        """The table columns for an input: references resolved, partial dates given their bounds,
        strings checked against their column's length (the table is the one place that sets it)."""
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
                limit = getattr(model.__table__.c[name].type, "length", None)
                if isinstance(value, str) and limit is not None and len(value) > limit:
                    self.errors.append(FieldError(
                        path + name, ErrorCode.INVALID, f"is {len(value)} characters long; at most {limit}"))
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


# The tables holding a record's collections, by the input field they come from.
_COLLECTION_TABLES = {"citations": Citation, "aliases": Alias, "identifiers": ExternalIdentifier, "tags": Tag}


# The input fields whose text the search index holds, besides the record's name field.
_SEARCHED_FIELDS = frozenset({"aliases", "description", "citations"})


def _indexed_for_search(spec: EntitySpec, fields: Collection[str]) -> bool:
    return spec.name_field in fields or not _SEARCHED_FIELDS.isdisjoint(fields)


async def _delete_owned_rows(session: AsyncSession, spec: EntitySpec, entity_id: uuid.UUID,
                             fields: Collection[str]) -> None:
    """Delete the rows that hold these input fields of the record: relationship rows with their
    citations, its own citations, aliases, identifiers, tags, and its search entries."""
    for relation in spec.relations:
        if relation.field not in fields:
            continue
        owned = sa.select(relation.model.id).where(getattr(relation.model, relation.parent_column) == entity_id)
        await session.execute(
            sa.delete(Citation).where(Citation.subject_type == relation.entity_type, Citation.subject_id.in_(owned))
        )
        await session.execute(
            sa.delete(relation.model).where(getattr(relation.model, relation.parent_column) == entity_id)
        )
    tables = [table for name, table in _COLLECTION_TABLES.items() if name in fields]
    if _indexed_for_search(spec, fields):
        tables.append(SearchEntry)
    for table in tables:
        await session.execute(
            sa.delete(table).where(table.subject_type == spec.entity_type, table.subject_id == entity_id)
        )


def _every_field(spec: EntitySpec) -> frozenset[str]:
    return frozenset(spec.input.model_fields)


async def _relation_rows(
    refs: _References, relation: RelationSpec, rows: list[RelationIn], parent_id: uuid.UUID
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The relationship rows and their citations, with ids derived from content."""
    values, citations, seen = [], [], set()
    for i, row in enumerate(rows):
        path = f"{relation.field}.{i}."
        columns = await refs.columns(row, relation.model, relation.refs, relation.partial_dates, frozenset({"citations"}), path)
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
    description = getattr(data, "description", None) if spec.name_field != "description" else None
    return entry_rows(spec.entity_type, entity_id, getattr(data, spec.name_field), [a.name for a in data.aliases],
                      description, [c.excerpt for c in data.citations])


async def _identifier_owner(session: AsyncSession, spec: EntitySpec, scheme: str, value: str) -> uuid.UUID | None:
    """The record of `spec`'s kind carrying an external identifier (only live records carry one)."""
    return await session.scalar(
        sa.select(ExternalIdentifier.subject_id).where(
            ExternalIdentifier.subject_type == spec.entity_type,
            ExternalIdentifier.scheme == scheme,
            ExternalIdentifier.value == value,
        )
    )


async def _slug_clash(session: AsyncSession, spec: EntitySpec, slug: str, entity_id: uuid.UUID) -> list[FieldError]:
    owner = await session.scalar(sa.select(spec.model.deleted_at.is_not(None)).where(
        spec.model.slug == slug, spec.model.id != entity_id))
    if owner is None:
        return []
    state = "a deleted" if owner else "another"
    return [FieldError("slug", ErrorCode.UNIQUE, f"{slug!r} already names {state} {spec.entity_type}")]


def _input(spec: EntitySpec, fields: Mapping[str, Any], identifier: IdentifierIn | None = None) -> tuple[Any, EntityIn]:
    """The slug (None when not given) and the validated input in `fields`; every problem at once.

    `identifier`, when given, is added to the record's identifiers if it lacks it."""
    fields = dict(fields)
    slug = fields.pop("slug", None)
    errors, data = [], None
    try:
        data = spec.input.model_validate(fields)
    except ValidationError as exc:
        errors += ServiceError.from_validation(exc).errors
    if slug is not None:
        try:
            slug = _SLUG.validate_python(slug)
        except ValidationError as exc:
            errors += ServiceError.from_validation(exc, "slug").errors
    if errors:
        raise ServiceError(errors)
    if identifier is not None and identifier not in data.identifiers:
        data = data.model_copy(update={"identifiers": [*data.identifiers, identifier]})
    return slug, data


def _derived_slug(spec: EntitySpec, data: EntityIn) -> str:
    """A slug from the record's name: ASCII words joined by hyphens."""
    ascii_name = unicodedata.normalize("NFKD", str(getattr(data, spec.name_field) or "")).encode("ascii", "ignore")
    words = re.findall(r"[a-z0-9]+", ascii_name.decode().lower())
    return "-".join(words)[:100].strip("-") or str(spec.entity_type)


async def _take_turns(session: AsyncSession, key: str) -> None:
    """Make writers of the same `key` run one after another, until this transaction ends.

    On PostgreSQL, two transactions that each check "is this slug (identifier) free?" and then
    insert would both see it free; the second now waits for the first and then sees its row
    (READ COMMITTED reads afresh per statement), so it gets a UNIQUE error rather than a database
    error. A hash collision only makes two unrelated writers wait. SQLite has one writer at a time."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, 0))))


async def _locked(session: AsyncSession, spec: EntitySpec, condition: sa.ColumnElement[bool]) -> Any:
    """The record, read fresh and locked until the transaction ends (PostgreSQL; SQLite has one
    writer at a time): a concurrent writer waits here and then sees this one's version."""
    return await session.scalar(
        sa.select(spec.model).where(condition).with_for_update().execution_options(populate_existing=True)
    )


async def _existing(session: AsyncSession, spec: EntitySpec, entity_id: uuid.UUID, expected_version: int | None) -> Any:
    entity = await _locked(session, spec, spec.model.id == entity_id)
    if entity is None:
        raise ServiceError.single("id", ErrorCode.NOT_FOUND, f"no {spec.entity_type} with id {entity_id}")
    if expected_version is not None and entity.version != expected_version:
        raise VersionConflict(expected_version, entity.version)
    return entity


async def _snapshot(session: AsyncSession, spec: EntitySpec, entity: Any) -> dict[str, Any]:
    latest = await latest_change(session, spec.kind, entity.id)
    if latest is None:  # every service write logs its snapshot; a record without one was not written here
        raise RuntimeError(f"{spec.entity_type} {entity.id} has no change-log snapshot")
    return latest[1]


async def _write(
    session: AsyncSession, spec: EntitySpec, entity: Any, slug: str, data: EntityIn, author: Author,
    previous: dict[str, Any] | None = None, new_id: uuid.UUID | None = None, new_version: int = 1,
) -> SaveResult:
    """Make the record `entity` (None: a new one) hold exactly `slug` and `data`, live.

    `previous` is the record's latest snapshot when the caller has read it already; a new record
    gets `new_id` (default: a fresh one) and `new_version`."""
    snapshot = _canonical(slug, data)
    if entity is not None and previous is None:
        previous = await _snapshot(session, spec, entity)
    if entity is not None and entity.deleted_at is None and previous == snapshot:
        return SaveResult(entity, SaveOutcome.UNCHANGED)
    entity_id = entity.id if entity is not None else new_id or uuid.uuid4()
    # Only the rows of changed fields are written again: a record without rows (new, or
    # deleted and so stripped of them) gets all of them.
    if entity is None or entity.deleted_at is not None:
        rewritten = _every_field(spec)
    else:
        rewritten = frozenset(name for name in snapshot if snapshot.get(name) != previous.get(name))

    refs = _References(session)
    skip = _ENTITY_COLLECTIONS | {relation.field for relation in spec.relations}
    columns = await refs.columns(data, spec.model, spec.refs, spec.partial_dates, skip, "")
    own_citations = await refs.citations(data.citations, spec.entity_type, entity_id, "")
    relation_rows = [
        (relation, await _relation_rows(refs, relation, getattr(data, relation.field), entity_id))
        for relation in spec.relations
    ]
    errors = list(refs.errors)
    if "identifiers" in rewritten:
        errors += await _identifier_clashes(session, spec, data, entity_id)
    if entity is None or entity.slug != slug:
        await _take_turns(session, f"slug:{spec.entity_type}:{slug}")
        errors += await _slug_clash(session, spec, slug, entity_id)
    if errors:
        raise ServiceError(errors)

    if entity is None:
        outcome, action = SaveOutcome.CREATED, ChangeAction.CREATE
        version = new_version
    elif entity.deleted_at is not None:
        outcome, action = SaveOutcome.RESTORED, ChangeAction.RESTORE
        version = entity.version + 1
    else:
        outcome, action = SaveOutcome.UPDATED, ChangeAction.UPDATE
        version = entity.version + 1
    record_change(session, spec.kind, entity_id, action, version, author, snapshot, previous)
    if entity is None:
        entity = spec.model(id=entity_id, slug=slug, version=version, **columns)
        session.add(entity)
    else:
        await _delete_owned_rows(session, spec, entity_id, rewritten)
        for name, value in columns.items():
            setattr(entity, name, value)
        entity.slug = slug
        entity.version = version
        entity.updated_at = utcnow()
        entity.deleted_at = None
    await session.flush()

    owner = {"subject_type": spec.entity_type, "subject_id": entity_id}
    children: list[tuple[type[SQLModel], list[dict[str, Any]]]] = []
    for relation, (values, citations) in relation_rows:
        if relation.field in rewritten:
            children += [(relation.model, values), (Citation, citations)]
    collections = {
        "citations": own_citations,
        "aliases": [{**owner, **a.model_dump()} for a in data.aliases],
        "identifiers": [{**owner, **i.model_dump()} for i in data.identifiers],
        "tags": [{**owner, "name": t} for t in sorted(set(data.tags))],
    }
    children += [(_COLLECTION_TABLES[name], rows) for name, rows in collections.items() if name in rewritten]
    for table, rows in children:
        if rows:
            await session.execute(sa.insert(table), rows)
    if _indexed_for_search(spec, rewritten):
        await insert_entries(session, _search_entries(spec, entity_id, data))
    return SaveResult(entity, outcome)


async def save(session: AsyncSession, spec: EntitySpec, slug: str, data: EntityIn, *, author: Author) -> SaveResult:
    """Create or update the record `slug` of `spec`'s kind with exactly `data` (the seed's way).

    A deleted record of that slug is restored. Raises ServiceError listing every problem; the
    caller's transaction then rolls back."""
    entity = await _locked(session, spec, spec.model.slug == slug)
    return await _write(session, spec, entity, slug, data, author)


async def create(
    session: AsyncSession, spec: EntitySpec, fields: Mapping[str, Any], *, author: Author,
    identifier: IdentifierIn | None = None,
) -> SaveResult:
    """A new record from `fields` (the whole input, and optionally its "slug": derived from the
    name when left out)."""
    slug, data = _input(spec, fields, identifier)
    if slug is None:
        slug = _derived_slug(spec, data)
        await _take_turns(session, f"slug:{spec.entity_type}:{slug}")
        if await session.scalar(sa.select(spec.model.id).where(spec.model.slug == slug)) is not None:
            slug = f"{slug[:111]}-{uuid.uuid4().hex[:8]}"
    return await _write(session, spec, None, slug, data, author)


async def import_record(
    session: AsyncSession, spec: EntitySpec, entity_id: uuid.UUID, version: int, fields: Mapping[str, Any], *,
    author: Author,
) -> SaveResult:
    """A new record with the id and version it has in another registry (`registry import`), from
    `fields` (the whole input and its "slug"), validated, logged and indexed like any create."""
    slug, data = _input(spec, fields)
    if slug is None:
        raise ServiceError.single("slug", ErrorCode.REQUIRED, "an imported record keeps its slug: give it")
    if version < 1:
        raise ServiceError.single("version", ErrorCode.INVALID, f"is {version}; versions start at 1")
    if await session.get(spec.model, entity_id) is not None:
        raise ServiceError.single("id", ErrorCode.UNIQUE, f"{entity_id} already names a {spec.entity_type}")
    return await _write(session, spec, None, slug, data, author, new_id=entity_id, new_version=version)


async def _merge(
    session: AsyncSession, spec: EntitySpec, entity: Any, fields: Mapping[str, Any], author: Author,
    identifier: IdentifierIn | None = None,
) -> SaveResult:
    """The partial update: `fields` over the record's current snapshot, validated whole."""
    if entity.deleted_at is not None:
        raise ServiceError.single("id", ErrorCode.DELETED, f"{spec.entity_type} {entity.id} is deleted: restore it first")
    current = await _snapshot(session, spec, entity)
    slug, data = _input(spec, {**current, **fields}, identifier)
    return await _write(session, spec, entity, slug, data, author, current)


async def update(
    session: AsyncSession, spec: EntitySpec, entity_id: uuid.UUID, fields: Mapping[str, Any], *,
    expected_version: int, author: Author,
) -> SaveResult:
    """Change the given fields of a live record (a partial update: fields left out stay as they
    are), then validate the whole record as on create. `fields` may hold "slug" to rename it.

    `expected_version` is the version the caller read: a stale one raises VersionConflict."""
    entity = await _existing(session, spec, entity_id, expected_version)
    return await _merge(session, spec, entity, fields, author)


async def delete(
    session: AsyncSession, spec: EntitySpec, entity_id: uuid.UUID, *, expected_version: int, author: Author
) -> SaveResult:
    """Soft delete: the row stays as a tombstone (`deleted_at`), logged as `delete`.

    Its aliases, identifiers, tags, citations, relationship rows and search entries go (the
    snapshot in the log keeps them for `restore`): readers no longer find it, and its external
    identifiers are free for another record."""
    entity = await _existing(session, spec, entity_id, expected_version)
    if entity.deleted_at is not None:
        raise ServiceError.single("id", ErrorCode.DELETED, f"{spec.entity_type} {entity_id} is already deleted")
    snapshot = await _snapshot(session, spec, entity)
    record_change(session, spec.kind, entity_id, ChangeAction.DELETE, entity.version + 1, author, snapshot, snapshot)
    await _delete_owned_rows(session, spec, entity_id, _every_field(spec))
    entity.version += 1
    entity.updated_at = entity.deleted_at = utcnow()
    await session.flush()
    return SaveResult(entity, SaveOutcome.DELETED)


async def restore(
    session: AsyncSession, spec: EntitySpec, entity_id: uuid.UUID, *, expected_version: int | None = None,
    author: Author,
) -> SaveResult:
    """Bring a deleted record back as it was when deleted, logged as `restore`.

    Refused, like any write, when what it names is gone (a deleted organization it refers to)
    or taken (its slug or an identifier now used by another record)."""
    entity = await _existing(session, spec, entity_id, expected_version)
    if entity.deleted_at is None:
        raise ServiceError.single("id", ErrorCode.NOT_DELETED, f"{spec.entity_type} {entity_id} is not deleted")
    snapshot = await _snapshot(session, spec, entity)
    slug, data = _input(spec, snapshot)
    return await _write(session, spec, entity, slug, data, author, snapshot)


async def upsert_by_identifier(
    session: AsyncSession, spec: EntitySpec, scheme: str, value: str, fields: Mapping[str, Any], *,
    author: Author, expected_version: int | None = None,
) -> SaveResult:
    """Update the live record carrying the external identifier `scheme:value` with `fields` (a
    partial update), or create one from `fields` (the whole input) when none does. The record
    carries the identifier either way."""
    try:
        identifier = IdentifierIn(scheme=scheme, value=value)
    except ValidationError as exc:
        raise ServiceError.from_validation(exc, "identifier") from None
    # Concurrent upserts of one new identifier would each find no owner and each create a record.
    await _take_turns(session, f"identifier:{spec.entity_type}:{identifier.scheme}:{identifier.value}")
    owner = await _identifier_owner(session, spec, identifier.scheme, identifier.value)
    if owner is None:
        return await create(session, spec, fields, author=author, identifier=identifier)
    entity = await _existing(session, spec, owner, expected_version)
    return await _merge(session, spec, entity, fields, author, identifier)
