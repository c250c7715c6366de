"""One search box across every kind of record.

Ranking (SearchHit.score is the tier; higher first):
  7 the query is the preferred name (folded, words run together: "Kazmunai gas" = KazMunaiGas)
  6 the query is an alias
  5 a name or alias starts with the query
  4 every query word is a whole word of a name or alias (word forms meet: "refineries")
  3 every query word occurs in a name or alias, inside a word ("eximbank" in AstanaEximbank)
  2 a name or alias matches only with a spelling correction ("Nazrbayev")
  1 the description matches (whole words, word forms, corrections)
  0 the excerpt of one of the record's citations matches
A record is ranked by its best entry. Ties go to the name before an alias, then the shorter
matched text, then its first RANKED_PREFIX (64) characters in code-point order, then the record's
kind and id. Each field's read is bounded (_field_matches): past SORTED_MATCHES matches, only the
field's first RANKING_READ entries in that order are ranked.
"""

from collections import defaultdict
from enum import Enum

import sqlalchemy as sa
import strawberry
from strawberry import Info, relay

from ...models import SearchEntry, SearchField
from ...models.search import ranking_order
from ...models.enums import EntityType
from ...search_text import Word
from ..core.errors import bad_argument
from ..core.prefetch import prefetch, selections_under
from ..core.registry import NODE_TYPES
from ..core.text_search import QueryWord, correct, correction_candidates, entry_matches, inline, parse_query
from .highlight import highlight

__all__ = ["SearchQuery"]

MAX_HITS = 100
# How much of each field (names, aliases, descriptions, excerpts) one search reads: its matching
# entries when they are at most SORTED_MATCHES (all ranked, exactly), else the field's first
# RANKING_READ entries in ranking order, of which those that match (see _field_matches).
SORTED_MATCHES = 500
RANKING_READ = 2000
# searchFacets counts at most this many matching entries of each field.
MAX_COUNTED = 1000
_entries = SearchEntry.__table__
_NAMES = (SearchField.NAME, SearchField.ALIAS)
_FIELD_ORDER = {field: rank for rank, field in enumerate(SearchField)}


@strawberry.enum(description="Kinds of record the search box covers")
class SearchKind(Enum):
    ORGANIZATION = EntityType.ORGANIZATION.value
    PERSON = EntityType.PERSON.value
    PROJECT = EntityType.PROJECT.value
    AGREEMENT = EntityType.AGREEMENT.value
    EVENT = EntityType.EVENT.value
    FIGURE = EntityType.FIGURE.value
    SOURCE = EntityType.SOURCE.value


@strawberry.enum(description="The text of a record a search hit matched in")
class SearchMatch(Enum):
    NAME = SearchField.NAME.value
    ALIAS = SearchField.ALIAS.value
    DESCRIPTION = SearchField.DESCRIPTION.value
    CITATION = SearchField.CITATION.value


@strawberry.type(description="A stretch of a highlight's text that matched the query")
class TextSpan:
    start: int = strawberry.field(description="Offset in the highlight's text, in Unicode code points")
    length: int = strawberry.field(description="Length in Unicode code points")


@strawberry.type(description="The matched text, cut around its first match, with the matching words located")
class SearchHighlight:
    text: str = strawberry.field(description="Plain text: a name, or up to 160 characters of a longer text "
                                             "(… where cut)")
    spans: list[TextSpan] = strawberry.field(description="The matching words of `text`, in order")
    marked: str = strawberry.field(description="`text` HTML-escaped, each span wrapped in <mark>…</mark>")


@strawberry.type(description="A record matching the search")
class SearchHit:
    node: relay.Node
    matched_name: str = strawberry.field(
        description="The name or alias that matched; for a description or citation match, the record's name")
    matched_in: SearchMatch = strawberry.field(description="Which text of the record matched best")
    matched_text: strawberry.Private[str]
    words: strawberry.Private[list[QueryWord]]
    score: float = strawberry.field(
        description="The ranking tier, higher first: 7 exact name, 6 exact alias, 5 prefix, 4 whole words, "
                    "3 inside a name, 2 spelling correction, 1 description, 0 citation excerpt")

    @strawberry.field(description="That text around the match, the match located")
    def highlight(self) -> SearchHighlight:  # worked out only when asked for
        shown = highlight(self.matched_text, SearchField(self.matched_in.value), self.words)
        return SearchHighlight(text=shown.snippet, marked=shown.marked,
                               spans=[TextSpan(start=start, length=length) for start, length in shown.spans])


@strawberry.type(description="How many records of one kind match a search")
class SearchFacet:
    kind: SearchKind
    count: int = strawberry.field(description="Records of this kind found; a lower bound when `capped`")
    capped: bool = strawberry.field(
        description=f"True when the query matches more than {MAX_COUNTED} names, aliases, descriptions or "
                    f"excerpts: only that many of each are counted, so that a common word costs no more "
                    f"than a rare one (the same for every kind of one query)")


def _tier(words: list[QueryWord], c: sa.ColumnCollection) -> sa.ColumnElement:
    names = c.field.in_(_NAMES)
    whole = [c.terms.contains(inline(f" {w.word.stem} ")) for w in words]
    inside = [sa.or_(c.folded.contains(inline(w.word.folded)), whole_word)
              for w, whole_word in zip(words, whole, strict=True)]
    compact = inline("".join(w.word.folded for w in words))
    return sa.case(
        (sa.and_(c.field == SearchField.NAME, c.folded == compact), 7),
        (sa.and_(c.field == SearchField.ALIAS, c.folded == compact), 6),
        (sa.and_(names, c.folded.startswith(compact)), 5),
        (sa.and_(names, *whole), 4),
        (sa.and_(names, *inside), 3),
        (names, 2),
        (c.field == SearchField.DESCRIPTION, 1),
        else_=0,
    )


def _tie_breaks(c: sa.ColumnCollection) -> tuple:
    """Name before alias before description before excerpt, then ranking_order (text, kind, id)."""
    field_order = sa.case(*[(c.field == value, rank) for value, rank in _FIELD_ORDER.items()])
    return field_order, *ranking_order(c.text, c.subject_type, c.subject_id)


def _field_matches(words: list[QueryWord], dialect: str, kinds: list[EntityType] | None,
                   field: SearchField) -> list[sa.Select]:
    """This field's entries matching every word, to be ranked: all of them when they are at most
    SORTED_MATCHES, else those among the field's RANKING_READ first entries in ranking order (read
    from ix_search_entry_ranking, where a common word finds its page in the first few hundred)."""
    c = _entries.c
    found = sa.select(_entries).where(*entry_matches(words, dialect, kinds, field)).limit(
        inline(SORTED_MATCHES + 1)).cte(f"{field.value}_found")
    count = sa.select(sa.func.count()).select_from(found).scalar_subquery()
    first_read = (sa.select(_entries).where(c.field == field).order_by(*ranking_order(c.text, c.subject_type, c.subject_id))
                  .limit(inline(RANKING_READ)).subquery(f"{field.value}_first"))
    return [
        sa.select(found).where(count <= SORTED_MATCHES),
        sa.select(first_read).where(*entry_matches(words, dialect, kinds, field, first_read), count > SORTED_MATCHES),
    ]


def _ranked(words: list[QueryWord], dialect: str, kinds: list[EntityType] | None, first: int) -> sa.Select:
    """The first page: each record ranked by its best matching entry, every field's read bounded
    (_field_matches)."""
    candidates = sa.union_all(*[part for field in SearchField
                                for part in _field_matches(words, dialect, kinds, field)]).subquery()
    k = candidates.c
    tier = _tier(words, k)
    best_first = (tier.desc(), *_tie_breaks(k))
    entries = (
        sa.select(k.subject_type, k.subject_id, k.field, k.text, tier.label("tier"),
                  sa.func.row_number().over(partition_by=(k.subject_type, k.subject_id), order_by=best_first)
                  .label("place"))
        .subquery()
    )
    c = _entries.c
    name = sa.select(c.text).where(c.subject_type == entries.c.subject_type, c.subject_id == entries.c.subject_id,
                                   c.field == SearchField.NAME).limit(1).scalar_subquery()
    e = entries.c
    return (
        sa.select(e.subject_type, e.subject_id, e.field, e.text, e.tier,
                  sa.case((e.field.in_(_NAMES), e.text), else_=sa.func.coalesce(name, e.text)).label("name"))
        .where(e.place == 1)
        .order_by(e.tier.desc(), *_tie_breaks(e))
        .limit(first)
    )


async def _corrected(info: Info, words: list[Word]) -> list[QueryWord]:
    statement = correction_candidates(words, info.context.dialect)
    candidates = [] if statement is None else await info.context.fetch(statement, varied=True)
    return correct(words, [(row["word"], row["term"]) for row in candidates])


def _kinds(kinds: list[SearchKind] | None) -> list[EntityType] | None:
    return [EntityType(kind.value) for kind in kinds] if kinds else None


async def _search(info: Info, query: str, kinds: list[SearchKind] | None, first: int) -> list[SearchHit]:
    words = await _corrected(info, parse_query(query, "query"))
    hits = await info.context.fetch(_ranked(words, info.context.dialect, _kinds(kinds), first), varied=True)

    ids_by_kind: dict[EntityType, list] = defaultdict(list)
    for hit in hits:
        ids_by_kind[EntityType(hit["subject_type"])].append(hit["subject_id"])
    nodes = {}
    for kind, ids in ids_by_kind.items():
        found = await info.context.loaders.node(NODE_TYPES[kind]).load_many(ids)
        nodes.update({(kind, i): node for i, node in zip(ids, found, strict=True)})
    results = []
    for hit in hits:
        node = nodes.get((EntityType(hit["subject_type"]), hit["subject_id"]))
        if node is None:
            continue
        results.append(SearchHit(node=node, matched_name=hit["name"], matched_in=SearchMatch(hit["field"]),
                                 matched_text=hit["text"], words=words, score=float(hit["tier"])))
    await prefetch(info, [r.node for r in results], selections_under(info.selected_fields[0].selections, "node"))
    return results


async def _facets(info: Info, query: str, kinds: list[SearchKind] | None) -> list[SearchFacet]:
    words = await _corrected(info, parse_query(query, "query"))
    c = _entries.c
    found = sa.union_all(*[
        sa.select(c.subject_type, c.subject_id, c.field)
        .where(*entry_matches(words, info.context.dialect, _kinds(kinds), field))
        .limit(inline(MAX_COUNTED + 1)).subquery().select()
        for field in SearchField
    ]).cte("found")
    per_field = sa.select(sa.func.count().label("entries")).select_from(found).group_by(found.c.field).subquery()
    capped = sa.select(sa.func.coalesce(sa.func.max(per_field.c.entries), 0) > MAX_COUNTED).scalar_subquery()
    counts = await info.context.fetch(
        sa.select(found.c.subject_type, sa.func.count(sa.distinct(found.c.subject_id)).label("count"),
                  capped.label("capped"))
        .group_by(found.c.subject_type)
        .order_by(found.c.subject_type),
        varied=True,
    )
    return [SearchFacet(kind=SearchKind(row["subject_type"]), count=row["count"], capped=bool(row["capped"]))
            for row in counts]


@strawberry.type
class SearchQuery:
    # A search holds its candidates and records in memory while it runs: a worker runs a few at
    # a time (`Context.slots`), the others wait their turn.
    @strawberry.field(description="Records by name, alias, description or citation excerpt; tolerant of case, "
                                  "accents, transliteration, word forms, split or joined names and small typos")
    async def search(
        self, info: Info, query: str, kinds: list[SearchKind] | None = None, first: int = 20
    ) -> list[SearchHit]:
        if not 1 <= first <= MAX_HITS:
            raise bad_argument("first", f"must be between 1 and {MAX_HITS}, got {first}")
        async with info.context.slots.search:
            return await _search(info, query, kinds, first)

    @strawberry.field(description="How many records of each kind `search` finds for this query (all of them, "
                                  "not only the first page, up to a bound: see `capped`); kinds with none "
                                  "are left out")
    async def search_facets(
        self, info: Info, query: str, kinds: list[SearchKind] | None = None
    ) -> list[SearchFacet]:
        async with info.context.slots.search:
            return await _facets(info, query, kinds)
