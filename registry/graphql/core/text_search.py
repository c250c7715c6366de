"""Matching folded names in SQL, with each engine's own index (never a scan in Python).

Every query word, folded like the stored names (registry.search_text.fold), must occur in
one stored name. PostgreSQL answers `LIKE '%word%'` from the pg_trgm GIN index; SQLite asks
its FTS5 trigram table. Words under three letters (too short for trigrams) use LIKE on both.
"""

import sqlalchemy as sa

from ...models import SearchEntry
from ...models.enums import EntityType
from ...search_text import fold_tokens
from .errors import bad_argument

__all__ = ["MAX_QUERY_LENGTH", "MAX_QUERY_WORDS", "matching_entries", "query_words"]

# Each word becomes one SQL condition: SQLite refuses a thousand ("Expression tree is too
# large"), PostgreSQL more than 32,767 parameters, and folding is Python work on the event loop.
MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 10
_TRIGRAM = 3
_table = SearchEntry.__table__


def query_words(text: str, argument: str) -> list[str]:
    """The distinct folded words of a search text, refused when too long, too many or none."""
    if len(text) > MAX_QUERY_LENGTH:  # before folding, so a huge text costs nothing
        raise bad_argument(argument, f"at most {MAX_QUERY_LENGTH} characters, got {len(text)}")
    words = list(dict.fromkeys(fold_tokens(text)))
    if not words:
        raise bad_argument(argument, "needs at least one letter or digit")
    if len(words) > MAX_QUERY_WORDS:
        raise bad_argument(argument, f"at most {MAX_QUERY_WORDS} different words, got {len(words)}")
    return words


def _like(word: str) -> sa.ColumnElement[bool]:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return _table.c.folded.like(f"%{escaped}%", escape="\\")


def matching_entries(words: list[str], dialect: str, kinds: list[EntityType] | None = None) -> list[sa.ColumnElement]:
    """WHERE terms selecting the search_entry rows whose folded name holds every word."""
    conditions: list[sa.ColumnElement] = []
    long_words = [w for w in words if len(w) >= _TRIGRAM]
    if dialect == "sqlite" and long_words:
        fts_query = " AND ".join(f'"{w}"' for w in long_words)  # folded words are [a-z0-9] only
        conditions.append(
            _table.c.id.in_(sa.text("SELECT rowid FROM search_entry_fts WHERE search_entry_fts MATCH :fts")
                            .bindparams(fts=fts_query).columns(sa.column("rowid")))
        )
        conditions += [_like(w) for w in words if len(w) < _TRIGRAM]
    else:
        conditions += [_like(w) for w in words]
    if kinds:
        conditions.append(_table.c.subject_type.in_(kinds))
    return conditions
