import uuid

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import enum_field
from .enums import EntityType

__all__ = ["SearchEntry"]


class SearchEntry(SQLModel, table=True):
    """One searchable name (preferred name or alias) of an entity, with its folded form.

    `folded` is the text after registry.search_text.fold (case, diacritics, Cyrillic and
    transliteration variants removed). PostgreSQL indexes it with pg_trgm; SQLite with an
    FTS5 trigram table kept in step by triggers (both made in the migration)."""

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
    text: str = Field(max_length=500)
    folded: str = Field(max_length=500)
    is_primary: bool = Field(default=False, description="the preferred name, ranked above aliases")
