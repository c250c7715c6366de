"""services.bulk and the write phases' look-up: a batch's keys, however many, fit the drivers' limits."""

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
    """Schemes and values are looked up as two lists (for the index): a value held under another
    scheme than the one asked for must not pass for the pair asked for."""
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
