"""The admin in headless Chromium (Debian's), against `registry serve` on a seeded database.

Screenshots of the dashboard, a list, a detail page and an edit form go to test-artifacts/admin/.
"""

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.utils.databases import BACKENDS, create_database, drop_database
from tests.utils.servers import REGISTRY, _environment, registry_server, run_registry

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "admin"
USERNAME, PASSWORD = "maintainer", "a long enough password"
SERVER_BACKENDS: dict[str, str] = {}  # base URL → backend, for screenshot names
TIMEOUT_MS = 15_000  # waits for the page, never asserted on


def create_admin_user(database_url: str) -> None:
    done = subprocess.run([REGISTRY, "admin", "create-user", USERNAME], input=f"{PASSWORD}\n{PASSWORD}\n",
                          env=_environment(database_url), capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp(f"admin-{request.param}")
    database_url = create_database(request.param, directory)
    try:
        run_registry(database_url, "db", "upgrade")
        run_registry(database_url, "seed")
        create_admin_user(database_url)
        with registry_server(database_url, directory / "server.log") as base_url:
            SERVER_BACKENDS[base_url] = request.param
            yield base_url
    finally:
        drop_database(database_url)


@pytest.fixture(scope="module")
def browser(server) -> Iterator["playwright_api.Browser"]:
    # after the server and gone before it: Playwright's loop must not be running while the
    # database helpers (asyncio.run) create or drop a PostgreSQL database
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server, viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def log_in(page, password: str = PASSWORD) -> None:
    page.goto("/admin/login")
    page.fill("input[name=username]", USERNAME)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def screenshot(page, name: str, server: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    backend = SERVER_BACKENDS[server]
    page.screenshot(path=str(ARTIFACTS / f"{name}-{backend}.png"), full_page=True)


def organization_names(server: str, text: str) -> list[str]:
    query = "query($t: String) { organizations(filter: {text: $t}) { edges { node { name } } } }"
    answer = httpx.post(f"{server}/graphql", json={"query": query, "variables": {"t": text}}).json()
    return [edge["node"]["name"] for edge in answer["data"]["organizations"]["edges"]]


def test_login_fails_with_a_wrong_password_then_succeeds(page, server):
    log_in(page, "not the password at all")
    assert "Invalid credentials" in page.content()
    assert page.url.endswith("/admin/login")
    log_in(page)
    page.wait_for_url("**/admin/")
    assert page.locator("[data-count=Organizations]").inner_text().strip().isdigit()
    screenshot(page, "dashboard", server)


def test_pages_need_a_login_and_logout_ends_it(page, server):
    page.goto("/admin/organization/list")
    assert page.url.endswith("/admin/login")
    log_in(page)
    page.wait_for_url("**/admin/")
    page.click("text=Logout")
    page.wait_for_url("**/admin/login")
    page.goto("/admin/person/list")
    assert page.url.endswith("/admin/login")


def test_list_search_finds_a_person_by_another_spelling(page, server):
    log_in(page)
    page.wait_for_url("**/admin/")
    page.goto("/admin/person/list?search=Nazarbaev")
    assert "Nursultan Nazarbayev" in page.locator("table").inner_text()
    screenshot(page, "list", server)
    page.goto(page.locator("a[href*='/person/details/']").first.get_attribute("href"))
    assert "Citations" in page.content() and "History" in page.content()
    screenshot(page, "detail", server)


def _fill_organization(page, name: str, founded: str) -> None:
    page.fill("input[name=name]", name)
    page.select_option("select[name=kind]", "company")
    page.fill("input[name=founded]", founded)
    page.select_option("select[name=citations-0-source]", "burnashev-2004")
    page.fill("textarea[name=citations-0-excerpt]", "A new company seen in the document.")


def test_create_organization_bad_date_refused_then_fixed_and_logged(page, server):
    name = f"Admin Test Company {uuid.uuid4().hex[:6]}"
    log_in(page)
    page.wait_for_url("**/admin/")
    page.goto("/admin/organization/create")
    _fill_organization(page, name, "2002-13")
    page.click("input[value=Save]")
    assert "Nothing was saved" in page.content()
    assert "not a calendar date" in page.locator(".invalid-feedback").inner_text()
    assert organization_names(server, name) == []
    screenshot(page, "edit-form-error", server)

    page.fill("input[name=founded]", "2002-09")
    page.click("input[value=Save]")
    page.wait_for_url("**/admin/organization/list")
    assert organization_names(server, name) == [name]

    page.goto(f"/admin/change-log/list?search={USERNAME}")
    assert f"admin:{USERNAME}" in page.locator("table").inner_text()
    assert "organization" in page.locator("table").inner_text()


def test_stale_version_edit_is_refused(browser, page, server):
    log_in(page)
    page.wait_for_url("**/admin/")
    page.goto("/admin/organization/list")
    edit_url = page.locator("a[href*='/organization/edit/']").first.get_attribute("href")
    other = page.context.new_page()
    page.goto(edit_url)
    other.goto(edit_url)
    page.fill("input[name=city]", "Astana")
    page.click("input[value='Save and continue editing']")
    page.wait_for_load_state()
    other.fill("input[name=city]", "Minsk")
    other.click("input[value='Save and continue editing']")
    assert "the record is at version" in other.content()
    screenshot(page, "edit-form", server)


def test_forged_post_without_csrf_token_is_refused_and_writes_nothing(page, server):
    log_in(page)
    page.wait_for_url("**/admin/")
    forged = page.request.post("/admin/organization/create", form={
        "name": "Forged Company", "kind": "company", "citations-0-source": "burnashev-2004",
        "citations-0-excerpt": "forged", "save": "Save"})
    assert forged.status == 403
    assert organization_names(server, "Forged Company") == []


def test_project_participants_edited_with_pickers(page, server):
    log_in(page)
    page.wait_for_url("**/admin/")
    page.goto("/admin/project/list")
    page.goto(page.locator("a[href*='/project/edit/']").first.get_attribute("href"))
    rows = page.locator("select[name$='-organization'][name^='participants-']")
    blank = rows.nth(rows.count() - 1).get_attribute("name").removesuffix("-organization")
    # the searchable picker: open it, type part of a name, take the first match
    page.locator(f"select[name='{blank}-organization'] + .select2").click()
    page.keyboard.type("Kazakhstan")
    page.locator(".select2-results__option--highlighted").first.click()
    chosen = page.locator(f"select[name='{blank}-organization']").input_value()
    page.select_option(f"select[name='{blank}-role']", "partner")
    page.select_option(f"select[name='{blank}-source']", "burnashev-2004")
    page.fill(f"textarea[name='{blank}-excerpt']", "Takes part, as the document says.")
    page.click("input[value='Save and continue editing']")
    page.wait_for_load_state()
    assert "Nothing was saved" not in page.content()
    assert page.locator(f"select[name$='-organization'][name^='participants-'] option[value='{chosen}'][selected]").count() >= 1


def agreements_named(server: str, text: str) -> list[dict]:
    query = """query($t: String) { agreements(filter: {text: $t}) { edges { node {
        title signed { value precision } parties { role organization { slug } } } } } }"""
    answer = httpx.post(f"{server}/graphql", json={"query": query, "variables": {"t": text}}).json()
    return [edge["node"] for edge in answer["data"]["agreements"]["edges"]]


def test_create_agreement_with_a_party_picked_and_a_partial_date(page, server):
    title = f"Admin Test Agreement {uuid.uuid4().hex[:6]}"
    log_in(page)
    page.wait_for_url("**/admin/")
    page.goto("/admin/agreement/create")
    page.fill("input[name=title]", title)
    page.select_option("select[name=kind]", "protocol")
    page.select_option("select[name=status]", "signed")
    page.fill("input[name=signed]", "1997-05")
    # the party's organization from the searchable picker: type part of a name, take the first match
    page.locator("select[name='parties-0-organization'] + .select2").click()
    page.keyboard.type("Kazakhstan")
    page.locator(".select2-results__option--highlighted").first.click()
    chosen = page.locator("select[name='parties-0-organization']").input_value()
    assert chosen
    page.select_option("select[name='parties-0-role']", "guarantor")
    page.select_option("select[name='parties-0-source']", "burnashev-2004")
    page.fill("textarea[name='parties-0-excerpt']", "A party to it, as the document says.")
    page.select_option("select[name=citations-0-source]", "burnashev-2004")
    page.fill("textarea[name=citations-0-excerpt]", "An agreement seen in the document.")
    screenshot(page, "agreement-form", server)
    page.click("input[value=Save]")
    page.wait_for_url("**/admin/agreement/list")
    [agreement] = agreements_named(server, title)
    assert agreement["signed"] == {"value": "1997-05", "precision": "MONTH"}
    assert agreement["parties"] == [{"role": "GUARANTOR", "organization": {"slug": chosen}}]
