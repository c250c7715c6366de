"""API keys: create (the key is shown once, only its hash is kept), list, revoke, authenticate.

A key reads `kzby_<12 hex>_<secret>`. The part up to the secret is public: it is stored as
`prefix` to find the row, then the whole key's SHA-256 is compared in constant time. The secret
is `secrets.token_urlsafe(32)`, 256 random bits: guessing it is out of reach however fast the
hash, so a slow password hash (bcrypt, argon2) would add only CPU to every request, not safety.
Those exist for passwords people choose, which are few enough to try them all.
"""

import hashlib
import hmac
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import ApiKey, ApiKeyScope
from ..models.base import as_utc, utcnow
from .errors import ErrorCode, ServiceError
from .records import json_value, record_from_row

__all__ = [
    "KEY_PREFIX",
    "LAST_USED_RESOLUTION",
    "authenticate",
    "create_api_key",
    "list_api_keys",
    "revoke_api_key",
]

KEY_PREFIX = "kzby_"
_LOOKUP_HEX_DIGITS = 12
_SECRET_BYTES = 32
# Anything longer than a key this module makes is refused before hashing (a hostile header).
_MAX_KEY_LENGTH = len(KEY_PREFIX) + _LOOKUP_HEX_DIGITS + 1 + 64
_KEY_SHAPE = re.compile(rf"({KEY_PREFIX}[0-9a-f]{{{_LOOKUP_HEX_DIGITS}}})_[A-Za-z0-9_-]+")
# The name is the actor of the key's writes in the change log: short, printable, no spaces.
_NAME_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}")
# last_used_at is written at most this often per key: a write on every read request would cost
# the read path a row lock and a commit.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _checked_scopes(scopes: Iterable[str]) -> list[str]:
    known = {scope.value for scope in ApiKeyScope}
    wanted = [scope.strip() for scope in scopes if scope.strip()]
    unknown = [scope for scope in wanted if scope not in known]
    if unknown:
        raise ServiceError.single(
            "scopes", ErrorCode.INVALID,
            f"unknown scope {unknown[0]!r:.60} (known: {', '.join(sorted(known))})",
        )
    if not wanted:
        raise ServiceError.single(
            "scopes", ErrorCode.REQUIRED, f"give at least one of {', '.join(sorted(known))}"
        )
    return sorted(set(wanted))


async def create_api_key(session: AsyncSession, name: str, scopes: Iterable[str]) -> tuple[ApiKey, str]:
    """A new key named `name`: the stored row and the key itself, which is not kept anywhere.

    A revoked key's name stays taken: the change log names writers by key name, so a new key
    under an old name would be mistaken for the revoked one in the history."""
    if not _NAME_SHAPE.fullmatch(name):
        raise ServiceError.single(
            "name", ErrorCode.INVALID,
            "must be 1 to 100 characters: letters, digits and _ . @ -, starting with a letter or digit",
        )
    checked = _checked_scopes(scopes)
    existing = await session.scalar(sa.select(ApiKey).where(ApiKey.name == name))
    if existing is not None:
        state = "a revoked key keeps its name (it is the actor of that key's changes); choose another" \
            if existing.revoked_at is not None else "choose another, or revoke that key first"
        raise ServiceError.single("name", ErrorCode.UNIQUE, f"an API key named {name!r} exists: {state}")
    prefix = KEY_PREFIX + secrets.token_hex(_LOOKUP_HEX_DIGITS // 2)
    key = f"{prefix}_{secrets.token_urlsafe(_SECRET_BYTES)}"
    api_key = ApiKey(name=name, prefix=prefix, secret_hash=_digest(key), scopes=checked)
    session.add(api_key)
    await session.flush()
    return api_key, key


async def list_api_keys(session: AsyncSession) -> list[ApiKey]:
    return list((await session.scalars(sa.select(ApiKey).order_by(ApiKey.name))).all())


async def revoke_api_key(session: AsyncSession, name: str) -> ApiKey:
    """Revoke the key `name` from now on; a key already revoked keeps its first revocation time."""
    api_key = await session.scalar(sa.select(ApiKey).where(ApiKey.name == name))
    if api_key is None:
        raise ServiceError.single("name", ErrorCode.NOT_FOUND, f"no API key named {name!r:.120}")
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
        await session.flush()
    return api_key


# authenticate's statements, built once: every request with a key runs them (the second now and
# then). On the table (Core): a row is all authenticate needs, not an object in a session.
_API_KEY = ApiKey.__table__
_BY_PREFIX = sa.select(_API_KEY).where(_API_KEY.c.prefix == sa.bindparam("prefix"))
# Conditional, so that workers authenticating the same key at once write it once.
_NOTE_USE = (
    sa.update(_API_KEY)
    .where(_API_KEY.c.id == sa.bindparam("key_id"),
           sa.or_(_API_KEY.c.last_used_at.is_(None), _API_KEY.c.last_used_at <= sa.bindparam("used_before")))
    .values(last_used_at=sa.bindparam("now"))
    .returning(_API_KEY.c.id)
)

# Runs a statement built once and returns its rows, each statement committed on its own: a
# request's read connection (`registry.graphql.context.Reads.fetch_fixed`).
Fetch = Callable[[sa.Executable, dict[str, Any]], Awaitable[Sequence[Mapping[str, Any]]]]


async def authenticate(fetch: Fetch, presented_key: str | None) -> ApiKey | None:
    """The live key `presented_key` is, or None when it is missing, malformed, unknown or revoked.

    One statement through `fetch`, on the connection the request reads with (a session of its
    own cost every keyed request a second pooled connection and the ORM's work around one row);
    notes the use in `last_used_at` at most once per LAST_USED_RESOLUTION, with a second."""
    if not presented_key or len(presented_key) > _MAX_KEY_LENGTH:
        return None
    shape = _KEY_SHAPE.fullmatch(presented_key)
    if shape is None:
        return None
    rows = await fetch(_BY_PREFIX, {"prefix": shape.group(1)})
    if not rows or not hmac.compare_digest(rows[0]["secret_hash"], _digest(presented_key)):
        return None
    row = rows[0]
    if row["revoked_at"] is not None:
        return None
    now, last_used = utcnow(), row["last_used_at"]
    if last_used is None or as_utc(last_used) <= now - LAST_USED_RESOLUTION:
        await fetch(_NOTE_USE, {"key_id": row["id"], "now": now, "used_before": now - LAST_USED_RESOLUTION})
        last_used = now
    # Built as a loaded row is, not validated again field by field (a tenth of a keyed write's
    # fixed cost); asyncpg's own rows hand JSON over as its text.
    return record_from_row(ApiKey, {**row, "scopes": json_value(row["scopes"]), "last_used_at": last_used})
