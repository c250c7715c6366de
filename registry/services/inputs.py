"""Input shapes shared by every writer (seed, GraphQL, admin, CLI): validated before any write."""

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

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


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(item) for item in value]
    return value


class StrictModel(BaseModel):
    """Unknown fields are refused; every string is Unicode-normalised (NFC) and trimmed."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False, frozen=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _normalise_strings(cls, data: Any) -> Any:
        # nested inputs are StrictModels too and normalise their own strings
        return {name: _nfc(value) for name, value in data.items()} if isinstance(data, dict) else data


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

    aliases: list[AliasIn] = Field(default_factory=list)
    identifiers: list[IdentifierIn] = Field(default_factory=list)
    tags: list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=50)]] = Field(default_factory=list)
    citations: list[CitationIn] = Field(min_length=1)
