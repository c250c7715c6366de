import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import enum_field

__all__ = ["IdempotencyKey", "IdempotencyState"]


class IdempotencyState(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class IdempotencyKey(SQLModel, table=True):
    """A client's `Idempotency-Key`, per API key: the request it was first used with and its response.

    The unique (api_key_id, key) pair is the lock: the request that inserts the row runs, the others
    wait for its response (registry/services/idempotency.py)."""

    __tablename__ = "idempotency_key"
    __table_args__ = (sa.UniqueConstraint("api_key_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    api_key_id: int = Field(foreign_key="api_key.id")
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64, description="SHA-256 of the request body, hex")
    state: IdempotencyState = enum_field(IdempotencyState, name="idempotency_state")
    owner: uuid.UUID = Field(description="changes when a stale claim is taken over; complete() checks it")
    claimed_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True), index=True)
    response_status: int | None = None
    response_body: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
