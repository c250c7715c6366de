import uuid
from datetime import date

import sqlalchemy as sa
from sqlmodel import Field

from .base import (
    EntityMixin,
    entity_table_args,
    enum_field,
    partial_date_bound,
    partial_date_text,
    undated_last,
)
from .enums import OrganizationKind

__all__ = ["Organization"]


class Organization(EntityMixin, table=True):
    __table_args__ = entity_table_args()

    name: str = Field(max_length=300)
    kind: OrganizationKind = enum_field(OrganizationKind, name="organization_kind", index=True)
    country_code: str | None = Field(default=None, max_length=2, foreign_key="country.code", index=True)
    city: str | None = Field(default=None, max_length=100)
    parent_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id", index=True)
    founded: str | None = partial_date_text()
    founded_lower: date | None = partial_date_bound()
    founded_upper: date | None = partial_date_bound()
    dissolved: str | None = partial_date_text()
    dissolved_lower: date | None = partial_date_bound()
    dissolved_upper: date | None = partial_date_bound()
    description: str | None = None


# Indexes serving the list orderings (registry/graphql/*/filters.py): sort key, then id for keysets.
sa.Index("ix_organization_name_order", Organization.name, Organization.id)
sa.Index("ix_organization_founded_order", undated_last(Organization.founded_lower), Organization.id)
