import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry import Info, Private, relay

from ...models import Figure
from ...models.enums import EntityType
from ..core.enums import FigureMetric, FigureQualifier, FigureUnit
from ..core.types import CountryType, PartialDateType, Record, load_node

if TYPE_CHECKING:
    from ..organizations.types import OrganizationType
    from ..projects.types import ProjectType

__all__ = ["FigureType"]


@strawberry.type(name="Figure", description="A statistic as one source states it")
class FigureType(Record, relay.Node):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.FIGURE
    MODEL: ClassVar[type] = Figure
    PARTIAL_DATES: ClassVar[tuple[str, ...]] = ("period",)

    id: relay.NodeID[str]
    metric: FigureMetric
    value: Decimal
    value_max: Decimal | None = strawberry.field(description="Upper end when the source gives a range")
    unit: FigureUnit
    qualifier: FigureQualifier = strawberry.field(description="exact, about, more than, up to…")
    period: PartialDateType | None
    original: str = strawberry.field(description="The wording as printed")
    description: str | None
    from_country_code: Private[str | None]
    to_country_code: Private[str | None]
    subject_project_id: Private[uuid.UUID | None]
    subject_organization_id: Private[uuid.UUID | None]

    @strawberry.field(description="Direction: from this country (null with toCountry null: bilateral)")
    def from_country(self, info: Info) -> CountryType | None:
        return load_node(info, CountryType, self.from_country_code)

    @strawberry.field(description="Direction: to this country")
    def to_country(self, info: Info) -> CountryType | None:
        return load_node(info, CountryType, self.to_country_code)

    @strawberry.field(description="The project the figure is about")
    def subject_project(
        self, info: Info
    ) -> Annotated["ProjectType", strawberry.lazy("..projects.types")] | None:
        from ..projects.types import ProjectType

        return load_node(info, ProjectType, self.subject_project_id)

    @strawberry.field(description="The organization the figure is about")
    def subject_organization(
        self, info: Info
    ) -> Annotated["OrganizationType", strawberry.lazy("..organizations.types")] | None:
        from ..organizations.types import OrganizationType

        return load_node(info, OrganizationType, self.subject_organization_id)
