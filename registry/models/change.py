import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import enum_field, utcnow

__all__ = ["ChangeAction", "ChangeKind", "ChangeLog"]


class ChangeAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"  # the record became a tombstone
    RESTORE = "restore"  # a tombstone became a live record again


class ChangeKind(StrEnum):
    """What a change-log row is about: the seven kinds of record, and countries.

    Relationship rows, aliases, identifiers, tags and citations belong to their record's
    snapshot, not to rows of their own."""

    SOURCE = "source"
    ORGANIZATION = "organization"
    PERSON = "person"
    PROJECT = "project"
    AGREEMENT = "agreement"
    EVENT = "event"
    FIGURE = "figure"
    COUNTRY = "country"


class ChangeLog(SQLModel, table=True):
    """One committed change to a record: the change feed, each record's history, the data version.

    Rows are written by `registry.services` as the last statements of the write transaction,
    under a lock (see `registry.services.changes`): `id > cursor` up to the feed's horizon is a
    gap-free feed, and the highest id (with, on PostgreSQL, the transactions still committing)
    is the registry's data version (ETags and response caches key on it)."""

    __tablename__ = "change_log"

    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger().with_variant(sa.Integer, "sqlite"))
    entity_type: ChangeKind = enum_field(ChangeKind, name="change_entity_type")
    entity_id: uuid.UUID = Field(index=True)
    action: ChangeAction = enum_field(ChangeAction, name="change_action")
    version: int = Field(ge=1)
    actor: str = Field(max_length=200)
    request_id: str | None = Field(default=None, max_length=200, description="the HTTP request that wrote it")
    changed_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, description="snapshot after")
    changes: dict[str, Any] | None = Field(
        default=None, sa_type=sa.JSON,
        description='changed fields, each {"before": …, "after": …}; null on rows older than migration 0006',
    )
