"""Dutch in the browser: a Dutch browser gets the login page in Dutch, the demo account that
prefers Dutch sees its board in Dutch (words, dates, <html lang>), and the Dutch pages pass axe."""
import re

import pytest
from babel.dates import format_date
from playwright.sync_api import expect

from workspace.seed import DEMO_PASSWORD

from ..snapshots import demo_world
from .conftest import DESKTOP, TIMEOUT_MS, axe_violations, describe_violations, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def dutch_page(browser, live_server):
    """A page in a browser whose language is Dutch (Accept-Language: nl-NL)."""
    context = browser.new_context(base_url=live_server, viewport=DESKTOP, locale="nl-NL", timezone_id="Europe/Amsterdam")
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_a_dutch_browser_gets_the_login_page_in_dutch(dutch_page):
    dutch_page.goto("/login")
    expect(dutch_page.locator("html")).to_have_attribute("lang", "nl")
    expect(dutch_page.get_by_role("heading", level=1)).to_have_text("Inloggen")
    expect(dutch_page.get_by_label("E-mailadres")).to_be_visible()
    assert not axe_violations(dutch_page)


def test_the_dutch_demo_account_sees_its_board_in_dutch(page, app):
    """partner2 prefers Dutch: after logging in (in an English browser) everything is Dutch."""
    demo = demo_world(app)
    project = demo["projects"][1]  # "Fair food distribution", Pieter Partner's project
    page.goto("/login")
    page.get_by_label("E-mail address").fill("partner2@example.org")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom")
    page.goto(f"/projects/{project.id}")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", name=re.compile(r"^Doelen \(\d+\)$"))).to_be_visible()
    expect(page.get_by_role("heading", name="Recente activiteit")).to_be_visible()
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()
    expect(page.get_by_text(format_date(project.start_date, "medium", locale="nl")).first).to_be_visible()
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
    screenshot(page, "dutch-partner-board")
    for path in (f"/projects/{project.id}/agreement", f"/projects/{project.id}/checkups", "/my-work"):
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", "nl")
        violations = axe_violations(page)
        assert not violations, f"{path}\n" + describe_violations(violations)
