"""Points for a chart: one metric over time, each point with its source."""

from decimal import Decimal
from typing import Annotated

import sqlalchemy as sa
import strawberry
from strawberry import Info

from ...models import Figure
from ..core.compat import selected_field
from ..core.enums import FigureMetric, FigureQualifier, FigureUnit
from ..core.filters import DateWindow, overlaps, window_bounds
from ..core.ordering import live
from ..core.prefetch import prefetch, selections_under
from ..core.types import PartialDateType, build
from ..sources.types import SourceType
from .types import FigureType

__all__ = ["FigureSeriesQuery"]

_figures = Figure.__table__


@strawberry.type(description="One point of a figure series")
class FigurePoint:
    period: PartialDateType | None
    value: Decimal
    value_max: Decimal | None
    unit: FigureUnit
    qualifier: FigureQualifier
    figure: FigureType

    @strawberry.field(description="The documents stating this value")
    def sources(self) -> list[SourceType]:
        # the figure's citations are prefetched with their sources (see figure_series)
        return list({c.source.uuid: c.source for c in self.figure.citations}.values())


@strawberry.type
class FigureSeriesQuery:
    @strawberry.field(description="A metric's values over time (for charts), ordered by period")
    async def figure_series(
        self, info: Info, metric: FigureMetric,
        from_: Annotated[str | None, strawberry.argument(name="from")] = None, to: str | None = None,
        from_country: str | None = None, to_country: str | None = None, unit: FigureUnit | None = None,
    ) -> list[FigurePoint]:
        window = DateWindow(from_=from_, to=to)
        window_bounds(window, "")
        conditions = [*live(_figures), _figures.c.metric == metric,
                      *overlaps(_figures.c.period_lower, _figures.c.period_upper, window, "")]
        # a direction of None means "bilateral / not stated", so it is matched exactly
        conditions.append(_figures.c.from_country_code.is_(None) if from_country is None
                          else _figures.c.from_country_code == from_country)
        conditions.append(_figures.c.to_country_code.is_(None) if to_country is None
                          else _figures.c.to_country_code == to_country)
        if unit is not None:
            conditions.append(_figures.c.unit == unit)
        statement = sa.select(_figures).where(*conditions).order_by(
            sa.func.coalesce(_figures.c.period_lower, _figures.c.period_upper), _figures.c.period_upper,
            _figures.c.slug,
        )
        figures = [build(FigureType, row) for row in await info.context.fetch(statement)]
        selections = info.selected_fields[0].selections
        with_sources = [selected_field("citations", [selected_field("source")])]
        await prefetch(info, figures, selections_under(selections, "figure") + with_sources)
        return [FigurePoint(period=f.period, value=f.value, value_max=f.value_max, unit=f.unit,
                            qualifier=f.qualifier, figure=f) for f in figures]
