from pydantic import Field, model_validator

from ..models import Country, Event, EventParticipant, Organization, Person
from ..models.enums import EntityType, EventKind, EventParticipantRole
from .entities import EntitySpec, RelationSpec
from .inputs import EntityIn, PartialDateText, RelationIn, Slug, Text

__all__ = ["EVENT", "EventIn", "EventParticipantIn", "OrganizationOrPerson"]


class OrganizationOrPerson(RelationIn):
    organization: Slug | None = None
    person: Slug | None = None

    @model_validator(mode="after")
    def _someone(self):
        if self.organization is None and self.person is None:
            raise ValueError("name an organization or a person (or both)")
        return self


class EventParticipantIn(OrganizationOrPerson):
    role: EventParticipantRole


class EventIn(EntityIn):
    title: Text
    kind: EventKind
    date: PartialDateText = None
    country: str | None = None
    city: str | None = None
    description: str | None = None
    participants: list[EventParticipantIn] = Field(default_factory=list)


EVENT = EntitySpec(
    model=Event,
    entity_type=EntityType.EVENT,
    name_field="title",
    input=EventIn,
    refs={"country": Country},
    partial_dates=("date",),
    relations=(
        RelationSpec(
            field="participants", model=EventParticipant, entity_type=EntityType.EVENT_PARTICIPANT,
            parent_column="event_id", refs={"organization": Organization, "person": Person},
        ),
    ),
)
