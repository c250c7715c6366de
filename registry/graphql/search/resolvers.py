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
matched text, then the text in code-point order, then the record's kind and id.
"""

from collections import defaultdict
from enum import Enum

import sqlalchemy as sa
import strawberry
from strawberry import Info, relay

from ...models import SearchEntry, SearchField
from ...models.enums import EntityType
from ...search_text import Word
from ..core.errors import bad_argument
from ..core.prefetch import prefetch, selections_under
from ..core.registry import NODE_TYPES
from ..core.text_search import QueryWord, correct, correction_candidates, entry_matches, parse_query
from .highlight import highlight

__all__ = ["SearchQuery"]

MAX_HITS = 100
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
    count: int


def _tier(words: list[QueryWord], compact: str) -> sa.ColumnElement:
    c = _entries.c
    names = c.field.in_(_NAMES)
    whole = [c.terms.contains(f" {w.word.stem} ") for w in words]
    inside = [sa.or_(c.folded.contains(w.word.folded), whole_word) for w, whole_word in zip(words, whole, strict=True)]
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


def _tie_breaks(field: sa.ColumnElement, text: sa.ColumnElement, dialect: str) -> tuple:
    """Name before alias before description before excerpt, shorter text first, then code points."""
    field_order = sa.case(*[(field == value, rank) for value, rank in _FIELD_ORDER.items()])
    code_points = text.collate("C") if dialect == "postgresql" else text  # SQLite compares code points
    return field_order, sa.func.length(text), code_points


def _ranked(words: list[QueryWord], dialect: str, kinds: list[EntityType] | None, first: int) -> sa.Select:
    c = _entries.c
    tier = _tier(words, "".join(w.word.folded for w in words))
    best_first = (tier.desc(), *_tie_breaks(c.field, c.text, dialect))
    entries = (
        sa.select(c.subject_type, c.subject_id, c.field, c.text, tier.label("tier"),
                  sa.func.row_number().over(partition_by=(c.subject_type, c.subject_id), order_by=best_first)
                  .label("place"))
        .where(*entry_matches(words, dialect, kinds))
        .subquery()
    )
    name = sa.select(c.text).where(c.subject_type == entries.c.subject_type, c.subject_id == entries.c.subject_id,
                                   c.field == SearchField.NAME).limit(1).scalar_subquery()
    e = entries.c
    return (
        sa.select(e.subject_type, e.subject_id, e.field, e.text, e.tier,
                  sa.case((e.field.in_(_NAMES), e.text), else_=sa.func.coalesce(name, e.text)).label("name"))
        .where(e.place == 1)
        .order_by(e.tier.desc(), *_tie_breaks(e.field, e.text, dialect), e.subject_type, e.subject_id)
        .limit(first)
    )


async def _corrected(info: Info, words: list[Word]) -> list[QueryWord]:
    statement = correction_candidates(words, info.context.dialect)
    candidates = [] if statement is None else await info.context.fetch(statement)
    return correct(words, [(row["word"], row["term"]) for row in candidates])


def _kinds(kinds: list[SearchKind] | None) -> list[EntityType] | None:
    return [EntityType(kind.value) for kind in kinds] if kinds else None


@strawberry.type
class SearchQuery:
    @strawberry.field(description="Records by name, alias, description or citation excerpt; tolerant of case, "
                                  "accents, transliteration, word forms, split or joined names and small typos")
    async def search(
        self, info: Info, query: str, kinds: list[SearchKind] | None = None, first: int = 20
    ) -> list[SearchHit]:
        if not 1 <= first <= MAX_HITS:
            raise bad_argument("first", f"must be between 1 and {MAX_HITS}, got {first}")
        words = await _corrected(info, parse_query(query, "query"))
        hits = await info.context.fetch(_ranked(words, info.context.dialect, _kinds(kinds), first))

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

    @strawberry.field(description="How many records of each kind `search` finds for this query (all of them, "
                                  "not only the first page); kinds with none are left out")
    async def search_facets(
        self, info: Info, query: str, kinds: list[SearchKind] | None = None
    ) -> list[SearchFacet]:
        words = await _corrected(info, parse_query(query, "query"))
        c = _entries.c
        counts = await info.context.fetch(
            sa.select(c.subject_type, sa.func.count(sa.distinct(c.subject_id)).label("count"))
            .where(*entry_matches(words, info.context.dialect, _kinds(kinds)))
            .group_by(c.subject_type)
            .order_by(c.subject_type)
        )
        return [SearchFacet(kind=SearchKind(row["subject_type"]), count=row["count"]) for row in counts]
