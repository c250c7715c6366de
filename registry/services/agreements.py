from pydantic import Field

from ..models import Agreement, AgreementParty, AgreementSignatory, Country, Event, Organization, Person
from ..models.enums import AgreementKind, AgreementPartyRole, AgreementStatus, EntityType
from .entities import EntitySpec, RelationSpec
from .inputs import EntityIn, PartialDateText, RelationIn, Slug, Text

__all__ = ["AGREEMENT", "AgreementIn", "AgreementPartyIn", "AgreementSignatoryIn"]


class AgreementPartyIn(RelationIn):
    organization: Slug
    role: AgreementPartyRole = AgreementPartyRole.PARTY


class AgreementSignatoryIn(RelationIn):
    person: Slug
    organization: Slug | None = None


class AgreementIn(EntityIn):
    title: Text
    kind: AgreementKind
    status: AgreementStatus
    initialed: PartialDateText = None
    signed: PartialDateText = None
    ratified: PartialDateText = None
    in_force: PartialDateText = None
    ended: PartialDateText = None
    valid: PartialDateText = None
    country: str | None = None
    city: str | None = None
    signing_event: Slug | None = None
    description: str | None = None
    parties: list[AgreementPartyIn] = Field(default_factory=list)
    signatories: list[AgreementSignatoryIn] = Field(default_factory=list)


AGREEMENT = EntitySpec(
    model=Agreement,
    entity_type=EntityType.AGREEMENT,
    name_field="title",
    input=AgreementIn,
    refs={"country": Country, "signing_event": Event},
    partial_dates=("initialed", "signed", "ratified", "in_force", "ended", "valid"),
    relations=(
        RelationSpec(
            field="parties", model=AgreementParty, entity_type=EntityType.AGREEMENT_PARTY,
            parent_column="agreement_id", refs={"organization": Organization},
        ),
        RelationSpec(
            field="signatories", model=AgreementSignatory, entity_type=EntityType.AGREEMENT_SIGNATORY,
            parent_column="agreement_id", refs={"person": Person, "organization": Organization},
        ),
    ),
)
