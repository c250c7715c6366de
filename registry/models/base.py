"""Shared columns and conventions for every table."""

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

__all__ = [
    "UNDATED",
    "EntityMixin",
    "RelationMixin",
    "as_utc",
    "entity_table_args",
    "enum_field",
    "partial_date_bound",
    "partial_date_text",
    "undated_last",
    "utcnow",
]

# Predictable constraint names, so Alembic's batch mode can alter them on SQLite.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A time read from a DateTime(timezone=True) column, zoned: SQLite hands it back without its zone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def enum_field(enum: type[StrEnum], *, name: str, nullable: bool = False, **kwargs: Any) -> Any:
    """A VARCHAR column with a CHECK constraint listing the enum's values (no native PG enum type)."""
    sa_type = sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
    return Field(sa_type=sa_type, nullable=nullable, **kwargs)


def partial_date_text(**kwargs: Any) -> Any:
    """The partial date as written (EDTF subset, see registry.partial_date)."""
    return Field(default=None, max_length=40, **kwargs)


def partial_date_bound(**kwargs: Any) -> Any:
    """A derived bound of a partial date: kept in step by the service layer, used to filter and sort."""
    return Field(default=None, sa_type=sa.Date, **kwargs)


class EntityMixin(SQLModel):
    """Identity, versioning and soft delete shared by every first-class record."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    slug: str = Field(max_length=120, unique=True, regex=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    version: int = Field(default=1, ge=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    # a tombstone: the row stays so the change feed and partners can see the deletion
    deleted_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True), index=True)


class RelationMixin(SQLModel):
    """A relationship row owned by one record; its id is derived from its content (stable on re-save)."""

    id: uuid.UUID = Field(primary_key=True)


# Sorting by a nullable date puts undated rows last through this sentinel; keyset cursors need a
# non-NULL sort key. Written as a literal (not a bound parameter) so PostgreSQL matches the
# expression indexes built on it. Not 9999-12-31: asyncpg sends date.max as PostgreSQL's
# 'infinity', so a cursor holding it would compare below every row.
UNDATED = sa.literal_column("'9999-01-01'", sa.Date)


def undated_last(*columns: Any) -> sa.ColumnElement:
    """The first non-NULL of `columns`, else the far future: a sort key for partial dates."""
    return sa.func.coalesce(*columns, UNDATED)


def entity_table_args(*extra: Any) -> tuple[Any, ...]:
    """`__table_args__` for an entity table: its own constraints plus the shared version check."""
    return (sa.CheckConstraint("version >= 1", name="version_positive"), *extra)
