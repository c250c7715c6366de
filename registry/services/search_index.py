"""The search index: the rows `search` reads, written with the record that they describe.

Each record gets one search entry per text: its preferred name, each alias, its description
and the excerpt of each of its own citations (registry.models.SearchEntry), and every stem they
hold joins the dictionary that misspelled query words are corrected against (SearchTerm).
`drafts.store` indexes each record it writes; `rebuild` re-indexes every live record (the
seed runs it, so a re-run indexes data written before the index had its present shape).
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import TableRows, insert_tables
from ..models import Alias, Citation, SearchEntry, SearchField, SearchTerm
from ..models.enums import EntityType
from ..search_text import analyse, stems_text

__all__ = ["MAX_TERM_LENGTH", "entry_rows", "index_rows", "rebuild", "term_ends"]

MAX_TERM_LENGTH = 40  # longer "words" (codes, runs of letters) are never worth correcting towards
_INSERT_BATCH = 1000  # a rebuild's entries per statement: its arrays stay small
_NAMES = (SearchField.NAME, SearchField.ALIAS)


def term_ends(term: str) -> str:
    return term[:2] + term[-2:]


def entry_rows(
    entity_type: EntityType, entity_id: uuid.UUID, name: str | None, aliases: Iterable[str],
    description: str | None, excerpts: Iterable[str],
) -> list[dict[str, Any]]:
    """The search entries of one record: texts that fold to nothing are left out."""
    texts = [(SearchField.NAME, name)] + [(SearchField.ALIAS, alias) for alias in aliases]
    texts += [(SearchField.DESCRIPTION, description)] + [(SearchField.CITATION, excerpt) for excerpt in excerpts]
    rows = []
    for field, text in texts:
        words = analyse(text) if text else None
        if words:
            folded = "".join([word.folded for word in words]) if field in _NAMES else ""
            rows.append({"subject_type": entity_type, "subject_id": entity_id, "field": field, "text": text,
                         "folded": folded, "terms": stems_text(words)})
    return rows


def index_rows(rows: list[dict[str, Any]]) -> list[TableRows]:
    """Search entries (the record's old ones already deleted) and their stems for the dictionary
    (those already there are left alone), for `insert_tables`. The stems go in sorted: two
    writers adding the same ones wait for each other in the same order, never in a deadlock."""
    terms = sorted({term for row in rows for term in row["terms"].split() if len(term) <= MAX_TERM_LENGTH})
    return [TableRows(SearchEntry.__table__, rows),
            TableRows(SearchTerm.__table__, [{"term": term, "ends": term_ends(term)} for term in terms],
                      skip_conflicts=True)]


async def rebuild(session: AsyncSession, specs: Iterable[Any]) -> int:
    """Re-index every live record of these EntitySpecs from its tables; returns the entry count."""
    await session.execute(sa.delete(SearchEntry))
    rows: list[dict[str, Any]] = []
    for spec in specs:
        model, entity_type = spec.model, spec.entity_type
        has_description = spec.name_field != "description" and "description" in model.model_fields
        description = model.description if has_description else sa.null()
        records = (await session.execute(
            sa.select(model.id, getattr(model, spec.name_field), description)
            .where(model.deleted_at.is_(None)).order_by(model.id))).all()
        aliases, excerpts = defaultdict(list), defaultdict(list)
        for table, column, collected in ((Alias, Alias.name, aliases), (Citation, Citation.excerpt, excerpts)):
            owned = await session.execute(
                sa.select(table.subject_id, column).where(table.subject_type == entity_type).order_by(table.id))
            for subject_id, text in owned:
                collected[subject_id].append(text)
        for entity_id, name, text in records:
            rows += entry_rows(entity_type, entity_id, name, aliases[entity_id], text, excerpts[entity_id])
    for start in range(0, len(rows), _INSERT_BATCH):
        await session.run_sync(insert_tables, index_rows(rows[start:start + _INSERT_BATCH]))
    return len(rows)
