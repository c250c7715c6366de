import uuid
from typing import TYPE_CHECKING, Annotated, ClassVar

import sqlalchemy as sa
import strawberry
from strawberry import Info, Private, relay

from ...models import AgreementParty, AgreementSignatory, EventParticipant, Figure, Organization, Position
from ...models import ProjectParticipant
from ...models.enums import EntityType
from ..core.enums import OrganizationKind
from ..core.types import CountryType, PartialDateType, Record, load_country, load_node, load_related

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
    async def country(self, info: Info) -> CountryType | None:
        return await load_country(info, self.country_code)

    @strawberry.field(description="The organization this one belongs to")
    async def parent(self, info: Info) -> "OrganizationType | None":
        return await load_node(info, OrganizationType, self.parent_id)

    @strawberry.field(description="Organizations that belong to this one")
    async def children(self, info: Info) -> list["OrganizationType"]:
        return await load_related(info, OrganizationType, Organization.__table__, "parent_id", self.uuid)

    @strawberry.field(description="Posts people held here")
    async def positions(self, info: Info) -> list[Annotated["PositionType", strawberry.lazy("..people.types")]]:
        from ..people.types import PositionType

        return await load_related(info, PositionType, Position.__table__, "organization_id", self.uuid)

    @strawberry.field(description="Projects it takes part in, with its role")
    async def projects(
        self, info: Info
    ) -> list[Annotated["ProjectParticipantType", strawberry.lazy("..projects.types")]]:
        from ..projects.types import ProjectParticipantType

        return await load_related(info, ProjectParticipantType, ProjectParticipant.__table__, "organization_id",
                                  self.uuid)

    @strawberry.field(description="Agreements it is a party to")
    async def agreements(
        self, info: Info
    ) -> list[Annotated["AgreementPartyType", strawberry.lazy("..agreements.types")]]:
        from ..agreements.types import AgreementPartyType

        return await load_related(info, AgreementPartyType, AgreementParty.__table__, "organization_id", self.uuid)

    @strawberry.field(description="Agreements signed on its behalf")
    async def signatures(
        self, info: Info
    ) -> list[Annotated["AgreementSignatoryType", strawberry.lazy("..agreements.types")]]:
        from ..agreements.types import AgreementSignatoryType

        return await load_related(info, AgreementSignatoryType, AgreementSignatory.__table__, "organization_id",
                                  self.uuid)

    @strawberry.field(description="Events it took part in, with its role")
    async def events(
        self, info: Info
    ) -> list[Annotated["EventParticipantType", strawberry.lazy("..events.types")]]:
        from ..events.types import EventParticipantType

        return await load_related(info, EventParticipantType, EventParticipant.__table__, "organization_id",
                                  self.uuid)

    @strawberry.field(description="Figures stated about it")
    async def figures(self, info: Info) -> list[Annotated["FigureType", strawberry.lazy("..figures.types")]]:
        from ..figures.types import FigureType

        return await load_related(info, FigureType, Figure.__table__, "subject_organization_id", self.uuid)
