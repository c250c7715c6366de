from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import utcnow

__all__ = ["ApiKey", "ApiKeyScope"]


class ApiKeyScope(StrEnum):
    READ = "read"
    WRITE = "write"


class ApiKey(SQLModel, table=True):
    """A partner's or maintainer's credential. The key itself is never stored, only its SHA-256.

    Rows are never deleted: a revoked key keeps its name, the actor of its writes in the change log."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    prefix: str = Field(max_length=40, unique=True, description="the key's public start, shown in listings")
    secret_hash: str = Field(max_length=64, description="SHA-256 of the whole key, hex")
    scopes: list[str] = Field(sa_type=sa.JSON, description="ApiKeyScope values")
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    last_used_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))

    def allows(self, scope: ApiKeyScope) -> bool:
        return self.revoked_at is None and scope.value in self.scopes
