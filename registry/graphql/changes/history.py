"""Every record's `history`: its own changes, batched over the records of a response.

`history` takes page arguments, which the prefetched relationship fields (`core.prefetch`) do
not, so it is a resolver; its calls for the records of one level meet in a DataLoader, and one
statement reads the histories of them all (`services.feed.histories_statement`).
"""

import uuid
from collections import defaultdict
from typing import Any

from strawberry import Info
from strawberry.dataloader import DataLoader
from strawberry.types import get_object_definition

from ...models import ChangeKind
from ...services.feed import ChangePage, histories_statement, page_of
from .arguments import After, First, cursor, page_size
from .types import ChangeConnection, connection

__all__ = ["record_history"]

# Records per statement: one SQL parameter each, far below what either database takes.
_MAX_BATCH = 1_000


def _loader(info: Info, kind: ChangeKind, after: int | None, limit: int) -> DataLoader[uuid.UUID, ChangePage]:
    """This request's loader of histories of records of `kind` for one pair of page arguments."""
    reads = info.context.reads  # not the context: it holds the loaders, this loader would be a cycle

    async def load(record_ids: list[uuid.UUID]) -> list[ChangePage]:
        by_record = defaultdict(list)
        for row in await reads.fetch(histories_statement(kind, record_ids, after, limit)):
            by_record[row["entity_id"]].append(row)
        return [page_of(by_record[record_id], after, limit) for record_id in record_ids]

    return info.context.loaders.shared(
        ("history", kind, after, limit), lambda: DataLoader(load_fn=load, max_batch_size=_MAX_BATCH)
    )


async def record_history(root: Any, info: Info, first: First = None, after: After = None) -> ChangeConnection:
    limit, start = page_size(first), cursor(after)
    page = await _loader(info, ChangeKind(root.ENTITY_TYPE.value), start, limit).load(root.uuid)
    type_name = get_object_definition(type(root), strict=True).name
    return connection(page, start, lambda _kind: type_name)
