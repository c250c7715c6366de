"""The write path's fixed statements on asyncpg's own connection (`registry.db.execute_fixed`):
what they write is what SQLAlchemy would have written, and a refusal is still an IntegrityError;
and a batch's rows, one INSERT of arrays for all its tables (`registry.db.insert_tables`)."""

import re
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from registry import services
from registry.db import StatementLog, TableRows, insert_rows, insert_tables
from registry.models import (
    Alias,
    ChangeAction,
    ChangeKind,
    ChangeLog,
    Citation,
    Organization,
    SearchEntry,
    SearchField,
    SearchTerm,
)
from registry.models.base import as_utc
from registry.models.enums import AliasKind, EntityType, OrganizationKind
from registry.services.bulk import Upsert, upsert_many
from tests.utils.factories import AUTHOR, cite


def _tables(statement: str) -> list[str]:
    """The tables a statement INSERTs into (several when its INSERTs are CTEs of another)."""
    return re.findall(r"\bINSERT INTO (\w+)", statement)


async def test_a_writes_statements_after_the_first_skip_sqlalchemys_execution(postgres_base):
    """Only the statement that begins the transaction goes through SQLAlchemy's execution; the
    look-up, the INSERTs of the rows and the change log run on the driver's connection, and read
    back as SQLAlchemy reads them."""
    engine = postgres_base.kw["bind"]
    through_sqlalchemy = []

    def executed(_connection, _cursor, statement, *_) -> None:
        through_sqlalchemy.append(statement)

    sa.event.listen(engine.sync_engine, "before_cursor_execute", executed)
    try:
        with StatementLog(engine) as log:
            async with postgres_base() as session, session.begin():
                (result,) = await upsert_many(session, [Upsert(services.ORGANIZATION, "crm", "7", {
                    "name": "Acme Holding", "kind": "company", "country": "KZ",
                    "aliases": [{"name": "Acme"}], "citations": cite("Acme builds tractors")})], author=AUTHOR)
            every = await log.settled()
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", executed)
    on_driver = {table for statement in every if statement not in through_sqlalchemy for table in _tables(statement)}
    assert {"citation", "alias", "external_identifier", "search_entry", "change_log"} <= on_driver, every
    assert len(through_sqlalchemy) < len(every) / 2, through_sqlalchemy

    record_id = result.entity.id
    async with postgres_base() as session:
        assert (await session.scalars(sa.select(Alias.name).where(Alias.subject_id == record_id))).all() == ["Acme"]
        assert (await session.scalars(sa.select(Citation.excerpt).where(Citation.subject_id == record_id))).all() == [
            "Acme builds tractors"]
        fields = (await session.scalars(sa.select(SearchEntry.field).where(SearchEntry.subject_id == record_id))).all()
        assert sorted(fields) == sorted([SearchField.NAME, SearchField.ALIAS, SearchField.CITATION])
        logged = (await session.scalars(sa.select(ChangeLog).where(ChangeLog.entity_id == record_id))).one()
    assert (logged.entity_type, logged.action, logged.version) == (ChangeKind.ORGANIZATION, ChangeAction.CREATE, 1)
    assert logged.data["name"] == "Acme Holding" and [alias["name"] for alias in logged.data["aliases"]] == ["Acme"]
    assert logged.data["identifiers"] == [{"scheme": "crm", "value": "7"}]


async def test_a_unique_key_refused_on_the_drivers_connection_is_an_integrity_error(postgres_base):
    """The same citation twice breaks the citation table's unique key in the driver's INSERT; the
    GraphQL layer answers that as a UNIQUE user error, so it must stay SQLAlchemy's IntegrityError."""
    with pytest.raises(sa.exc.IntegrityError):
        async with postgres_base() as session, session.begin():
            await upsert_many(session, [Upsert(services.ORGANIZATION, "crm", "8", {
                "name": "Twice Cited", "kind": "company", "citations": cite() + cite()})], author=AUTHOR)
    async with postgres_base() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Citation).where(
            Citation.subject_type == EntityType.ORGANIZATION)) == 0


async def test_a_batchs_records_owned_rows_and_search_entries_go_in_one_statement_of_arrays(postgres_base):
    """On PostgreSQL a batch's new records, their owned rows, search entries and new stems go in
    one statement of arrays, one INSERT per table (all but one of them CTEs), not an executemany (which the server
    runs once per row) nor a round trip per table; the change log has its own at the commit.
    Every row arrives, in the change log in write order."""
    records = [Upsert(services.ORGANIZATION, "crm", f"a{i}", {
        "name": f"Batch Member {i}", "kind": "company", "country": "KZ",
        "aliases": [{"name": f"Member {i}"}], "citations": cite(f"member {i} builds tractors")}) for i in range(30)]
    engine = postgres_base.kw["bind"]
    with StatementLog(engine) as log:
        async with postgres_base() as session, session.begin():
            results = await upsert_many(session, records, author=AUTHOR)
        every = await log.settled()
    owned = {"organization", "citation", "alias", "external_identifier", "search_entry", "search_term"}
    inserts = [sorted(_tables(statement)) for statement in every if set(_tables(statement)) & (owned | {"change_log"})]
    assert sorted(inserts) == [sorted(owned), ["change_log"]], every
    assert all(statement.count("unnest(") == len(_tables(statement)) for statement in every
               if set(_tables(statement)) & (owned | {"change_log"})), every

    ids = [result.entity.id for result in results]
    async with postgres_base() as session:
        for table in (Alias, Citation):
            assert await session.scalar(sa.select(sa.func.count()).select_from(table).where(
                table.subject_id.in_(ids))) == 30
        assert await session.scalar(sa.select(sa.func.count()).select_from(SearchEntry).where(
            SearchEntry.subject_id.in_(ids))) == 90  # name, alias and citation of each
        logged = (await session.scalars(sa.select(ChangeLog.entity_id).where(ChangeLog.entity_id.in_(ids))
                                        .order_by(ChangeLog.id))).all()
    assert logged == ids


# JSON values at the edges of what the engines' JSON text is written with (registry.db._json_text)
_FAR_JSON = {"place": "Минск, Беларусь", "count": 2**70, "ratio": 0.1}


@pytest.mark.parametrize("skip_conflicts", [False, True])
async def test_insert_tables_keeps_every_value_and_skips_only_what_it_is_told(base, skip_conflicts):
    """`insert_tables` on both engines, two tables in one call: enums, NULLs, JSON (non-ASCII
    text, an integer past 64 bits) and times arrive as given; a row that a unique key refuses
    fails the INSERT (and the other table's rows with it), or is left out with `skip_conflicts`."""
    moment = datetime(2026, 12, 3, 19, 30, 15, 123456, tzinfo=UTC)
    entity_ids = [uuid.uuid4(), uuid.uuid4()]
    rows = [{"entity_type": ChangeKind.ORGANIZATION, "entity_id": entity_id, "action": ChangeAction.CREATE,
             "version": 1, "actor": "tester", "request_id": None if i else "req-1", "changed_at": moment,
             "data": {"name": f"Row {i}", "tags": ["a", "b"], **_FAR_JSON}, "changes": None}
            for i, entity_id in enumerate(entity_ids)]
    terms = [{"term": "tractor", "ends": "tror"}, {"term": "harvester", "ends": "haer"}]
    async with base() as session:
        earlier = set((await session.scalars(sa.select(SearchTerm.term))).all())  # the base's own
    async with base() as session, session.begin():
        await session.run_sync(insert_tables, [TableRows(ChangeLog.__table__, rows), TableRows(SearchTerm.__table__, terms)])
    async with base() as session:
        logged = (await session.scalars(sa.select(ChangeLog).where(ChangeLog.entity_id.in_(entity_ids))
                                        .order_by(ChangeLog.id))).all()
    assert [(row.entity_type, row.entity_id, row.action, row.request_id, row.data, row.changes) for row in logged] == [
        (ChangeKind.ORGANIZATION, entity_ids[0], ChangeAction.CREATE, "req-1",
         {"name": "Row 0", "tags": ["a", "b"], **_FAR_JSON}, None),
        (ChangeKind.ORGANIZATION, entity_ids[1], ChangeAction.CREATE, None,
         {"name": "Row 1", "tags": ["a", "b"], **_FAR_JSON}, None)]
    assert {as_utc(row.changed_at) for row in logged} == {moment}

    again = [{"term": "tractor", "ends": "tror"}, {"term": "combine", "ends": "cone"}]
    aliases = [{"subject_type": EntityType.ORGANIZATION, "subject_id": entity_ids[0], "name": "Row Alias",
                "lang": "en", "kind": AliasKind.SHORT}]
    batches = [TableRows(Alias.__table__, aliases), TableRows(SearchTerm.__table__, again, skip_conflicts)]
    if skip_conflicts:
        async with base() as session, session.begin():
            await session.run_sync(insert_tables, batches)
    else:
        with pytest.raises(sa.exc.IntegrityError):
            async with base() as session, session.begin():
                await session.run_sync(insert_tables, batches)
    async with base() as session:
        stored = set((await session.scalars(sa.select(SearchTerm.term))).all())
        aliased = (await session.scalars(sa.select(Alias.name).where(Alias.subject_id == entity_ids[0]))).all()
    assert stored - earlier == ({"tractor", "harvester", "combine"} if skip_conflicts else {"tractor", "harvester"})
    assert aliased == (["Row Alias"] if skip_conflicts else [])


async def test_insert_rows_refuses_a_string_longer_than_its_column_rather_than_cutting_it(postgres_base):
    """The arrays are cast to VARCHAR without a length: a cast to the column's VARCHAR(n) would cut
    an over-long value short in silence, where the column itself refuses it."""
    row = {"term": "t" * 41, "ends": "tttt"}  # search_term.term is VARCHAR(40)
    with pytest.raises(sa.exc.DBAPIError, match="too long"):
        async with postgres_base() as session, session.begin():
            await session.run_sync(insert_rows, SearchTerm.__table__, [row, {"term": "fine", "ends": "fine"}])
    async with postgres_base() as session:
        assert (await session.scalars(sa.select(SearchTerm.term).where(SearchTerm.term.like("tttt%")))).all() == []


def _columns(record) -> dict:
    return {column.name: getattr(record, column.name) for column in type(record).__table__.columns}


async def test_the_record_a_write_returns_holds_what_the_database_holds(base):
    """The write path reads and writes a record's own row with fixed statements (no ORM unit of
    work: `registry.services.records`): after a create, an upsert's update, a delete and a restore,
    the record each returns has the column values (and types: enum members, uuids) that an ORM
    read of the row then finds, and nothing the write did not set has changed."""
    fields = {"name": "Kaspi Tractors", "kind": "company", "country": "KZ", "city": "Astana",
              "founded": "2004-05", "citations": cite()}
    async with base() as session, session.begin():
        created = await services.upsert_by_identifier(session, services.ORGANIZATION, "crm", "k1", fields,
                                                      author=AUTHOR)
    async with base() as session, session.begin():
        updated = await services.upsert_by_identifier(session, services.ORGANIZATION, "crm", "k1",
                                                      {"city": "Almaty"}, author=AUTHOR)
    async with base() as session, session.begin():
        deleted = await services.delete(session, services.ORGANIZATION, created.entity.id, expected_version=2,
                                        author=AUTHOR)
    async with base() as session, session.begin():
        restored = await services.restore(session, services.ORGANIZATION, created.entity.id, author=AUTHOR)
    stages = [(created, 1, "Astana", False), (updated, 2, "Almaty", False), (deleted, 3, "Almaty", True),
              (restored, 4, "Almaty", False)]
    for result, version, city, gone in stages:
        record = result.entity
        assert (record.version, record.city, record.deleted_at is not None) == (version, city, gone)
        assert type(record.kind) is OrganizationKind and isinstance(record.id, uuid.UUID)
    async with base() as session:
        stored = await session.get(Organization, created.entity.id)
        assert _normalised(_columns(restored.entity)) == _normalised(_columns(stored))
    assert stored.created_at is not None and stored.founded_lower is not None


def _normalised(values: dict) -> dict:
    """Times compared as UTC instants (SQLite gives them back without their zone)."""
    return {name: as_utc(value) if isinstance(value, datetime) else value for name, value in values.items()}
