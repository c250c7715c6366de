from typing import Annotated

import strawberry
from strawberry import Info
from strawberry.types import get_object_definition

from ...models import ChangeKind
from ...services.feed import changes_statement, horizon, page_of
from ..core.registry import NODE_TYPES
from .arguments import After, First, change_kinds, cursor, page_size
from .types import ChangeConnection, ChangeKindType, connection

__all__ = ["ChangeQuery"]

# The GraphQL type of each kind of record, whose name global ids carry (countries have none)
_TYPE_NAMES = {
    ChangeKind(entity_type.value): get_object_definition(node_type, strict=True).name
    for entity_type, node_type in NODE_TYPES.items()
}


@strawberry.type
class ChangeQuery:
    @strawberry.field(
        description=(
            "Every committed change, oldest first: the feed partners follow. Store the cursor of the last "
            "entry you applied and ask again with it as `after`; changes are never skipped or repeated, "
            "even those of transactions that committed late. Deletes appear as tombstones."
        )
    )
    async def changes(
        self,
        info: Info,
        after: After = None,
        first: First = None,
        kinds: Annotated[list[ChangeKindType] | None, strawberry.argument(
            description="Only changes of these kinds (none: every kind)")] = None,
    ) -> ChangeConnection:
        limit, start, only = page_size(first), cursor(after), change_kinds(kinds)
        up_to = await horizon(info.context.scalar, info.context.dialect)  # on the request's own connection
        rows = await info.context.fetch(changes_statement(start, limit, only, up_to))
        return connection(page_of(rows, start, limit), start, _TYPE_NAMES.get)
