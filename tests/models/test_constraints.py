"""The database itself refuses bad rows, whatever code writes them."""

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError


async def _execute(engine, statement: str, **params) -> None:
    async with engine.begin() as connection:
        await connection.execute(sa.text(statement), params)


ORG = (
    "INSERT INTO organization (id, slug, version, created_at, updated_at, name, kind) "
    "VALUES (:id, :slug, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, :name, :kind)"
)


def _uuid(engine) -> str | uuid.UUID:
    # SQLAlchemy's Uuid stores 32 hex characters on SQLite, a native uuid on PostgreSQL
    value = uuid.uuid4()
    return value.hex if engine.dialect.name == "sqlite" else value


async def test_valid_organization_is_accepted(engine):
    await _execute(engine, ORG, id=_uuid(engine), slug="mtz", name="Minsk Tractor Plant", kind="company")
    async with engine.connect() as connection:
        assert (await connection.execute(sa.text("SELECT count(*) FROM organization"))).scalar() == 1


async def test_unknown_enum_value_is_rejected(engine):
    with pytest.raises(IntegrityError, match="(?i)check"):
        await _execute(engine, ORG, id=_uuid(engine), slug="x", name="X", kind="galaxy")


async def test_duplicate_slug_is_rejected(engine):
    await _execute(engine, ORG, id=_uuid(engine), slug="mtz", name="A", kind="company")
    with pytest.raises(IntegrityError, match="(?i)unique"):
        await _execute(engine, ORG, id=_uuid(engine), slug="mtz", name="B", kind="company")


async def test_duplicate_external_identifier_is_rejected(engine):
    insert = (
        "INSERT INTO external_identifier (subject_type, subject_id, scheme, value) "
        "VALUES ('organization', :subject, 'partner', '42')"
    )
    await _execute(engine, insert, subject=_uuid(engine))
    with pytest.raises(IntegrityError, match="(?i)unique"):
        await _execute(engine, insert, subject=_uuid(engine))


async def test_dangling_foreign_key_is_rejected(engine):
    insert = "INSERT INTO position (id, person_id, title) VALUES (:id, :person, 'President')"
    with pytest.raises(IntegrityError, match="(?i)foreign key"):
        await _execute(engine, insert, id=_uuid(engine), person=_uuid(engine))


async def test_negative_figure_value_is_rejected(engine):
    insert = (
        "INSERT INTO figure (id, slug, version, created_at, updated_at, metric, value, unit, qualifier, original) "
        "VALUES (:id, 'f', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'exports', -5, 'USD', 'exact', '-5')"
    )
    with pytest.raises(IntegrityError, match="(?i)check"):
        await _execute(engine, insert, id=_uuid(engine))


async def test_version_below_one_is_rejected(engine):
    statement = ORG.replace("VALUES (:id, :slug, 1,", "VALUES (:id, :slug, 0,")
    with pytest.raises(IntegrityError, match="(?i)check"):
        await _execute(engine, statement, id=_uuid(engine), slug="v", name="V", kind="company")



def test_change_kinds_are_the_record_kinds_and_countries():
    # ChangeKind repeats the record kinds of EntityType on purpose (EntityType also names
    # relationship rows and guards the alias, tag and citation tables, which countries must not
    # enter); this keeps the two from drifting apart.
    from registry.models import ChangeKind
    from registry.seeding import KINDS

    assert {kind.value for kind in ChangeKind} == {str(kind.spec.entity_type) for kind in KINDS} | {"country"}
