"""The one write path for records: validate references, version, change log, search index.

Each domain module (organizations, people, …) declares an `EntitySpec` describing how its
input maps onto its table and relationship rows; the operations here (`save`, `create`,
`update`, `delete`, `restore`, `upsert_by_identifier`) do the rest the same way for all, inside
the caller's transaction. A record is written whole: its own columns, aliases, identifiers,
tags, citations and owned relationship rows; a partial update merges the given fields onto
the record's latest snapshot first. Saving the same content again is a no-op (no version bump,
no log row). Every refusal raises ServiceError with every problem, before anything is written.
"""

import functools
import json
import re
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from ..models import (
    Alias,
    ChangeAction,
    ChangeKind,
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
from .changes import Author, latest_change, queued_change, record_change
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


@dataclass(frozen=True, slots=True, eq=False)
class _Reference:
    """A slug (or country code) that a row refers to, in the row in place of the id until phase
    two resolves it (`_settle`); `path` is the input field that names it."""

    target: type[SQLModel]
    key: str
    path: str


class _Rows:
    """Phase one's rows of an input, and every problem in input order: a `_Reference` stands in
    the list for its "not found" problem until phase two knows whether it names anything."""

    def __init__(self) -> None:
        self.problems: list[FieldError | _Reference] = []

    def reference(self, target: type[SQLModel], key: str | None, path: str) -> _Reference | None:
        if key is None:
            return None
        reference = _Reference(target, key, path)
        self.problems.append(reference)
        return reference

    def columns(
        self, data: Any, model: type[SQLModel], refs: Mapping[str, type[SQLModel]], partial_dates: tuple[str, ...],
        skip: frozenset[str], path: str,
    ) -> dict[str, Any]:
        """The table columns for an input: references to resolve, partial dates given their bounds,
        strings checked against their column's length (the table is the one place that sets it)."""
        columns: dict[str, Any] = {}
        for name in type(data).model_fields:
            if name in skip:
                continue
            value = getattr(data, name)
            if name in refs:
                columns[_ref_column(name, refs[name])] = self.reference(refs[name], value, path + name)
            elif name in partial_dates:
                parsed = PartialDate.parse_optional(value)
                columns[name] = parsed.value if parsed else None
                columns[f"{name}_lower"] = parsed.lower if parsed else None
                columns[f"{name}_upper"] = parsed.upper if parsed else None
            else:
                columns[name] = value
                limit = getattr(model.__table__.c[name].type, "length", None)
                if isinstance(value, str) and limit is not None and len(value) > limit:
                    self.problems.append(FieldError(
                        path + name, ErrorCode.INVALID, f"is {len(value)} characters long; at most {limit}"))
        return columns

    def citations(
        self, citations: list[CitationIn], subject_type: EntityType, subject_id: uuid.UUID, path: str
    ) -> list[dict[str, Any]]:
        return [
            dict(
                subject_type=subject_type, subject_id=subject_id,
                source_id=self.reference(Source, citation.source, f"{path}citations.{i}.source"),
                excerpt=citation.excerpt, locator=citation.locator, note=citation.note,
            )
            for i, citation in enumerate(citations)
        ]


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


def _relation_rows(
    rows: _Rows, relation: RelationSpec, items: list[RelationIn], parent_id: uuid.UUID
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The relationship rows and their citations, with ids derived from content."""
    values, citations, seen = [], [], set()
    for i, item in enumerate(items):
        path = f"{relation.field}.{i}."
        columns = rows.columns(item, relation.model, relation.refs, relation.partial_dates, frozenset({"citations"}), path)
        content = json.dumps(item.model_dump(mode="json", exclude={"citations"}), sort_keys=True)
        row_id = uuid.uuid5(_RELATION_NAMESPACE, f"{relation.entity_type}:{parent_id}:{content}")
        if row_id in seen:
            rows.problems.append(FieldError(path.rstrip("."), ErrorCode.DUPLICATE, "the same row is listed twice"))
            continue
        seen.add(row_id)
        values.append({"id": row_id, relation.parent_column: parent_id, **columns})
        citations += rows.citations(item.citations, relation.entity_type, row_id, path)
    return values, citations


def _search_entries(spec: EntitySpec, entity_id: uuid.UUID, data: EntityIn) -> list[dict[str, Any]]:
    description = getattr(data, "description", None) if spec.name_field != "description" else None
    return entry_rows(spec.entity_type, entity_id, getattr(data, spec.name_field), [a.name for a in data.aliases],
                      description, [c.excerpt for c in data.citations])


@dataclass(eq=False)
class _Draft:
    """One record's write worked out in Python (phase one, `_draft`); then checked against the
    database together with the other drafts of its batch (phase two, `_settle`), and written with
    them (phase three, `_store`). A single write is a batch of one: the rules live here once."""

    spec: EntitySpec
    entity: Any  # the record as stored; None for a new one
    entity_id: uuid.UUID
    slug: str
    data: EntityIn
    snapshot: dict[str, Any]
    previous: dict[str, Any] | None
    rewritten: frozenset[str]  # the input fields whose rows are (re)written
    outcome: SaveOutcome
    version: int
    columns: dict[str, Any]
    children: list[tuple[type[SQLModel], list[dict[str, Any]]]]
    search_rows: list[dict[str, Any]] | None  # None: the search entries stay as they are
    problems: list[FieldError | _Reference]
    identifiers_to_check: list[tuple[int, IdentifierIn]]  # (index, identifier) no other record may hold
    slug_to_check: bool  # the slug is new to the record: no other record may hold it
    slug_derived: bool  # derived from the name: if taken, it gets a random suffix instead of a problem

    def rename(self, slug: str) -> None:
        self.slug = self.snapshot["slug"] = slug


def _draft(
    spec: EntitySpec, entity: Any, slug: str, data: EntityIn, previous: dict[str, Any] | None, *,
    new_id: uuid.UUID | None = None, new_version: int = 1, slug_derived: bool = False,
    free_identifier: IdentifierIn | None = None,
) -> _Draft | None:
    """Phase one: make the record `entity` (None: a new one, with `new_id` or a fresh id, and
    `new_version`) hold exactly `slug` and `data`, live; None when it already does.

    `previous` is the record's latest snapshot; `free_identifier`, one the caller has found
    nobody else holds (under its lock)."""
    snapshot = _canonical(slug, data)
    if entity is not None and entity.deleted_at is None and previous == snapshot:
        return None
    entity_id = entity.id if entity is not None else new_id or uuid.uuid4()
    # Only the rows of changed fields are written again: a record without rows (new, or
    # deleted and so stripped of them) gets all of them.
    if entity is None or entity.deleted_at is not None:
        rewritten = _every_field(spec)
    else:
        rewritten = frozenset(name for name in snapshot if snapshot.get(name) != previous.get(name))
    if entity is None:
        outcome, version = SaveOutcome.CREATED, new_version
    else:
        outcome = SaveOutcome.RESTORED if entity.deleted_at is not None else SaveOutcome.UPDATED
        version = entity.version + 1

    rows = _Rows()
    skip = _ENTITY_COLLECTIONS | {relation.field for relation in spec.relations}
    columns = rows.columns(data, spec.model, spec.refs, spec.partial_dates, skip, "")
    owner = {"subject_type": spec.entity_type, "subject_id": entity_id}
    collections = {
        "citations": rows.citations(data.citations, spec.entity_type, entity_id, ""),
        "aliases": [{**owner, **a.model_dump()} for a in data.aliases],
        "identifiers": [{**owner, **i.model_dump()} for i in data.identifiers],
        "tags": [{**owner, "name": t} for t in sorted(set(data.tags))],
    }
    children: list[tuple[type[SQLModel], list[dict[str, Any]]]] = []
    for relation in spec.relations:
        values, citations = _relation_rows(rows, relation, getattr(data, relation.field), entity_id)
        if relation.field in rewritten:
            children += [(relation.model, values), (Citation, citations)]
    children += [(_COLLECTION_TABLES[name], rows) for name, rows in collections.items() if name in rewritten]
    identifiers = [(i, identifier) for i, identifier in enumerate(data.identifiers)
                   if identifier != free_identifier] if "identifiers" in rewritten else []
    return _Draft(
        spec=spec, entity=entity, entity_id=entity_id, slug=slug, data=data, snapshot=snapshot, previous=previous,
        rewritten=rewritten, outcome=outcome, version=version, columns=columns, children=children,
        search_rows=_search_entries(spec, entity_id, data) if _indexed_for_search(spec, rewritten) else None,
        problems=rows.problems, identifiers_to_check=identifiers,
        slug_to_check=entity is None or entity.slug != slug, slug_derived=slug_derived,
    )


# Phase two's look-ups, keyed: ("ref", table, slug or code) → id or code; ("slug", table, slug) →
# (id, deleted); ("identifier", entity type, scheme, value) → the record holding it.
_LookupKey = tuple[str, ...]
_KEYS_PER_BRANCH = 500  # an IN list's length; a statement holds at most _BRANCHES_PER_STATEMENT
_BRANCHES_PER_STATEMENT = 40  # (about 40,000 parameters at most: under asyncpg's and SQLite's limits)


@dataclass
class _Wanted:
    """What phase two looks up, for any number of drafts (and the owners of a batch's identifiers)."""

    refs: dict[type[SQLModel], set[str]] = field(default_factory=lambda: defaultdict(set))
    slugs: dict[type[SQLModel], set[str]] = field(default_factory=lambda: defaultdict(set))
    identifiers: dict[EntityType, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))

    def add_draft(self, draft: _Draft) -> None:
        for problem in draft.problems:
            if isinstance(problem, _Reference):
                self.refs[problem.target].add(problem.key)
        if draft.slug_to_check:
            self.slugs[draft.spec.model].add(draft.slug)
        for _, identifier in draft.identifiers_to_check:
            self.identifiers[draft.spec.entity_type].add((identifier.scheme, identifier.value))

    def branches(self) -> list[sa.Select]:
        """SELECTs of (kind, key, detail, found), all text: one per table and IN list of keys."""
        no_detail = sa.cast(sa.null(), sa.String)
        branches: list[sa.Select] = []

        def branch(kind: str, keys: set, columns: Callable[[], tuple], where: Callable[[list], Any]) -> None:
            ordered = sorted(keys)
            for start in range(0, len(ordered), _KEYS_PER_BRANCH):
                branches.append(sa.select(sa.literal_column(f"'{kind}'").label("kind"), *columns())
                                .where(where(ordered[start:start + _KEYS_PER_BRANCH])))

        for target, keys in self.refs.items():
            if target is Country:
                branch("ref country", keys, lambda: (Country.code, no_detail, Country.code),
                       lambda part: Country.code.in_(part))
            else:
                branch(f"ref {target.__tablename__}", keys,
                       lambda t=target: (t.slug, no_detail, sa.cast(t.id, sa.String)),
                       lambda part, t=target: sa.and_(t.slug.in_(part), t.deleted_at.is_(None)))
        for model, slugs in self.slugs.items():
            branch(f"slug {model.__tablename__}", slugs,
                   lambda m=model: (m.slug, sa.case((m.deleted_at.is_(None), "live"), else_="deleted"),
                                    sa.cast(m.id, sa.String)),
                   lambda part, m=model: m.slug.in_(part))
        identifier = ExternalIdentifier
        for entity_type, pairs in self.identifiers.items():
            branch(f"identifier {entity_type}", pairs,
                   lambda: (identifier.scheme, identifier.value, sa.cast(identifier.subject_id, sa.String)),
                   lambda part, e=entity_type: sa.and_(identifier.subject_type == e,
                                                       sa.tuple_(identifier.scheme, identifier.value).in_(part)))
        return branches


async def _look_up(session: AsyncSession, wanted: _Wanted) -> dict[_LookupKey, Any]:
    """What the database holds of `wanted`, in one statement (more only for thousands of keys)."""
    known: dict[_LookupKey, Any] = {}
    branches = wanted.branches()
    for start in range(0, len(branches), _BRANCHES_PER_STATEMENT):
        part = branches[start:start + _BRANCHES_PER_STATEMENT]
        statement = part[0] if len(part) == 1 else sa.union_all(*part)
        for kind, key, detail, found in (await session.execute(statement)).all():
            what, _, name = kind.partition(" ")
            if what == "ref":
                known[what, name, key] = found if name == "country" else uuid.UUID(found)
            elif what == "slug":
                known[what, name, key] = (uuid.UUID(found), detail == "deleted")
            else:
                known[what, name, key, detail] = uuid.UUID(found)
    return known


_LOCK_IN_ORDER = sa.text(
    "SELECT count(pg_advisory_xact_lock(lock)) FROM "
    "(SELECT DISTINCT hashtextextended(key, 0) AS lock FROM unnest(:keys) AS key ORDER BY lock) AS locks"
).bindparams(sa.bindparam("keys", type_=postgresql.ARRAY(sa.Text)))


async def _take_turns(session: AsyncSession, keys: Collection[str]) -> None:
    """Make writers of the same keys run one after another, until this transaction ends.

    On PostgreSQL, two transactions that each check "is this slug (identifier) free?" and then
    insert would both see it free; the second now waits for the first and then sees its row
    (READ COMMITTED reads afresh per statement), so it gets a UNIQUE error rather than a database
    error. A hash collision only makes two unrelated writers wait. SQLite has one writer at a time.

    All keys are locked in one statement, in the order of their lock numbers: two batches that
    share keys take them in the same order and so cannot deadlock. (The locks are taken as the
    sorted subquery's rows come out; a transaction locks identifiers before slugs.)"""
    if keys and session.bind.dialect.name == "postgresql":
        await session.execute(_LOCK_IN_ORDER, {"keys": list(keys)})


def _identifier_key(spec: EntitySpec, identifier: IdentifierIn) -> str:
    return f"identifier:{spec.entity_type}:{identifier.scheme}:{identifier.value}"


async def _settle(session: AsyncSession, drafts: Sequence[_Draft]) -> None:
    """Phase two, for drafts in write order: resolve their references, and check that their new
    slugs and identifiers are nobody else's, in two statements for any number of drafts (the
    slugs' locks, then every look-up). A draft may use what an earlier one of the list makes (a
    batch's records refer to each other by slug) and may not take what an earlier one takes;
    a draft left with problems (in `draft.problems`) makes and takes nothing."""
    await _take_turns(session, [f"slug:{d.spec.entity_type}:{d.slug}" for d in drafts if d.slug_to_check])
    wanted = _Wanted()
    for draft in drafts:
        wanted.add_draft(draft)
    known = await _look_up(session, wanted)
    for draft in drafts:
        _check(draft, known)
        if not draft.problems:
            table = draft.spec.model.__tablename__
            known["ref", table, draft.slug] = draft.entity_id
            known["slug", table, draft.slug] = (draft.entity_id, False)
            for identifier in draft.data.identifiers:
                known["identifier", str(draft.spec.entity_type), identifier.scheme, identifier.value] = draft.entity_id


def _check(draft: _Draft, known: Mapping[_LookupKey, Any]) -> None:
    """Turn the draft's references into ids, and its problems into FieldErrors, from `known`."""
    spec, problems, values = draft.spec, [], {}
    for problem in draft.problems:
        if isinstance(problem, FieldError):
            problems.append(problem)
            continue
        table = problem.target.__tablename__
        values[problem] = known.get(("ref", table, problem.key))
        if values[problem] is None:
            problems.append(FieldError(problem.path, ErrorCode.NOT_FOUND, f"no {table.replace('_', ' ')} {problem.key!r}"))
    for i, identifier in draft.identifiers_to_check:
        owner = known.get(("identifier", str(spec.entity_type), identifier.scheme, identifier.value))
        if owner is not None and owner != draft.entity_id:
            problems.append(FieldError(
                f"identifiers.{i}", ErrorCode.UNIQUE,
                f"{identifier.scheme}:{identifier.value} already identifies another {spec.entity_type}"))
    holder = known.get(("slug", spec.model.__tablename__, draft.slug)) if draft.slug_to_check else None
    if holder is not None and holder[0] != draft.entity_id:
        if draft.slug_derived:  # not the caller's choice: any free slug will do
            draft.rename(f"{draft.slug[:111]}-{uuid.uuid4().hex[:8]}")
        else:
            state = "a deleted" if holder[1] else "another"
            problems.append(FieldError("slug", ErrorCode.UNIQUE, f"{draft.slug!r} already names {state} {spec.entity_type}"))
    draft.problems = problems

    def filled(row: dict[str, Any]) -> dict[str, Any]:
        return {name: values[value] if isinstance(value, _Reference) else value for name, value in row.items()}

    draft.columns = filled(draft.columns)
    draft.children = [(table, [filled(row) for row in rows]) for table, rows in draft.children]


async def _store(session: AsyncSession, drafts: Sequence[_Draft], author: Author) -> list[SaveResult]:
    """Phase three: write settled drafts (without problems). New records cost a fixed number of
    statements however many there are: one INSERT per table (SQLAlchemy sends many rows in one
    statement), and their change-log rows go in the commit's one INSERT."""
    for draft in drafts:
        record_change(session, draft.spec.kind, draft.entity_id, _ACTIONS[draft.outcome], draft.version, author,
                      draft.snapshot, draft.previous)
    await _insert_new_records(session, [draft for draft in drafts if draft.entity is None])
    for draft in drafts:
        if draft.outcome is SaveOutcome.CREATED:
            continue
        await _delete_owned_rows(session, draft.spec, draft.entity_id, draft.rewritten)
        entity = draft.entity
        for name, value in draft.columns.items():
            setattr(entity, name, value)
        entity.slug, entity.version, entity.updated_at, entity.deleted_at = draft.slug, draft.version, utcnow(), None
    await session.flush()
    rows_by_table: dict[type[SQLModel], list[dict[str, Any]]] = defaultdict(list)
    for draft in drafts:
        for table, rows in draft.children:
            rows_by_table[table] += rows
    for table, rows in rows_by_table.items():
        if rows:
            await session.execute(sa.insert(table), rows)
    await insert_entries(session, [row for draft in drafts for row in draft.search_rows or ()])
    return [SaveResult(draft.entity, draft.outcome) for draft in drafts]


async def _insert_new_records(session: AsyncSession, drafts: Sequence[_Draft]) -> None:
    """The rows of new records, one INSERT … RETURNING per table (tables in foreign-key order: a
    batch's records may refer to each other); each draft gets its record as loaded from the row.

    Not `session.add`: building a SQLModel table object validates and sets each field through
    pydantic and SQLAlchemy's instrumentation, a sixth of a bulk batch's CPU; loading one from
    the returned row does not."""
    by_table: dict[Any, list[_Draft]] = defaultdict(list)
    for draft in drafts:
        by_table[draft.spec.model.__table__].append(draft)
    order = {table: i for i, table in enumerate(SQLModel.metadata.sorted_tables)}
    now = utcnow()
    for table in sorted(by_table, key=order.__getitem__):
        group = by_table[table]
        model = group[0].spec.model
        rows = [{**_model_defaults(model), "id": draft.entity_id, "slug": draft.slug, "version": draft.version,
                 "created_at": now, "updated_at": now, **draft.columns} for draft in group]
        inserted = await session.scalars(sa.insert(model).returning(model, sort_by_parameter_order=True), rows)
        for draft, entity in zip(group, inserted.all(), strict=True):
            draft.entity = entity


def _model_defaults(model: type[SQLModel]) -> dict[str, Any]:
    """The model's own defaults for columns an input does not set (its table has none of its own)."""
    return {name: info.get_default(call_default_factory=True) for name, info in _optional_fields(model)}


@functools.cache
def _optional_fields(model: type[SQLModel]) -> tuple[tuple[str, Any], ...]:
    return tuple((name, info) for name, info in model.model_fields.items() if not info.is_required())


_ACTIONS = {SaveOutcome.CREATED: ChangeAction.CREATE, SaveOutcome.UPDATED: ChangeAction.UPDATE,
            SaveOutcome.RESTORED: ChangeAction.RESTORE}


async def _identifier_holder(
    session: AsyncSession, spec: EntitySpec, identifier: IdentifierIn
) -> tuple[Any, dict[str, Any] | None] | None:
    """The live record of `spec`'s kind carrying `identifier` (only live records carry one), read
    fresh and locked, with its latest logged snapshot: one statement."""
    latest = (sa.select(ChangeLog.data)
              .where(ChangeLog.entity_type == spec.kind, ChangeLog.entity_id == spec.model.id)
              .order_by(ChangeLog.id.desc()).limit(1).scalar_subquery())
    row = (await session.execute(
        sa.select(spec.model, latest)
        .join(ExternalIdentifier, sa.and_(ExternalIdentifier.subject_id == spec.model.id,
                                          ExternalIdentifier.subject_type == spec.entity_type))
        .where(ExternalIdentifier.scheme == identifier.scheme, ExternalIdentifier.value == identifier.value)
        .with_for_update(of=spec.model).execution_options(populate_existing=True)
    )).first()
    if row is None:
        return None
    entity, logged = row
    queued = queued_change(session, spec.kind, entity.id)  # written earlier in this transaction
    return entity, queued[1] if queued is not None else logged


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


async def _locked(session: AsyncSession, spec: EntitySpec, condition: sa.ColumnElement[bool]) -> Any:
    """The record, read fresh and locked until the transaction ends (PostgreSQL; SQLite has one
    writer at a time): a concurrent writer waits here and then sees this one's version."""
    return await session.scalar(
        sa.select(spec.model).where(condition).with_for_update().execution_options(populate_existing=True)
    )


def _expect_version(entity: Any, expected_version: int | None) -> None:
    if expected_version is not None and entity.version != expected_version:
        raise VersionConflict(expected_version, entity.version)


async def _existing(session: AsyncSession, spec: EntitySpec, entity_id: uuid.UUID, expected_version: int | None) -> Any:
    entity = await _locked(session, spec, spec.model.id == entity_id)
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
    phases for one record (`_draft` takes the options). `previous` is the record's latest
    snapshot when the caller has read it already."""
    if entity is not None and previous is None:
        previous = await _snapshot(session, spec, entity)
    draft = _draft(spec, entity, slug, data, previous, **draft_options)
    if draft is None:
        return SaveResult(entity, SaveOutcome.UNCHANGED)
    await _settle(session, [draft])
    if draft.problems:
        raise ServiceError(draft.problems)
    (result,) = await _store(session, [draft], author)
    return result


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
    name when left out, with a random suffix if taken). `identifier`, if given, is one nobody
    holds (the caller holds its lock): the record gets it."""
    slug, data = _input(spec, fields, identifier)
    derived = slug is None
    return await _write(session, spec, None, _derived_slug(spec, data) if derived else slug, data, author,
                        slug_derived=derived, free_identifier=identifier)


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
    identifier: IdentifierIn | None = None, current: dict[str, Any] | None = None,
) -> SaveResult:
    """The partial update: `fields` over the record's current snapshot (read here unless given),
    validated whole."""
    if entity.deleted_at is not None:
        raise ServiceError.single("id", ErrorCode.DELETED, f"{spec.entity_type} {entity.id} is deleted: restore it first")
    if current is None:
        current = await _snapshot(session, spec, entity)
    slug, data = _input(spec, {**current, **fields}, identifier)
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
    await _take_turns(session, [_identifier_key(spec, identifier)])
    held = await _identifier_holder(session, spec, identifier)
    if held is None:
        return await create(session, spec, fields, author=author, identifier=identifier)
    entity, snapshot = held
    _expect_version(entity, expected_version)
    return await _merge(session, spec, entity, fields, author, identifier, _logged(spec, entity, snapshot))
