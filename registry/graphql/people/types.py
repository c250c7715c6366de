import uuid
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry import Info, Private, relay

from ...models import Person, Position
from ...models.enums import EntityType
from ..core.types import Cited, CountryType, PartialDateType, Record, load_node, load_related

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

    id: relay.NodeID[str]
    display_name: str = strawberry.field(description="Preferred full name; other spellings are in aliases")
    given_name: str | None
    family_name: str | None
    patronymic: str | None
    description: str | None
    country_code: Private[str | None]

    @strawberry.field
    def country(self, info: Info) -> CountryType | None:
        return load_node(info, CountryType, self.country_code)

    @strawberry.field(description="Posts held, each with its period or the date it is known for")
    def positions(self, info: Info) -> list["PositionType"]:
        return load_related(info, PositionType, "person_id", self.uuid)

    @strawberry.field(description="Events attended, with the role")
    def events(
        self, info: Info
    ) -> list[Annotated["EventParticipantType", strawberry.lazy("..events.types")]]:
        from ..events.types import EventParticipantType

        return load_related(info, EventParticipantType, "person_id", self.uuid)

    @strawberry.field(description="Agreements this person signed")
    def agreements_signed(
        self, info: Info
    ) -> list[Annotated["AgreementSignatoryType", strawberry.lazy("..agreements.types")]]:
        from ..agreements.types import AgreementSignatoryType

        return load_related(info, AgreementSignatoryType, "person_id", self.uuid)

    @strawberry.field(description="Projects this person took part in")
    def projects(
        self, info: Info
    ) -> list[Annotated["ProjectParticipantType", strawberry.lazy("..projects.types")]]:
        from ..projects.types import ProjectParticipantType

        return load_related(info, ProjectParticipantType, "person_id", self.uuid)


@strawberry.type(name="Position", description="A post a person held in an organization")
class PositionType(Cited):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.POSITION
    MODEL: ClassVar[type] = Position
    PARTIAL_DATES: ClassVar[tuple[str, ...]] = ("period", "as_of")

    title: str
    period: PartialDateType | None = strawberry.field(description="When the post was held")
    as_of: PartialDateType | None = strawberry.field(description="When only this date is known to fall in it")
    person_id: Private[uuid.UUID]
    organization_id: Private[uuid.UUID | None]

    @strawberry.field
    def person(self, info: Info) -> PersonType | None:
        return load_node(info, PersonType, self.person_id)

    @strawberry.field
    def organization(
        self, info: Info
    ) -> Annotated["OrganizationType", strawberry.lazy("..organizations.types")] | None:
        from ..organizations.types import OrganizationType

        return load_node(info, OrganizationType, self.organization_id)
