import uuid
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal
from sqlmodel import Field, SQLModel

from .base import enum_field
from .enums import EntityType

__all__ = ["RANKED_PREFIX", "SearchEntry", "SearchField", "SearchTerm", "code_points", "field_terms", "ranking_order"]

# Characters of an entry's text that rank it among texts of its length: the ranking index holds
# them, and a B-tree entry must stay well under a page (a text can be far longer).
RANKED_PREFIX = 64


class code_points(sa.sql.expression.ColumnElement):  # noqa: N801  (used like a SQL function)
    """Text compared code point by code point: COLLATE "C" on PostgreSQL, SQLite's own BINARY."""

    inherit_cache = True
    _traverse_internals = [("text", InternalTraversal.dp_clauseelement)]

    def __init__(self, text: sa.ColumnElement) -> None:
        self.text = text
        self.type = text.type


@compiles(code_points)
def _collate_c(element: code_points, compiler: sa.sql.compiler.SQLCompiler, **kw) -> str:
    return f'{compiler.process(element.text, **kw)} COLLATE "C"'


@compiles(code_points, "sqlite")
def _binary(element: code_points, compiler: sa.sql.compiler.SQLCompiler, **kw) -> str:
    return compiler.process(element.text, **kw)


def field_terms(field: "SearchField", terms: sa.ColumnElement, field_column: sa.ColumnElement) -> sa.ColumnElement:
    """An entry's stems if it is of this field, else NULL. PostgreSQL has a trigram index on it for
    each field, over that field's entries only (migrations 0010, 0011: a search names the field as
    well), and statistics of each field's words apart (extended statistics on the expression): how
    many names hold "review" is not how many excerpts do, and the planner must know which to read
    an index for."""
    return sa.case((field_column == sa.literal(field.value, literal_execute=True), terms))


def ranking_order(text: sa.ColumnElement, subject_type: sa.ColumnElement,
                  subject_id: sa.ColumnElement) -> tuple[sa.ColumnElement, ...]:
    """The order ties are broken in: shorter text first, then its first RANKED_PREFIX characters in
    code-point order, then the record's kind and id. ix_search_entry_ranking holds exactly these
    expressions (constants written inline, as the index has them), so it reads a field's entries in
    this order with nothing left to sort."""
    prefix = sa.func.substr(text, sa.literal_column("1"), sa.literal_column(str(RANKED_PREFIX)))
    return sa.func.length(text), code_points(prefix), subject_type, subject_id


class SearchField(StrEnum):
    """Where a search entry's text comes from, in ranking order (a name hit outranks an alias hit…)."""

    NAME = "name"
    ALIAS = "alias"
    DESCRIPTION = "description"
    CITATION = "citation"


class SearchEntry(SQLModel, table=True):
    """One searchable text of an entity: its preferred name, an alias, its description or the
    excerpt of one of its citations (registry.services.search_index writes them).

    `folded` is a name's folded words run together (registry.search_text.compact), matched as
    substrings: empty for descriptions and excerpts, which match by whole words only. `terms` is
    the folded Snowball stems between spaces (' mosir oil refineri '). PostgreSQL indexes
    `folded` with pg_trgm, and `terms` field by field (field_terms, migrations 0010, 0011); SQLite both
    with an FTS5 trigram table kept in step by triggers (migrations). ix_search_entry_ranking
    reads one field's entries in ranking order (ranking_order), so that a search of a common word
    takes its best entries without sorting every match."""

    __tablename__ = "search_entry"

    __table_args__ = (
        sa.Index("ix_search_entry_subject", "subject_type", "subject_id"),
        sa.Index(
            "ix_search_entry_folded_trgm",
            "folded",
            postgresql_using="gin",
            postgresql_ops={"folded": "gin_trgm_ops"},
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    subject_type: EntityType = enum_field(EntityType, name="search_subject_type")
    subject_id: uuid.UUID
    field: SearchField = enum_field(SearchField, name="search_field")
    text: str = Field(sa_type=sa.Text)
    folded: str = Field(sa_type=sa.Text)
    terms: str = Field(sa_type=sa.Text)


class SearchTerm(SQLModel, table=True):
    """Every stem the search entries hold, once: the dictionary a misspelled query word is
    corrected against. Found by shared trigrams (pg_trgm GIN / FTS5 trigram table) or, for
    five-letter words whose one edit can break all their trigrams, by `ends`. Never pruned: a
    stem no entry holds any more finds nothing, so it costs a candidate slot at most."""

    __tablename__ = "search_term"

    __table_args__ = (
        sa.Index(
            "ix_search_term_term_trgm",
            "term",
            postgresql_using="gin",
            postgresql_ops={"term": "gin_trgm_ops"},
        ),
    )

    id: int | None = Field(default=None, primary_key=True)  # a stable rowid for SQLite's FTS5 table
    term: str = Field(max_length=40, unique=True)
    ends: str = Field(max_length=4, index=True, description="the first two and last two letters")


# an expression index, written by hand in migration 0010
sa.Index("ix_search_entry_ranking", SearchEntry.field,
         *ranking_order(SearchEntry.text, SearchEntry.subject_type, SearchEntry.subject_id))
