"""Types every domain shares: partial dates, names, citations, and the `Record` interface."""

import dataclasses
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache, partial
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self, TypeVar

import sqlalchemy as sa
import strawberry
from sqlalchemy.engine import RowMapping
from strawberry import Info, Private

from ...models import Alias, Citation, Country, ExternalIdentifier, Tag
from ...models.enums import EntityType
from ...partial_date import PartialDate
from ..changes.history import record_history
from ..changes.types import ChangeConnection
from .enums import AliasKind, DatePrecision
from .errors import bad_argument
from .compiler import Irregular, NodeStatement, node_statement, page_statement
from .prefetch import NOT_LOADED, Attached, One, lazy, prefetch, related_field, selections_under

if TYPE_CHECKING:
    from ..sources.types import SourceType

T = TypeVar("T")

__all__ = [
    "AliasType",
    "CitationType",
    "Cited",
    "CountryType",
    "PartialDateType",
    "Record",
    "build",
    "page_nodes",
]


@strawberry.type(name="PartialDate", description="A date at the precision the source gives it.")
class PartialDateType:
    value: str = strawberry.field(description="As written (EDTF): 2002-09, 1996/1997, 2004~, 2009/..")
    precision: DatePrecision
    approximate: bool = strawberry.field(description="The source gives the date only roughly")
    lower: date | None = strawberry.field(description="Earliest day it can mean (null: open start)")
    upper: date | None = strawberry.field(description="Latest day it can mean (null: open end)")

    @classmethod
    def from_columns(cls, row: RowMapping, name: str) -> Self | None:
        """From the column `name` and its `<name>_lower`/`<name>_upper` bounds (None if no date)."""
        value = row[name]
        if value is None:
            return None
        parsed = _parse(value)
        lower, upper = _bound_columns(name)
        partial_date = cls.__new__(cls)  # as `build` does: hundreds per page, keyword __init__ was most of it
        partial_date.__dict__.update(
            value=value, precision=parsed.precision, approximate=parsed.approximate,
            lower=row[lower], upper=row[upper],
        )
        return partial_date


_parse = lru_cache(maxsize=4096)(PartialDate.parse)  # a page repeats the same few dozen dates


@cache
def _bound_columns(name: str) -> tuple[str, str]:
    return f"{name}_lower", f"{name}_upper"


def build(cls: type[T], row: RowMapping) -> T:
    """A GraphQL object from a row: columns by name; `id` as the Node id; partial dates whole.

    Relationship fields are left for `prefetch` to fill (their class default is NOT_LOADED).
    The object's attributes are set directly rather than through the dataclass `__init__`: the
    read path builds hundreds of objects per request and keyword passing was most of the cost.
    An enum column may come as its member (through SQLAlchemy) or as its stored value (asyncpg's
    own records, see `registry.db.DriverStatement`): both end as the member."""
    obj = cls.__new__(cls)
    values = obj.__dict__
    for name, kind, enum in _plan(cls):
        if kind is _COLUMN:
            values[name] = row[name]
        elif kind is _ENUM:
            value = row[name]
            values[name] = enum(value) if type(value) is str else value
        elif kind is _PARTIAL_DATE:
            values[name] = PartialDateType.from_columns(row, name)
        elif kind is _NUMBER:
            values[name] = _plain_number(row[name])
        elif kind is _ID:
            values["id"] = str(row["id"])
        else:
            values["uuid"] = row["id"]
    return obj


_COLUMN, _ENUM, _PARTIAL_DATE, _NUMBER, _ID, _UUID = "column", "enum", "partial_date", "number", "id", "uuid"


@cache
def _plan(cls: type) -> tuple[tuple[str, str, type | None], ...]:
    """How `build` fills each field of `cls` (worked out once per type)."""
    partial_dates = getattr(cls, "PARTIAL_DATES", ())
    model = getattr(cls, "MODEL", None)
    columns = model.__table__.c if model is not None else {}
    plan = []
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not field.init or field.default is NOT_LOADED:
            continue
        column_type = columns[field.name].type if field.name in columns else None
        if field.name in ("id", "uuid"):
            plan.append((field.name, _ID if field.name == "id" else _UUID, None))
        elif field.name in partial_dates:
            plan.append((field.name, _PARTIAL_DATE, None))
        elif isinstance(column_type, sa.Enum):
            plan.append((field.name, _ENUM, column_type.enum_class))
        elif isinstance(column_type, sa.Numeric):
            plan.append((field.name, _NUMBER, None))
        else:
            plan.append((field.name, _COLUMN, None))
    return tuple(plan)


def _plain_number(value: Decimal | None) -> Decimal | None:
    # Numeric columns come back with their scale (37000000.000000); clients want 37000000.
    return Decimal(f"{value.normalize():f}") if value is not None else None


@strawberry.type(name="Country", description="ISO 3166-1 country")
class CountryType:
    MODEL: ClassVar[type] = Country

    code: str = strawberry.field(description="ISO 3166-1 alpha-2")
    name: str


@strawberry.type(name="Alias", description="Another name of a record: a spelling, abbreviation, translation…")
class AliasType:
    MODEL: ClassVar[type] = Alias

    name: str
    lang: str = strawberry.field(description="BCP-47 language tag")
    kind: AliasKind


@strawberry.type(name="ExternalIdentifier", description="A partner system's key for a record")
class ExternalIdentifierType:
    MODEL: ClassVar[type] = ExternalIdentifier

    scheme: str
    value: str


@strawberry.type(name="Citation", description="Where a statement comes from: a document and its own words")
class CitationType:
    MODEL: ClassVar[type] = Citation

    excerpt: str = strawberry.field(description="Verbatim from the source, one sentence at most")
    locator: str | None = strawberry.field(description="Where in the source, e.g. para. 21")
    note: str | None
    source_id: Private[uuid.UUID]

    RELATED: ClassVar[dict] = {"source": One(lazy("registry.graphql.sources.types:SourceType"), "source_id")}

    source: Annotated["SourceType", strawberry.lazy("..sources.types")] = related_field()


def _attached(table: Callable[[], sa.Table], cls: type) -> Attached:
    """Rows of a generic-relation table about the parent, each built as a `cls`."""
    return Attached(table, partial(build, cls), cls)


@strawberry.interface(description="Something backed by citations")
class Cited:
    uuid: Private[uuid.UUID]
    ENTITY_TYPE: ClassVar[EntityType]

    RELATED: ClassVar[dict] = {
        "citations": _attached(lambda: Citation.__table__, CitationType)
    }

    citations: list[CitationType] = related_field("The sources this statement rests on")


def _uuid_or_none(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


async def _compiled_nodes(
    info: Info, statement: NodeStatement | None, ids: list[uuid.UUID]
) -> dict[uuid.UUID, Any] | None:
    """The records of `ids` found by the compiled statement, None when the selection is not compiled
    or holds a value only the existing path reports (a null where the schema forbids one)."""
    if statement is None:
        return None
    try:
        return await statement.load(info.context.reads, ids)
    except Irregular:
        return None


async def page_nodes(cls: type, info: Info, rows: Sequence[RowMapping]) -> list[Any]:
    """The nodes of a connection page of `cls` from its keyset rows: their `edges { node }` selection
    compiled into one statement when it can be (`compiler.page_statement`), else built from the
    rows and their relationships loaded by `prefetch`."""
    ids = [row["id"] for row in rows]  # asyncpg's own UUIDs (`DriverStatement`) hash and compare as uuid.UUID
    by_id = await _compiled_nodes(info, page_statement(info, cls), ids)
    if by_id is not None and len(by_id) == len(ids):  # else a record was deleted since the keyset query
        return [by_id[i] for i in ids]
    nodes = [build(cls, row) for row in rows]
    await prefetch(info, nodes, selections_under(info.selected_fields[0].selections, "edges", "node"))
    return nodes


def _tag_name(row: RowMapping) -> str:
    return row["name"]


@strawberry.interface(description="A first-class record: versioned, named, cited")
class Record(Cited):
    MODEL: ClassVar[type]  # the SQLModel table class
    slug: str = strawberry.field(description="Stable human-readable key")
    version: int = strawberry.field(description="Increases on every change (optimistic concurrency)")
    created_at: datetime
    updated_at: datetime

    RELATED: ClassVar[dict] = {
        "aliases": _attached(lambda: Alias.__table__, AliasType),
        "identifiers": _attached(lambda: ExternalIdentifier.__table__, ExternalIdentifierType),
        "tags": Attached(lambda: Tag.__table__, _tag_name),
    }

    aliases: list[AliasType] = related_field("Other names: spelling variants, abbreviations, translations")
    identifiers: list[ExternalIdentifierType] = related_field("Keys partner systems know this record by")
    tags: list[str] = related_field()
    history: ChangeConnection = strawberry.field(
        resolver=record_history,
        description="This record's own changes, oldest first",
    )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        """Relay's node(id:) lookup: the selection compiled into one statement when it can be
        (`compiler`), else through the by-id loader and `prefetch`."""
        ids = [_uuid_or_none(node_id) for node_id in node_ids]
        present = [i for i in ids if i is not None]
        by_id = await _compiled_nodes(info, node_statement(info, cls), present)
        if by_id is None:
            by_id = dict(zip(present, await info.context.loaders.node(cls).load_many(present), strict=True))
            await prefetch(info, by_id.values(), info.selected_fields[0].selections)
        nodes = [by_id.get(i) for i in ids]
        if required and None in nodes:
            missing = [node_id for node_id, node in zip(node_ids, nodes, strict=True) if node is None]
            raise bad_argument("id", f"no {cls.__name__.removesuffix('Type')} with id {missing[0]!r}")
        return nodes
