import uuid
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry import Info, Private, relay

from ...models import Event, EventParticipant
from ...models.enums import EntityType
from ..core.enums import EventKind, EventParticipantRole
from ..core.participation import Participation
from ..core.types import CountryType, PartialDateType, Record, load_node, load_related

if TYPE_CHECKING:
    from ..agreements.types import AgreementType
    from ..projects.types import ProjectEventType

__all__ = ["EventParticipantType", "EventType"]


@strawberry.type(name="Event", description="An official visit, summit, exhibition, commission session…")
class EventType(Record, relay.Node):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.EVENT
    MODEL: ClassVar[type] = Event
    PARTIAL_DATES: ClassVar[tuple[str, ...]] = ("date",)

    id: relay.NodeID[str]
    title: str
    kind: EventKind
    date: PartialDateType | None
    city: str | None
    description: str | None
    country_code: Private[str | None]

    @strawberry.field
    def country(self, info: Info) -> CountryType | None:
        return load_node(info, CountryType, self.country_code)

    @strawberry.field(description="People and organizations present, with their role")
    def participants(self, info: Info) -> list["EventParticipantType"]:
        return load_related(info, EventParticipantType, "event_id", self.uuid)

    @strawberry.field(description="Outcome: agreements signed at this event")
    def agreements_signed(
        self, info: Info
    ) -> list[Annotated["AgreementType", strawberry.lazy("..agreements.types")]]:
        from ..agreements.types import AgreementType

        return load_related(info, AgreementType, "signing_event_id", self.uuid)

    @strawberry.field(description="Outcome: projects launched, discussed or advanced here")
    def projects(self, info: Info) -> list[Annotated["ProjectEventType", strawberry.lazy("..projects.types")]]:
        from ..projects.types import ProjectEventType

        return load_related(info, ProjectEventType, "event_id", self.uuid)


@strawberry.type(name="EventParticipant", description="A person or organization at an event, with a role")
class EventParticipantType(Participation):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.EVENT_PARTICIPANT
    MODEL: ClassVar[type] = EventParticipant

    role: EventParticipantRole
    event_id: Private[uuid.UUID]

    @strawberry.field
    def event(self, info: Info) -> EventType | None:
        return load_node(info, EventType, self.event_id)
