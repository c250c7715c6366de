from typing import ClassVar

import strawberry
from strawberry import relay

from ...models import Source
from ...models.enums import EntityType
from ..core.types import PartialDateType, Record

__all__ = ["SourceType"]


@strawberry.type(name="Source", description="A document the registry's statements come from")
class SourceType(Record, relay.Node):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.SOURCE
    MODEL: ClassVar[type] = Source
    PARTIAL_DATES: ClassVar[tuple[str, ...]] = ("published",)

    id: relay.NodeID[str]
    file: str = strawberry.field(description="File name of the document")
    title: str
    author: str | None
    publication: str | None
    published: PartialDateType | None
    url: str | None
    description: str | None
