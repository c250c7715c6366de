"""Names and keys that hang off any entity: aliases, external identifiers, tags."""

import uuid

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import enum_field
from .enums import AliasKind, EntityType

__all__ = ["Alias", "ExternalIdentifier", "Tag"]


class Alias(SQLModel, table=True):
    """Another name of an entity: a spelling variant, abbreviation, translation…"""

    __table_args__ = (
        sa.UniqueConstraint("subject_type", "subject_id", "name", "lang"),
        sa.Index("ix_alias_subject", "subject_type", "subject_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subject_type: EntityType = enum_field(EntityType, name="alias_subject_type")
    subject_id: uuid.UUID
    name: str = Field(min_length=1, max_length=300)
    lang: str = Field(max_length=35, regex=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", description="BCP-47")
    kind: AliasKind = enum_field(AliasKind, name="alias_kind")


class ExternalIdentifier(SQLModel, table=True):
    """A partner system's key for an entity: unique per scheme and entity type."""

    __tablename__ = "external_identifier"

    __table_args__ = (
        sa.UniqueConstraint("subject_type", "scheme", "value"),
        sa.Index("ix_external_identifier_subject", "subject_type", "subject_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subject_type: EntityType = enum_field(EntityType, name="identifier_subject_type")
    subject_id: uuid.UUID
    scheme: str = Field(min_length=1, max_length=50, regex=r"^[a-z0-9][a-z0-9_.-]*$")
    value: str = Field(min_length=1, max_length=200)


class Tag(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("subject_type", "subject_id", "name"),
        sa.Index("ix_tag_name_subject", "name", "subject_type", "subject_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subject_type: EntityType = enum_field(EntityType, name="tag_subject_type")
    subject_id: uuid.UUID
    name: str = Field(min_length=1, max_length=50, regex=r"^[a-z0-9][a-z0-9-]*$")
