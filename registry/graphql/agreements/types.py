import uuid
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry import Info, Private, relay

from ...models import Agreement, AgreementParty, AgreementSignatory
from ...models.enums import EntityType
from ..core.enums import AgreementKind, AgreementPartyRole, AgreementStatus
from ..core.types import Cited, CountryType, PartialDateType, Record, load_node, load_related

if TYPE_CHECKING:
    from ..events.types import EventType
    from ..organizations.types import OrganizationType
    from ..people.types import PersonType
    from ..projects.types import ProjectAgreementType

__all__ = ["AgreementPartyType", "AgreementSignatoryType", "AgreementType"]

Organization = Annotated["OrganizationType", strawberry.lazy("..organizations.types")]


@strawberry.type(name="Agreement", description="A treaty or agreement; each step of its life has its own date")
class AgreementType(Record, relay.Node):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.AGREEMENT
    MODEL: ClassVar[type] = Agreement
    PARTIAL_DATES: ClassVar[tuple[str, ...]] = ("initialed", "signed", "ratified", "in_force", "ended", "valid")

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

    @strawberry.field(description="Where it was signed")
    def country(self, info: Info) -> CountryType | None:
        return load_node(info, CountryType, self.country_code)

    @strawberry.field
    def parties(self, info: Info) -> list["AgreementPartyType"]:
        return load_related(info, AgreementPartyType, "agreement_id", self.uuid)

    @strawberry.field
    def signatories(self, info: Info) -> list["AgreementSignatoryType"]:
        return load_related(info, AgreementSignatoryType, "agreement_id", self.uuid)

    @strawberry.field(description="The event at which it was signed")
    def signing_event(self, info: Info) -> Annotated["EventType", strawberry.lazy("..events.types")] | None:
        from ..events.types import EventType

        return load_node(info, EventType, self.signing_event_id)

    @strawberry.field(description="Projects resting on it")
    def projects(
        self, info: Info
    ) -> list[Annotated["ProjectAgreementType", strawberry.lazy("..projects.types")]]:
        from ..projects.types import ProjectAgreementType

        return load_related(info, ProjectAgreementType, "agreement_id", self.uuid)


@strawberry.type(name="AgreementParty", description="A party to an agreement")
class AgreementPartyType(Cited):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.AGREEMENT_PARTY
    MODEL: ClassVar[type] = AgreementParty

    role: AgreementPartyRole
    agreement_id: Private[uuid.UUID]
    organization_id: Private[uuid.UUID]

    @strawberry.field
    def agreement(self, info: Info) -> AgreementType | None:
        return load_node(info, AgreementType, self.agreement_id)

    @strawberry.field
    def organization(self, info: Info) -> Organization | None:
        from ..organizations.types import OrganizationType

        return load_node(info, OrganizationType, self.organization_id)


@strawberry.type(name="AgreementSignatory", description="A person who signed, on behalf of an organization")
class AgreementSignatoryType(Cited):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.AGREEMENT_SIGNATORY
    MODEL: ClassVar[type] = AgreementSignatory

    agreement_id: Private[uuid.UUID]
    person_id: Private[uuid.UUID]
    organization_id: Private[uuid.UUID | None]

    @strawberry.field
    def agreement(self, info: Info) -> AgreementType | None:
        return load_node(info, AgreementType, self.agreement_id)

    @strawberry.field
    def person(self, info: Info) -> Annotated["PersonType", strawberry.lazy("..people.types")] | None:
        from ..people.types import PersonType

        return load_node(info, PersonType, self.person_id)

    @strawberry.field(description="On whose behalf")
    def organization(self, info: Info) -> Organization | None:
        from ..organizations.types import OrganizationType

        return load_node(info, OrganizationType, self.organization_id)
