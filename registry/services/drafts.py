"""The three phases of every write of a record, shared by a single write and a batch.

1. `draft_write` (Python only): the record's rows from its validated input, with references
   still as slugs, and the problems found so far.
2. `settle` (two statements for any number of drafts): the new slugs' advisory locks, then one
   look-up that resolves every reference and checks every new slug and identifier.
3. `store`: the rows written: the new records' and every owned row in one statement, an UPDATE
   per existing record (`records`).

`entities` runs them for one record; `bulk` for a batch's new records at once, so the rules
(what is checked, which errors, which rows, snapshots and change-log rows) exist once.
"""

import copy
import functools
import json
import re
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from ..db import TableRows, execute_fixed, insert_tables
from ..models import Alias, ChangeAction, Citation, Country, ExternalIdentifier, SearchEntry, Source, Tag
from ..models.base import utcnow
from ..models.enums import EntityType
from ..partial_date import PartialDate
from .changes import Author, record_change
from .errors import ErrorCode, FieldError, ServiceError
from .inputs import CitationIn, EntityIn, IdentifierIn, RelationIn, Slug
from .records import record_from_row, update_record
from .search_index import entry_rows, index_rows
from .specs import EntitySpec, RelationSpec, SaveOutcome, SaveResult

__all__ = [
    "Draft", "Wanted", "delete_owned_rows", "derived_slug", "draft_write", "every_field", "identifier_key",
    "look_up", "settle", "store", "take_turns", "validated_input",
]

# Relationship-row ids are derived from their content, so re-saving a record keeps them stable.
_RELATION_NAMESPACE = uuid.UUID("5a0c2f4e-8f7e-4d2b-9a53-6b1f0d1c7e21")
_ENTITY_COLLECTIONS = frozenset({"aliases", "identifiers", "tags", "citations"})
_SLUG = TypeAdapter(Slug)
_SLUG_WORD = re.compile("[a-z0-9]+")


def _ref_column(name: str, target: type[SQLModel]) -> str:
    return f"{name}_code" if target is Country else f"{name}_id"


def _canonical(slug: str, data: EntityIn) -> dict[str, Any]:
    """The record as a JSON value with collections sorted: equal content gives an equal value."""
    snapshot = {"slug": slug, **data.model_dump(mode="json")}
    _sort_lists(snapshot)
    return snapshot


_JSON_TEXT = functools.partial(json.dumps, sort_keys=True)
_NESTED = (dict, list)


def _sort_lists(value: dict[str, Any] | list[Any]) -> None:
    """Sort every list in `value` (a JSON value of its own: model_dump builds new containers) by
    its items' JSON text, in place. Scalars and empty containers are not walked into, short lists
    not sorted and nothing copied: a bulk of 500 records spent an eighth of its time here before
    these shortcuts."""
    for item in value.values() if isinstance(value, dict) else value:
        if item and isinstance(item, _NESTED):
            _sort_lists(item)
    if isinstance(value, list) and len(value) > 1:
        value.sort(key=_JSON_TEXT)


@dataclass(slots=True, eq=False)  # not frozen: frozen fields are set five times slower
class _Reference:
    """A slug (or country code) that a row refers to, in `row[column]` in place of the id until
    phase two puts the id there (`settle`); `path` is the input field that names it."""

    target: type[SQLModel]
    key: str
    path: str
    row: dict[str, Any]
    column: str


class _Rows:
    """Phase one's rows of an input, and every problem in input order: a `_Reference` stands in
    the list for its "not found" problem until phase two knows whether it names anything."""

    def __init__(self) -> None:
        self.problems: list[FieldError | _Reference] = []

    def refer(
        self, row: dict[str, Any], column: str, target: type[SQLModel], key: str | None, path: str
    ) -> None:
        """Set `row[column]` to a reference to `key` in `target` (None if `key` is)."""
        if key is None:
            row[column] = None
        else:
            row[column] = reference = _Reference(target, key, path, row, column)
            self.problems.append(reference)

    def columns(
        self, data: Any, model: type[SQLModel], refs: Mapping[str, type[SQLModel]], partial_dates: tuple[str, ...],
        skip: frozenset[str], path: str,
    ) -> dict[str, Any]:
        """The table columns for an input: references to resolve, partial dates given their bounds,
        strings checked against their column's length (the table is the one place that sets it)."""
        columns: dict[str, Any] = {}
        limits = _length_limits(model)
        for name in type(data).model_fields:
            if name in skip:
                continue
            value = getattr(data, name)
            if name in refs:
                self.refer(columns, _ref_column(name, refs[name]), refs[name], value, path + name)
            elif name in partial_dates:
                parsed = PartialDate.parse_optional(value)
                columns[name] = parsed.value if parsed else None
                columns[f"{name}_lower"] = parsed.lower if parsed else None
                columns[f"{name}_upper"] = parsed.upper if parsed else None
            else:
                columns[name] = value
                limit = limits.get(name)
                if limit is not None and isinstance(value, str) and len(value) > limit:
                    self.problems.append(FieldError(
                        path + name, ErrorCode.INVALID, f"is {len(value)} characters long; at most {limit}"))
        return columns

    def citations(
        self, citations: list[CitationIn], subject_type: EntityType, subject_id: uuid.UUID, path: str
    ) -> list[dict[str, Any]]:
        rows = []
        for i, citation in enumerate(citations):
            row = {"subject_type": subject_type, "subject_id": subject_id, "source_id": None,
                   "excerpt": citation.excerpt, "locator": citation.locator, "note": citation.note}
            self.refer(row, "source_id", Source, citation.source, f"{path}citations.{i}.source")
            rows.append(row)
        return rows


@functools.cache
def _length_limits(model: type[SQLModel]) -> dict[str, int]:
    """The longest string each column of the table takes, by name, for the columns that set one.
    Looked up once: through SQLAlchemy's column collection and type proxies, each record paid for
    it field by field."""
    lengths = {column.name: getattr(column.type, "length", None) for column in model.__table__.columns}
    return {name: length for name, length in lengths.items() if length is not None}


# The tables holding a record's collections, by the input field they come from.
_COLLECTION_TABLES = {"citations": Citation, "aliases": Alias, "identifiers": ExternalIdentifier, "tags": Tag}


# The input fields whose text the search index holds, besides the record's name field.
_SEARCHED_FIELDS = frozenset({"aliases", "description", "citations"})


def _indexed_for_search(spec: EntitySpec, fields: Collection[str]) -> bool:
    return spec.name_field in fields or not _SEARCHED_FIELDS.isdisjoint(fields)


async def delete_owned_rows(session: AsyncSession, spec: EntitySpec, entity_id: uuid.UUID,
                             fields: Collection[str]) -> None:
    """Delete the rows that hold these input fields of the record: relationship rows with their
    citations, its own citations, aliases, identifiers, tags, and its search entries."""
    owner = {"owner": entity_id}
    for relation in spec.relations:
        if relation.field in fields:
            for statement in _delete_relation_rows(relation.model, relation.parent_column, relation.entity_type):
                await session.execute(statement, owner)
    tables = [table for name, table in _COLLECTION_TABLES.items() if name in fields]
    if _indexed_for_search(spec, fields):
        tables.append(SearchEntry)
    for table in tables:
        await session.execute(_delete_owned(table, spec.entity_type), owner)


# Built once per table, the owner's id a parameter (see `_insert`); on the tables (Core): the
# write path loads no objects of these tables that an ORM DELETE would have to keep in step.
@functools.cache
def _delete_relation_rows(
    model: type[SQLModel], parent_column: str, entity_type: EntityType
) -> tuple[sa.Delete, sa.Delete]:
    """The DELETEs of the owner's relationship rows in `model`: their citations first."""
    rows, citations = model.__table__, Citation.__table__
    owned = sa.select(rows.c.id).where(rows.c[parent_column] == sa.bindparam("owner"))
    return (
        sa.delete(citations).where(citations.c.subject_type == entity_type, citations.c.subject_id.in_(owned)),
        sa.delete(rows).where(rows.c[parent_column] == sa.bindparam("owner")),
    )


@functools.cache
def _delete_owned(model: type[SQLModel], entity_type: EntityType) -> sa.Delete:
    table = model.__table__
    return sa.delete(table).where(table.c.subject_type == entity_type,
                                  table.c.subject_id == sa.bindparam("owner"))


def every_field(spec: EntitySpec) -> frozenset[str]:
    return _field_names(spec.input)


@functools.cache
def _field_names(input_class: type[EntityIn]) -> frozenset[str]:
    return frozenset(input_class.model_fields)


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
        columns["id"], columns[relation.parent_column] = row_id, parent_id  # its references point into it
        values.append(columns)
        citations += rows.citations(item.citations, relation.entity_type, row_id, path)
    return values, citations


def _search_entries(spec: EntitySpec, entity_id: uuid.UUID, data: EntityIn) -> list[dict[str, Any]]:
    description = getattr(data, "description", None) if spec.name_field != "description" else None
    return entry_rows(spec.entity_type, entity_id, getattr(data, spec.name_field), [a.name for a in data.aliases],
                      description, [c.excerpt for c in data.citations])


@dataclass(eq=False, slots=True)
class Draft:
    """One record's write worked out in Python (phase one, `draft_write`); then checked against the
    database together with the other drafts of its batch (phase two, `settle`), and written with
    them (phase three, `store`). A single write is a batch of one: the rules live here once."""

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


def draft_write(
    spec: EntitySpec, entity: Any, slug: str, data: EntityIn, previous: dict[str, Any] | None, *,
    new_id: uuid.UUID | None = None, new_version: int = 1, slug_derived: bool = False,
    free_identifier: IdentifierIn | None = None,
) -> Draft | None:
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
        rewritten = every_field(spec)
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
    # Empty collections are left out: they insert nothing, and every object a batch holds on to
    # adds to the garbage collector's work (a tenth of a bulk write's CPU).
    children += [(_COLLECTION_TABLES[name], items) for name, items in collections.items()
                 if name in rewritten and items]
    identifiers = [(i, identifier) for i, identifier in enumerate(data.identifiers)
                   if identifier != free_identifier] if "identifiers" in rewritten else []
    return Draft(
        spec=spec, entity=entity, entity_id=entity_id, slug=slug, data=data, snapshot=snapshot, previous=previous,
        rewritten=rewritten, outcome=outcome, version=version, columns=columns, children=children,
        search_rows=_search_entries(spec, entity_id, data) if _indexed_for_search(spec, rewritten) else None,
        problems=rows.problems, identifiers_to_check=identifiers,
        slug_to_check=entity is None or entity.slug != slug, slug_derived=slug_derived,
    )


# Phase two's look-ups, keyed: ("ref", table, slug or code) → id or code; ("slug", table, slug) →
# (id, deleted); ("identifier", entity type, scheme, value) → the record holding it.
_LookupKey = tuple[str, ...]
# An IN list holds at most _KEYS_PER_BRANCH keys (an identifier takes up to two parameters, see
# _branch), a statement at most _BRANCHES_PER_STATEMENT lists: at most 30,000 parameters, under
# asyncpg's limit (32,767) and SQLite's (32,766). A batch within REGISTRY_BULK_MAX_ROWS needs one
# or two statements.
_KEYS_PER_BRANCH = 500
_BRANCHES_PER_STATEMENT = 30


@dataclass
class Wanted:
    """What phase two looks up, for any number of drafts (and the owners of a batch's identifiers)."""

    refs: dict[type[SQLModel], set[str]] = field(default_factory=lambda: defaultdict(set))
    slugs: dict[type[SQLModel], set[str]] = field(default_factory=lambda: defaultdict(set))
    identifiers: dict[EntityType, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))

    def add_draft(self, draft: Draft) -> None:
        for problem in draft.problems:
            if isinstance(problem, _Reference):
                self.refs[problem.target].add(problem.key)
        if draft.slug_to_check:
            self.slugs[draft.spec.model].add(draft.slug)
        for _, identifier in draft.identifiers_to_check:
            self.identifiers[draft.spec.entity_type].add((identifier.scheme, identifier.value))

    def branches(self, on_postgresql: bool) -> list[tuple[sa.Select, dict[str, list]]]:
        """(SELECT of (kind, key, detail, found), its parameters): one per table and IN list of
        keys. The SELECTs are built once per process (`_branch`): their keys are parameters, so
        SQLAlchemy neither builds nor compiles them again for each write."""
        branches = []

        def branch(what: str, of: Any, keys: set) -> None:
            ordered = sorted(keys)
            for chunk, start in enumerate(range(0, len(ordered), _KEYS_PER_BRANCH)):
                statement, parameters = _branch(what, of, chunk, on_postgresql)
                branches.append((statement, parameters(ordered[start:start + _KEYS_PER_BRANCH])))

        for target, keys in self.refs.items():
            branch("ref", target, keys)
        for model, slugs in self.slugs.items():
            branch("slug", model, slugs)
        for entity_type, pairs in self.identifiers.items():
            branch("identifier", entity_type, pairs)
        return branches


_NO_DETAIL = sa.cast(sa.null(), sa.String)
_TEXT_ARRAY = postgresql.ARRAY(sa.String)


@functools.cache
def _branch(
    what: str, of: type[SQLModel] | EntityType, chunk: int, on_postgresql: bool
) -> tuple[sa.Select, Callable[[list], dict[str, list]]]:
    """The look-up of `what` ("ref", "slug" or "identifier") in `of` (a model, or the entity type
    whose identifiers are looked up) for the `chunk`-th IN list of keys, and its parameters from
    the keys."""
    name = str(of) if what == "identifier" else of.__tablename__
    parameter = f"{what}_{name}_{chunk}"
    kind = sa.literal_column(f"'{what} {name}'").label("kind")
    if what == "identifier":
        return _identifier_branch(of, parameter, kind, on_postgresql)
    key = Country.code if what == "ref" and of is Country else of.slug
    # PostgreSQL takes the keys as one array (a fixed statement, see registry.db.execute_fixed)
    has_key = (key == sa.any_(sa.bindparam(parameter, type_=_TEXT_ARRAY)) if on_postgresql
               else key.in_(sa.bindparam(parameter, expanding=True)))
    if what == "ref" and of is Country:
        columns, where = (Country.code, _NO_DETAIL, Country.code), has_key
    elif what == "ref":
        columns = (of.slug, _NO_DETAIL, sa.cast(of.id, sa.String))
        where = sa.and_(has_key, of.deleted_at.is_(None))
    else:
        columns = (of.slug, sa.case((of.deleted_at.is_(None), "live"), else_="deleted"), sa.cast(of.id, sa.String))
        where = has_key
    return sa.select(kind, *columns).where(where), functools.partial(_parameters, parameter)


def _identifier_branch(
    of: EntityType, parameter: str, kind: sa.Label, on_postgresql: bool
) -> tuple[sa.Select, Callable[[list], dict[str, list]]]:
    """The records of kind `of` holding any of the (scheme, value) pairs.

    PostgreSQL seeks the unique (subject_type, scheme, value) index once per pair, whatever its
    statistics say: the pairs come as two arrays, and LIMIT 1 keeps the lateral subquery a
    per-pair seek (the planner does not merge it into a join it could hash). With IN lists the
    plan followed the statistics: a scheme the statistics had not yet seen (a partner's first
    sync; autovacuum behind a burst of writes) was read whole and filtered, 28 ms for 500 pairs
    among 145,000 identifiers and growing with them, where the seeks take ~2 ms. SQLite (no
    arrays) takes the schemes and the values as two IN lists, which its planner seeks with; the
    rows may then pair a scheme with another's value: true facts too, found by nobody."""
    identifier = ExternalIdentifier
    schemes, values = f"{parameter}_schemes", f"{parameter}_values"
    by_pairs = functools.partial(_identifier_parameters, schemes, values, on_postgresql)
    if on_postgresql:
        pairs = (sa.func.unnest(sa.bindparam(schemes, type_=_TEXT_ARRAY), sa.bindparam(values, type_=_TEXT_ARRAY))
                 .table_valued("scheme", "value").render_derived(name="pair"))
        holder = (sa.select(sa.cast(identifier.subject_id, sa.String).label("found"))
                  .where(identifier.subject_type == of, identifier.scheme == pairs.c.scheme,
                         identifier.value == pairs.c.value)
                  .limit(1).lateral("holder"))
        statement = sa.select(kind, pairs.c.scheme, pairs.c.value, holder.c.found)
        return statement.select_from(pairs).join(holder, sa.true()), by_pairs
    where = sa.and_(identifier.subject_type == of, identifier.scheme.in_(sa.bindparam(schemes, expanding=True)),
                    identifier.value.in_(sa.bindparam(values, expanding=True)))
    columns = (identifier.scheme, identifier.value, sa.cast(identifier.subject_id, sa.String))
    return sa.select(kind, *columns).where(where), by_pairs


def _parameters(name: str, keys: list) -> dict[str, list]:
    return {name: keys}


def _identifier_parameters(
    schemes: str, values: str, as_pairs: bool, pairs: list[tuple[str, str]]
) -> dict[str, list]:
    if as_pairs:
        return {schemes: [scheme for scheme, _ in pairs], values: [value for _, value in pairs]}
    return {schemes: sorted({scheme for scheme, _ in pairs}), values: sorted({value for _, value in pairs})}


@functools.lru_cache(maxsize=256)
def _union(branches: tuple[sa.Select, ...]) -> sa.Select:
    """One statement of these branches, built once per combination (writes of one kind of record
    look up the same few, so SQLAlchemy keys the statement once)."""
    return branches[0] if len(branches) == 1 else sa.union_all(*branches)


async def look_up(session: AsyncSession, wanted: Wanted) -> dict[_LookupKey, Any]:
    """What the database holds of `wanted`, in one statement (more only for thousands of keys)."""
    known: dict[_LookupKey, Any] = {}
    branches = wanted.branches(session.get_bind().dialect.name == "postgresql")
    for start in range(0, len(branches), _BRANCHES_PER_STATEMENT):
        part = branches[start:start + _BRANCHES_PER_STATEMENT]
        statement = _union(tuple(statement for statement, _ in part))
        parameters = {name: keys for _, named in part for name, keys in named.items()}
        for kind, key, detail, found in await session.run_sync(execute_fixed, statement, parameters):
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


async def take_turns(session: AsyncSession, keys: Collection[str]) -> None:
    """Make writers of the same keys run one after another, until this transaction ends.

    On PostgreSQL, two transactions that each check "is this slug (identifier) free?" and then
    insert would both see it free; the second now waits for the first and then sees its row
    (READ COMMITTED reads afresh per statement), so it gets a UNIQUE error rather than a database
    error. A hash collision only makes two unrelated writers wait. SQLite has one writer at a time.

    All keys are locked in one statement, in the order of their lock numbers: two batches that
    share keys take them in the same order and so cannot deadlock. (The locks are taken as the
    sorted subquery's rows come out; a transaction locks identifiers before slugs.)"""
    if keys and session.bind.dialect.name == "postgresql":
        await session.run_sync(execute_fixed, _LOCK_IN_ORDER, {"keys": list(keys)})


def identifier_key(spec: EntitySpec, identifier: IdentifierIn) -> str:
    return f"identifier:{spec.entity_type}:{identifier.scheme}:{identifier.value}"


async def settle(session: AsyncSession, drafts: Sequence[Draft]) -> None:
    """Phase two, for drafts in write order: resolve their references, and check that their new
    slugs and identifiers are nobody else's, in two statements for any number of drafts (the
    slugs' locks, then every look-up). A draft may use what an earlier one of the list makes (a
    batch's records refer to each other by slug) and may not take what an earlier one takes;
    a draft left with problems (in `draft.problems`) makes and takes nothing."""
    await take_turns(session, [f"slug:{d.spec.entity_type}:{d.slug}" for d in drafts if d.slug_to_check])
    wanted = Wanted()
    for draft in drafts:
        wanted.add_draft(draft)
    known = await look_up(session, wanted)
    for draft in drafts:
        _check(draft, known)
        if not draft.problems:
            table = _table_name(draft.spec.model)
            known["ref", table, draft.slug] = draft.entity_id
            known["slug", table, draft.slug] = (draft.entity_id, False)
            for identifier in draft.data.identifiers:
                known["identifier", str(draft.spec.entity_type), identifier.scheme, identifier.value] = draft.entity_id


def _check(draft: Draft, known: Mapping[_LookupKey, Any]) -> None:
    """Put ids in place of the draft's references, and turn its problems into FieldErrors, from `known`."""
    spec, problems = draft.spec, []
    for problem in draft.problems:
        if isinstance(problem, FieldError):
            problems.append(problem)
            continue
        table = _table_name(problem.target)
        found = known.get(("ref", table, problem.key))
        if found is None:
            problems.append(FieldError(problem.path, ErrorCode.NOT_FOUND, f"no {table.replace('_', ' ')} {problem.key!r}"))
        else:
            problem.row[problem.column] = found
    for i, identifier in draft.identifiers_to_check:
        owner = known.get(("identifier", str(spec.entity_type), identifier.scheme, identifier.value))
        if owner is not None and owner != draft.entity_id:
            problems.append(FieldError(
                f"identifiers.{i}", ErrorCode.UNIQUE,
                f"{identifier.scheme}:{identifier.value} already identifies another {spec.entity_type}"))
    holder = known.get(("slug", _table_name(spec.model), draft.slug)) if draft.slug_to_check else None
    if holder is not None and holder[0] != draft.entity_id:
        if draft.slug_derived:  # not the caller's choice: any free slug will do
            draft.rename(f"{draft.slug[:111]}-{uuid.uuid4().hex[:8]}")
        else:
            state = "a deleted" if holder[1] else "another"
            problems.append(FieldError("slug", ErrorCode.UNIQUE, f"{draft.slug!r} already names {state} {spec.entity_type}"))
    draft.problems = problems


@functools.cache
def _table_name(model: type[SQLModel]) -> str:
    return model.__tablename__  # SQLModel works it out again on every read (0.5 µs)


async def store(session: AsyncSession, drafts: Sequence[Draft], author: Author) -> list[SaveResult]:
    """Phase three: write settled drafts (without problems). New records cost a fixed number of
    statements however many there are: one statement for their rows, every owned row, search
    entry and new stem (`insert_tables`), and their change-log rows go in the commit's one
    INSERT. An existing record's row is one UPDATE (`records.update_record`)."""
    for draft in drafts:
        record_change(session, draft.spec.kind, draft.entity_id, _ACTIONS[draft.outcome], draft.version, author,
                      draft.snapshot, draft.previous)
    for draft in drafts:
        if draft.outcome is SaveOutcome.CREATED:
            continue
        await delete_owned_rows(session, draft.spec, draft.entity_id, draft.rewritten)
        await update_record(session, draft.entity, {
            **draft.columns, "slug": draft.slug, "version": draft.version, "updated_at": utcnow(), "deleted_at": None})
    rows_by_table: dict[type[SQLModel], list[dict[str, Any]]] = defaultdict(list)
    for draft in drafts:
        for table, rows in draft.children:
            rows_by_table[table] += rows
    batches = _new_records(drafts)  # first: the other rows may refer to them
    batches += [TableRows(table.__table__, rows) for table, rows in rows_by_table.items()]
    batches += index_rows([row for draft in drafts for row in draft.search_rows or ()])
    await session.run_sync(insert_tables, batches)
    return [SaveResult(draft.entity, draft.outcome) for draft in drafts]


def _new_records(drafts: Sequence[Draft]) -> list[TableRows]:
    """The rows of the new records among `drafts`, a table at a time in foreign-key order (a
    batch's records may refer to each other); each such draft gets its record, built from its row."""
    by_model: dict[type[SQLModel], list[Draft]] = defaultdict(list)
    for draft in drafts:
        if draft.entity is None:
            by_model[draft.spec.model].append(draft)
    now = utcnow()
    batches = []
    for model in sorted(by_model, key=lambda model: _table_order()[model.__table__]):
        rows = []
        for draft in by_model[model]:
            row = {**_model_defaults(model), "id": draft.entity_id, "slug": draft.slug, "version": draft.version,
                   "created_at": now, "updated_at": now, **draft.columns}
            draft.entity = record_from_row(model, row)
            rows.append(row)
        batches.append(TableRows(model.__table__, rows))
    return batches


@functools.cache
def _table_order() -> dict[sa.Table, int]:
    return {table: i for i, table in enumerate(SQLModel.metadata.sorted_tables)}


# The columns `_new_records` sets for every new record whatever the model says.
_SET_FOR_EVERY_RECORD = frozenset({"id", "slug", "version", "created_at", "updated_at"})


def _model_defaults(model: type[SQLModel]) -> dict[str, Any]:
    """The model's own defaults for columns an input does not set (its table has none of its own)."""
    shared, made = _defaults(model)
    return {**shared, **{name: info.get_default(call_default_factory=True) for name, info in made}}


@functools.cache
def _defaults(model: type[SQLModel]) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...]]:
    """The defaults every new record may share (immutable: a copy would be the same object), and
    the fields whose default is made afresh for each (a factory, or a mutable value)."""
    shared, made = {}, []
    for name, info in model.model_fields.items():
        if info.is_required() or name in _SET_FOR_EVERY_RECORD:
            continue
        if info.default_factory is None and copy.deepcopy(info.default) is info.default:
            shared[name] = info.default
        else:
            made.append((name, info))
    return shared, tuple(made)


_ACTIONS = {SaveOutcome.CREATED: ChangeAction.CREATE, SaveOutcome.UPDATED: ChangeAction.UPDATE,
            SaveOutcome.RESTORED: ChangeAction.RESTORE}


def validated_input(spec: EntitySpec, fields: Mapping[str, Any], identifier: IdentifierIn | None = None) -> tuple[Any, EntityIn]:
    """The slug (None when not given) and the validated input in `fields`; every problem at once.

    `identifier`, when given, is added to the record's identifiers if it lacks it."""
    fields = dict(fields)
    slug = fields.pop("slug", None)
    if identifier is not None and "identifiers" not in fields:
        fields["identifiers"] = [identifier]  # validated with the rest: no copy of the input to add it below
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


def derived_slug(spec: EntitySpec, data: EntityIn) -> str:
    """A slug from the record's name: ASCII words joined by hyphens."""
    ascii_name = unicodedata.normalize("NFKD", str(getattr(data, spec.name_field) or "")).encode("ascii", "ignore")
    words = _SLUG_WORD.findall(ascii_name.decode().lower())
    return "-".join(words)[:100].strip("-") or str(spec.entity_type)
