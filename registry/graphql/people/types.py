import uuid
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry import Private, relay

from ...models import Person, Position
from ...models.enums import EntityType
from ..core.prefetch import Many, One, lazy, related_field
from ..core.types import Cited, CountryType, PartialDateType, Record

if TYPE_CHECKING:
    from ..agreements.types import AgreementSignatoryType
    from ..events.types import EventParticipantType
    from ..organizations.types import OrganizationType
    from ..projects.types import ProjectParticipantType

__all__ = ["PersonType", "PositionType"]


@strawberry.type(name="Person")
class PersonType(Record, relay.Node):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.PERSON
    MODEL: ClassVar[type] = Person
    RELATED: ClassVar[dict] = {
        "country": One(lazy("registry.graphql.core.types:CountryType"), "country_code"),
        "positions": Many(lazy("registry.graphql.people.types:PositionType"), "person_id"),
        "events": Many(lazy("registry.graphql.events.types:EventParticipantType"), "person_id"),
        "agreements_signed": Many(
            lazy("registry.graphql.agreements.types:AgreementSignatoryType"), "person_id"
        ),
        "projects": Many(lazy("registry.graphql.projects.types:ProjectParticipantType"), "person_id"),
    }

    id: relay.NodeID[str]
    display_name: str = strawberry.field(description="Preferred full name; other spellings are in aliases")
    given_name: str | None
    family_name: str | None
    patronymic: str | None
    description: str | None
    country_code: Private[str | None]

    country: CountryType | None = related_field()
    positions: list["PositionType"] = related_field(
        "Posts held, each with its period or the date it is known for"
    )
    events: list[Annotated["EventParticipantType", strawberry.lazy("..events.types")]] = related_field(
        "Events attended, with the role"
    )
    agreements_signed: list[Annotated["AgreementSignatoryType", strawberry.lazy("..agreements.types")]] = (
        related_field("Agreements this person signed")
    )
    projects: list[Annotated["ProjectParticipantType", strawberry.lazy("..projects.types")]] = related_field(
        "Projects this person took part in"
    )


@strawberry.type(name="Position", description="A post a person held in an organization")
class PositionType(Cited):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.POSITION
    MODEL: ClassVar[type] = Position
    PARTIAL_DATES: ClassVar[tuple[str, ...]] = ("period", "as_of")
    RELATED: ClassVar[dict] = {
        "person": One(lazy("registry.graphql.people.types:PersonType"), "person_id"),
        "organization": One(lazy("registry.graphql.organizations.types:OrganizationType"), "organization_id"),
    }

    title: str
    period: PartialDateType | None = strawberry.field(description="When the post was held")
    as_of: PartialDateType | None = strawberry.field(description="When only this date is known to fall in it")
    person_id: Private[uuid.UUID]
    organization_id: Private[uuid.UUID | None]

    person: PersonType | None = related_field()
    organization: Annotated["OrganizationType", strawberry.lazy("..organizations.types")] | None = (
        related_field()
    )
