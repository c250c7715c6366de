"""Source documents: the records every citation points at."""

from pydantic import Field

from ..models import Source
from ..models.enums import EntityType
from .entities import EntitySpec
from .inputs import CitationIn, EntityIn, PartialDateText, Text

__all__ = ["SOURCE", "SourceIn"]


class SourceIn(EntityIn):
    file: Text
    title: Text
    author: str | None = None
    publication: str | None = None
    published: PartialDateText = None
    url: str | None = Field(default=None, max_length=500)
    description: str | None = None
    citations: list[CitationIn] = Field(default_factory=list)  # a source is its own evidence


SOURCE = EntitySpec(
    model=Source, entity_type=EntityType.SOURCE, name_field="title", input=SourceIn, partial_dates=("published",)
)
