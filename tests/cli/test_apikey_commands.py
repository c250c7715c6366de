"""`registry apikey create / list / revoke`, run as a real process on a migrated database."""

import pytest
import sqlalchemy as sa

from registry.db import create_engine
from registry.graphql.context import Reads
from registry.models import ApiKey
from registry.services import api_keys
from tests.cli.test_db_commands import _one_line_error, run


def apikey(database_url: str, *args: str):
    return run("apikey", *args, database_url=database_url)


async def _authenticates(database_url: str, key: str) -> str | None:
    engine = create_engine(database_url)
    reads = Reads(engine)
    try:
        found = await api_keys.authenticate(reads.fetch_fixed, key)
        return found.name if found else None
    finally:
        await reads.close()
        await engine.dispose()


def test_every_apikey_command_has_help():
    for command in (["apikey", "--help"], ["apikey", "create", "--help"], ["apikey", "list", "--help"],
                    ["apikey", "revoke", "--help"]):
        result = run(*command)
        assert result.returncode == 0, (command, result.stderr)
        assert "Usage" in result.stdout


async def test_create_prints_the_key_once_list_shows_it_revoke_refuses_it(database_url):
    created = apikey(database_url, "create", "--name", "partner-minsk", "--scopes", "read,write")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("kzby_") and "\n" not in key  # stdout is the key alone, for a script
    assert "shown only now" in created.stderr
    assert await _authenticates(database_url, key) == "partner-minsk"

    listed = apikey(database_url, "list")
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if line.startswith("partner-minsk "))
    assert key.split("_")[1] in row and "read,write" in row
    assert key not in listed.stdout
    assert "never" not in row  # last used: noted by the authentication above

    revoked = apikey(database_url, "revoke", "partner-minsk")
    assert revoked.returncode == 0 and "revoked at" in revoked.stdout
    assert await _authenticates(database_url, key) is None
    again = apikey(database_url, "revoke", "partner-minsk")  # idempotent: the same revocation time
    assert again.returncode == 0 and again.stdout == revoked.stdout
    listed = apikey(database_url, "list")
    row = next(line for line in listed.stdout.splitlines() if line.startswith("partner-minsk "))
    assert " ".join(row.split()[-2:]) + " UTC" in revoked.stdout  # the revoked column


async def test_scopes_default_to_read(database_url):
    assert apikey(database_url, "create", "--name", "reader").returncode == 0
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(sa.select(ApiKey.scopes))).scalar_one() == ["read"]
    finally:
        await engine.dispose()


@pytest.mark.parametrize(("args", "expected"), [
    (["create", "--name", "p", "--scopes", "read,admin"],
     "--scopes: unknown scope 'admin' (known: read, write)"),
    (["create", "--name", "p", "--scopes", ","], "--scopes: give at least one of read, write"),
    (["create", "--name", "p", "--scopes", "x" * 10_000], "--scopes: unknown scope"),
    (["create", "--name", "two words"], "--name: must be 1 to 100 characters"),
    (["create", "--name", "n" * 10_000], "--name: must be 1 to 100 characters"),
    (["revoke", "nobody"], "NAME: no API key named 'nobody'"),
])
def test_failures_are_one_clear_line_naming_the_option(database_url, args, expected):
    line = _one_line_error(apikey(database_url, *args))
    assert expected in line and len(line) < 300


def test_a_taken_name_is_refused_and_a_revoked_name_stays_taken(database_url):
    assert apikey(database_url, "create", "--name", "partner").returncode == 0
    assert "revoke that key first" in _one_line_error(apikey(database_url, "create", "--name", "partner"))
    assert apikey(database_url, "revoke", "partner").returncode == 0
    line = _one_line_error(apikey(database_url, "create", "--name", "partner"))
    assert "--name:" in line and "a revoked key keeps its name" in line


def test_an_unmigrated_database_is_one_clear_line(empty_database):
    line = _one_line_error(apikey(empty_database, "list"))
    assert "api_key" in line


@pytest.mark.parametrize(("variable", "value"), [
    ("REGISTRY_IDEMPOTENCY_TTL_HOURS", "-1"),
    ("REGISTRY_BULK_CONCURRENCY", "0"),  # no bulkUpsert could ever run
    ("REGISTRY_SEARCH_CONCURRENCY", "100000"),  # no bound at all
])
def test_an_abusive_setting_is_one_line_naming_the_variable(database_url, variable, value):
    result = run("apikey", "list", database_url=database_url, **{variable: value})
    assert variable in _one_line_error(result)
