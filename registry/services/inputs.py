"""Input shapes shared by every writer (seed, GraphQL, admin, CLI): validated before any write."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from ..models.enums import AliasKind
from ..partial_date import PartialDate

__all__ = [
    "AliasIn",
    "CitationIn",
    "EntityIn",
    "IdentifierIn",
    "PartialDateText",
    "RelationIn",
    "Slug",
    "Text",
]


def _check_partial_date(value: str | None) -> str | None:
    if value is not None:
        PartialDate.parse(value)  # raises PartialDateError (a ValueError) with the reason
    return value


Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=120)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
PartialDateText = Annotated[str | None, AfterValidator(_check_partial_date)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False, frozen=True)


class CitationIn(StrictModel):
    source: Slug
    excerpt: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    locator: str | None = Field(default=None, max_length=100)
    note: str | None = None


class AliasIn(StrictModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    lang: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = "en"
    kind: AliasKind = AliasKind.SPELLING_VARIANT


class IdentifierIn(StrictModel):
    scheme: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=50)]
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class RelationIn(StrictModel):
    """A relationship row: must cite its source like any record."""

    citations: list[CitationIn] = Field(min_length=1)


class EntityIn(StrictModel):
    """What every first-class record carries besides its own fields."""

    aliases: list[AliasIn] = []
    identifiers: list[IdentifierIn] = []
    tags: list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=50)]] = []
    citations: list[CitationIn] = Field(min_length=1)
