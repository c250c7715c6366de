"""Types every domain shares: partial dates, names, citations, and the `Record` interface."""

import dataclasses
import uuid
from collections.abc import Awaitable, Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self, TypeVar

import strawberry
from sqlalchemy.engine import RowMapping
from strawberry import Info, Private

from ...models import Alias, Citation, Country, ExternalIdentifier, Tag
from ...models.enums import EntityType
from ...partial_date import PartialDate
from .enums import AliasKind, DatePrecision
from .errors import bad_argument

if TYPE_CHECKING:
    from ..sources.types import SourceType

T = TypeVar("T")

__all__ = [
    "AliasType", "CitationType", "Cited", "CountryType", "PartialDateType", "Record", "build", "load_node",
    "load_related",
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

    @strawberry.field
    def source(self, info: Info) -> Annotated["SourceType", strawberry.lazy("..sources.types")]:
        from ..sources.types import SourceType

        return load_node(info, SourceType, self.source_id)


@strawberry.interface(description="Something backed by citations")
class Cited:
    uuid: Private[uuid.UUID]
    ENTITY_TYPE: ClassVar[EntityType]

    @strawberry.field(description="The sources this statement rests on")
    def citations(self, info: Info) -> list[CitationType]:
        return _attached(info, CitationType, self)


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
    def aliases(self, info: Info) -> list[AliasType]:
        return _attached(info, AliasType, self)

    @strawberry.field(description="Keys partner systems know this record by")
    def identifiers(self, info: Info) -> list[ExternalIdentifierType]:
        return _attached(info, ExternalIdentifierType, self)

    @strawberry.field
    def tags(self, info: Info) -> list[str]:
        loader = info.context.loaders.attached(Tag.__table__, self.ENTITY_TYPE, _tag_name)
        return loader.load(self.uuid)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Self | None]:
        """Relay's node(id:) lookup, batched through the by-id loader."""
        ids = [_uuid_or_none(node_id) for node_id in node_ids]
        found = await info.context.loaders.node(cls).load_many([i for i in ids if i is not None])
        by_id = dict(zip([i for i in ids if i is not None], found, strict=True))
        nodes = [by_id.get(i) for i in ids]
        if required and None in nodes:
            missing = [node_id for node_id, node in zip(node_ids, nodes, strict=True) if node is None]
            raise bad_argument("id", f"no {cls.__name__.removesuffix('Type')} with id {missing[0]!r}")
        return nodes


def load_node(info: Info, cls: type[T], key: Any) -> Awaitable[T | None] | None:
    """The live record `key` of `cls`, through this request's loader (a future, not a coroutine)."""
    return None if key is None else info.context.loaders.node(cls).load(key)


def load_related(info: Info, cls: type[T], column: str, key: Any) -> Awaitable[list[T]]:
    """Every live row of `cls`'s table whose `column` is `key`."""
    return info.context.loaders.related(cls, column).load(key)


def _attached(info: Info, cls: type[T], subject: Cited) -> Awaitable[list[T]]:
    table = cls.MODEL.__table__
    return info.context.loaders.attached(table, subject.ENTITY_TYPE, partial(build, cls)).load(subject.uuid)


def _tag_name(row: RowMapping) -> str:
    return row["name"]
