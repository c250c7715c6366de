import uuid
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry import Private, relay

from ...models import (
    Organization,
)
from ...models.enums import EntityType
from ..core.enums import OrganizationKind
from ..core.prefetch import Many, One, lazy, related_field
from ..core.types import CountryType, PartialDateType, Record

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
    RELATED: ClassVar[dict] = {
        "country": One(lazy("registry.graphql.core.types:CountryType"), "country_code"),
        "parent": One(lazy("registry.graphql.organizations.types:OrganizationType"), "parent_id"),
        "children": Many(lazy("registry.graphql.organizations.types:OrganizationType"), "parent_id"),
        "positions": Many(lazy("registry.graphql.people.types:PositionType"), "organization_id"),
        "projects": Many(lazy("registry.graphql.projects.types:ProjectParticipantType"), "organization_id"),
        "agreements": Many(lazy("registry.graphql.agreements.types:AgreementPartyType"), "organization_id"),
        "signatures": Many(
            lazy("registry.graphql.agreements.types:AgreementSignatoryType"), "organization_id"
        ),
        "events": Many(lazy("registry.graphql.events.types:EventParticipantType"), "organization_id"),
        "figures": Many(lazy("registry.graphql.figures.types:FigureType"), "subject_organization_id"),
    }

    id: relay.NodeID[str]
    name: str = strawberry.field(description="Preferred name; other spellings are in aliases")
    kind: OrganizationKind
    city: str | None
    founded: PartialDateType | None
    dissolved: PartialDateType | None
    description: str | None
    country_code: Private[str | None]
    parent_id: Private[uuid.UUID | None]

    country: CountryType | None = related_field()
    parent: "OrganizationType | None" = related_field("The organization this one belongs to")
    children: list["OrganizationType"] = related_field("Organizations that belong to this one")
    positions: list[Annotated["PositionType", strawberry.lazy("..people.types")]] = related_field(
        "Posts people held here"
    )
    projects: list[Annotated["ProjectParticipantType", strawberry.lazy("..projects.types")]] = related_field(
        "Projects it takes part in, with its role"
    )
    agreements: list[Annotated["AgreementPartyType", strawberry.lazy("..agreements.types")]] = related_field(
        "Agreements it is a party to"
    )
    signatures: list[Annotated["AgreementSignatoryType", strawberry.lazy("..agreements.types")]] = (
        related_field("Agreements signed on its behalf")
    )
    events: list[Annotated["EventParticipantType", strawberry.lazy("..events.types")]] = related_field(
        "Events it took part in, with its role"
    )
    figures: list[Annotated["FigureType", strawberry.lazy("..figures.types")]] = related_field(
        "Figures stated about it"
    )
