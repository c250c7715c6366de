"""The admin's create and edit forms of agreements, events, figures and sources, in process.

Real HTTP through the ASGI app (logged in, CSRF token sent as a form would), on a real database
of each backend; what a form wrote is read back through the services' tables.
"""

import re
from collections.abc import AsyncIterator
from html import unescape

import httpx
import pytest
import sqlalchemy as sa

from registry import services
from registry.models import Agreement, AgreementParty, Event, EventParticipant, Figure, Source
from registry.admin.forms import MAX_ROWS
from registry.services import admin_users
from tests.conftest import app_settings, asgi_client
from tests.utils import factories

USERNAME, PASSWORD = "editor", "a long enough password"
CITE = {"citations-0-source": factories.SOURCE_SLUG, "citations-0-excerpt": "Seen in the document."}

# per kind: a valid form, its partial-date field, and a field changed by the stale edit
FORMS = {
    "agreement": ({
        "title": "Agreement on Admin Forms", "kind": "agreement", "status": "signed", "signed": "1996-01",
        "parties-0-organization": "org-0", "parties-0-role": "guarantor",
        "parties-0-source": factories.SOURCE_SLUG, "parties-0-excerpt": "Org 0 guarantees it.",
        "signatories-0-person": "test-person", "signatories-0-organization": "org-1",
        "signatories-0-source": factories.SOURCE_SLUG, "signatories-0-excerpt": "Signed by the test person.",
        **CITE}, "signed", "city"),
    "event": ({
        "title": "Admin Forms Summit", "kind": "summit", "date": "1999~", "country": "KZ",
        "participants-0-organization": "org-0", "participants-0-person": "test-person",
        "participants-0-role": "host", "participants-0-source": factories.SOURCE_SLUG,
        "participants-0-excerpt": "Hosted by org 0.", **CITE}, "date", "city"),
    "figure": ({
        "metric": "bilateral_trade", "value": "1250.5", "unit": "USD", "qualifier": "about",
        "period": "2003", "from_country": "KZ", "to_country": "BY", "subject_organization": "org-1",
        "original": "about 1.25 thousand dollars", "description": "Admin forms trade figure", **CITE},
        "period", "original"),
    "source": ({
        "title": "Admin Forms Source", "file": "admin-forms.txt", "author": "A. Writer",
        "published": "2004-03-02", "url": "https://example.org/admin-forms"}, "published", "author"),
}
MODELS = {"agreement": Agreement, "event": Event, "figure": Figure, "source": Source}


@pytest.fixture
async def admin(database_url, sessions) -> AsyncIterator[httpx.AsyncClient]:
    """A logged-in admin client over a database with a source, countries, organizations and a person."""
    async with sessions() as session, session.begin():
        await factories.source(session)
        await factories.countries(session)
        for i in range(2):
            await factories.organization(session, f"org-{i}", f"Organization {i}")
        person = services.PersonIn(display_name="Test Person", citations=factories.cite())
        await services.save(session, services.PERSON, "test-person", person, author=factories.AUTHOR)
        await admin_users.create_admin_user(session, USERNAME, PASSWORD)
    async for client in asgi_client(app_settings(database_url)):
        await client.get("/admin/login")
        logged_in = await client.post("/admin/login", data={"username": USERNAME, "password": PASSWORD,
                                                            "csrf_token": client.cookies["registry_admin_csrf"]})
        assert logged_in.status_code == 302
        yield client


async def submit(client: httpx.AsyncClient, path: str, form: dict) -> httpx.Response:
    return await client.post(path, data={**form, "csrf_token": client.cookies["registry_admin_csrf"], "save": "Save"})


async def live_ids(sessions, kind: str) -> list:
    """The live records of `kind` the forms made (not the fixture's source)."""
    model = MODELS[kind]
    async with sessions() as session:
        return list((await session.scalars(sa.select(model.id).where(
            model.deleted_at.is_(None), model.slug != factories.SOURCE_SLUG))).all())


def error_after(html: str, name: str) -> str:
    """The error message shown right after the input named `name` (empty if none)."""
    found = re.search(rf'name="{re.escape(name)}"(?:(?!name=").)*?<div class="invalid-feedback[^"]*">(.*?)</div>',
                      html, re.S)
    return unescape(found.group(1)).strip() if found else ""


@pytest.mark.parametrize("kind", FORMS)
async def test_create_form_writes_the_record_through_the_services(admin, sessions, kind):
    form, date_field, _ = FORMS[kind]
    answer = await submit(admin, f"/admin/{kind}/create", form)
    assert answer.status_code == 302, answer.text
    [record_id] = await live_ids(sessions, kind)
    async with sessions() as session:
        record = await session.get(MODELS[kind], record_id)
        assert getattr(record, date_field) == form[date_field]
        assert record.version == 1
    edit_page = await admin.get(f"/admin/{kind}/edit/{record_id}")
    assert edit_page.status_code == 200
    assert f'value="{form[date_field]}"' in edit_page.text


async def test_agreement_form_saves_parties_with_roles_and_signatories(admin, sessions):
    await submit(admin, "/admin/agreement/create", FORMS["agreement"][0])
    async with sessions() as session:
        [agreement] = (await session.scalars(sa.select(Agreement))).all()
        [party] = (await session.scalars(sa.select(AgreementParty))).all()
        assert party.agreement_id == agreement.id and party.role == "guarantor"
        snapshot = (await services.changes.latest_change(session, services.AGREEMENT.kind, agreement.id))[1]
    assert snapshot["signatories"][0]["person"] == "test-person"
    assert snapshot["signatories"][0]["organization"] == "org-1"
    page = await admin.get(f"/admin/agreement/details/{agreement.id}")
    assert "1996-01 (month)" in page.text  # the precision shown
    edit_page = (await admin.get(f"/admin/agreement/edit/{agreement.id}")).text
    # a party row comes back with its organization, role and first citation, ready to save again
    for name, value in (("parties-0-organization", "org-0"), ("parties-0-role", "guarantor"),
                        ("parties-0-source", factories.SOURCE_SLUG), ("signatories-0-person", "test-person")):
        assert re.search(rf'name="{name}"(?:(?!name=").)*?<option selected value="{value}"', edit_page, re.S), name


async def test_event_participant_needs_a_role_shown_on_its_row(admin, sessions):
    form = {**FORMS["event"][0], "participants-0-role": ""}
    answer = await submit(admin, "/admin/event/create", form)
    assert answer.status_code == 400
    assert "Nothing was saved" in answer.text
    assert "required" in error_after(answer.text, "participants-0-role")
    assert await live_ids(sessions, "event") == []
    async with sessions() as session:
        assert (await session.scalars(sa.select(EventParticipant))).all() == []


@pytest.mark.parametrize("kind", FORMS)
async def test_bad_partial_date_shown_next_to_its_field_and_nothing_written(admin, sessions, kind):
    form, date_field, _ = FORMS[kind]
    answer = await submit(admin, f"/admin/{kind}/create", {**form, date_field: "2002-13"})
    assert answer.status_code == 400
    assert "Nothing was saved" in answer.text
    assert "not a calendar date" in error_after(answer.text, date_field)
    assert await live_ids(sessions, kind) == []


@pytest.mark.parametrize("kind", FORMS)
async def test_edit_of_a_stale_version_is_refused(admin, sessions, kind):
    form, _, changed = FORMS[kind]
    await submit(admin, f"/admin/{kind}/create", form)
    [record_id] = await live_ids(sessions, kind)
    first = await submit(admin, f"/admin/{kind}/edit/{record_id}", {**form, changed: "Minsk", "version": "1"})
    assert first.status_code == 302, first.text
    stale = await submit(admin, f"/admin/{kind}/edit/{record_id}", {**form, changed: "Astana", "version": "1"})
    assert stale.status_code == 400
    assert "the record is at version 2" in stale.text
    async with sessions() as session:
        record = await session.get(MODELS[kind], record_id)
        assert (getattr(record, changed), record.version) == ("Minsk", 2)


async def test_figure_value_must_be_a_number(admin, sessions):
    answer = await submit(admin, "/admin/figure/create", {**FORMS["figure"][0], "value": "a lot"})
    assert answer.status_code == 400
    assert error_after(answer.text, "value")
    assert await live_ids(sessions, "figure") == []


async def test_abusive_row_count_is_refused_and_writes_nothing(admin, sessions):
    rows = {f"parties-{i}-organization": "org-0" for i in range(MAX_ROWS + 1)}
    answer = await submit(admin, "/admin/agreement/create", {**FORMS["agreement"][0], **rows})
    assert answer.status_code == 400
    assert f"at most {MAX_ROWS} rows" in answer.text
    assert await live_ids(sessions, "agreement") == []
