from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import utcnow

__all__ = ["AdminUser"]


class AdminUser(SQLModel, table=True):
    """A maintainer who may log in to /admin. Only an argon2 hash of the password is kept.

    Rows are never deleted: a disabled user keeps its name, the actor of its writes in the change log."""

    __tablename__ = "admin_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, unique=True)
    password_hash: str = Field(max_length=200, description="argon2id, in the PHC string format")
    disabled: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    last_login_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
