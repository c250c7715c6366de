"""The write path: versions, change log, references, partial dates, all-or-nothing."""

import re

import pytest
import sqlalchemy as sa

from registry import services
from registry.db import StatementLog
from registry.models import (
    ChangeLog,
    Citation,
    Country,
    Event,
    ExternalIdentifier,
    Organization,
    Person,
    Position,
    SearchEntry,
    Tag,
)
from registry.services import SaveOutcome, ServiceError
from tests.conftest import app_settings, asgi_client
from tests.utils import factories
from tests.utils.factories import ACTOR, AUTHOR, cite


async def test_create_then_unchanged_then_update(base):
    async with base() as session, session.begin():
        created = await factories.organization(session, "mtz", "Minsk Tractor Plant", country="BY")
        assert created.outcome is SaveOutcome.CREATED and created.entity.version == 1
    async with base() as session, session.begin():
        again = await factories.organization(session, "mtz", "Minsk Tractor Plant", country="BY")
        assert again.outcome is SaveOutcome.UNCHANGED and again.entity.version == 1
    async with base() as session, session.begin():
        renamed = await factories.organization(session, "mtz", "MTZ", country="BY")
        assert renamed.outcome is SaveOutcome.UPDATED and renamed.entity.version == 2
    async with base() as session:
        log = (await session.execute(sa.select(ChangeLog.action, ChangeLog.version, ChangeLog.actor)
                                     .where(ChangeLog.entity_id == created.entity.id).order_by(ChangeLog.id))).all()
        assert [(a.value, v, actor) for a, v, actor in log] == [("create", 1, ACTOR), ("update", 2, ACTOR)]


async def test_unknown_references_are_all_named_and_nothing_is_written(base):
    data = services.PersonIn(
        display_name="V. Kebich", country="XX", citations=cite(),
        positions=[{"organization": "no-such-org", "title": "Prime Minister", "citations": cite()}],
    )
    with pytest.raises(ServiceError) as refused:
        async with base() as session, session.begin():
            await services.save(session, services.PERSON, "v-kebich", data, author=AUTHOR)
    assert {(e.field, e.code.value) for e in refused.value.errors} == {
        ("country", "not_found"), ("positions.0.organization", "not_found")}
    async with base() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Position)) == 0
        assert await session.scalar(
            sa.select(sa.func.count()).select_from(ChangeLog).where(ChangeLog.entity_type == "person")) == 0


async def test_references_become_the_ids_they_name_in_every_row(base):
    async with base() as session, session.begin():
        source = (await factories.source(session)).entity
        mtz = (await factories.organization(session, "mtz", "MTZ")).entity
        plant = (await factories.organization(session, "plant", "Plant", country="BY", parent="mtz")).entity
        data = services.PersonIn(display_name="V. Kebich", country="KZ", citations=cite(), positions=[
            {"organization": "plant", "title": "Director", "citations": cite()},
            {"title": "Adviser", "citations": cite()}])
        person = (await services.save(session, services.PERSON, "v-kebich", data, author=AUTHOR)).entity
    async with base() as session:
        assert (await session.get(Organization, plant.id)).country_code == "BY"
        assert (await session.get(Organization, plant.id)).parent_id == mtz.id
        assert (await session.get(Person, person.id)).country_code == "KZ"
        positions = (await session.execute(sa.select(Position.title, Position.organization_id)
                                           .where(Position.person_id == person.id).order_by(Position.title))).all()
        assert [tuple(row) for row in positions] == [("Adviser", None), ("Director", plant.id)]
        sources = (await session.scalars(sa.select(Citation.source_id).distinct())).all()
        assert sources == [source.id]


async def test_identifier_owned_by_another_record_is_refused(base):
    async with base() as session, session.begin():
        await factories.organization(session, "a", "A", identifiers=[{"scheme": "partner", "value": "1"}])
    with pytest.raises(ServiceError) as refused:
        async with base() as session, session.begin():
            await factories.organization(session, "b", "B", identifiers=[{"scheme": "partner", "value": "1"}])
    assert refused.value.errors[0].field == "identifiers.0"
    async with base() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 1


async def test_relationship_row_ids_survive_a_resave(base):
    async with base() as session, session.begin():
        await factories.organization(session, "kazakhstan", "Republic of Kazakhstan", kind="state")
        data = services.PersonIn(display_name="N. Nazarbaev", citations=cite(), positions=[
            {"organization": "kazakhstan", "title": "President", "period": "1991/..", "citations": cite()}])
        await services.save(session, services.PERSON, "nazarbayev", data, author=AUTHOR)
    async with base() as session:
        first_ids = set((await session.scalars(sa.select(Position.id))).all())
    async with base() as session, session.begin():
        changed = data.model_copy(update={"description": "President of Kazakhstan"})
        assert (await services.save(session, services.PERSON, "nazarbayev", changed, author=AUTHOR)).outcome \
            is SaveOutcome.UPDATED
    async with base() as session:
        assert set((await session.scalars(sa.select(Position.id))).all()) == first_ids


async def test_partial_dates_keep_precision_and_sort_by_bounds(base):
    dates = {"d-2002": "2002", "d-sep": "2002-09", "d-day": "2002-09-15", "d-range": "2001/2003", "d-open": "2002-10/.."}
    async with base() as session, session.begin():
        for slug, value in dates.items():
            data = services.EventIn(title=slug, kind="meeting", date=value, citations=cite())
            await services.save(session, services.EVENT, slug, data, author=AUTHOR)
    async with base() as session:
        rows = (await session.execute(
            sa.select(Event.slug, Event.date).order_by(Event.date_lower, Event.date_upper))).all()
    assert [slug for slug, _ in rows] == ["d-range", "d-2002", "d-sep", "d-day", "d-open"]
    assert dict(rows) == dates  # the text as given: "2002-09" never became a day


def organization_fields(name: str, **fields) -> dict:
    return {"name": name, "kind": "company", "citations": [{"source": factories.SOURCE_SLUG, "excerpt": "a test"}],
            **fields}


async def log_of(sessions, entity_id) -> list[ChangeLog]:
    async with sessions() as session:
        return (await session.scalars(
            sa.select(ChangeLog).where(ChangeLog.entity_id == entity_id).order_by(ChangeLog.id))).all()


async def test_a_partial_update_keeps_the_fields_left_out_and_logs_before_and_after(base):
    async with base() as session, session.begin():
        created = await services.create(
            session, services.ORGANIZATION, organization_fields("MTZ", country="BY", city="Minsk"),
            author=services.Author("partner-a", request_id="req-1"))
    assert created.entity.slug == "mtz"
    async with base() as session, session.begin():
        updated = await services.update(session, services.ORGANIZATION, created.entity.id, {"city": "Moscow"},
                                        expected_version=1, author=services.Author("partner-b", request_id="req-2"))
    assert (updated.outcome, updated.entity.version) == (SaveOutcome.UPDATED, 2)
    async with base() as session:
        organization = await session.get(Organization, created.entity.id)
        assert (organization.name, organization.country_code, organization.city) == ("MTZ", "BY", "Moscow")
    create_row, update_row = await log_of(base, created.entity.id)
    assert (create_row.actor, create_row.request_id, update_row.actor, update_row.request_id) == (
        "partner-a", "req-1", "partner-b", "req-2")
    assert create_row.changes["name"] == {"before": None, "after": "MTZ"}
    assert "description" not in create_row.changes  # nothing is no change, also on create
    assert update_row.changes == {"city": {"before": "Minsk", "after": "Moscow"}}
    assert update_row.data["city"] == "Moscow" and update_row.data["name"] == "MTZ"  # the whole snapshot after


async def test_a_stale_version_writes_nothing_and_names_the_current_one(base):
    async with base() as session, session.begin():
        created = await services.create(session, services.ORGANIZATION, organization_fields("MTZ"), author=AUTHOR)
        await services.update(session, services.ORGANIZATION, created.entity.id, {"city": "Minsk"},
                              expected_version=1, author=AUTHOR)
    for write in (
        lambda s: services.update(s, services.ORGANIZATION, created.entity.id, {"city": "Brest"},
                                  expected_version=1, author=AUTHOR),
        lambda s: services.delete(s, services.ORGANIZATION, created.entity.id, expected_version=1, author=AUTHOR),
    ):
        with pytest.raises(services.VersionConflict) as refused:
            async with base() as session, session.begin():
                await write(session)
        assert refused.value.current_version == 2
        assert [(e.field, e.code.value) for e in refused.value.errors] == [("version", "conflict")]
    async with base() as session:
        assert (await session.get(Organization, created.entity.id)).city == "Minsk"
    assert len(await log_of(base, created.entity.id)) == 2


async def test_every_invalid_field_of_a_partial_update_is_named_and_nothing_is_written(base):
    async with base() as session, session.begin():
        created = await services.create(session, services.ORGANIZATION, organization_fields("MTZ"), author=AUTHOR)
    with pytest.raises(ServiceError) as refused:
        async with base() as session, session.begin():
            await services.update(session, services.ORGANIZATION, created.entity.id,
                                  {"name": "   ", "founded": "2002-13", "colour": "red", "slug": "Not A Slug",
                                   "parent": "no-such-org"},
                                  expected_version=1, author=AUTHOR)
    assert {(e.field, e.code.value) for e in refused.value.errors} == {
        ("name", "invalid"), ("founded", "invalid"), ("colour", "invalid"), ("slug", "invalid")}
    assert len(await log_of(base, created.entity.id)) == 1


async def test_strings_are_nfc_normalised_and_trimmed(base):
    decomposed = "Bela\u0301rus\u0301 \u0418\u0306"  # combining acute accents and breve
    async with base() as session, session.begin():
        created = await services.create(
            session, services.ORGANIZATION, organization_fields(f"  {decomposed}\n", city=" Minsk ",
                                                                aliases=[{"name": f" {decomposed} "}]),
            author=AUTHOR)
    async with base() as session:
        organization = await session.get(Organization, created.entity.id)
    composed = "Beláruś Й"
    assert (organization.name, organization.city) == (composed, "Minsk")
    assert (await log_of(base, created.entity.id))[0].data["aliases"][0]["name"] == composed
    async with base() as session, session.begin():  # the same content, spelled the other way: no change
        again = await services.update(session, services.ORGANIZATION, created.entity.id, {"name": decomposed},
                                      expected_version=1, author=AUTHOR)
    assert again.outcome is SaveOutcome.UNCHANGED


async def test_the_same_collections_in_another_order_are_no_change(base):
    def person(turn) -> services.PersonIn:  # `turn` reverses or keeps each list, nested ones too
        positions = [{"organization": org, "title": title, "citations": turn(cite("first") + cite("second"))}
                     for org, title in (("org-a", "Adviser"), ("org-b", "Director"))]
        return services.PersonIn(
            display_name="V. Kebich", aliases=turn([{"name": "Vyacheslav Kebich"}, {"name": "Кебич"}]),
            identifiers=turn([{"scheme": "partner", "value": "1"}, {"scheme": "partner", "value": "2"}]),
            tags=turn(["politics", "industry"]), citations=turn(cite("one") + cite("two")), positions=turn(positions))

    async with base() as session, session.begin():
        for slug in ("org-a", "org-b"):
            await factories.organization(session, slug, slug.upper())
        created = await services.save(session, services.PERSON, "v-kebich", person(list), author=AUTHOR)
    async with base() as session, session.begin():
        again = await services.save(session, services.PERSON, "v-kebich", person(lambda items: items[::-1]),
                                    author=AUTHOR)
    assert created.outcome is SaveOutcome.CREATED and again.outcome is SaveOutcome.UNCHANGED


async def test_delete_leaves_a_tombstone_and_restore_brings_the_record_back(base):
    fields = organization_fields("MTZ", identifiers=[{"scheme": "partner", "value": "7"}], tags=["machinery"])
    async with base() as session, session.begin():
        created = await services.create(session, services.ORGANIZATION, fields, author=AUTHOR)
    async with base() as session, session.begin():
        deleted = await services.delete(session, services.ORGANIZATION, created.entity.id, expected_version=1,
                                         author=AUTHOR)
    assert (deleted.outcome, deleted.entity.version) == (SaveOutcome.DELETED, 2) and deleted.entity.deleted_at
    async with base() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(ExternalIdentifier)) == 0
    for refused_write, code in (
        (lambda s: services.update(s, services.ORGANIZATION, created.entity.id, {"city": "Minsk"},
                                   expected_version=2, author=AUTHOR), "deleted"),
        (lambda s: services.delete(s, services.ORGANIZATION, created.entity.id, expected_version=2,
                                   author=AUTHOR), "deleted"),
        (lambda s: services.create(s, services.ORGANIZATION, {**fields, "slug": "mtz"}, author=AUTHOR), "unique"),
    ):
        with pytest.raises(ServiceError) as refused:
            async with base() as session, session.begin():
                await refused_write(session)
        assert refused.value.errors[0].code.value == code

    async with base() as session, session.begin():
        restored = await services.restore(session, services.ORGANIZATION, created.entity.id, author=AUTHOR)
    assert (restored.outcome, restored.entity.version, restored.entity.deleted_at) == (SaveOutcome.RESTORED, 3, None)
    async with base() as session:
        assert (await session.scalars(sa.select(Tag.name))).all() == ["machinery"]
        assert (await session.scalars(sa.select(ExternalIdentifier.value))).all() == ["7"]
    log = await log_of(base, created.entity.id)
    assert [(row.action.value, row.version, row.changes) for row in log[1:]] == [
        ("delete", 2, {"deleted": {"before": False, "after": True}}),
        ("restore", 3, {"deleted": {"before": True, "after": False}})]
    with pytest.raises(ServiceError) as refused:
        async with base() as session, session.begin():
            await services.restore(session, services.ORGANIZATION, created.entity.id, author=AUTHOR)
    assert refused.value.errors[0].code.value == "not_deleted"


async def test_restore_is_refused_when_another_record_took_the_identifier(base):
    fields = organization_fields("MTZ", identifiers=[{"scheme": "partner", "value": "7"}])
    async with base() as session, session.begin():
        first = await services.create(session, services.ORGANIZATION, fields, author=AUTHOR)
        await services.delete(session, services.ORGANIZATION, first.entity.id, expected_version=1, author=AUTHOR)
        await services.create(session, services.ORGANIZATION, {**fields, "slug": "mtz-new"}, author=AUTHOR)
    with pytest.raises(ServiceError) as refused:
        async with base() as session, session.begin():
            await services.restore(session, services.ORGANIZATION, first.entity.id, author=AUTHOR)
    assert [(e.field, e.code.value) for e in refused.value.errors] == [("identifiers.0", "unique")]


async def test_upsert_by_identifier_creates_then_updates_then_creates_anew_after_a_delete(base):
    async def upsert(fields):
        async with base() as session, session.begin():
            return await services.upsert_by_identifier(
                session, services.ORGANIZATION, "partner", "mtz-1", fields, author=AUTHOR)

    created = await upsert(organization_fields("MTZ", city="Minsk"))
    assert created.outcome is SaveOutcome.CREATED
    updated = await upsert({"city": "Brest"})  # a partial update of the record carrying the identifier
    assert (updated.outcome, updated.entity.id, updated.entity.name, updated.entity.city) == (
        SaveOutcome.UPDATED, created.entity.id, "MTZ", "Brest")
    assert (await upsert({"identifiers": []})).outcome is SaveOutcome.UNCHANGED  # the key is kept on the record
    async with base() as session, session.begin():
        await services.delete(session, services.ORGANIZATION, created.entity.id, expected_version=2, author=AUTHOR)
    anew = await upsert(organization_fields("MTZ"))
    assert anew.outcome is SaveOutcome.CREATED and anew.entity.id != created.entity.id
    assert anew.entity.slug != "mtz"  # the tombstone keeps its slug

    with pytest.raises(ServiceError) as refused:
        async with base() as session, session.begin():
            await services.upsert_by_identifier(
                session, services.ORGANIZATION, "Bad Scheme", "x" * 201, {}, author=AUTHOR)
    assert {e.field for e in refused.value.errors} == {"identifier.scheme", "identifier.value"}


async def test_a_create_lists_missing_fields_as_required(base):
    with pytest.raises(ServiceError) as refused:
        async with base() as session, session.begin():
            await services.create(session, services.ORGANIZATION, {"name": "MTZ"}, author=AUTHOR)
    assert {(e.field, e.code.value) for e in refused.value.errors} == {("kind", "required"), ("citations", "required")}


async def test_a_record_written_around_the_services_fails_loudly(base):
    async with base() as session:
        async with session.begin():
            created = await services.create(session, services.ORGANIZATION, organization_fields("MTZ"), author=AUTHOR)
        created_id = created.entity.id
        with pytest.raises(services.UnloggedWriteError):
            async with session.begin():
                (await session.get(Organization, created_id)).city = "Minsk"
        with pytest.raises(services.UnloggedWriteError):
            async with session.begin():
                session.add(Country(code="RU", name="Russia"))
    assert len(await log_of(base, created_id)) == 1
    async with base() as session:
        assert (await session.get(Organization, created_id)).city is None
        assert await session.get(Country, "RU") is None


async def test_a_country_rename_is_logged_once(base):
    for name in ("Republic of Belarus", "Republic of Belarus", " Republic  of Belarus "):
        async with base() as session, session.begin():
            await services.save_country(session, "BY", name, author=AUTHOR)
    async with base() as session:
        rows = (await session.scalars(
            sa.select(ChangeLog).where(ChangeLog.entity_type == "country").order_by(ChangeLog.id))).all()
    belarus = [row for row in rows if row.data["code"] == "BY"]
    assert [(row.action.value, row.version, row.changes) for row in belarus] == [
        ("create", 1, {"code": {"before": None, "after": "BY"}, "name": {"before": None, "after": "Belarus"}}),
        ("update", 2, {"name": {"before": "Belarus", "after": "Republic of Belarus"}}),
        ("update", 3, {"name": {"before": "Republic of Belarus", "after": "Republic  of Belarus"}}),
    ]
    assert len({row.entity_id for row in rows}) == 2  # one id per code
    with pytest.raises(ServiceError) as refused:
        async with base() as session, session.begin():
            await services.save_country(session, "by", "x" * 101, author=AUTHOR)
    assert {e.field for e in refused.value.errors} == {"code", "name"}


async def test_a_country_rename_changes_the_etag_of_cached_gets(database_url, sessions):
    query = {"query": "{ __typename }"}
    async for client in asgi_client(app_settings(database_url)):
        async with sessions() as session, session.begin():
            await services.save_country(session, "BY", "Belarus", author=AUTHOR)
        before = await client.get("/graphql", params=query)
        async with sessions() as session, session.begin():
            await services.save_country(session, "BY", "Republic of Belarus", author=AUTHOR)
        after = await client.get("/graphql", params=query, headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]


async def test_an_update_rewrites_the_rows_of_changed_fields_only(base, engine):
    fields = organization_fields("MTZ", aliases=[{"name": "Minsk Tractor Works"}], tags=["machinery"])
    async with base() as session, session.begin():
        created = await services.create(session, services.ORGANIZATION, fields, author=AUTHOR)
    with StatementLog(engine) as log:
        async with base() as session, session.begin():
            await services.update(session, services.ORGANIZATION, created.entity.id, {"description": "tractors"},
                                  expected_version=1, author=AUTHOR)
        statements = await log.settled()
    owned_tables = re.compile(r"\b(alias|tag|citation|external_identifier)\b")
    writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "DELETE", "UPDATE"))]
    assert writes and not [s for s in writes if owned_tables.search(s)]
    assert [s for s in writes if "search_entry" in s]  # the description is searched: re-indexed

    async with base() as session, session.begin():
        await services.update(session, services.ORGANIZATION, created.entity.id, {"name": "Minsk Tractor Plant"},
                              expected_version=2, author=AUTHOR)
    async with base() as session:
        texts = set((await session.execute(
            sa.select(SearchEntry.field, SearchEntry.text).where(SearchEntry.subject_id == created.entity.id))).all())
    assert texts == {("name", "Minsk Tractor Plant"), ("alias", "Minsk Tractor Works"), ("description", "tractors"),
                     ("citation", "a test")}


async def test_strings_longer_than_their_column_are_named(base):
    fields = organization_fields("M" * 301, city="c" * 101, description="d" * 100_000)
    with pytest.raises(ServiceError) as refused:
        async with base() as session, session.begin():
            await services.create(session, services.ORGANIZATION, fields, author=AUTHOR)
    assert {(e.field, e.code.value) for e in refused.value.errors} == {("name", "invalid"), ("city", "invalid")}
    person = {"display_name": "V. Kebich", "citations": fields["citations"],
              "positions": [{"title": "t" * 301, "citations": fields["citations"]}]}
    with pytest.raises(ServiceError) as refused:
        async with base() as session, session.begin():
            await services.create(session, services.PERSON, person, author=AUTHOR)
    assert [e.field for e in refused.value.errors] == ["positions.0.title"]


async def test_a_rolled_back_savepoint_takes_its_changes_with_it(base):
    async with base() as session, session.begin():
        before = await services.create(session, services.ORGANIZATION, organization_fields("Before"), author=AUTHOR)
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                await services.create(session, services.ORGANIZATION, organization_fields("Gone"), author=AUTHOR)
                raise RuntimeError("the caller gives this record up")
        kept = await services.create(session, services.ORGANIZATION, organization_fields("Kept"), author=AUTHOR)
    async with base() as session:
        logged = (await session.scalars(sa.select(ChangeLog.data).where(ChangeLog.entity_type == "organization"))).all()
    assert [data["name"] for data in logged] == ["Before", "Kept"]
    assert (before.entity.version, kept.entity.version) == (1, 1)
