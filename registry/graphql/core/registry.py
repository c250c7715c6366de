"""Which GraphQL type shows which kind of record (for search hits and timeline items)."""

from ...models.enums import EntityType
from ..agreements.types import AgreementType
from ..events.types import EventType
from ..figures.types import FigureType
from ..organizations.types import OrganizationType
from ..people.types import PersonType
from ..projects.types import ProjectType
from ..sources.types import SourceType

__all__ = ["NODE_TYPES"]

NODE_TYPES = {
    EntityType.ORGANIZATION: OrganizationType,
    EntityType.PERSON: PersonType,
    EntityType.PROJECT: ProjectType,
    EntityType.AGREEMENT: AgreementType,
    EntityType.EVENT: EventType,
    EntityType.FIGURE: FigureType,
    EntityType.SOURCE: SourceType,
}
