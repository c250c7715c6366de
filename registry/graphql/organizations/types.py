import uuid
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry import Info, Private, relay

from ...models import (
    Organization,
)
from ...models.enums import EntityType
from ..core.enums import OrganizationKind
from ..core.types import CountryType, PartialDateType, Record, load_node, load_related

if TYPE_CHECKING:
    from ..agreements.types import AgreementPartyType, AgreementSignatoryType
    from ..events.types import EventParticipantType
    from ..figures.types import FigureType
    from ..people.types import PositionType
    from ..projects.types import ProjectParticipantType

__all__ = ["OrganizationType"]


@strawberry.type(name="Organization", description="A state, ministry, company, bank, embassy, association…")
class OrganizationType(Record, relay.Node):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.ORGANIZATION
    MODEL: ClassVar[type] = Organization
    PARTIAL_DATES: ClassVar[tuple[str, ...]] = ("founded", "dissolved")

    id: relay.NodeID[str]
    name: str = strawberry.field(description="Preferred name; other spellings are in aliases")
    kind: OrganizationKind
    city: str | None
    founded: PartialDateType | None
    dissolved: PartialDateType | None
    description: str | None
    country_code: Private[str | None]
    parent_id: Private[uuid.UUID | None]

    @strawberry.field
    def country(self, info: Info) -> CountryType | None:
        return load_node(info, CountryType, self.country_code)

    @strawberry.field(description="The organization this one belongs to")
    def parent(self, info: Info) -> "OrganizationType | None":
        return load_node(info, OrganizationType, self.parent_id)

    @strawberry.field(description="Organizations that belong to this one")
    def children(self, info: Info) -> list["OrganizationType"]:
        return load_related(info, OrganizationType, "parent_id", self.uuid)

    @strawberry.field(description="Posts people held here")
    def positions(self, info: Info) -> list[Annotated["PositionType", strawberry.lazy("..people.types")]]:
        from ..people.types import PositionType

        return load_related(info, PositionType, "organization_id", self.uuid)

    @strawberry.field(description="Projects it takes part in, with its role")
    def projects(
        self, info: Info
    ) -> list[Annotated["ProjectParticipantType", strawberry.lazy("..projects.types")]]:
        from ..projects.types import ProjectParticipantType

        return load_related(info, ProjectParticipantType, "organization_id", self.uuid)

    @strawberry.field(description="Agreements it is a party to")
    def agreements(
        self, info: Info
    ) -> list[Annotated["AgreementPartyType", strawberry.lazy("..agreements.types")]]:
        from ..agreements.types import AgreementPartyType

        return load_related(info, AgreementPartyType, "organization_id", self.uuid)

    @strawberry.field(description="Agreements signed on its behalf")
    def signatures(
        self, info: Info
    ) -> list[Annotated["AgreementSignatoryType", strawberry.lazy("..agreements.types")]]:
        from ..agreements.types import AgreementSignatoryType

        return load_related(info, AgreementSignatoryType, "organization_id", self.uuid)

    @strawberry.field(description="Events it took part in, with its role")
    def events(
        self, info: Info
    ) -> list[Annotated["EventParticipantType", strawberry.lazy("..events.types")]]:
        from ..events.types import EventParticipantType

        return load_related(info, EventParticipantType, "organization_id", self.uuid)

    @strawberry.field(description="Figures stated about it")
    def figures(self, info: Info) -> list[Annotated["FigureType", strawberry.lazy("..figures.types")]]:
        from ..figures.types import FigureType

        return load_related(info, FigureType, "subject_organization_id", self.uuid)
