"""Types every domain shares: partial dates, names, citations, and the `Record` interface."""

import dataclasses
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self, TypeVar

import sqlalchemy as sa
import strawberry
from sqlalchemy.engine import RowMapping
from strawberry import Info, Private

from ...models import Alias, Citation, Country, ExternalIdentifier, Source, Tag
from ...models.enums import EntityType
from ...partial_date import PartialDate
from .enums import AliasKind, DatePrecision
from .errors import bad_argument

if TYPE_CHECKING:
    from ..sources.types import SourceType

T = TypeVar("T")

__all__ = [
    "AliasType", "CitationType", "Cited", "CountryType", "PartialDateType", "Record", "build", "load_country",
    "load_node", "load_related",
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
        value = row[name]
        if value is None:
            return None
        parsed = PartialDate.parse(value)
        return cls(value=value, precision=parsed.precision, approximate=parsed.approximate,
                   lower=row[f"{name}_lower"], upper=row[f"{name}_upper"])


def build(cls: type[T], row: RowMapping) -> T:
    """A GraphQL object from a Core row: columns by name; `id` as the Node id; partial dates whole."""
    partial_dates = getattr(cls, "PARTIAL_DATES", ())
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not field.init:
            continue
        if field.name == "id":
            values["id"] = str(row["id"])
        elif field.name == "uuid":
            values["uuid"] = row["id"]
        elif field.name in partial_dates:
            values[field.name] = PartialDateType.from_columns(row, field.name)
        else:
            values[field.name] = _plain(row[field.name])
    return cls(**values)


def _plain(value: Any) -> Any:
    # Numeric columns come back with their scale (37000000.000000); clients want 37000000.
    return Decimal(f"{value.normalize():f}") if isinstance(value, Decimal) else value


@strawberry.type(name="Country", description="ISO 3166-1 country")
class CountryType:
    code: str = strawberry.field(description="ISO 3166-1 alpha-2")
    name: str


async def load_country(info: Info, code: str | None) -> CountryType | None:
    if code is None:
        return None
    row = await info.context.loaders.by_id(Country.__table__).load(code)
    return CountryType(code=row["code"], name=row["name"]) if row else None


@strawberry.type(name="Alias", description="Another name of a record: a spelling, abbreviation, translation…")
class AliasType:
    name: str
    lang: str = strawberry.field(description="BCP-47 language tag")
    kind: AliasKind


@strawberry.type(name="ExternalIdentifier", description="A partner system's key for a record")
class ExternalIdentifierType:
    scheme: str
    value: str


@strawberry.type(name="Citation", description="Where a statement comes from: a document and its own words")
class CitationType:
    excerpt: str = strawberry.field(description="Verbatim from the source, one sentence at most")
    locator: str | None = strawberry.field(description="Where in the source, e.g. para. 21")
    note: str | None
    source_id: Private[uuid.UUID]

    @strawberry.field
    async def source(self, info: Info) -> Annotated["SourceType", strawberry.lazy("..sources.types")]:
        from ..sources.types import SourceType

        return build(SourceType, await info.context.loaders.by_id(Source.__table__).load(self.source_id))


@strawberry.interface(description="Something backed by citations")
class Cited:
    uuid: Private[uuid.UUID]
    ENTITY_TYPE: ClassVar[EntityType]

    @strawberry.field(description="The sources this statement rests on")
    async def citations(self, info: Info) -> list[CitationType]:
        rows = await info.context.loaders.for_subject(Citation.__table__, self.ENTITY_TYPE).load(self.uuid)
        return [
            CitationType(excerpt=r["excerpt"], locator=r["locator"], note=r["note"], source_id=r["source_id"])
            for r in rows
        ]


def _uuid_or_none(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


@strawberry.interface(description="A first-class record: versioned, named, cited")
class Record(Cited):
    MODEL: ClassVar[type]  # the SQLModel table class
    slug: str = strawberry.field(description="Stable human-readable key")
    version: int = strawberry.field(description="Increases on every change (optimistic concurrency)")
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="Other names: spelling variants, abbreviations, translations")
    async def aliases(self, info: Info) -> list[AliasType]:
        rows = await info.context.loaders.for_subject(Alias.__table__, self.ENTITY_TYPE).load(self.uuid)
        return [AliasType(name=r["name"], lang=r["lang"], kind=r["kind"]) for r in rows]

    @strawberry.field(description="Keys partner systems know this record by")
    async def identifiers(self, info: Info) -> list[ExternalIdentifierType]:
        loader = info.context.loaders.for_subject(ExternalIdentifier.__table__, self.ENTITY_TYPE)
        return [ExternalIdentifierType(scheme=r["scheme"], value=r["value"]) for r in await loader.load(self.uuid)]

    @strawberry.field
    async def tags(self, info: Info) -> list[str]:
        rows = await info.context.loaders.for_subject(Tag.__table__, self.ENTITY_TYPE).load(self.uuid)
        return [r["name"] for r in rows]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Self | None]:
        """Relay's node(id:) lookup, batched through the by-id loader."""
        ids = [_uuid_or_none(node_id) for node_id in node_ids]
        loader = info.context.loaders.by_id(cls.MODEL.__table__)
        rows = await loader.load_many([i for i in ids if i is not None])
        found = {row["id"]: row for row in rows if row is not None}
        nodes = [build(cls, found[i]) if i in found else None for i in ids]
        if required and None in nodes:
            missing = [node_id for node_id, node in zip(node_ids, nodes, strict=True) if node is None]
            raise bad_argument("id", f"no {cls.__name__.removesuffix('Type')} with id {missing[0]!r}")
        return nodes


async def load_node(info: Info, cls: type[T], key: Any) -> T | None:
    """The live record `key` of `cls` (a Record type), through this request's loader."""
    if key is None:
        return None
    row = await info.context.loaders.by_id(cls.MODEL.__table__).load(key)
    return build(cls, row) if row is not None else None


async def load_related(info: Info, cls: type[T], table: sa.Table, column: str, key: Any) -> list[T]:
    """Every live row of `table` whose `column` is `key`, as `cls` objects."""
    return [build(cls, row) for row in await info.context.loaders.by_column(table, column).load(key)]
