"""The seed: valid, faithful to the documents, idempotent, and all-or-nothing."""

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from registry import models
from registry.config import REPO_ROOT
from registry.models.enums import EntityType
from registry.seeding import check_excerpts, load_seed, read_seed
from registry.services import SaveOutcome
from tests.cli.test_db_commands import run

SEED = REPO_ROOT / "seed"
SOURCES = REPO_ROOT.parent / "shared" / "sources"
ENTITY_TABLES = {
    EntityType.SOURCE: models.Source, EntityType.ORGANIZATION: models.Organization,
    EntityType.PERSON: models.Person, EntityType.PROJECT: models.Project,
    EntityType.AGREEMENT: models.Agreement, EntityType.EVENT: models.Event, EntityType.FIGURE: models.Figure,
}
RELATION_TABLES = {
    EntityType.POSITION: models.Position, EntityType.PROJECT_PARTICIPANT: models.ProjectParticipant,
    EntityType.PROJECT_AGREEMENT: models.ProjectAgreement, EntityType.PROJECT_EVENT: models.ProjectEvent,
    EntityType.AGREEMENT_PARTY: models.AgreementParty, EntityType.AGREEMENT_SIGNATORY: models.AgreementSignatory,
    EntityType.EVENT_PARTICIPANT: models.EventParticipant,
}


def test_seed_files_are_valid():
    data, problems = read_seed(SEED)
    assert problems == []
    assert len(data) > 100


def test_every_excerpt_occurs_in_its_source():
    if not SOURCES.is_dir():
        pytest.skip(f"{SOURCES} is not beside the repository")
    data, _ = read_seed(SEED)
    assert check_excerpts(data, SOURCES) == []


def test_check_sources_reports_an_excerpt_that_is_not_in_the_document(tmp_path):
    if not SOURCES.is_dir():
        pytest.skip(f"{SOURCES} is not beside the repository")
    broken = _copy_seed(tmp_path)
    _edit(broken / "figures.yaml", lambda records: next(iter(records.values()))["citations"][0].update(
        excerpt="words that no document contains"))
    result = run("seed", "--dir", str(broken), "--check-sources", str(SOURCES))
    assert result.returncode == 1
    assert "figures.yaml" in result.stderr and "not found in" in result.stderr


async def _counts(sessions) -> dict[str, int]:
    async with sessions() as session:
        return {table.name: await session.scalar(sa.select(sa.func.count()).select_from(table))
                for table in models.metadata.sorted_tables}


async def _versions(sessions) -> dict[str, int]:
    async with sessions() as session:
        versions = {}
        for model in ENTITY_TABLES.values():
            versions |= dict((await session.execute(sa.select(model.slug, model.version))).all())
        return versions


async def _load(sessions, directory: Path = SEED) -> dict[SaveOutcome, int]:
    data, problems = read_seed(directory)
    assert problems == []
    async with sessions() as session, session.begin():
        return await load_seed(session, data)


async def test_seed_loads_every_kind_with_citations_everywhere(sessions):
    await _load(sessions)
    async with sessions() as session:
        for entity_type, model in {**ENTITY_TABLES, **RELATION_TABLES}.items():
            ids = set((await session.scalars(sa.select(model.id))).all())
            assert ids, f"no {entity_type} in the seed"
            if entity_type is EntityType.SOURCE:
                continue
            cited = set((await session.scalars(sa.select(models.Citation.subject_id).where(
                models.Citation.subject_type == entity_type))).all())
            assert ids <= cited, f"{len(ids - cited)} {entity_type} rows without a citation"


async def test_seeding_twice_changes_nothing(sessions):
    first = await _load(sessions)
    assert first[SaveOutcome.CREATED] > 100
    counts, versions = await _counts(sessions), await _versions(sessions)
    second = await _load(sessions)
    assert second[SaveOutcome.CREATED] == second[SaveOutcome.UPDATED] == 0
    assert await _counts(sessions) == counts
    assert await _versions(sessions) == versions


def _copy_seed(tmp_path: Path) -> Path:
    copy = tmp_path / "seed"
    shutil.copytree(SEED, copy)
    return copy


def _edit(path: Path, change) -> None:
    records = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(records)
    path.write_text(yaml.safe_dump(records, allow_unicode=True, sort_keys=False), encoding="utf-8")


async def test_editing_one_record_updates_only_that_record(sessions, tmp_path):
    await _load(sessions)
    before = await _versions(sessions)
    edited = _copy_seed(tmp_path)
    slug = next(iter(yaml.safe_load((edited / "projects.yaml").read_text())))
    _edit(edited / "projects.yaml", lambda records: records[slug].update(description="Edited by a maintainer"))

    outcomes = await _load(sessions, edited)
    assert outcomes[SaveOutcome.UPDATED] == 1 and outcomes[SaveOutcome.CREATED] == 0
    after = await _versions(sessions)
    assert after.pop(slug) == before.pop(slug) + 1
    assert after == before


def test_broken_seed_reports_every_problem_with_file_record_and_field(tmp_path):
    broken = _copy_seed(tmp_path)
    organizations = yaml.safe_load((broken / "organizations.yaml").read_text())
    first, second, third = list(organizations)[:3]

    def damage(records):
        records[first]["kind"] = "galaxy"
        records[first]["founded"] = "Sept 2002"
        records[second]["parent"] = "no-such-organization"
        records[third]["citations"] = []

    _edit(broken / "organizations.yaml", damage)
    _, problems = read_seed(broken)
    found = {(p.file, p.record, p.field) for p in problems}
    assert found == {
        ("organizations.yaml", first, "kind"),
        ("organizations.yaml", first, "founded"),
        ("organizations.yaml", second, "parent"),
        ("organizations.yaml", third, "citations"),
    }


def test_broken_seed_writes_nothing(tmp_path, database_url):
    broken = _copy_seed(tmp_path)
    _edit(broken / "figures.yaml", lambda records: next(iter(records.values())).update(unit="bushels"))
    result = run("seed", "--dir", str(broken), database_url=database_url)
    assert result.returncode == 1
    assert "figures.yaml" in result.stderr and "unit" in result.stderr
    assert "nothing was written" in result.stderr
    current = run("seed", "--dry-run", database_url=database_url)  # the real seed would still create all
    assert current.returncode == 0 and " 0 unchanged" in current.stdout


async def test_refusal_while_loading_rolls_everything_back(tmp_path, sessions, database_url):
    # two organizations claiming the same partner identifier pass file validation, fail in the service
    broken = _copy_seed(tmp_path)

    def clash(records):
        for record in list(records.values())[:2]:
            record["identifiers"] = [{"scheme": "partner", "value": "42"}]

    _edit(broken / "organizations.yaml", clash)
    result = run("seed", "--dir", str(broken), database_url=database_url)
    assert result.returncode == 1 and "partner:42" in result.stderr
    counts = await _counts(sessions)
    assert all(n == 0 for name, n in counts.items() if name != "alembic_version"), counts


def test_dry_run_reports_and_writes_nothing(database_url):
    dry = run("seed", "--dry-run", database_url=database_url)
    assert dry.returncode == 0, dry.stderr
    assert "dry run, nothing written" in dry.stdout and "created" in dry.stdout
    again = run("seed", "--dry-run", database_url=database_url)
    assert again.stdout.count("created") == dry.stdout.count("created")
