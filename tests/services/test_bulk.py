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
    # 20,000 identifiers (the bulk row budget) are 40,000 parameters: more than asyncpg or SQLite take at once
    wanted.identifiers[EntityType.ORGANIZATION] = {("crm", str(i)) for i in range(19_999)} | {("crm", "held")}
    async with base() as session:
        with StatementLog(engine) as log:
            known = await look_up(session, wanted)
            statements = [s for s in await log.settled() if s.lstrip().upper().startswith("SELECT")]
    assert known == {("identifier", "organization", "crm", "held"): written.entity.id}
    assert len(statements) == 2
