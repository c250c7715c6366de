import uuid
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry import Private, relay

from ...models import Agreement, AgreementParty, AgreementSignatory
from ...models.enums import EntityType
from ..core.enums import AgreementKind, AgreementPartyRole, AgreementStatus
from ..core.prefetch import Many, One, lazy, related_field
from ..core.types import Cited, CountryType, PartialDateType, Record

if TYPE_CHECKING:
    from ..events.types import EventType
    from ..organizations.types import OrganizationType
    from ..people.types import PersonType
    from ..projects.types import ProjectAgreementType

__all__ = ["AgreementPartyType", "AgreementSignatoryType", "AgreementType"]

Organization = Annotated["OrganizationType", strawberry.lazy("..organizations.types")]


@strawberry.type(
    name="Agreement", description="A treaty or agreement; each step of its life has its own date"
)
class AgreementType(Record, relay.Node):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.AGREEMENT
    MODEL: ClassVar[type] = Agreement
    PARTIAL_DATES: ClassVar[tuple[str, ...]] = (
        "initialed",
        "signed",
        "ratified",
        "in_force",
        "ended",
        "valid",
    )
    RELATED: ClassVar[dict] = {
        "country": One(lazy("registry.graphql.core.types:CountryType"), "country_code"),
        "parties": Many(lazy("registry.graphql.agreements.types:AgreementPartyType"), "agreement_id"),
        "signatories": Many(lazy("registry.graphql.agreements.types:AgreementSignatoryType"), "agreement_id"),
        "signing_event": One(lazy("registry.graphql.events.types:EventType"), "signing_event_id"),
        "projects": Many(lazy("registry.graphql.projects.types:ProjectAgreementType"), "agreement_id"),
    }

    id: relay.NodeID[str]
    title: str
    kind: AgreementKind
    status: AgreementStatus = strawberry.field(description="The furthest step the sources attest")
    initialed: PartialDateType | None
    signed: PartialDateType | None
    ratified: PartialDateType | None
    in_force: PartialDateType | None = strawberry.field(description="Entry into force (not the signature)")
    ended: PartialDateType | None = strawberry.field(description="Expiry or termination")
    valid: PartialDateType | None = strawberry.field(description="Validity period")
    city: str | None = strawberry.field(description="Where it was signed")
    description: str | None
    country_code: Private[str | None]
    signing_event_id: Private[uuid.UUID | None]

    country: CountryType | None = related_field("Where it was signed")
    parties: list["AgreementPartyType"] = related_field()
    signatories: list["AgreementSignatoryType"] = related_field()
    signing_event: Annotated["EventType", strawberry.lazy("..events.types")] | None = related_field(
        "The event at which it was signed"
    )
    projects: list[Annotated["ProjectAgreementType", strawberry.lazy("..projects.types")]] = related_field(
        "Projects resting on it"
    )


@strawberry.type(name="AgreementParty", description="A party to an agreement")
class AgreementPartyType(Cited):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.AGREEMENT_PARTY
    MODEL: ClassVar[type] = AgreementParty
    RELATED: ClassVar[dict] = {
        "agreement": One(lazy("registry.graphql.agreements.types:AgreementType"), "agreement_id"),
        "organization": One(lazy("registry.graphql.organizations.types:OrganizationType"), "organization_id"),
    }

    role: AgreementPartyRole
    agreement_id: Private[uuid.UUID]
    organization_id: Private[uuid.UUID]

    agreement: AgreementType | None = related_field()
    organization: Organization | None = related_field()


@strawberry.type(name="AgreementSignatory", description="A person who signed, on behalf of an organization")
class AgreementSignatoryType(Cited):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.AGREEMENT_SIGNATORY
    MODEL: ClassVar[type] = AgreementSignatory
    RELATED: ClassVar[dict] = {
        "agreement": One(lazy("registry.graphql.agreements.types:AgreementType"), "agreement_id"),
        "person": One(lazy("registry.graphql.people.types:PersonType"), "person_id"),
        "organization": One(lazy("registry.graphql.organizations.types:OrganizationType"), "organization_id"),
    }

    agreement_id: Private[uuid.UUID]
    person_id: Private[uuid.UUID]
    organization_id: Private[uuid.UUID | None]

    agreement: AgreementType | None = related_field()
    person: Annotated["PersonType", strawberry.lazy("..people.types")] | None = related_field()
    organization: Organization | None = related_field("On whose behalf")
