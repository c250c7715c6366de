"""`registry export` / `registry import`: lossless round trip, one snapshot, all-or-nothing import."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from registry import migrate, models
from registry.config import REPO_ROOT
from registry.db import create_engine, create_sessionmaker
from registry.models import ChangeLog
from registry.seeding import load_seed, read_seed
from registry.services import ORGANIZATION, PROJECT, Author, delete, save_country, update
from registry.transfer import FORMAT, count_records, export_lines, snapshot
from tests.cli.test_db_commands import _one_line_error, run
from tests.utils.databases import create_database, drop_database

AUTHOR = Author("test")


@pytest.fixture
def second_database(backend, tmp_path) -> Iterator[str]:
    """Another new database of the test's backend, migrated: the import's target."""
    url = create_database(backend, tmp_path)
    migrate.upgrade(url)
    yield url
    drop_database(url)


async def _seed(sessions) -> None:
    data, problems = read_seed(REPO_ROOT / "seed")
    assert problems == []
    async with sessions() as session, session.begin():
        await load_seed(session, data)


async def _table_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return {table.name: await connection.scalar(sa.select(sa.func.count()).select_from(table))
                    for table in models.metadata.sorted_tables if table.name not in ("alembic_version",)}
    finally:
        await engine.dispose()


async def _organization(session, slug: str) -> models.Organization:
    return await session.scalar(sa.select(models.Organization).where(models.Organization.slug == slug))


async def _edit_some_records(sessions) -> tuple[str, str]:
    """Give a record version 3 with an identifier and an alias, and delete an organization that a
    project still names. Returns (updated slug, deleted slug)."""
    async with sessions() as session, session.begin():
        named = await session.scalar(
            sa.select(models.Organization.slug)
            .join(models.ProjectParticipant, models.ProjectParticipant.organization_id == models.Organization.id)
            .order_by(models.Organization.slug).limit(1)
        )
        updated = await session.scalar(
            sa.select(models.Organization.slug).where(models.Organization.slug != named)
            .order_by(models.Organization.slug).limit(1)
        )
        organization = await _organization(session, updated)
        await update(session, ORGANIZATION, organization.id, {"identifiers": [{"scheme": "bin", "value": "990140000385"}]},
                     expected_version=1, author=AUTHOR)
        await update(session, ORGANIZATION, organization.id, {"aliases": [{"name": "Éxport Test", "lang": "ru"}]},
                     expected_version=2, author=AUTHOR)
        await delete(session, ORGANIZATION, (await _organization(session, named)).id, expected_version=1, author=AUTHOR)
    return updated, named


async def test_round_trip_is_lossless(sessions, database_url, second_database, tmp_path):
    await _seed(sessions)
    updated, deleted = await _edit_some_records(sessions)
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"

    exported = run("export", str(first), database_url=database_url)
    assert exported.returncode == 0, exported.stderr
    imported = run("import", str(first), database_url=second_database)
    assert imported.returncode == 0, imported.stderr
    assert run("export", str(second), database_url=second_database).returncode == 0

    assert first.read_bytes() == second.read_bytes()
    lines = [json.loads(line) for line in first.read_text(encoding="utf-8").splitlines()]
    assert lines[0] == FORMAT
    by_slug = {line.get("slug"): line for line in lines}
    assert by_slug[updated]["version"] == 3
    assert by_slug[updated]["record"]["identifiers"] == [{"scheme": "bin", "value": "990140000385"}]
    assert by_slug[deleted]["deleted"] is True and by_slug[deleted]["version"] == 2
    # the rows behind the records too: relationship rows, aliases, identifiers, citations, search
    source_counts, imported_counts = await _table_counts(database_url), await _table_counts(second_database)
    del source_counts["change_log"], imported_counts["change_log"]  # the history is not exported
    assert imported_counts == source_counts
    assert source_counts["external_identifier"] == 1 and source_counts["project_participant"] > 0


async def test_export_to_standard_output_when_path_is_dash_or_left_out(sessions, database_url, tmp_path):
    await _seed(sessions)
    to_file = tmp_path / "a.jsonl"
    assert run("export", str(to_file), database_url=database_url).returncode == 0
    for args in (["export"], ["export", "-"]):
        result = run(*args, database_url=database_url)
        assert result.returncode == 0, result.stderr
        assert result.stdout == to_file.read_text(encoding="utf-8")  # no progress bar or notice mixed in


async def test_export_reads_one_snapshot_while_writes_go_on(sessions, engine):
    """A write committed after the export has begun (here: between its countries and its
    projects) is in none of it, not even in the kinds read after the commit."""
    await _seed(sessions)

    async def export() -> list[str]:
        async with snapshot(engine) as connection:
            return [line async for line in export_lines(connection)]

    before = await export()
    lines = []
    async with snapshot(engine) as connection:
        total = await count_records(connection)
        async for line in export_lines(connection):
            lines.append(line)
            if len(lines) == 2:  # the first country is out; no project yet
                async with sessions() as session, session.begin():
                    project = await session.scalar(sa.select(models.Project).order_by(models.Project.id).limit(1))
                    await update(session, PROJECT, project.id, {"title": "Renamed during the export"},
                                 expected_version=project.version, author=AUTHOR)
                    await save_country(session, "KZ", "Renamed too", author=AUTHOR)
    assert lines == before
    assert total == len(lines) - 1
    after = await export()
    assert after != before and any("Renamed during the export" in line for line in after)


async def test_snapshot_is_one_read_only_transaction(engine):
    async with snapshot(engine) as connection:
        if connection.dialect.name == "postgresql":
            assert await connection.scalar(sa.text("SHOW transaction_isolation")) == "repeatable read"
            assert await connection.scalar(sa.text("SHOW transaction_read_only")) == "on"
        else:  # SQLite: a transaction is open at the driver, so every read sees the first one's data
            assert (await connection.get_raw_connection()).driver_connection.in_transaction
