"""Admin users: create, list, disable, and check a login. Passwords are kept as argon2id hashes.

Unlike API keys (256 random bits, see api_keys.py), passwords are chosen by people and are few
enough to try them all, so a deliberately slow hash is what protects them if the table leaks.
"""

import re

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import AdminUser
from ..models.base import utcnow
from .errors import ErrorCode, ServiceError

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "check_login",
    "create_admin_user",
    "disable_admin_user",
    "list_admin_users",
]

MIN_PASSWORD_LENGTH = 12
# argon2 hashes any length, but a megabyte password is only a way to make the server work.
MAX_PASSWORD_LENGTH = 200
# The username is the actor of the user's writes in the change log: short, printable, no spaces.
_USERNAME_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}")
_hasher = PasswordHasher()
# Checked when the username is unknown, so that an unknown name costs as long as a wrong password.
_DECOY_HASH = _hasher.hash("decoy password, never anyone's")


def _check_password(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ServiceError.single(
            "password", ErrorCode.INVALID,
            f"must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long",
        )


async def create_admin_user(session: AsyncSession, username: str, password: str) -> AdminUser:
    if not _USERNAME_SHAPE.fullmatch(username):
        raise ServiceError.single(
            "username", ErrorCode.INVALID,
            "must be 1 to 100 characters: letters, digits and _ . @ -, starting with a letter or digit",
        )
    _check_password(password)
    if await session.scalar(sa.select(AdminUser.id).where(AdminUser.username == username)) is not None:
        raise ServiceError.single("username", ErrorCode.UNIQUE, f"an admin user named {username!r} exists")
    user = AdminUser(username=username, password_hash=_hasher.hash(password))
    session.add(user)
    await session.flush()
    return user


async def list_admin_users(session: AsyncSession) -> list[AdminUser]:
    return list((await session.scalars(sa.select(AdminUser).order_by(AdminUser.username))).all())


async def disable_admin_user(session: AsyncSession, username: str) -> AdminUser:
    """Disable the user: its logins are refused and its open sessions end at their next request."""
    user = await session.scalar(sa.select(AdminUser).where(AdminUser.username == username))
    if user is None:
        raise ServiceError.single("username", ErrorCode.NOT_FOUND, f"no admin user named {username!r:.120}")
    user.disabled = True
    await session.flush()
    return user


async def check_login(session: AsyncSession, username: str, password: str) -> AdminUser | None:
    """The live user these credentials name, its last login noted; None when they name none."""
    if len(username) > 100 or len(password) > MAX_PASSWORD_LENGTH:
        return None
    user = await session.scalar(sa.select(AdminUser).where(AdminUser.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DECOY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    await session.flush()
    return user
