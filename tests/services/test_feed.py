"""The change feed: ordered, gap-free under concurrent writers, replayable; each record's history."""

import asyncio
import uuid

import pytest
import sqlalchemy as sa

from registry import services
from registry.http.cache import data_version
from registry.models import ChangeAction, ChangeKind, ChangeLog, ExternalIdentifier, Organization
from registry.services import ServiceError, VersionConflict
from registry.services.changes import FEED_LOCK
from registry.services.inputs import IdentifierIn
from tests.utils.factories import AUTHOR, SOURCE_SLUG

WRITERS = 8
WRITES_PER_WRITER = 250


def organization_fields(name: str, **fields) -> dict:
    return {"name": name, "kind": "company", "citations": [{"source": SOURCE_SLUG, "excerpt": "a test"}], **fields}


async def read_feed(sessions, cursor=None, limit=3, kinds=None) -> list[services.ChangeEntry]:
    entries = []
    while True:
        async with sessions() as session:
            page = await services.changes_after(session, cursor, limit, kinds)
        entries += page.entries
        cursor = page.end_cursor
        if not page.has_more:
            return entries


def replay(entries: list[services.ChangeEntry]) -> dict:
    """(kind, id) → (snapshot, version, deleted), checking that versions follow one another."""
    state = {}
    for entry in entries:
        key = (entry.kind, entry.entity_id)
        previous_version = state[key][1] if key in state else 0
        assert entry.version == previous_version + 1, entry
        state[key] = (entry.data, entry.version, entry.is_tombstone)
    return state


async def assert_replay_rebuilds_organizations(sessions, entries) -> None:
    state = replay(entries)
    async with sessions() as session:
        organizations = (await session.scalars(sa.select(Organization))).all()
        identifiers = (await session.execute(
            sa.select(ExternalIdentifier.subject_id, ExternalIdentifier.scheme, ExternalIdentifier.value))).all()
    assert {key for key in state if key[0] is ChangeKind.ORGANIZATION} == {
        (ChangeKind.ORGANIZATION, o.id) for o in organizations}
    for organization in organizations:
        data, version, deleted = state[(ChangeKind.ORGANIZATION, organization.id)]
        assert (data["slug"], data["name"], data["description"], version, deleted) == (
            organization.slug, organization.name, organization.description, organization.version,
            organization.deleted_at is not None)
        carried = {(scheme, value) for subject, scheme, value in identifiers if subject == organization.id}
        assert carried == (set() if deleted else {(i["scheme"], i["value"]) for i in data["identifiers"]})


async def test_feed_pages_in_commit_order_with_kinds_and_tombstones(base):
    async with base() as session, session.begin():
        created = await services.create(session, services.ORGANIZATION, organization_fields("MTZ"), author=AUTHOR)
    async with base() as session, session.begin():
        await services.delete(session, services.ORGANIZATION, created.entity.id, expected_version=1, author=AUTHOR)
    everything = await read_feed(base, limit=1)
    assert [e.cursor for e in everything] == sorted({e.cursor for e in everything})
    assert [(e.kind, e.action) for e in everything] == [
        (ChangeKind.SOURCE, ChangeAction.CREATE), (ChangeKind.COUNTRY, ChangeAction.CREATE),
        (ChangeKind.COUNTRY, ChangeAction.CREATE), (ChangeKind.ORGANIZATION, ChangeAction.CREATE),
        (ChangeKind.ORGANIZATION, ChangeAction.DELETE)]
    tombstone = everything[-1]
    assert tombstone.is_tombstone and tombstone.version == 2 and tombstone.data["name"] == "MTZ"
    assert tombstone.changes == {"deleted": {"before": False, "after": True}}

    organizations = await read_feed(base, kinds=[ChangeKind.ORGANIZATION])
    assert [e.cursor for e in organizations] == [e.cursor for e in everything[-2:]]
    async with base() as session:
        caught_up = await services.changes_after(session, everything[-1].cursor, 10)
        assert (caught_up.entries, caught_up.end_cursor, caught_up.has_more) == ([], everything[-1].cursor, False)
        history = await services.history(session, ChangeKind.ORGANIZATION, created.entity.id, limit=1)
        assert [e.action for e in history.entries] == [ChangeAction.CREATE] and history.has_more
        rest = await services.history(session, ChangeKind.ORGANIZATION, created.entity.id, after=history.end_cursor)
        assert [e.action for e in rest.entries] == [ChangeAction.DELETE] and not rest.has_more


@pytest.mark.parametrize(("cursor", "limit", "field"), [(None, 0, "first"), (None, 10**9, "first"), (-1, 10, "after")])
async def test_abusive_pages_are_refused(base, cursor, limit, field):
    async with base() as session:
        with pytest.raises(services.ServiceError) as refused:
            await services.changes_after(session, cursor, limit)
    assert refused.value.errors[0].field == field


async def test_of_concurrent_updates_at_one_version_exactly_one_wins(postgres_base):
    async with postgres_base() as session, session.begin():
        created = await services.create(session, services.ORGANIZATION, organization_fields("MTZ"), author=AUTHOR)
    all_have_read = asyncio.Barrier(WRITERS)

    async def writer(n: int) -> int | None:
        async with postgres_base() as session, session.begin():
            read = await session.get(Organization, created.entity.id)
            await all_have_read.wait()  # every writer holds version 1 before any of them writes
            try:
                await services.update(session, services.ORGANIZATION, read.id, {"description": f"writer {n}"},
                                      expected_version=read.version, author=AUTHOR)
            except VersionConflict as conflict:
                return conflict.current_version
        return None

    outcomes = await asyncio.wait_for(asyncio.gather(*(writer(n) for n in range(WRITERS))), 60)
    assert sorted(outcomes, key=str) == [2] * (WRITERS - 1) + [None]
    async with postgres_base() as session:
        log = (await session.scalars(sa.select(ChangeLog.version).where(
            ChangeLog.entity_id == created.entity.id).order_by(ChangeLog.id))).all()
    assert log == [1, 2]


async def test_a_reader_polling_beside_concurrent_writers_sees_every_change_once(postgres_base):
    """8 writers × 250 writes (creates, partial updates, deletes, restores, upserts of one shared
    record) while a reader polls with pages of 3, storing its cursor between polls."""
    sessions = postgres_base
    async with sessions() as session, session.begin():
        await services.create(session, services.ORGANIZATION, organization_fields("Shared"), author=AUTHOR,
                              identifier=IdentifierIn(scheme="partner", value="shared"))

    async def one_write(session, w: int, i: int, own):
        description = f"writer {w}, write {i}"
        if i % 25 == 0:
            return await services.upsert_by_identifier(
                session, services.ORGANIZATION, "partner", f"{w}-{i}", organization_fields(f"W{w} {i}"), author=AUTHOR)
        if i % 5 == 3:
            return await services.upsert_by_identifier(
                session, services.ORGANIZATION, "partner", "shared", {"description": description}, author=AUTHOR)
        version = (await session.get(Organization, own)).version
        if i % 25 == 11:
            return await services.delete(session, services.ORGANIZATION, own, expected_version=version, author=AUTHOR)
        if i % 25 == 12:
            return await services.restore(session, services.ORGANIZATION, own, author=AUTHOR)
        return await services.update(session, services.ORGANIZATION, own, {"description": description},
                                     expected_version=version, author=AUTHOR)

    async def writer(w: int) -> None:
        own = None
        for i in range(WRITES_PER_WRITER):
            async with sessions() as session, session.begin():
                result = await one_write(session, w, i, own)
            assert result.outcome is not services.SaveOutcome.UNCHANGED
            own = result.entity.id if i % 25 == 0 else own

    writers_done = asyncio.Event()
    seen: list[services.ChangeEntry] = []

    async def reader() -> None:
        cursor = None
        while True:
            finished = writers_done.is_set()  # read before polling: a last poll then sees every commit
            async with sessions() as session:
                page = await services.changes_after(session, cursor, 3)
            seen.extend(page.entries)
            cursor = page.end_cursor
            if finished and not page.has_more:
                return
            if not page.entries:
                await asyncio.sleep(0.005)

    async def writers() -> None:
        await asyncio.gather(*(writer(w) for w in range(WRITERS)))
        writers_done.set()

    await asyncio.wait_for(asyncio.gather(writers(), reader()), 600)

    async with sessions() as session:
        committed = (await session.scalars(sa.select(ChangeLog.id).order_by(ChangeLog.id))).all()
    assert len(committed) == 3 + 1 + WRITERS * WRITES_PER_WRITER  # base, the shared record, the writes
    assert [e.cursor for e in seen] == committed  # every change once, in order, none skipped
    await assert_replay_rebuilds_organizations(sessions, await read_feed(sessions, limit=1000))
    await assert_replay_rebuilds_organizations(sessions, seen)


async def test_concurrent_upserts_of_one_new_identifier_create_one_record(postgres_base):
    all_started = asyncio.Barrier(WRITERS)

    async def writer(n: int) -> services.SaveOutcome:
        async with postgres_base() as session, session.begin():
            await session.execute(sa.select(1))
            await all_started.wait()
            result = await services.upsert_by_identifier(
                session, services.ORGANIZATION, "partner", "new", organization_fields("MTZ", city=f"city {n}"),
                author=AUTHOR)
        return result.outcome

    outcomes = await asyncio.wait_for(asyncio.gather(*(writer(n) for n in range(WRITERS))), 60)
    assert sorted(outcomes) == sorted([services.SaveOutcome.CREATED] + [services.SaveOutcome.UPDATED] * (WRITERS - 1))
    async with postgres_base() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 1


@pytest.mark.parametrize("slug", ["mtz", None], ids=["given slug", "derived slug"])
async def test_concurrent_creates_of_one_slug_give_one_record_and_unique_errors(postgres_base, slug):
    all_started = asyncio.Barrier(WRITERS)

    async def writer() -> services.SaveOutcome | str:
        try:
            async with postgres_base() as session, session.begin():
                await session.execute(sa.select(1))
                await all_started.wait()
                fields = organization_fields("MTZ") | ({"slug": slug} if slug else {})
                return (await services.create(session, services.ORGANIZATION, fields, author=AUTHOR)).outcome
        except ServiceError as refused:
            return ",".join(f"{e.field}:{e.code}" for e in refused.errors)

    outcomes = await asyncio.wait_for(asyncio.gather(*(writer() for _ in range(WRITERS))), 60)
    if slug:  # a slug the client chose is refused when taken
        assert sorted(outcomes) == sorted([services.SaveOutcome.CREATED] + ["slug:unique"] * (WRITERS - 1))
    else:  # a derived slug gets a suffix instead
        assert outcomes == [services.SaveOutcome.CREATED] * WRITERS
    async with postgres_base() as session:
        slugs = (await session.scalars(sa.select(Organization.slug))).all()
    assert len(slugs) == (1 if slug else WRITERS) and len(set(slugs)) == len(slugs)


async def test_writers_commit_beside_one_still_committing_and_the_feed_waits_for_it(postgres_base):
    """A writer between its change-log INSERT and its COMMIT (here held there) holds a smaller id
    than a writer that commits after it. The second must not wait for the first (writers hold
    FEED_LOCK shared); a reader must not pass the smaller id (it waits for the first to finish);
    and the data version must move when the first commits, though the highest id does not."""
    engine = postgres_base.kw["bind"]
    async with engine.connect() as committing:
        await committing.execute(sa.select(sa.func.pg_advisory_xact_lock_shared(FEED_LOCK)))
        late_id = (await committing.execute(sa.insert(ChangeLog).values(
            entity_type=ChangeKind.ORGANIZATION, entity_id=uuid.uuid4(), action=ChangeAction.CREATE, version=1,
            actor="late writer", data={"name": "Late"}).returning(ChangeLog.id))).scalar_one()

        async with postgres_base() as session, session.begin():  # not waiting for the one above
            await asyncio.wait_for(services.create(session, services.ORGANIZATION, organization_fields("Early"),
                                                   author=AUTHOR), 10)
        version_while_in_flight = await data_version(engine)

        async def read_all() -> list[services.ChangeEntry]:
            async with postgres_base() as session:
                return (await services.changes_after(session, None, 100)).entries

        reader = asyncio.create_task(read_all())
        await asyncio.sleep(0.5)
        assert not reader.done(), "the reader passed a change still to commit"
        await committing.commit()
    entries = await asyncio.wait_for(reader, 10)
    cursors = [entry.cursor for entry in entries]
    assert late_id in cursors and cursors == sorted(cursors) and entries[-1].data["name"] == "Early"
    version_after = await data_version(engine)
    assert version_after != version_while_in_flight
    assert version_after.split("-")[0] == version_while_in_flight.split("-")[0]  # the same highest id
