"""One search box across every kind of record."""

from collections import defaultdict
from enum import Enum

import sqlalchemy as sa
import strawberry
from strawberry import Info, relay

from ...models import SearchEntry
from ...models.enums import EntityType
from ..core.errors import bad_argument
from ..core.prefetch import prefetch, selections_under
from ..core.registry import NODE_TYPES
from ..core.text_search import matching_entries, query_words

__all__ = ["SearchQuery"]

MAX_HITS = 100
_entries = SearchEntry.__table__


@strawberry.enum(description="Kinds of record the search box covers")
class SearchKind(Enum):
    ORGANIZATION = EntityType.ORGANIZATION.value
    PERSON = EntityType.PERSON.value
    PROJECT = EntityType.PROJECT.value
    AGREEMENT = EntityType.AGREEMENT.value
    EVENT = EntityType.EVENT.value
    FIGURE = EntityType.FIGURE.value
    SOURCE = EntityType.SOURCE.value


@strawberry.type(description="A record whose name or alias matches the query")
class SearchHit:
    node: relay.Node
    matched_name: str = strawberry.field(description="A name of the record that matched")
    score: float = strawberry.field(description="Higher is better: exact name > prefix > contains")


# min() over "0<name>" / "1<alias>" picks the preferred name when it matched, else an alias
_preferred_first = sa.case((_entries.c.is_primary, "0"), else_="1").concat(_entries.c.text)


def _ranked(words: list[str], dialect: str, kinds: list[EntityType] | None, first: int) -> sa.Select:
    folded = " ".join(words)
    score = sa.case((_entries.c.folded == folded, 3.0), (_entries.c.folded.startswith(folded), 2.0), else_=1.0)
    score = score + sa.case((_entries.c.is_primary, 0.5), else_=0.0)
    return (
        sa.select(_entries.c.subject_type, _entries.c.subject_id,
                  sa.func.max(score).label("score"), sa.func.min(_preferred_first).label("matched"))
        .where(*matching_entries(words, dialect, kinds))
        .group_by(_entries.c.subject_type, _entries.c.subject_id)
        .order_by(sa.desc("score"), sa.asc("matched"), _entries.c.subject_id)
        .limit(first)
    )


@strawberry.type
class SearchQuery:
    @strawberry.field(description="Records by name or alias; tolerant of case, accents and transliteration")
    async def search(
        self, info: Info, query: str, kinds: list[SearchKind] | None = None, first: int = 20
    ) -> list[SearchHit]:
        if not 1 <= first <= MAX_HITS:
            raise bad_argument("first", f"must be between 1 and {MAX_HITS}, got {first}")
        words = query_words(query, "query")
        entity_kinds = [EntityType(kind.value) for kind in kinds] if kinds else None
        hits = await info.context.fetch(_ranked(words, info.context.dialect, entity_kinds, first))

        ids_by_kind: dict[EntityType, list] = defaultdict(list)
        for hit in hits:
            ids_by_kind[EntityType(hit["subject_type"])].append(hit["subject_id"])
        nodes = {}
        for kind, ids in ids_by_kind.items():
            found = await info.context.loaders.node(NODE_TYPES[kind]).load_many(ids)
            nodes.update({(kind, i): node for i, node in zip(ids, found, strict=True)})
        results = [
            SearchHit(node=node, matched_name=hit["matched"][1:], score=float(hit["score"]))
            for hit in hits
            if (node := nodes.get((EntityType(hit["subject_type"]), hit["subject_id"]))) is not None
        ]
        await prefetch(info, [r.node for r in results], selections_under(info.selected_fields[0].selections, "node"))
        return results
