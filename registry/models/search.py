import uuid
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import enum_field
from .enums import EntityType

__all__ = ["SearchEntry", "SearchField", "SearchTerm"]


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
    the folded Snowball stems between spaces (' mosir oil refineri '). PostgreSQL indexes both
    with pg_trgm; SQLite with an FTS5 trigram table kept in step by triggers (migrations)."""

    __tablename__ = "search_entry"

    __table_args__ = (
        sa.Index("ix_search_entry_subject", "subject_type", "subject_id"),
        sa.Index(
            "ix_search_entry_folded_trgm",
            "folded",
            postgresql_using="gin",
            postgresql_ops={"folded": "gin_trgm_ops"},
        ),
        sa.Index(
            "ix_search_entry_terms_trgm",
            "terms",
            postgresql_using="gin",
            postgresql_ops={"terms": "gin_trgm_ops"},
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
