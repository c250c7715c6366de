"""`registry export` / `registry import`: the whole registry as JSON Lines, and back.

The file: a header line (`FORMAT`), then one JSON object per line with its keys sorted:
countries (`{"code", "kind": "country", "name"}`) by code, then each kind of record in `KINDS`
order (a kind refers only to kinds before it, organizations also to each other), each ordered by
id: `{"deleted", "id", "kind", "record", "slug", "version"}`. `record` is the record's service
input (aliases, identifiers, tags, citations and relationship rows included), taken from its
latest change-log snapshot, which every service write keeps; a deleted record keeps the snapshot
it had when deleted. Two exports of the same data are identical byte for byte.

Not exported: API keys (secrets) and idempotency keys (ephemeral); the change history (an import
logs each record once); timestamps; countries' versions (counted in the log, not a column).

The import writes through the services, in one transaction, only into an empty registry: ids,
slugs and versions come from the file, and merging them into existing data would have to choose
between colliding ones. Every problem is reported as `line N: field: reason` and nothing is written.
"""

import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from typing import IO, Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from .models import ChangeLog, Country
from .seeding import KINDS
from .services import Author, EntitySpec, ServiceError, delete, import_record, save_country

__all__ = [
    "FORMAT", "ImportProblem", "ImportRefused", "RegistryNotEmpty", "count_records", "export_lines",
    "import_records", "read_export", "snapshot",
]

FORMAT = {"format": "kz-by-registry-export", "format_version": 1}
AUTHOR = Author("import")
SPECS = {str(kind.spec.entity_type): kind.spec for kind in KINDS}
COUNTRY = "country"
MAX_READ_PROBLEMS = 100  # a file this broken is not an export: reading on would only list more


def _line(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


@asynccontextmanager
async def snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection that reads one consistent state of the database while writes go on."""
    async with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = await connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            async with connection.begin():
                yield connection
            return
        # pysqlite begins a transaction only before a write: without BEGIN each SELECT would see
        # the data as of itself. WAL keeps the snapshot of the first read until the rollback.
        await connection.exec_driver_sql("BEGIN")
        try:
            yield connection
        finally:
            await connection.rollback()


async def count_records(connection: AsyncConnection) -> int:
    """How many record lines `export_lines` gives (for a progress bar)."""
    total = await connection.scalar(sa.select(sa.func.count()).select_from(Country))
    for kind in KINDS:
        total += await connection.scalar(sa.select(sa.func.count()).select_from(kind.spec.model))
    return total


def _latest_snapshots(spec: EntitySpec) -> sa.Select:
    model = spec.model
    latest = (
        sa.select(sa.func.max(ChangeLog.id))
        .where(ChangeLog.entity_type == spec.kind, ChangeLog.entity_id == model.id)
        .correlate(model)
        .scalar_subquery()
    )
    return (
        sa.select(model.id, model.version, model.deleted_at, ChangeLog.data)
        .join(ChangeLog, ChangeLog.id == latest, isouter=True)
        .order_by(model.id)
    )


async def export_lines(connection: AsyncConnection) -> AsyncIterator[str]:
    """The export file, line by line (header first), read through `connection`."""
    yield _line(FORMAT)
    for code, name in await connection.execute(sa.select(Country.code, Country.name).order_by(Country.code)):
        yield _line({"kind": COUNTRY, "code": code, "name": name})
    for kind in KINDS:
        spec = kind.spec
        async for row in await connection.stream(_latest_snapshots(spec)):
            if row.data is None:  # every service write logs a snapshot
                raise RuntimeError(f"{spec.entity_type} {row.id} has no change-log snapshot: it was not written "
                                   "through registry.services")
            record = dict(row.data)
            slug = record.pop("slug")
            yield _line({
                "kind": str(spec.entity_type), "id": str(row.id), "version": row.version, "slug": slug,
                "record": record, "deleted": row.deleted_at is not None,
            })


# Reading a file -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportProblem:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}" if self.field else f"line {self.line}: {self.message}"


class ImportRefused(Exception):
    """The file was refused: every problem, by line; nothing was written."""

    def __init__(self, problems: list[ImportProblem]):
        self.problems = problems
        super().__init__("; ".join(map(str, problems)))


class RegistryNotEmpty(Exception):
    """An import into a registry that holds data: refused, nothing written."""


class _CountryLine(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    kind: Literal["country"]
    code: str
    name: str


class _RecordLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str
    id: uuid.UUID
    version: int = Field(ge=1, strict=True)
    slug: str = Field(strict=True)
    record: dict[str, Any]
    deleted: bool = Field(strict=True)


@dataclass(frozen=True, slots=True)
class _Numbered:
    line: int
    value: "_CountryLine | _RecordLine"


def _lines(file: IO[bytes], max_line_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, content) of each line; content None for a line over `max_line_bytes`, which
    is skipped without being held in memory."""
    number = 0
    while chunk := file.readline(max_line_bytes + 1):
        number += 1
        if len(chunk) <= max_line_bytes or chunk.endswith(b"\n"):
            yield number, chunk
            continue
        while (rest := file.readline(max_line_bytes)) and not rest.endswith(b"\n"):
            pass
        yield number, None


def _parse(number: int, content: bytes, problems: list[ImportProblem]) -> Any:
    try:
        return json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(ImportProblem(number, "", f"not valid JSON: {exc}"))
    except RecursionError:
        problems.append(ImportProblem(number, "", "not valid JSON: nested too deeply"))
    return None


def _validated(number: int, value: Any, problems: list[ImportProblem]) -> _Numbered | None:
    if not isinstance(value, dict):
        problems.append(ImportProblem(number, "", "expected a JSON object"))
        return None
    kind = value.get("kind")
    if kind != COUNTRY and kind not in SPECS:
        known = ", ".join([COUNTRY, *SPECS])
        problems.append(ImportProblem(number, "kind", f"unknown kind {str(kind)[:50]!r} (known: {known})"))
        return None
    try:
        return _Numbered(number, (_CountryLine if kind == COUNTRY else _RecordLine).model_validate(value))
    except ValidationError as exc:
        problems += [
            ImportProblem(number, ".".join(map(str, error["loc"])), error["msg"]) for error in exc.errors()
        ]
    return None


def read_export(file: IO[bytes], *, max_line_bytes: int, max_lines: int) -> list[_Numbered]:
    """Every line of an export file parsed and checked for shape (the services check the records
    themselves on import); raises ImportRefused with every problem found (reading stops after
    MAX_READ_PROBLEMS of them)."""
    problems: list[ImportProblem] = []
    lines: list[_Numbered] = []
    number = 0
    for number, content in _lines(file, max_line_bytes):
        if len(problems) >= MAX_READ_PROBLEMS:
            problems.append(ImportProblem(number, "", f"stopped reading after {MAX_READ_PROBLEMS} problems"))
            break
        if number > max_lines:
            problems.append(ImportProblem(number, "", f"the file has more than {max_lines} lines "
                                          "(REGISTRY_IMPORT_MAX_LINES)"))
            break
        if content is None:
            problems.append(ImportProblem(number, "", f"longer than {max_line_bytes} bytes "
                                          "(REGISTRY_IMPORT_MAX_LINE_BYTES)"))
            continue
        value = _parse(number, content, problems)
        if number == 1:
            if value != FORMAT:
                header = _line(FORMAT).strip()
                problems.append(ImportProblem(1, "", f"not a registry export: the first line must be {header}"))
                break
            continue
        if value is not None and (parsed := _validated(number, value, problems)) is not None:
            lines.append(parsed)
    if number == 0:
        problems.append(ImportProblem(1, "", "the file is empty: not a registry export"))
    if problems:
        raise ImportRefused(problems)
    return lines


# Writing --------------------------------------------------------------------------------------


async def _registry_is_empty(session: AsyncSession) -> bool:
    tables = [ChangeLog, Country, *(kind.spec.model for kind in KINDS)]
    for table in tables:
        if await session.scalar(sa.select(sa.literal(1)).select_from(table).limit(1)) is not None:
            return False
    return True


def _in_write_order(spec: EntitySpec, records: list[_Numbered]) -> list[_Numbered]:
    """The records of one kind, each after the records of its kind it refers to (an organization
    after its parent); otherwise in file order."""
    own_refs = [name for name, target in spec.refs.items() if target is spec.model]
    if not own_refs:
        return records
    # keyed by position, not slug: a duplicate slug stays in, for the services to report
    first_with_slug = {}
    for i, numbered in enumerate(records):
        first_with_slug.setdefault(numbered.value.slug, i)
    graph = {
        i: {
            first_with_slug[ref] for name in own_refs
            if isinstance(ref := numbered.value.record.get(name), str) and ref in first_with_slug
        }
        for i, numbered in enumerate(records)
    }
    try:
        return [records[i] for i in TopologicalSorter(graph).static_order()]
    except CycleError as exc:
        raise CycleError(exc.args[0], [records[i] for i in exc.args[1]]) from None


async def import_records(
    session: AsyncSession, lines: list[_Numbered], on_record: Callable[[], None] | None = None
) -> int:
    """Write every line through the services in the caller's transaction (the caller commits);
    raises ImportRefused with every problem, and the caller rolls back. Returns the lines written."""
    if not await _registry_is_empty(session):
        raise RegistryNotEmpty("the registry is not empty: import only into a new, migrated database "
                               "(ids, slugs and versions come from the file; merging would have to choose "
                               "between colliding ones)")
    problems: list[ImportProblem] = []
    seen_countries: dict[str, int] = {}
    for numbered in sorted((n for n in lines if isinstance(n.value, _CountryLine)), key=lambda n: n.value.code):
        country = numbered.value
        if country.code in seen_countries:
            problems.append(ImportProblem(numbered.line, "code", f"{country.code} is already on line "
                                          f"{seen_countries[country.code]}"))
            continue
        seen_countries[country.code] = numbered.line
        try:
            await save_country(session, country.code, country.name, author=AUTHOR)
        except ServiceError as exc:
            problems += [ImportProblem(numbered.line, e.field, e.message) for e in exc.errors]
        if on_record:
            on_record()
    await session.flush()

    tombstones: list[tuple[_Numbered, EntitySpec]] = []
    for kind in KINDS:
        spec = kind.spec
        records = [n for n in lines if isinstance(n.value, _RecordLine) and n.value.kind == str(spec.entity_type)]
        try:
            records = _in_write_order(spec, records)
        except CycleError as exc:
            cycle = exc.args[1]
            problems.append(ImportProblem(cycle[0].line, "", f"these {spec.entity_type} records name each other in a "
                                          f"cycle: {', '.join(n.value.slug for n in cycle)}"))
            continue
        for numbered in records:
            line = numbered.value
            if line.deleted and line.version < 2:
                problems.append(ImportProblem(numbered.line, "version", "a deleted record has a version of 2 or more"))
                continue
            # A tombstone is written live first and deleted at the end, as records written
            # before its deletion may still name it: the delete takes it to its version.
            version = line.version - 1 if line.deleted else line.version
            try:
                await import_record(session, spec, line.id, version, {**line.record, "slug": line.slug},
                                    author=AUTHOR)
            except ServiceError as exc:
                problems += [ImportProblem(numbered.line, e.field, e.message) for e in exc.errors]
                continue
            if line.deleted:
                tombstones.append((numbered, spec))
            if on_record:
                on_record()
    for numbered, spec in tombstones:
        await delete(session, spec, numbered.value.id, expected_version=numbered.value.version - 1, author=AUTHOR)
    if problems:
        raise ImportRefused(sorted(problems, key=lambda problem: problem.line))
    return len(lines)
