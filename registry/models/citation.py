import uuid

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import enum_field
from .enums import EntityType

__all__ = ["Citation"]


class Citation(SQLModel, table=True):
    """A source backing one record or relationship row, with a short verbatim excerpt.

    `subject_type`/`subject_id` point at any entity or relationship row (a generic relation,
    like NetBox's tags): the service layer checks the subject exists."""

    __table_args__ = (
        sa.UniqueConstraint("subject_type", "subject_id", "source_id", "excerpt"),
        sa.Index("ix_citation_subject", "subject_type", "subject_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subject_type: EntityType = enum_field(EntityType, name="citation_subject_type")
    subject_id: uuid.UUID
    source_id: uuid.UUID = Field(foreign_key="source.id", index=True)
    excerpt: str = Field(min_length=1, max_length=1000)
    locator: str | None = Field(default=None, max_length=100)
    note: str | None = None
