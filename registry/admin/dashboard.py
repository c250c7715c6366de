"""The admin's landing page: counts, latest changes, and two charts drawn as SVG on the server.

No charting library: the admin must work without internet (no CDN), and two small charts are a
few dozen lines of SVG, escaped like any other output.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Agreement, ChangeLog, Citation, Country, Event, Figure, Organization, Person, Project, Source
from ..models.enums import EntityType, EventKind, FigureMetric

__all__ = ["dashboard_context"]

WIDTH, HEIGHT, MARGIN = 760, 260, 48
LEGEND_ROW = 20
LATEST_CHANGES = 15
_VISITS = {EventKind.OFFICIAL_VISIT, EventKind.WORKING_VISIT, EventKind.STATE_VISIT}
_MARKS = ["#206bc4", "#d63939", "#2fb344", "#f76707", "#ae3ec9"]


@dataclass(frozen=True)
class TradeMark:
    year: int
    value: Decimal
    source: str
    original: str


def _x(year: float, first: int, last: int) -> float:
    return MARGIN + (year - first) / max(last - first, 1) * (WIDTH - 2 * MARGIN)


def _axis(first: int, last: int) -> str:
    step = max(1, (last - first) // 10)
    ticks = "".join(
        f'<line x1="{_x(y, first, last):.1f}" y1="{HEIGHT - MARGIN}" x2="{_x(y, first, last):.1f}" '
        f'y2="{HEIGHT - MARGIN + 5}" stroke="#667"/><text x="{_x(y, first, last):.1f}" y="{HEIGHT - MARGIN + 18}" '
        f'text-anchor="middle" font-size="13">{y}</text>'
        for y in range(first, last + 1, step)
    )
    return f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN}" y2="{HEIGHT - MARGIN}" stroke="#667"/>{ticks}'


def trade_chart(marks: list[TradeMark]) -> Markup:
    """Bilateral trade by year in USD; each figure one mark, so documents that disagree show side by side."""
    if not marks:
        return Markup("<p class='text-muted'>No trade figures in US dollars.</p>")
    first, last = min(m.year for m in marks) - 1, max(m.year for m in marks) + 1
    top = float(max(m.value for m in marks)) * 1.1 or 1
    sources = sorted({m.source for m in marks})
    colour = {source: _MARKS[i % len(_MARKS)] for i, source in enumerate(sources)}
    per_year: dict[int, int] = defaultdict(int)
    dots = []
    for mark in sorted(marks, key=lambda m: (m.year, m.source)):
        offset = per_year[mark.year] * 7  # conflicting figures of one year: side by side, not on top
        per_year[mark.year] += 1
        x = _x(mark.year, first, last) + offset
        y = HEIGHT - MARGIN - float(mark.value) / top * (HEIGHT - 2 * MARGIN)
        dots.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour[mark.source]}">'
            f'<title>{mark.year}: {escape(mark.original)} ({escape(mark.source)})</title></circle>'
        )
    grid = "".join(
        f'<text x="{MARGIN - 6}" y="{HEIGHT - MARGIN - f * (HEIGHT - 2 * MARGIN) + 4:.1f}" text-anchor="end" '
        f'font-size="13">{top * f / 1e6:.0f}M</text>'
        for f in (0, 0.5, 1)
    )
    # one legend row per source under the axis, whole titles: they are what tells the marks apart
    legend = "".join(
        f'<circle cx="{MARGIN + 6}" cy="{HEIGHT + i * LEGEND_ROW - 4}" r="5" fill="{colour[s]}"/>'
        f'<text x="{MARGIN + 16}" y="{HEIGHT + i * LEGEND_ROW}" font-size="13">{escape(s[:100])}</text>'
        for i, s in enumerate(sources)
    )
    height = HEIGHT + len(sources) * LEGEND_ROW
    return Markup(
        f'<svg viewBox="0 0 {WIDTH} {height}" class="chart" role="img" aria-label="Bilateral trade by year, USD">'
        f'{legend}{grid}{_axis(first, last)}{"".join(dots)}</svg>'
    )


def timeline_chart(items: list[tuple[date, str, str]]) -> Markup:
    """Visits (circles, upper row) and agreements signed (squares, lower row) along the years."""
    if not items:
        return Markup("<p class='text-muted'>No dated visits or agreements.</p>")
    first, last = min(d.year for d, _, _ in items), max(d.year for d, _, _ in items) + 1
    marks = []
    for day, kind, title in items:
        x = _x(day.year + (day.timetuple().tm_yday - 1) / 366, first, last)
        label = f"<title>{day.isoformat()}: {escape(title)}</title>"
        if kind == "visit":
            marks.append(f'<circle cx="{x:.1f}" cy="{HEIGHT / 2 - 40}" r="6" fill="#206bc4" fill-opacity="0.7">{label}</circle>')
        else:
            marks.append(f'<rect x="{x - 5:.1f}" y="{HEIGHT / 2 + 20}" width="10" height="10" fill="#2fb344" '
                         f'fill-opacity="0.8">{label}</rect>')
    legend = (f'<circle cx="{MARGIN + 10}" cy="14" r="6" fill="#206bc4"/><text x="{MARGIN + 20}" y="18" font-size="13">visits</text>'
              f'<rect x="{MARGIN + 85}" y="9" width="10" height="10" fill="#2fb344"/>'
              f'<text x="{MARGIN + 100}" y="18" font-size="13">agreements signed</text>')
    return Markup(f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" role="img" aria-label="Timeline of visits '
                  f'and agreements">{legend}{_axis(first, last)}{"".join(marks)}</svg>')


async def _trade_marks(session: AsyncSession) -> list[TradeMark]:
    rows = await session.execute(
        sa.select(Figure.period_lower, Figure.value, Figure.original, sa.func.min(Source.title))
        .join(Citation, sa.and_(Citation.subject_type == EntityType.FIGURE, Citation.subject_id == Figure.id))
        .join(Source, Source.id == Citation.source_id)
        .where(Figure.metric == FigureMetric.BILATERAL_TRADE, Figure.unit == "USD", Figure.deleted_at.is_(None),
               Figure.period_lower.is_not(None))
        .group_by(Figure.id, Figure.period_lower, Figure.value, Figure.original)
    )
    return [TradeMark(lower.year, value, source, original) for lower, value, original, source in rows.all()]


async def _timeline(session: AsyncSession) -> list[tuple[date, str, str]]:
    visits = await session.execute(sa.select(Event.date_lower, Event.title).where(
        Event.kind.in_(_VISITS), Event.date_lower.is_not(None), Event.deleted_at.is_(None)))
    signed = await session.execute(sa.select(Agreement.signed_lower, Agreement.title).where(
        Agreement.signed_lower.is_not(None), Agreement.deleted_at.is_(None)))
    return [(d, "visit", t) for d, t in visits.all()] + [(d, "agreement", t) for d, t in signed.all()]


async def dashboard_context(session: AsyncSession) -> dict:
    counts = {}
    for label, model in [("Organizations", Organization), ("People", Person), ("Projects", Project),
                         ("Agreements", Agreement), ("Events", Event), ("Figures", Figure), ("Sources", Source)]:
        counts[label] = await session.scalar(sa.select(sa.func.count()).select_from(model).where(model.deleted_at.is_(None)))
    counts["Countries"] = await session.scalar(sa.select(sa.func.count()).select_from(Country))
    latest = (await session.scalars(sa.select(ChangeLog).order_by(ChangeLog.id.desc()).limit(LATEST_CHANGES))).all()
    return {
        "counts": counts,
        "latest": latest,
        "trade_chart": trade_chart(await _trade_marks(session)),
        "timeline_chart": timeline_chart(await _timeline(session)),
    }
