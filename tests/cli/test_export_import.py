"""`registry export` / `registry import`: lossless round trip, one snapshot, all-or-nothing import."""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from registry import migrate, models
from registry.config import REPO_ROOT
from registry.db import create_engine
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


def test_export_and_import_have_help():
    for command in (["export", "--help"], ["import", "--help"]):
        result = run(*command)
        assert result.returncode == 0, (command, result.stderr)
        assert "Usage" in result.stdout
    assert "standard output" in run("export", "--help").stdout


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
    # each imported record is logged by the services at its version (a tombstone: written, then deleted)
    engine = create_engine(second_database)
    try:
        async with engine.connect() as connection:
            logged = (await connection.execute(
                sa.select(ChangeLog.action, ChangeLog.version, ChangeLog.actor)
                .where(ChangeLog.entity_id == uuid.UUID(by_slug[updated]["id"]))
            )).all()
            actions = set((await connection.execute(sa.select(ChangeLog.action, ChangeLog.actor).distinct())).all())
    finally:
        await engine.dispose()
    assert [tuple(row) for row in logged] == [("create", 3, "import")]
    assert actions == {("create", "import"), ("delete", "import")}


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


# Refusals: every problem by line, nothing written ---------------------------------------------


async def _seed_export(sessions, engine) -> list[str]:
    await _seed(sessions)
    async with snapshot(engine) as connection:
        return [line async for line in export_lines(connection)]


def _unreferenced(lines: list[str], kind: str, has: str | None = None) -> tuple[int, dict]:
    """(index, value) of the first record of `kind` (with a non-empty `has` list) that no other line
    names: breaking it refuses that line alone, with no other record failing in turn."""
    for i, line in enumerate(lines):
        value = json.loads(line)
        if value.get("kind") != kind or (has is not None and not value["record"].get(has)):
            continue
        if not any(f'"{value["slug"]}"' in other for j, other in enumerate(lines) if j != i):
            return i, value
    raise AssertionError(f"every {kind} is named by another line")


def _first(lines: list[str], **wanted) -> tuple[int, dict]:
    """(index, value) of the first line whose value has these keys' values."""
    for i, line in enumerate(lines):
        value = json.loads(line)
        if all(value.get(key) == expected for key, expected in wanted.items()):
            return i, value
    raise AssertionError(f"no line with {wanted}")


def _import(lines: list[str], path: Path, database_url: str, **env: str):
    path.write_text("".join(lines), encoding="utf-8")
    result = run("import", str(path), database_url=database_url, **env)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    return result


async def _nothing_written(url: str) -> None:
    assert set((await _table_counts(url)).values()) == {0}


async def test_lines_of_a_bad_shape_are_each_reported_and_nothing_written(sessions, engine, second_database, tmp_path):
    lines = await _seed_export(sessions, engine)
    record = json.loads(lines[20])
    lines[2] = '{"kind": "country", "code": \n'
    lines[3] = json.dumps({**record, "kind": "spaceship"}) + "\n"
    lines[4] = json.dumps({**{k: v for k, v in record.items() if k != "id"}, "version": "3", "extra": 1}) + "\n"
    lines[5] = "[1, 2]\n"
    lines[6] = "[" * 200_000 + "]" * 200_000 + "\n"  # under the length limit, too deep to parse
    lines[7] = '{"kind": "country", "code": "' + "K" * (1024 * 1024) + '"}\n'  # over 1 MiB
    lines[8] = json.dumps({"kind": "country", "code": "XX"}) + "\n"

    stderr = _import(lines, tmp_path / "bad.jsonl", second_database).stderr
    for expected in (
        "line 3: not valid JSON", "line 4: kind: unknown kind 'spaceship' (known: country, source",
        "line 5: id: Field required", "line 5: version: Input should be a valid integer",
        "line 5: extra: Extra inputs are not permitted", "line 6: expected a JSON object",
        "line 7: not valid JSON: nested too deeply",
        "line 8: longer than 1048576 bytes (REGISTRY_IMPORT_MAX_LINE_BYTES)", "line 9: name: Field required",
        "9 problem(s)", "nothing was written",
    ):
        assert expected in stderr, (expected, stderr)
    assert len(stderr) < 5_000  # the abusive lines are named, not echoed
    await _nothing_written(second_database)


async def test_records_the_services_refuse_are_each_reported_by_line(sessions, engine, second_database, tmp_path):
    lines = await _seed_export(sessions, engine)
    country_line, country = _first(lines, kind="country")
    # records no other line names: the problems below are then exactly the ones made here, whatever
    # ids the seed drew (a broken record named by the first event would make that event fail too)
    organization_line, organization = _unreferenced(lines, "organization")
    lines[organization_line] = json.dumps({**organization, "record": {**organization["record"], "name": "  "}}) + "\n"
    project_line, project = _unreferenced(lines, "project", has="participants")
    participants = [{**project["record"]["participants"][0], "organization": "nowhere", "person": None}]
    lines[project_line] = json.dumps({**project, "record": {**project["record"], "participants": participants}}) + "\n"
    person_line, person = _unreferenced(lines, "person")
    lines[person_line] = json.dumps({**person, "deleted": True, "version": 1}) + "\n"
    event_lines = [i for i, line in enumerate(lines) if json.loads(line).get("kind") == "event"]
    first_event = json.loads(lines[event_lines[0]])
    second_event = json.loads(lines[event_lines[1]])
    lines[event_lines[1]] = json.dumps({**second_event, "id": first_event["id"]}) + "\n"
    lines.append(json.dumps(country) + "\n")

    stderr = _import(lines, tmp_path / "refused.jsonl", second_database).stderr
    for expected in (
        f"line {organization_line + 1}: name: String should have at least 1 character",
        f"line {project_line + 1}: participants.0.organization: no organization 'nowhere'",
        f"line {person_line + 1}: version: a deleted record has a version of 2 or more",
        f"line {event_lines[1] + 1}: id: {first_event['id']} already names a event",
        f"line {len(lines)}: code: {country['code']} is already on line {country_line + 1}",
        "nothing was written",
    ):
        assert expected in stderr, (expected, stderr)
    await _nothing_written(second_database)


async def test_organizations_load_parents_first_and_a_parent_cycle_is_reported(
    sessions, engine, second_database, tmp_path
):
    lines = await _seed_export(sessions, engine)
    first, child = _first(lines, kind="organization")
    second, parent = _first(lines[first + 1:], kind="organization")
    second += first + 1
    child["record"]["parent"], parent["record"]["parent"] = parent["slug"], child["slug"]
    lines[first], lines[second] = json.dumps(child) + "\n", json.dumps(parent) + "\n"
    stderr = _import(lines, tmp_path / "cycle.jsonl", second_database).stderr
    assert f"line {first + 1}: these organization records name each other in a cycle" in stderr, stderr

    parent["record"]["parent"] = ["not", "a", "slug"]  # hostile: not hashable, must not crash the sort
    lines[second] = json.dumps(parent) + "\n"
    stderr = _import(lines, tmp_path / "hostile.jsonl", second_database).stderr
    assert f"line {second + 1}: parent: " in stderr, stderr

    del parent["record"]["parent"]  # now the child comes before its parent in the file: that loads
    lines[second] = json.dumps(parent) + "\n"
    (tmp_path / "ordered.jsonl").write_text("".join(lines), encoding="utf-8")
    result = run("import", str(tmp_path / "ordered.jsonl"), database_url=second_database)
    assert result.returncode == 0, result.stderr


async def test_a_file_that_is_not_an_export_is_refused(second_database, tmp_path):
    for content, expected in (
        ("", "line 1: the file is empty"),
        ('{"kind": "country", "code": "KZ", "name": "Kazakhstan"}\n', "line 1: not a registry export"),
        ('{"format": "kz-by-registry-export", "format_version": 2}\n', "line 1: not a registry export"),
        ("\x00\xff" * 1000, "line 1: not valid JSON"),
    ):
        stderr = _import([content], tmp_path / "other.jsonl", second_database).stderr
        assert expected in stderr, (content[:40], stderr)
    missing = _one_line_error(run("import", str(tmp_path / "missing.jsonl"), database_url=second_database))
    assert "missing.jsonl: No such file or directory" in missing
    await _nothing_written(second_database)


async def test_a_file_of_garbage_stops_being_read_after_a_hundred_problems(second_database, tmp_path):
    lines = [json.dumps(FORMAT) + "\n"] + ["not json\n"] * 1_000_000
    stderr = _import(lines, tmp_path / "garbage.jsonl", second_database).stderr
    assert "line 102: stopped reading after 100 problems" in stderr and "line 103" not in stderr
    await _nothing_written(second_database)


async def test_a_file_over_the_line_limit_is_refused(sessions, engine, second_database, tmp_path):
    lines = await _seed_export(sessions, engine)
    stderr = _import(lines, tmp_path / "long.jsonl", second_database, REGISTRY_IMPORT_MAX_LINES="5").stderr
    assert "line 6: the file has more than 5 lines (REGISTRY_IMPORT_MAX_LINES)" in stderr
    await _nothing_written(second_database)


async def test_import_into_a_registry_that_holds_data_is_refused(sessions, engine, database_url, tmp_path):
    lines = await _seed_export(sessions, engine)
    counts = await _table_counts(database_url)
    path = tmp_path / "again.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    line = _one_line_error(run("import", str(path), database_url=database_url))
    assert "the registry is not empty" in line
    assert await _table_counts(database_url) == counts
