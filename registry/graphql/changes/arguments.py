"""The page arguments of the feed and of a record's history, checked before any statement runs."""

from collections.abc import Sequence
from typing import Annotated

import strawberry

from ...models import ChangeKind
from ..core.errors import bad_argument
from ..core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

__all__ = ["After", "First", "change_kinds", "cursor", "page_size"]

First = Annotated[int | None, strawberry.argument(description="How many entries (1 to 100; default 20)")]
After = Annotated[str | None, strawberry.argument(
    description="A cursor given out before: only changes committed after it (none: from the first)")]

_MAX_CURSOR = 2**63 - 1  # the change log's ids are BIGINT
_MAX_CURSOR_DIGITS = len(str(_MAX_CURSOR))


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise bad_argument("first", f"must be between 1 and {MAX_PAGE_SIZE}, got {first}")
    return first


def cursor(after: str | None) -> int | None:
    """The sequence number a cursor holds: a decimal integer within the log's range."""
    if after is None:
        return None
    # checked as text first: int() would take "+1", " 1", "1_000" and digits of any script, and
    # converting thousands of digits costs time
    digits = after.isascii() and after.isdigit() and len(after) <= _MAX_CURSOR_DIGITS
    if not digits or int(after) > _MAX_CURSOR:
        raise bad_argument("after", f"not a cursor: cursors are whole numbers from 0 to {_MAX_CURSOR}")
    return int(after)


def change_kinds(kinds: Sequence[ChangeKind] | None) -> set[ChangeKind] | None:
    if kinds is None:
        return None
    if not kinds:
        raise bad_argument("kinds", "give at least one kind, or leave kinds out for every kind")
    if len(kinds) > len(ChangeKind):
        raise bad_argument("kinds", f"at most {len(ChangeKind)} kinds (there are no more), got {len(kinds)}")
    return set(kinds)
