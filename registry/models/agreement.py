import uuid
from datetime import date

import sqlalchemy as sa
from sqlmodel import Field

from .base import (
    EntityMixin,
    RelationMixin,
    entity_table_args,
    enum_field,
    partial_date_bound,
    partial_date_text,
    undated_last,
)
from .enums import AgreementKind, AgreementPartyRole, AgreementStatus

__all__ = ["Agreement", "AgreementParty", "AgreementSignatory"]


class Agreement(EntityMixin, table=True):
    """A treaty or agreement. Each step (initialed, signed, ratified, in force, ended) has its own date:
    signature is not entry into force."""

    __table_args__ = entity_table_args()

    title: str = Field(max_length=500)
    kind: AgreementKind = enum_field(AgreementKind, name="agreement_kind", index=True)
    status: AgreementStatus = enum_field(AgreementStatus, name="agreement_status", index=True)
    initialed: str | None = partial_date_text()
    initialed_lower: date | None = partial_date_bound()
    initialed_upper: date | None = partial_date_bound()
    signed: str | None = partial_date_text()
    signed_lower: date | None = partial_date_bound(index=True)
    signed_upper: date | None = partial_date_bound()
    ratified: str | None = partial_date_text()
    ratified_lower: date | None = partial_date_bound()
    ratified_upper: date | None = partial_date_bound()
    in_force: str | None = partial_date_text()
    in_force_lower: date | None = partial_date_bound()
    in_force_upper: date | None = partial_date_bound()
    ended: str | None = partial_date_text()
    ended_lower: date | None = partial_date_bound()
    ended_upper: date | None = partial_date_bound()
    valid: str | None = partial_date_text()
    valid_lower: date | None = partial_date_bound()
    valid_upper: date | None = partial_date_bound()
    country_code: str | None = Field(default=None, max_length=2, foreign_key="country.code", index=True)
    city: str | None = Field(default=None, max_length=100)
    signing_event_id: uuid.UUID | None = Field(default=None, foreign_key="event.id", index=True)
    description: str | None = None


class AgreementParty(RelationMixin, table=True):
    __tablename__ = "agreement_party"

    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", index=True, ondelete="CASCADE")
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    role: AgreementPartyRole = enum_field(AgreementPartyRole, name="agreement_party_role")


class AgreementSignatory(RelationMixin, table=True):
    """A person who signed, optionally on behalf of an organization."""

    __tablename__ = "agreement_signatory"

    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", index=True, ondelete="CASCADE")
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    organization_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id", index=True)


# Indexes serving the list orderings (registry/graphql/*/filters.py): sort key, then id for keysets.
sa.Index("ix_agreement_title_order", Agreement.title, Agreement.id)
sa.Index("ix_agreement_signed_order", undated_last(Agreement.signed_lower), Agreement.id)
