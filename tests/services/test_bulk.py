"""services.bulk and the write phases' look-up: a batch's keys, however many, fit the drivers' limits."""

from collections.abc import Iterator

import sqlalchemy as sa

from registry import services
from registry.db import StatementLog
from registry.models.enums import EntityType
from registry.services.bulk import Upsert, upsert_many
from registry.services.drafts import Wanted, look_up
from tests.utils.factories import AUTHOR, cite


async def test_a_look_up_of_more_keys_than_a_statement_may_bind_is_split(base, engine):
    async with base() as session, session.begin():
        (written,) = await upsert_many(session, [Upsert(services.ORGANIZATION, "crm", "held", {
            "name": "Acme", "kind": "company", "citations": cite()})], author=AUTHOR)
    wanted = Wanted()
    # 20,000 identifiers (the bulk row budget) are up to 40,000 parameters: more than asyncpg or
    # SQLite take at once; they go as 40 lists of 500, at most 30 lists a statement
    wanted.identifiers[EntityType.ORGANIZATION] = {("crm", str(i)) for i in range(19_999)} | {("crm", "held")}
    async with base() as session:
        with StatementLog(engine) as log:
            known = await look_up(session, wanted)
            statements = [s for s in await log.settled() if s.lstrip().upper().startswith("SELECT")]
    assert known == {("identifier", "organization", "crm", "held"): written.entity.id}
    assert len(statements) == 2


async def test_a_look_up_of_identifiers_of_several_schemes_finds_each_pair_as_it_is(base):
    """On SQLite schemes and values are looked up as two lists (for the index): a value held under
    another scheme than the one asked for must not pass for the pair asked for."""
    async with base() as session, session.begin():
        held = await upsert_many(session, [
            Upsert(services.ORGANIZATION, scheme, value, {"name": f"Acme {scheme}{value}", "kind": "company",
                                                          "citations": cite()})
            for scheme, value in (("crm", "2"), ("erp", "1"))], author=AUTHOR)
    wanted = Wanted()
    wanted.identifiers[EntityType.ORGANIZATION] = {("crm", "1"), ("erp", "2")}  # each value held, by the other
    async with base() as session:
        known = await look_up(session, wanted)
    assert known.get(("identifier", "organization", "crm", "1")) is None
    assert known.get(("identifier", "organization", "erp", "2")) is None
    wanted.identifiers[EntityType.ORGANIZATION] = {("crm", "1"), ("erp", "1")}
    async with base() as session:
        known = await look_up(session, wanted)
    assert known.get(("identifier", "organization", "crm", "1")) is None
    assert known[("identifier", "organization", "erp", "1")] == held[1].entity.id


def _plan_nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _plan_nodes(child)


async def test_the_identifier_look_up_seeks_each_pair_whatever_the_statistics_say(postgres_base):
    """A partner's first sync brings a scheme the statistics have not seen: 5,000 identifiers written
    after the last ANALYZE (as when autovacuum is behind a burst of writes). The look-up must still
    seek the unique index by scheme and value, not read the scheme's identifiers and filter them
    (which grows with the table: 28 ms for 500 pairs among 145,000)."""
    # identifiers only (the look-up reads nothing else): 2,000 of another scheme analyzed, then
    # the new scheme's, as many as a sync's first batches write
    insert = sa.text("INSERT INTO external_identifier (subject_type, subject_id, scheme, value) "
                     "SELECT 'organization', gen_random_uuid(), :scheme, n::text FROM generate_series(1, :count) AS n")
    async with postgres_base() as session, session.begin():
        await session.execute(insert, {"scheme": "crm", "count": 2000})
        await session.execute(sa.text("ANALYZE external_identifier"))
        await session.execute(insert, {"scheme": "partner", "count": 5000})
    wanted = Wanted()
    wanted.identifiers[EntityType.ORGANIZATION] = {("partner", str(n)) for n in range(0, 1000, 2)}
    sent = []
    async with postgres_base() as session:
        sync_engine = session.get_bind()

        def capture(connection, cursor, statement, parameters, context, executemany) -> None:
            sent.append((statement, parameters))

        sa.event.listen(sync_engine, "before_cursor_execute", capture)
        try:
            known = await look_up(session, wanted)
        finally:
            sa.event.remove(sync_engine, "before_cursor_execute", capture)
        ((statement, parameters),) = sent
        connection = await session.connection()
        explained = (await connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)).scalar_one()
    assert len(known) == 499  # "0" is nobody's
    reads = [node for node in _plan_nodes(explained[0]["Plan"]) if node.get("Relation Name") == "external_identifier"]
    assert reads and all(node["Node Type"] == "Index Scan" and "value" in node["Index Cond"]
                         and "Filter" not in node for node in reads), [
        (node.get("Index Name"), node.get("Index Cond"), node.get("Filter")) for node in reads]
