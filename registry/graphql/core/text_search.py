"""Matching search text in SQL, with each engine's own index (never a scan in Python).

A query word matches a search entry (registry.models.SearchEntry) in one of three ways:
- its folded form occurs in a name or alias, folded and run together ("eximbank" in
  "astanaeksimbank", "kasmunai" and "gas" in "kasmunaigas"): names only;
- its Snowball stem is a whole word of the entry's stems ("refineries" meets "refinery"):
  names, aliases, descriptions and excerpts alike;
- a correction of it is: a stem of the dictionary (SearchTerm) within its edit budget, 1 edit
  for stems of 5–8 letters, 2 from 9, none below 5 ("Nazrbayev" meets "Nazarbayev").
Every query word must match the same entry. PostgreSQL answers each LIKE from its pg_trgm GIN
indexes; SQLite asks its FTS5 trigram tables (the same substring semantics), so both engines
find the same rows. Corrections come from one bounded statement: dictionary stems sharing a
trigram with the word (or, for five letters, whose one edit can break every trigram, its first
and last two letters), at most MAX_CORRECTION_CANDIDATES per word, checked in Python for the
edit distance (rapidfuzz, a C implementation).
"""

import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from rapidfuzz.distance import Levenshtein

from ...models import SearchEntry, SearchField, SearchTerm
from ...models.search import field_terms
from ...models.enums import EntityType
from ...search_text import Word, analyse
from ...services.search_index import MAX_TERM_LENGTH, term_ends
from .errors import bad_argument

__all__ = [
    "MAX_CORRECTIONS",
    "MAX_CORRECTION_CANDIDATES",
    "MAX_QUERY_LENGTH",
    "MAX_QUERY_WORDS",
    "QueryWord",
    "correct",
    "correction_candidates",
    "edit_budget",
    "entry_matches",
    "inline",
    "matching_entries",
    "parse_query",
    "query_words",
]

# Each word becomes SQL conditions: SQLite refuses a thousand ("Expression tree is too
# large"), PostgreSQL more than 32,767 parameters, and folding is Python work on the event loop.
MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 10
# A misspelled word reads at most this many dictionary rows and keeps at most this many corrections.
MAX_CORRECTION_CANDIDATES = 50
MAX_CORRECTIONS = 5
_TRIGRAM = 3
_FUZZY_FROM, _TWO_EDITS_FROM = 5, 9
_NAMES = (SearchField.NAME, SearchField.ALIAS)
_table = SearchEntry.__table__
_terms = SearchTerm.__table__


@dataclass(frozen=True, slots=True)
class QueryWord:
    word: Word
    corrections: tuple[str, ...] = ()  # dictionary stems within the word's edit budget, closest first

    @property
    def stems(self) -> tuple[str, ...]:
        return (self.word.stem, *self.corrections)


def parse_query(text: str, argument: str) -> list[Word]:
    """The distinct words of a search text, folded and stemmed; refused when too long, too many or none."""
    if len(text) > MAX_QUERY_LENGTH:  # before folding, so a huge text costs nothing
        raise bad_argument(argument, f"at most {MAX_QUERY_LENGTH} characters, got {len(text)}")
    words = list({word.folded: word for word in analyse(text)}.values())
    if not words:
        raise bad_argument(argument, "needs at least one letter or digit")
    if len(words) > MAX_QUERY_WORDS:
        raise bad_argument(argument, f"at most {MAX_QUERY_WORDS} different words, got {len(words)}")
    return words


def query_words(text: str, argument: str) -> list[str]:
    """The distinct folded words of a search text, refused like parse_query's."""
    return [word.folded for word in parse_query(text, argument)]


def edit_budget(stem: str) -> int:
    """How many edits a correction of this stem may be away from it."""
    if len(stem) < _FUZZY_FROM or len(stem) > MAX_TERM_LENGTH:
        return 0
    return 1 if len(stem) < _TWO_EDITS_FROM else 2


def _trigrams(text: str) -> list[str]:
    return sorted({text[i:i + _TRIGRAM] for i in range(len(text) - _TRIGRAM + 1)})


def _fts(table: str, expression: str) -> sa.TextClause:
    # unique: one statement may ask the same FTS table several times (a subquery per word)
    return sa.text(f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH :fts").bindparams(
        sa.bindparam("fts", expression, unique=True)).columns(sa.column("rowid"))


def correction_candidates(words: list[Word], dialect: str) -> sa.CompoundSelect | sa.Select | None:
    """One statement reading, for each word with an edit budget, the dictionary stems that may be
    within it: sharing a trigram, or the first and last two letters; the most trigrams shared first.
    A word's trigrams go as one value, so the statement's shape depends on the number of such words
    only, not on their lengths (each shape is compiled and kept: see registry.graphql.context)."""
    selects = []
    for i, word in enumerate(words):
        stem = word.stem
        budget = edit_budget(stem)
        if not budget:
            continue
        trigrams = _trigrams(stem)
        if dialect == "sqlite":
            shares = _terms.c.id.in_(_fts("search_term", " OR ".join(f'"{t}"' for t in trigrams)))
        else:
            # one bitmap scan of the trigram index per pattern, as an OR of LIKEs would
            shares = _terms.c.term.like(sa.any_(_inline_list([f"%{t}%" for t in trigrams], dialect)))
        each = _each(trigrams, dialect)
        shared = sa.select(sa.func.count()).select_from(each).where(
            _terms.c.term.contains(each.c.value)).scalar_subquery()
        selects.append(
            sa.select(sa.literal(i).label("word"), _terms.c.term)
            .where(sa.or_(shares, _terms.c.ends == term_ends(stem)),
                   sa.func.length(_terms.c.term).between(len(stem) - budget, len(stem) + budget))
            .order_by(shared.desc(), _terms.c.term)
            .limit(MAX_CORRECTION_CANDIDATES)
            .subquery().select()
        )
    if not selects:
        return None
    return selects[0] if len(selects) == 1 else sa.union_all(*selects)


def correct(words: list[Word], candidates: list[tuple[int, str]]) -> list[QueryWord]:
    """Each word with the candidates (word index, stem) that lie within its edit budget."""
    found: dict[int, list[tuple[int, str]]] = {}
    for i, term in candidates:
        stem = words[i].stem
        budget = edit_budget(stem)
        if term != stem and (distance := Levenshtein.distance(stem, term, score_cutoff=budget)) <= budget:
            found.setdefault(i, []).append((distance, term))
    return [QueryWord(word, tuple(term for _, term in sorted(found.get(i, []))[:MAX_CORRECTIONS]))
            for i, word in enumerate(words)]


def inline(value: str | int) -> sa.BindParameter:
    """A value written into the statement, not sent apart: PostgreSQL then plans with each pattern
    (how common its word is decides between the trigram and the ranking index) every time, never
    with a generic plan made for any pattern."""
    return sa.literal(value, literal_execute=True)


def _inline_list(values: list[str], dialect: str) -> sa.BindParameter:
    """`inline` for a list: a PostgreSQL array, or a JSON array on SQLite (for `json_each`)."""
    if dialect == "sqlite":
        return inline(json.dumps(values))
    return sa.literal(values, type_=postgresql.ARRAY(sa.Text), literal_execute=True)


def _each(values: list[str], dialect: str) -> sa.TableValuedAlias:
    """The values as rows of one column, `value`."""
    if dialect == "sqlite":
        return sa.func.json_each(_inline_list(values, dialect)).table_valued("value")
    return sa.func.unnest(_inline_list(values, dialect)).table_valued("value").render_derived()


def _like(column: sa.ColumnElement, fragment: str) -> sa.ColumnElement[bool]:
    return column.like(inline(f"%{fragment}%"))  # folded text is [a-z0-9 ] only: no wildcard to escape


def _whole(stem: str) -> str:
    return f" {stem} "


def entry_matches(
    words: list[QueryWord], dialect: str, kinds: list[EntityType] | None = None, field: SearchField | None = None,
    rows: sa.FromClause = _table,
) -> list[sa.ColumnElement]:
    """WHERE terms selecting the search entries (of `rows`: the table or a part of it) every query
    word matches (see the module's doc); with `field`, that field's only, through its own trigram
    index on PostgreSQL (field_terms)."""
    c = rows.c
    conditions: list[sa.ColumnElement] = []
    if dialect == "sqlite":
        indexed = [w for w in words if len(w.word.folded) >= _TRIGRAM]
        if indexed:
            each = [" OR ".join([f'folded : "{w.word.folded}"'] + [f'terms : "{_whole(s)}"' for s in w.stems])
                    for w in indexed]  # folded words and stems are [a-z0-9] only: nothing to quote
            conditions.append(c.id.in_(_fts("search_entry", " AND ".join(f"({e})" for e in each))))
        words = [w for w in words if len(w.word.folded) < _TRIGRAM]
    terms = c.terms if field is None or dialect == "sqlite" else field_terms(field, c.terms, c.field)
    folded = [] if field in (SearchField.DESCRIPTION, SearchField.CITATION) else [c.folded]  # names only
    conditions += [
        sa.or_(*[_like(column, w.word.folded) for column in folded], *[_like(terms, _whole(s)) for s in w.stems])
        for w in words
    ]
    if field is not None:  # written in: PostgreSQL's plan must see it to use the field's partial index
        conditions.append(c.field == inline(field.value))
    if kinds:
        conditions.append(c.subject_type.in_(kinds))
    return conditions


def matching_entries(words: list[str], dialect: str, kinds: list[EntityType] | None = None) -> list[sa.ColumnElement]:
    """WHERE terms selecting the name and alias entries whose run-together folded name holds every word."""
    conditions: list[sa.ColumnElement] = [_table.c.field.in_(_NAMES)]
    long_words = [w for w in words if len(w) >= _TRIGRAM]
    if dialect == "sqlite" and long_words:
        conditions.append(_table.c.id.in_(_fts("search_entry", " AND ".join(f'folded : "{w}"' for w in long_words))))
        conditions += [_like(_table.c.folded, w) for w in words if len(w) < _TRIGRAM]
    else:
        conditions += [_like(_table.c.folded, w) for w in words]
    if kinds:
        conditions.append(_table.c.subject_type.in_(kinds))
    return conditions
