import uuid
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry import Info, Private, relay

from ...models import Project, ProjectAgreement, ProjectEvent, ProjectParticipant
from ...models.enums import EntityType
from ..core.enums import ProjectEventRelation, ProjectKind, ProjectParticipantRole, ProjectStatus, Sector
from ..core.participation import Participation
from ..core.types import Cited, CountryType, PartialDateType, Record, load_node, load_related

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

    @strawberry.field
    def country(self, info: Info) -> CountryType | None:
        return load_node(info, CountryType, self.country_code)

    @strawberry.field(description="Who takes part, and how")
    def participants(self, info: Info) -> list["ProjectParticipantType"]:
        return load_related(info, ProjectParticipantType, "project_id", self.uuid)

    @strawberry.field(description="Agreements the project rests on")
    def agreements(self, info: Info) -> list["ProjectAgreementType"]:
        return load_related(info, ProjectAgreementType, "project_id", self.uuid)

    @strawberry.field(description="Events where it was launched, discussed or reached a milestone")
    def events(self, info: Info) -> list["ProjectEventType"]:
        return load_related(info, ProjectEventType, "project_id", self.uuid)

    @strawberry.field(description="Figures stated about it")
    def figures(self, info: Info) -> list[Annotated["FigureType", strawberry.lazy("..figures.types")]]:
        from ..figures.types import FigureType

        return load_related(info, FigureType, "subject_project_id", self.uuid)


@strawberry.type(name="ProjectParticipant", description="An organization (and/or person) in a project, with a role")
class ProjectParticipantType(Participation):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.PROJECT_PARTICIPANT
    MODEL: ClassVar[type] = ProjectParticipant

    role: ProjectParticipantRole
    project_id: Private[uuid.UUID]

    @strawberry.field
    def project(self, info: Info) -> ProjectType | None:
        return load_node(info, ProjectType, self.project_id)


@strawberry.type(name="ProjectAgreement", description="An agreement a project rests on")
class ProjectAgreementType(Cited):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.PROJECT_AGREEMENT
    MODEL: ClassVar[type] = ProjectAgreement

    project_id: Private[uuid.UUID]
    agreement_id: Private[uuid.UUID]

    @strawberry.field
    def project(self, info: Info) -> ProjectType | None:
        return load_node(info, ProjectType, self.project_id)

    @strawberry.field
    def agreement(
        self, info: Info
    ) -> Annotated["AgreementType", strawberry.lazy("..agreements.types")] | None:
        from ..agreements.types import AgreementType

        return load_node(info, AgreementType, self.agreement_id)


@strawberry.type(name="ProjectEvent", description="An event in a project's life")
class ProjectEventType(Cited):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.PROJECT_EVENT
    MODEL: ClassVar[type] = ProjectEvent

    relation: ProjectEventRelation
    project_id: Private[uuid.UUID]
    event_id: Private[uuid.UUID]

    @strawberry.field
    def project(self, info: Info) -> ProjectType | None:
        return load_node(info, ProjectType, self.project_id)

    @strawberry.field
    def event(self, info: Info) -> Annotated["EventType", strawberry.lazy("..events.types")] | None:
        from ..events.types import EventType

        return load_node(info, EventType, self.event_id)
