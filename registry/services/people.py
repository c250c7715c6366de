from pydantic import Field

from ..models import Country, Organization, Person, Position
from ..models.enums import EntityType
from .entities import EntitySpec, RelationSpec
from .inputs import EntityIn, PartialDateText, RelationIn, Slug, Text

__all__ = ["PERSON", "PersonIn", "PositionIn"]


class PositionIn(RelationIn):
    organization: Slug | None = None
    title: Text
    period: PartialDateText = None
    as_of: PartialDateText = None


class PersonIn(EntityIn):
    display_name: Text
    given_name: str | None = None
    family_name: str | None = None
    patronymic: str | None = None
    country: str | None = None
    description: str | None = None
    positions: list[PositionIn] = Field(default_factory=list)


PERSON = EntitySpec(
    model=Person,
    entity_type=EntityType.PERSON,
    name_field="display_name",
    input=PersonIn,
    refs={"country": Country},
    relations=(
        RelationSpec(
            field="positions", model=Position, entity_type=EntityType.POSITION, parent_column="person_id",
            refs={"organization": Organization}, partial_dates=("period", "as_of"),
        ),
    ),
)
