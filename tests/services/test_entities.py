"""The write path: versions, change log, references, partial dates, all-or-nothing."""

import pytest
import sqlalchemy as sa

from registry import services
from registry.models import ChangeLog, Event, Organization, Position
from registry.services import SaveOutcome, ServiceError
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
