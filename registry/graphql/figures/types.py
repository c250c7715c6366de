import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry import Private, relay

from ...models import Figure
from ...models.enums import EntityType
from ..core.enums import FigureMetric, FigureQualifier, FigureUnit
from ..core.prefetch import One, lazy, related_field
from ..core.types import CountryType, PartialDateType, Record

if TYPE_CHECKING:
    from ..organizations.types import OrganizationType
    from ..projects.types import ProjectType

__all__ = ["FigureType"]


@strawberry.type(name="Figure", description="A statistic as one source states it")
class FigureType(Record, relay.Node):
    ENTITY_TYPE: ClassVar[EntityType] = EntityType.FIGURE
    MODEL: ClassVar[type] = Figure
    PARTIAL_DATES: ClassVar[tuple[str, ...]] = ("period",)
    RELATED: ClassVar[dict] = {
        "from_country": One(lazy("registry.graphql.core.types:CountryType"), "from_country_code"),
        "to_country": One(lazy("registry.graphql.core.types:CountryType"), "to_country_code"),
        "subject_project": One(lazy("registry.graphql.projects.types:ProjectType"), "subject_project_id"),
        "subject_organization": One(
            lazy("registry.graphql.organizations.types:OrganizationType"), "subject_organization_id"
        ),
    }

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

    from_country: CountryType | None = related_field(
        "Direction: from this country (null with toCountry null: bilateral)"
    )
    to_country: CountryType | None = related_field("Direction: to this country")
    subject_project: Annotated["ProjectType", strawberry.lazy("..projects.types")] | None = related_field(
        "The project the figure is about"
    )
    subject_organization: Annotated["OrganizationType", strawberry.lazy("..organizations.types")] | None = (
        related_field("The organization the figure is about")
    )
