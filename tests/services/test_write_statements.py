"""The write path's fixed statements on asyncpg's own connection (`registry.db.execute_fixed`):
what they write is what SQLAlchemy would have written, and a refusal is still an IntegrityError."""

import pytest
import sqlalchemy as sa

from registry import services
from registry.db import StatementLog
from registry.models import Alias, ChangeAction, ChangeKind, ChangeLog, Citation, SearchEntry, SearchField
from registry.models.enums import EntityType
from registry.services.bulk import Upsert, upsert_many
from tests.utils.factories import AUTHOR, cite


def _table(statement: str) -> str:
    return statement.split()[2] if statement.lstrip().upper().startswith("INSERT") else ""


async def test_a_writes_statements_after_the_first_skip_sqlalchemys_execution(postgres_base):
    """Only the statement that begins the transaction goes through SQLAlchemy's execution (the
    flush's ORM statements too); the look-up, the INSERTs of the rows and the change log run on
    the driver's connection, and read back as SQLAlchemy reads them."""
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
    on_driver = {_table(statement) for statement in every if statement not in through_sqlalchemy}
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
