import datetime as dt
import uuid

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
from .enums import EventKind, EventParticipantRole

__all__ = ["Event", "EventParticipant"]


class Event(EntityMixin, table=True):
    __table_args__ = entity_table_args()

    title: str = Field(max_length=500)
    kind: EventKind = enum_field(EventKind, name="event_kind", index=True)
    date: str | None = partial_date_text()
    date_lower: dt.date | None = partial_date_bound(index=True)
    date_upper: dt.date | None = partial_date_bound()
    country_code: str | None = Field(default=None, max_length=2, foreign_key="country.code", index=True)
    city: str | None = Field(default=None, max_length=100)
    description: str | None = None


class EventParticipant(RelationMixin, table=True):
    __tablename__ = "event_participant"

    __table_args__ = (
        sa.CheckConstraint(
            "organization_id IS NOT NULL OR person_id IS NOT NULL", name="organization_or_person"
        ),
    )

    event_id: uuid.UUID = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    organization_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id", index=True)
    person_id: uuid.UUID | None = Field(default=None, foreign_key="person.id", index=True)
    role: EventParticipantRole = enum_field(EventParticipantRole, name="event_participant_role")


# Indexes serving the list orderings (registry/graphql/*/filters.py): sort key, then id for keysets.
sa.Index("ix_event_title_order", Event.title, Event.id)
sa.Index("ix_event_date_order", undated_last(Event.date_lower), Event.id)
