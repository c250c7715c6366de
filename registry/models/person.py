import uuid
from datetime import date

import sqlalchemy as sa
from sqlmodel import Field

from .base import (
    EntityMixin,
    RelationMixin,
    entity_table_args,
    partial_date_bound,
    partial_date_text,
)

__all__ = ["Person", "Position"]


class Person(EntityMixin, table=True):
    __table_args__ = entity_table_args()

    display_name: str = Field(max_length=200)
    given_name: str | None = Field(default=None, max_length=100)
    family_name: str | None = Field(default=None, max_length=100)
    patronymic: str | None = Field(default=None, max_length=100)
    country_code: str | None = Field(default=None, max_length=2, foreign_key="country.code", index=True)
    description: str | None = None


class Position(RelationMixin, table=True):
    """A post a person held in an organization, over a period or known only "as of" a date."""

    person_id: uuid.UUID = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    organization_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id", index=True)
    title: str = Field(max_length=300)
    period: str | None = partial_date_text()
    period_lower: date | None = partial_date_bound()
    period_upper: date | None = partial_date_bound()
    as_of: str | None = partial_date_text()
    as_of_lower: date | None = partial_date_bound()
    as_of_upper: date | None = partial_date_bound()


# Indexes serving the list orderings (registry/graphql/*/filters.py): sort key, then id for keysets.
sa.Index("ix_person_display_name_order", Person.display_name, Person.id)
