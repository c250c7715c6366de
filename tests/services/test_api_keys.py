"""API keys: shown once, stored as a hash, found by prefix, refused when wrong or revoked."""

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from registry.db import StatementLog
from registry.graphql.context import Reads
from registry.models import ApiKey, ApiKeyScope
from registry.models.base import as_utc, utcnow
from registry.services import ServiceError, api_keys


async def _create(sessions, name="partner", scopes=("read", "write")):
    async with sessions() as session, session.begin():
        return await api_keys.create_api_key(session, name, scopes)


async def _authenticate(sessions, presented):
    reads = Reads(sessions.kw["bind"])  # as a request looks its key up: on the connection it reads with
    try:
        return await api_keys.authenticate(reads.fetch_fixed, presented)
    finally:
        await reads.close()


async def test_only_a_hash_of_the_key_is_stored_and_the_key_authenticates(sessions):
    created, key = await _create(sessions)
    assert key.startswith(created.prefix + "_") and created.prefix.startswith(api_keys.KEY_PREFIX)
    async with sessions() as session:
        stored = (await session.execute(sa.select(ApiKey.__table__))).one()._asdict()
    assert key not in {str(value) for value in stored.values()}
    assert stored["secret_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert stored["scopes"] == ["read", "write"]

    found = await _authenticate(sessions, key)
    assert found is not None and found.name == "partner"
    assert found.allows(ApiKeyScope.WRITE) and found.allows(ApiKeyScope.READ)


async def test_keys_are_distinct_and_scopes_are_kept(sessions):
    reader, read_key = await _create(sessions, "reader", ["read"])
    _, other_key = await _create(sessions, "other", ["read"])
    assert read_key != other_key and len(read_key) > 40
    found = await _authenticate(sessions, read_key)
    assert found.allows(ApiKeyScope.READ) and not found.allows(ApiKeyScope.WRITE)


WRONG_KEYS = {
    "missing": lambda key: None,
    "empty": lambda key: "",
    "wrong secret": lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"),
    "truncated": lambda key: key[:-4],
    "unknown prefix": lambda key: "kzby_000000000000_" + key.split("_", 2)[2],
    "huge": lambda key: key + "x" * 100_000,  # refused before hashing
    "with its scheme": lambda key: "Bearer " + key,
    "upper case": lambda key: key.upper(),
    "non-ASCII": lambda key: "kzby_" + "ä" * 12 + "_secret",
}


async def test_missing_or_wrong_keys_authenticate_nobody(sessions):
    _, key = await _create(sessions)
    accepted = [name for name, mangle in WRONG_KEYS.items() if await _authenticate(sessions, mangle(key))]
    assert accepted == []
    assert await _authenticate(sessions, key) is not None


async def test_a_revoked_key_authenticates_nobody_and_keeps_its_first_revocation_time(sessions):
    _, key = await _create(sessions)
    async with sessions() as session, session.begin():
        revoked = await api_keys.revoke_api_key(session, "partner")
    assert revoked.revoked_at is not None and not revoked.allows(ApiKeyScope.READ)
    assert await _authenticate(sessions, key) is None
    async with sessions() as session, session.begin():
        again = await api_keys.revoke_api_key(session, "partner")
    assert as_utc(again.revoked_at) == as_utc(revoked.revoked_at)


async def test_revoking_an_unknown_name_is_refused(sessions):
    with pytest.raises(ServiceError) as refused:
        async with sessions() as session, session.begin():
            await api_keys.revoke_api_key(session, "nobody")
    assert [(e.field, e.code.value) for e in refused.value.errors] == [("name", "not_found")]


async def test_names_are_unique_and_a_revoked_keys_name_stays_taken(sessions):
    await _create(sessions)
    with pytest.raises(ServiceError, match="revoke that key first"):
        await _create(sessions)
    async with sessions() as session, session.begin():
        await api_keys.revoke_api_key(session, "partner")
    with pytest.raises(ServiceError, match="a revoked key keeps its name") as refused:
        await _create(sessions)
    assert refused.value.errors[0].field == "name"
    async with sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(ApiKey)) == 1


async def test_bad_names_are_refused(sessions):
    for name in ["", " partner", "a b", "-leading", "x" * 101, "x" * 100_000, "név\n"]:
        with pytest.raises(ServiceError) as refused:
            await _create(sessions, name)
        assert refused.value.errors[0].field == "name"
        assert len(str(refused.value)) < 200  # the hostile value is not echoed back whole
    async with sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(ApiKey)) == 0


async def test_bad_scopes_are_refused(sessions):
    for scopes, message in [
        (["admin"], "unknown scope 'admin' (known: read, write)"),
        (["read", "x" * 100_000], "unknown scope 'xxxx"),
        ([], "give at least one of read, write"),
        ([" ", ""], "give at least one of read, write"),
    ]:
        with pytest.raises(ServiceError) as refused:
            await _create(sessions, scopes=scopes)
        assert refused.value.errors[0].field == "scopes" and message in str(refused.value)
        assert len(str(refused.value)) < 200


async def test_scopes_are_trimmed_and_deduplicated(sessions):
    created, _ = await _create(sessions, scopes=[" write", "read ", "write"])
    assert created.scopes == ["read", "write"]


async def _last_used(sessions):
    async with sessions() as session:
        return await session.scalar(sa.select(ApiKey.last_used_at))


async def test_last_use_is_written_at_most_once_a_minute(sessions, engine):
    _, key = await _create(sessions)
    assert await _last_used(sessions) is None
    await _authenticate(sessions, key)
    first = await _last_used(sessions)
    assert first is not None

    with StatementLog(engine) as log:
        await _authenticate(sessions, key)
        statements = await log.settled()
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE")], statements
    assert await _last_used(sessions) == first

    # a minute later (moved back in the table rather than waited for), the next use is noted
    async with sessions() as session, session.begin():
        await session.execute(sa.update(ApiKey).values(last_used_at=utcnow() - timedelta(minutes=2)))
    await _authenticate(sessions, key)
    async with sessions() as session:
        assert await session.scalar(sa.select(ApiKey.last_used_at > utcnow() - timedelta(minutes=1)))
