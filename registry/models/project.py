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
from .enums import ProjectEventRelation, ProjectKind, ProjectParticipantRole, ProjectStatus, Sector

__all__ = ["Project", "ProjectAgreement", "ProjectEvent", "ProjectParticipant"]


class Project(EntityMixin, table=True):
    """A cooperation project or initiative (IATI-like: participants with roles, planned/actual dates)."""

    __table_args__ = entity_table_args()

    title: str = Field(max_length=300)
    kind: ProjectKind = enum_field(ProjectKind, name="project_kind", index=True)
    sector: Sector = enum_field(Sector, name="sector", index=True)
    status: ProjectStatus = enum_field(ProjectStatus, name="project_status", index=True)
    planned: str | None = partial_date_text()
    planned_lower: date | None = partial_date_bound()
    planned_upper: date | None = partial_date_bound()
    actual: str | None = partial_date_text()
    actual_lower: date | None = partial_date_bound(index=True)
    actual_upper: date | None = partial_date_bound()
    country_code: str | None = Field(default=None, max_length=2, foreign_key="country.code", index=True)
    location: str | None = Field(default=None, max_length=200)
    description: str | None = None


class ProjectParticipant(RelationMixin, table=True):
    """Who takes part in a project and how: an organization, optionally a person acting for it."""

    __tablename__ = "project_participant"

    __table_args__ = (
        sa.CheckConstraint(
            "organization_id IS NOT NULL OR person_id IS NOT NULL", name="organization_or_person"
        ),
    )

    project_id: uuid.UUID = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    organization_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id", index=True)
    person_id: uuid.UUID | None = Field(default=None, foreign_key="person.id", index=True)
    role: ProjectParticipantRole = enum_field(ProjectParticipantRole, name="participant_role")


class ProjectAgreement(RelationMixin, table=True):
    __tablename__ = "project_agreement"

    __table_args__ = (sa.UniqueConstraint("project_id", "agreement_id"),)

    project_id: uuid.UUID = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    agreement_id: uuid.UUID = Field(foreign_key="agreement.id", index=True)


class ProjectEvent(RelationMixin, table=True):
    __tablename__ = "project_event"

    __table_args__ = (sa.UniqueConstraint("project_id", "event_id", "relation"),)

    project_id: uuid.UUID = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    event_id: uuid.UUID = Field(foreign_key="event.id", index=True)
    relation: ProjectEventRelation = enum_field(ProjectEventRelation, name="project_event_relation")


# Indexes serving the list orderings (registry/graphql/*/filters.py): sort key, then id for keysets.
sa.Index("ix_project_title_order", Project.title, Project.id)
sa.Index("ix_project_date_order", undated_last(Project.actual_lower, Project.planned_lower), Project.id)
