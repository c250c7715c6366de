import uuid
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry import Private, relay

from ...models import Event, EventParticipant
from ...models.enums import EntityType
from ..core.enums import EventKind, EventParticipantRole
from ..core.participation import Participation
from ..core.prefetch import Many, One, lazy, related_field
from ..core.types import CountryType, PartialDateType, Record

if TYPE_CHECKING:
    from ..agreements.types import AgreementType
    from ..projects.types import ProjectEventType

__all__ = ["EventParticipantType", "EventType"]


@strawberry.type(name="Event", description="An official visit, summit, exhibition, commission session…")
class EventType(Record, relay.Node):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.EVENT
    MODEL: ClassVar[type] = Event
    PARTIAL_DATES: ClassVar[tuple[str, ...]] = ("date",)
    RELATED: ClassVar[dict] = {
        "country": One(lazy("registry.graphql.core.types:CountryType"), "country_code"),
        "participants": Many(lazy("registry.graphql.events.types:EventParticipantType"), "event_id"),
        "agreements_signed": Many(
            lazy("registry.graphql.agreements.types:AgreementType"), "signing_event_id"
        ),
        "projects": Many(lazy("registry.graphql.projects.types:ProjectEventType"), "event_id"),
    }

    id: relay.NodeID[str]
    title: str
    kind: EventKind
    date: PartialDateType | None
    city: str | None
    description: str | None
    country_code: Private[str | None]

    country: CountryType | None = related_field()
    participants: list["EventParticipantType"] = related_field(
        "People and organizations present, with their role"
    )
    agreements_signed: list[Annotated["AgreementType", strawberry.lazy("..agreements.types")]] = (
        related_field("Outcome: agreements signed at this event")
    )
    projects: list[Annotated["ProjectEventType", strawberry.lazy("..projects.types")]] = related_field(
        "Outcome: projects launched, discussed or advanced here"
    )


@strawberry.type(name="EventParticipant", description="A person or organization at an event, with a role")
class EventParticipantType(Participation):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.EVENT_PARTICIPANT
    MODEL: ClassVar[type] = EventParticipant
    RELATED: ClassVar[dict] = {
        "event": One(lazy("registry.graphql.events.types:EventType"), "event_id"),
    }

    role: EventParticipantRole
    event_id: Private[uuid.UUID]

    event: EventType | None = related_field()
