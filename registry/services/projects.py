from pydantic import Field

from ..models import (
    Agreement,
    Country,
    Event,
    Organization,
    Person,
    Project,
    ProjectAgreement,
    ProjectEvent,
    ProjectParticipant,
)
from ..models.enums import (
    EntityType,
    ProjectEventRelation,
    ProjectKind,
    ProjectParticipantRole,
    ProjectStatus,
    Sector,
)
from .entities import EntitySpec, RelationSpec
from .events import OrganizationOrPerson
from .inputs import EntityIn, PartialDateText, RelationIn, Slug, Text

__all__ = ["PROJECT", "ProjectAgreementIn", "ProjectEventIn", "ProjectIn", "ProjectParticipantIn"]


class ProjectParticipantIn(OrganizationOrPerson):
    role: ProjectParticipantRole


class ProjectAgreementIn(RelationIn):
    agreement: Slug


class ProjectEventIn(RelationIn):
    event: Slug
    relation: ProjectEventRelation = ProjectEventRelation.MILESTONE


class ProjectIn(EntityIn):
    title: Text
    kind: ProjectKind
    sector: Sector
    status: ProjectStatus
    planned: PartialDateText = None
    actual: PartialDateText = None
    country: str | None = None
    location: str | None = None
    description: str | None = None
    participants: list[ProjectParticipantIn] = Field(default_factory=list)
    agreements: list[ProjectAgreementIn] = Field(default_factory=list)
    events: list[ProjectEventIn] = Field(default_factory=list)


PROJECT = EntitySpec(
    model=Project,
    entity_type=EntityType.PROJECT,
    name_field="title",
    input=ProjectIn,
    refs={"country": Country},
    partial_dates=("planned", "actual"),
    relations=(
        RelationSpec(
            field="participants", model=ProjectParticipant, entity_type=EntityType.PROJECT_PARTICIPANT,
            parent_column="project_id", refs={"organization": Organization, "person": Person},
        ),
        RelationSpec(
            field="agreements", model=ProjectAgreement, entity_type=EntityType.PROJECT_AGREEMENT,
            parent_column="project_id", refs={"agreement": Agreement},
        ),
        RelationSpec(
            field="events", model=ProjectEvent, entity_type=EntityType.PROJECT_EVENT,
            parent_column="project_id", refs={"event": Event},
        ),
    ),
)
