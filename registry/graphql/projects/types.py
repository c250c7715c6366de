import uuid
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry import Private, relay

from ...models import Project, ProjectAgreement, ProjectEvent, ProjectParticipant
from ...models.enums import EntityType
from ..core.enums import ProjectEventRelation, ProjectKind, ProjectParticipantRole, ProjectStatus, Sector
from ..core.participation import Participation
from ..core.prefetch import Many, One, lazy, related_field
from ..core.types import Cited, CountryType, PartialDateType, Record

if TYPE_CHECKING:
    from ..agreements.types import AgreementType
    from ..events.types import EventType
    from ..figures.types import FigureType

__all__ = ["ProjectAgreementType", "ProjectEventType", "ProjectParticipantType", "ProjectType"]


@strawberry.type(name="Project", description="A cooperation project or initiative")
class ProjectType(Record, relay.Node):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.PROJECT
    MODEL: ClassVar[type] = Project
    PARTIAL_DATES: ClassVar[tuple[str, ...]] = ("planned", "actual")
    RELATED: ClassVar[dict] = {
        "country": One(lazy("registry.graphql.core.types:CountryType"), "country_code"),
        "participants": Many(lazy("registry.graphql.projects.types:ProjectParticipantType"), "project_id"),
        "agreements": Many(lazy("registry.graphql.projects.types:ProjectAgreementType"), "project_id"),
        "events": Many(lazy("registry.graphql.projects.types:ProjectEventType"), "project_id"),
        "figures": Many(lazy("registry.graphql.figures.types:FigureType"), "subject_project_id"),
    }

    id: relay.NodeID[str]
    title: str
    kind: ProjectKind
    sector: Sector
    status: ProjectStatus
    planned: PartialDateType | None = strawberry.field(description="Planned period")
    actual: PartialDateType | None = strawberry.field(description="Actual period")
    location: str | None = strawberry.field(description="City or region")
    description: str | None
    country_code: Private[str | None]

    country: CountryType | None = related_field()
    participants: list["ProjectParticipantType"] = related_field("Who takes part, and how")
    agreements: list["ProjectAgreementType"] = related_field("Agreements the project rests on")
    events: list["ProjectEventType"] = related_field(
        "Events where it was launched, discussed or reached a milestone"
    )
    figures: list[Annotated["FigureType", strawberry.lazy("..figures.types")]] = related_field(
        "Figures stated about it"
    )


@strawberry.type(
    name="ProjectParticipant", description="An organization (and/or person) in a project, with a role"
)
class ProjectParticipantType(Participation):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.PROJECT_PARTICIPANT
    MODEL: ClassVar[type] = ProjectParticipant
    RELATED: ClassVar[dict] = {
        "project": One(lazy("registry.graphql.projects.types:ProjectType"), "project_id"),
    }

    role: ProjectParticipantRole
    project_id: Private[uuid.UUID]

    project: ProjectType | None = related_field()


@strawberry.type(name="ProjectAgreement", description="An agreement a project rests on")
class ProjectAgreementType(Cited):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.PROJECT_AGREEMENT
    MODEL: ClassVar[type] = ProjectAgreement
    RELATED: ClassVar[dict] = {
        "project": One(lazy("registry.graphql.projects.types:ProjectType"), "project_id"),
        "agreement": One(lazy("registry.graphql.agreements.types:AgreementType"), "agreement_id"),
    }

    project_id: Private[uuid.UUID]
    agreement_id: Private[uuid.UUID]

    project: ProjectType | None = related_field()
    agreement: Annotated["AgreementType", strawberry.lazy("..agreements.types")] | None = related_field()


@strawberry.type(name="ProjectEvent", description="An event in a project's life")
class ProjectEventType(Cited):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.PROJECT_EVENT
    MODEL: ClassVar[type] = ProjectEvent
    RELATED: ClassVar[dict] = {
        "project": One(lazy("registry.graphql.projects.types:ProjectType"), "project_id"),
        "event": One(lazy("registry.graphql.events.types:EventType"), "event_id"),
    }

    relation: ProjectEventRelation
    project_id: Private[uuid.UUID]
    event_id: Private[uuid.UUID]

    project: ProjectType | None = related_field()
    event: Annotated["EventType", strawberry.lazy("..events.types")] | None = related_field()
