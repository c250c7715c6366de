"""The one write path for records: validate references, version, change log, search index.

Each domain module (organizations, people, …) declares an `EntitySpec` describing how its
input maps onto its table and relationship rows; the operations here (`save`, `create`,
`update`, `delete`, `restore`, `upsert_by_identifier`) do the rest the same way for all, inside
the caller's transaction, through the three phases of `drafts`. A record is written whole: its
own columns, aliases, identifiers, tags, citations and owned relationship rows; a partial
update merges the given fields onto the record's latest snapshot first. Saving the same content
again is a no-op (no version bump, no log row). Every refusal raises ServiceError with every
problem, before anything is written.
"""

import functools
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from ..models import ChangeAction, ChangeKind, ChangeLog, ExternalIdentifier
from ..models.base import utcnow
from ..models.enums import EntityType
from .changes import Author, latest_change, queued_change, record_change
from .drafts import (
    delete_owned_rows,
    derived_slug,
    draft_write,
    every_field,
    identifier_key,
    settle,
    store,
    take_turns,
    validated_input,
)
from .errors import ErrorCode, ServiceError, VersionConflict
from .inputs import EntityIn, IdentifierIn
from .records import json_value, locking_select, read_locked, update_record
from .specs import EntitySpec, RelationSpec, SaveOutcome, SaveResult

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


async def _identifier_holder(
    session: AsyncSession, spec: EntitySpec, identifier: IdentifierIn
) -> tuple[Any, dict[str, Any] | None] | None:
    """The live record of `spec`'s kind carrying `identifier` (only live records carry one), read
    fresh and locked, with its latest logged snapshot: one statement."""
    held = await read_locked(session, spec.model, _identifier_holder_statement(spec.model, spec.entity_type, spec.kind),
                             {"scheme": identifier.scheme, "value": identifier.value})
    if held is None:
        return None
    entity, logged = held
    queued = queued_change(session, spec.kind, entity.id)  # written earlier in this transaction
    return entity, queued[1] if queued is not None else json_value(logged)


@functools.cache
def _identifier_holder_statement(
    model: type[SQLModel], entity_type: EntityType, kind: ChangeKind
) -> sa.Select:
    """Built once per kind of record (the identifier is its parameters), so that it runs as a
    fixed statement (`registry.db.execute_fixed`)."""
    latest = (sa.select(ChangeLog.data)
              .where(ChangeLog.entity_type == kind, ChangeLog.entity_id == model.id)
              .order_by(ChangeLog.id.desc()).limit(1).scalar_subquery())
    return (
        locking_select(model, latest)
        .join(ExternalIdentifier, sa.and_(ExternalIdentifier.subject_id == model.id,
                                          ExternalIdentifier.subject_type == entity_type))
        .where(ExternalIdentifier.scheme == sa.bindparam("scheme"),
               ExternalIdentifier.value == sa.bindparam("value"))
    )


async def _locked(session: AsyncSession, spec: EntitySpec, column: str, value: Any) -> Any:
    """The record whose `column` ("id" or "slug") is `value`, read fresh and locked (see
    `records.locking_select`)."""
    held = await read_locked(session, spec.model, _locked_statement(spec.model, column), {"value": value})
    return held[0] if held is not None else None


@functools.cache
def _locked_statement(model: type[SQLModel], column: str) -> sa.Select:
    return locking_select(model).where(getattr(model, column) == sa.bindparam("value"))


def _expect_version(entity: Any, expected_version: int | None) -> None:
    if expected_version is not None and entity.version != expected_version:
        raise VersionConflict(expected_version, entity.version)


async def _existing(session: AsyncSession, spec: EntitySpec, entity_id: uuid.UUID, expected_version: int | None) -> Any:
    entity = await _locked(session, spec, "id", entity_id)
    if entity is None:
        raise ServiceError.single("id", ErrorCode.NOT_FOUND, f"no {spec.entity_type} with id {entity_id}")
    _expect_version(entity, expected_version)
    return entity


def _logged(spec: EntitySpec, entity: Any, snapshot: dict[str, Any] | None) -> dict[str, Any]:
    if snapshot is None:  # every service write logs its snapshot; a record without one was not written here
        raise RuntimeError(f"{spec.entity_type} {entity.id} has no change-log snapshot")
    return snapshot


async def _snapshot(session: AsyncSession, spec: EntitySpec, entity: Any) -> dict[str, Any]:
    latest = await latest_change(session, spec.kind, entity.id)
    return _logged(spec, entity, latest[1] if latest is not None else None)


async def _write(
    session: AsyncSession, spec: EntitySpec, entity: Any, slug: str, data: EntityIn, author: Author,
    previous: dict[str, Any] | None = None, **draft_options: Any,
) -> SaveResult:
    """Make the record `entity` (None: a new one) hold exactly `slug` and `data`, live: the three
    phases for one record (`draft_write` takes the options). `previous` is the record's latest
    snapshot when the caller has read it already."""
    if entity is not None and previous is None:
        previous = await _snapshot(session, spec, entity)
    draft = draft_write(spec, entity, slug, data, previous, **draft_options)
    if draft is None:
        return SaveResult(entity, SaveOutcome.UNCHANGED)
    await settle(session, [draft])
    if draft.problems:
        raise ServiceError(draft.problems)
    (result,) = await store(session, [draft], author)
    return result


async def save(session: AsyncSession, spec: EntitySpec, slug: str, data: EntityIn, *, author: Author) -> SaveResult:
    """Create or update the record `slug` of `spec`'s kind with exactly `data` (the seed's way).

    A deleted record of that slug is restored. Raises ServiceError listing every problem; the
    caller's transaction then rolls back."""
    entity = await _locked(session, spec, "slug", slug)
    return await _write(session, spec, entity, slug, data, author)


async def create(
    session: AsyncSession, spec: EntitySpec, fields: Mapping[str, Any], *, author: Author,
    identifier: IdentifierIn | None = None,
) -> SaveResult:
    """A new record from `fields` (the whole input, and optionally its "slug": derived from the
    name when left out, with a random suffix if taken). `identifier`, if given, is one nobody
    holds (the caller holds its lock): the record gets it."""
    slug, data = validated_input(spec, fields, identifier)
    derived = slug is None
    return await _write(session, spec, None, derived_slug(spec, data) if derived else slug, data, author,
                        slug_derived=derived, free_identifier=identifier)


async def import_record(
    session: AsyncSession, spec: EntitySpec, entity_id: uuid.UUID, version: int, fields: Mapping[str, Any], *,
    author: Author,
) -> SaveResult:
    """A new record with the id and version it has in another registry (`registry import`), from
    `fields` (the whole input and its "slug"), validated, logged and indexed like any create."""
    slug, data = validated_input(spec, fields)
    if slug is None:
        raise ServiceError.single("slug", ErrorCode.REQUIRED, "an imported record keeps its slug: give it")
    if version < 1:
        raise ServiceError.single("version", ErrorCode.INVALID, f"is {version}; versions start at 1")
    if await session.get(spec.model, entity_id) is not None:
        raise ServiceError.single("id", ErrorCode.UNIQUE, f"{entity_id} already names a {spec.entity_type}")
    return await _write(session, spec, None, slug, data, author, new_id=entity_id, new_version=version)


async def _merge(
    session: AsyncSession, spec: EntitySpec, entity: Any, fields: Mapping[str, Any], author: Author,
    identifier: IdentifierIn | None = None, current: dict[str, Any] | None = None,
) -> SaveResult:
    """The partial update: `fields` over the record's current snapshot (read here unless given),
    validated whole."""
    if entity.deleted_at is not None:
        raise ServiceError.single("id", ErrorCode.DELETED, f"{spec.entity_type} {entity.id} is deleted: restore it first")
    if current is None:
        current = await _snapshot(session, spec, entity)
    slug, data = validated_input(spec, {**current, **fields}, identifier)
    return await _write(session, spec, entity, slug, data, author, current, free_identifier=identifier)


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
    await delete_owned_rows(session, spec, entity_id, every_field(spec))
    now = utcnow()
    await update_record(session, entity, {"version": entity.version + 1, "updated_at": now, "deleted_at": now})
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
    slug, data = validated_input(spec, snapshot)
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
    await take_turns(session, [identifier_key(spec, identifier)])
    held = await _identifier_holder(session, spec, identifier)
    if held is None:
        return await create(session, spec, fields, author=author, identifier=identifier)
    entity, snapshot = held
    _expect_version(entity, expected_version)
    return await _merge(session, spec, entity, fields, author, identifier, _logged(spec, entity, snapshot))
