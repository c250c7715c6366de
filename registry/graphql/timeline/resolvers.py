"""Dated things in order: events, each step of an agreement, project milestones."""

import asyncio
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Annotated

import sqlalchemy as sa
import strawberry
from strawberry import Info, relay

from ...models import Agreement, Event, Project
from ..core.errors import bad_argument
from ..core.filters import DateWindow, overlaps, window_bounds
from ..core.ordering import live
from ..core.prefetch import prefetch, selections_under
from ..core.registry import NODE_TYPES
from ..core.types import PartialDateType, build

__all__ = ["TimelineQuery"]

MAX_ITEMS = 500


@strawberry.enum(description="What happened on a timeline item's date")
class TimelineItemKind(Enum):
    EVENT = "event"
    AGREEMENT_INITIALED = "agreement_initialed"
    AGREEMENT_SIGNED = "agreement_signed"
    AGREEMENT_RATIFIED = "agreement_ratified"
    AGREEMENT_IN_FORCE = "agreement_in_force"
    AGREEMENT_ENDED = "agreement_ended"
    PROJECT_PLANNED = "project_planned"
    PROJECT_CARRIED_OUT = "project_carried_out"


@dataclass(frozen=True)
class _Source:
    model: type
    date_column: str
    title_column: str


_SOURCES = {
    TimelineItemKind.EVENT: _Source(Event, "date", "title"),
    TimelineItemKind.AGREEMENT_INITIALED: _Source(Agreement, "initialed", "title"),
    TimelineItemKind.AGREEMENT_SIGNED: _Source(Agreement, "signed", "title"),
    TimelineItemKind.AGREEMENT_RATIFIED: _Source(Agreement, "ratified", "title"),
    TimelineItemKind.AGREEMENT_IN_FORCE: _Source(Agreement, "in_force", "title"),
    TimelineItemKind.AGREEMENT_ENDED: _Source(Agreement, "ended", "title"),
    TimelineItemKind.PROJECT_PLANNED: _Source(Project, "planned", "title"),
    TimelineItemKind.PROJECT_CARRIED_OUT: _Source(Project, "actual", "title"),
}


@strawberry.type(description="One dated item; items sort by the earliest day their date can mean")
class TimelineItem:
    kind: TimelineItemKind
    date: PartialDateType
    title: str
    node: relay.Node


def _sort_key(item: TimelineItem) -> tuple:
    # the order each kind's statement cuts its rows in (see `items_of`), so the merged page is
    # exactly the first items of the whole timeline: open starts first, open ends last, then
    # title and id to break ties
    return (item.date.lower or date.min, item.date.upper or date.max, item.title, item.node.uuid)


@strawberry.type
class TimelineQuery:
    @strawberry.field(description="Events, agreement steps and project periods overlapping the window, in order")
    async def timeline(
        self, info: Info, from_: Annotated[str | None, strawberry.argument(name="from")] = None,
        to: str | None = None, kinds: list[TimelineItemKind] | None = None, first: int = 100,
    ) -> list[TimelineItem]:
        if not 1 <= first <= MAX_ITEMS:
            raise bad_argument("first", f"must be between 1 and {MAX_ITEMS}, got {first}")
        window = DateWindow(from_=from_, to=to)
        window_bounds(window, "")  # reject a bad window before any query

        async def items_of(kind: TimelineItemKind) -> list[TimelineItem]:
            source = _SOURCES[kind]
            table = source.model.__table__
            lower, upper = table.c[f"{source.date_column}_lower"], table.c[f"{source.date_column}_upper"]
            title = table.c[source.title_column]
            if info.context.dialect == "postgresql":
                title = title.collate("C")  # code-point order, as the merge below compares titles
            statement = (
                sa.select(table)
                .where(*live(table), table.c[source.date_column].is_not(None), *overlaps(lower, upper, window, ""))
                .order_by(lower.asc().nulls_first(), upper.asc().nulls_last(), title, table.c.id)
                .limit(first)
            )
            node_type = next(t for t in NODE_TYPES.values() if t.MODEL is source.model)
            return [
                TimelineItem(kind=kind, date=PartialDateType.from_columns(row, source.date_column),
                             title=row[source.title_column], node=build(node_type, row))
                for row in await info.context.fetch(statement)
            ]

        # one statement per kind: a kind named twice is read once
        batches = await asyncio.gather(*(items_of(kind) for kind in dict.fromkeys(kinds or TimelineItemKind)))
        items = sorted((item for batch in batches for item in batch), key=_sort_key)[:first]
        await prefetch(info, [i.node for i in items], selections_under(info.selected_fields[0].selections, "node"))
        return items
