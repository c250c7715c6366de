"""Where a hit's text matched: a short snippet and the spans of it to mark.

A word of the text is marked when one of its folded stems is a query word's stem or one of its
corrections, or, in a name or alias, when a query word occurs in its folded form ("eximbank"
marks "AstanaEximbank"). The snippet is plain text; `marked` is the same snippet HTML-escaped
with <mark> around each span, for a page to show as it is.
"""

import html
import re
from dataclasses import dataclass

from ...models import SearchField
from ...search_text import analyse
from ..core.text_search import QueryWord

__all__ = ["MAX_SCANNED", "SNIPPET_LENGTH", "Highlighted", "highlight"]

SNIPPET_LENGTH = 160  # characters of a long description or excerpt shown around its first match
# Descriptions have no length limit: only this much of a text is looked through for matches, so
# a hit costs the same however long its text (a match further on is shown unmarked, from the start).
MAX_SCANNED = 10_000
_CONTEXT_BEFORE = 50
_ELLIPSIS = "…"
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Highlighted:
    snippet: str
    spans: list[tuple[int, int]]  # (start, length) in the snippet, in Unicode code points
    marked: str


def _matches(token: str, words: list[QueryWord], in_name: bool) -> bool:
    stems = {stem for word in words for stem in word.stems}
    return any(
        part.stem in stems or (in_name and any(word.word.folded in part.folded for word in words))
        for part in analyse(token)
    )


def _window(text: str, first: int) -> tuple[int, int]:
    """The snippet's bounds: up to SNIPPET_LENGTH characters, starting a little before `first`."""
    if len(text) <= SNIPPET_LENGTH:
        return 0, len(text)
    start = max(0, min(first - _CONTEXT_BEFORE, len(text) - SNIPPET_LENGTH))
    if start and (space := text.find(" ", start, first)) != -1:
        start = space + 1  # begin on a word
    return start, min(len(text), start + SNIPPET_LENGTH)


def highlight(text: str, field: SearchField, words: list[QueryWord]) -> Highlighted:
    in_name = field in (SearchField.NAME, SearchField.ALIAS)
    found = [(m.start(), m.end()) for m in _TOKEN.finditer(text, 0, MAX_SCANNED) if _matches(m.group(), words, in_name)]
    start, end = _window(text, found[0][0] if found else 0)
    prefix = _ELLIPSIS if start else ""
    snippet = prefix + text[start:end] + (_ELLIPSIS if end < len(text) else "")
    shift = len(prefix) - start
    spans = [(s + shift, e - s) for s, e in found if s >= start and e <= end]
    pieces, at = [], 0
    for span_start, length in spans:
        pieces += [html.escape(snippet[at:span_start]), "<mark>",
                   html.escape(snippet[span_start:span_start + length]), "</mark>"]
        at = span_start + length
    pieces.append(html.escape(snippet[at:]))
    return Highlighted(snippet, spans, "".join(pieces))
