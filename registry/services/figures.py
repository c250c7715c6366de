from decimal import Decimal

from pydantic import Field, model_validator

from ..models import Country, Figure, Organization, Project
from ..models.enums import EntityType, FigureMetric, FigureQualifier, FigureUnit
from .entities import EntitySpec
from .inputs import EntityIn, PartialDateText, Slug, Text

__all__ = ["FIGURE", "FigureIn"]


class FigureIn(EntityIn):
    metric: FigureMetric
    value: Decimal = Field(ge=0, max_digits=24, decimal_places=6)
    value_max: Decimal | None = Field(default=None, ge=0, max_digits=24, decimal_places=6)
    unit: FigureUnit
    qualifier: FigureQualifier = FigureQualifier.EXACT
    period: PartialDateText = None
    from_country: str | None = None
    to_country: str | None = None
    subject_project: Slug | None = None
    subject_organization: Slug | None = None
    original: Text
    description: str | None = None

    @model_validator(mode="after")
    def _range(self):
        if self.value_max is not None and self.value_max < self.value:
            raise ValueError("value_max must not be below value")
        return self


FIGURE = EntitySpec(
    model=Figure,
    entity_type=EntityType.FIGURE,
    name_field="description",
    input=FigureIn,
    refs={
        "from_country": Country, "to_country": Country,
        "subject_project": Project, "subject_organization": Organization,
    },
    partial_dates=("period",),
)
