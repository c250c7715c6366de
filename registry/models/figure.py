import uuid
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field

from .base import (
    EntityMixin,
    entity_table_args,
    enum_field,
    partial_date_bound,
    partial_date_text,
    undated_last,
)
from .enums import FigureMetric, FigureQualifier, FigureUnit

__all__ = ["Figure"]


class Figure(EntityMixin, table=True):
    """A statistic as a document states it; two documents disagreeing make two figures."""

    __table_args__ = entity_table_args(
        sa.CheckConstraint("value >= 0", name="value_non_negative"),
        sa.CheckConstraint("value_max IS NULL OR value_max >= value", name="value_max_not_below_value"),
    )

    metric: FigureMetric = enum_field(FigureMetric, name="figure_metric", index=True)
    value: Decimal = Field(sa_type=sa.Numeric(24, 6))
    value_max: Decimal | None = Field(default=None, sa_type=sa.Numeric(24, 6))
    unit: FigureUnit = enum_field(FigureUnit, name="figure_unit")
    qualifier: FigureQualifier = enum_field(FigureQualifier, name="figure_qualifier")
    period: str | None = partial_date_text()
    period_lower: date | None = partial_date_bound(index=True)
    period_upper: date | None = partial_date_bound()
    from_country_code: str | None = Field(default=None, max_length=2, foreign_key="country.code", index=True)
    to_country_code: str | None = Field(default=None, max_length=2, foreign_key="country.code", index=True)
    subject_project_id: uuid.UUID | None = Field(default=None, foreign_key="project.id", index=True)
    subject_organization_id: uuid.UUID | None = Field(
        default=None, foreign_key="organization.id", index=True
    )
    original: str = Field(max_length=300, description="the wording as printed")
    description: str | None = None


# Indexes serving the list orderings (registry/graphql/*/filters.py): sort key, then id for keysets.
sa.Index("ix_figure_period_order", undated_last(Figure.period_lower), Figure.id)
