import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import enum_field, utcnow
from .enums import EntityType

__all__ = ["ChangeAction", "ChangeLog"]


class ChangeAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class ChangeLog(SQLModel, table=True):
    """One committed change to an entity, written by the service in the same transaction.

    The highest id is the registry's data version (ETags and response caches key on it)."""

    __tablename__ = "change_log"

    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger().with_variant(sa.Integer, "sqlite"))
    entity_type: EntityType = enum_field(EntityType, name="change_entity_type")
    entity_id: uuid.UUID = Field(index=True)
    action: ChangeAction = enum_field(ChangeAction, name="change_action")
    version: int = Field(ge=1)
    actor: str = Field(max_length=200)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, description="snapshot after")
