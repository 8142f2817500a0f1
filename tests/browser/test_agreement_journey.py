"""The agreement in a real browser, with htmx (in place) and without JavaScript (forms and redirects):
start it, add a role and a responsibility, accept it from the page and from home, keep a promise,
give consent (which makes a new version); accessible at every step."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible, commit, log_in, screenshot

pytestmark = pytest.mark.browser


def test_an_agreement_is_written_accepted_and_kept(new_context, world, js):
    commit()
    url = f"/projects/{world.project.id}/agreement"
    student = new_context(js=js).new_page()
    log_in(student, world.student)
    student.goto(url)
    student.get_by_role("button", name="Start the agreement").click()
    expect(student.get_by_role("heading", name=re.compile("Version 1"))).to_be_visible()

    student.get_by_role("link", name="Add a role").click()
    student.get_by_role("button", name="Save the role").click()
    expect(student.get_by_text("Choose at least one person who holds this role.").first).to_be_visible()
    student.get_by_label("Role", exact=True).fill("Team lead")
    student.get_by_label("Sam Student (student)").check()
    student.get_by_role("button", name="Save the role").click()
    expect(student.locator("#roles").get_by_role("heading", name="Team lead")).to_be_visible()

    student.get_by_role("link", name="Add a responsibility").click()
    student.get_by_label("What is promised").fill("Reply to questions within 5 working days")
    student.get_by_label("Which side").select_option("partner")
    student.get_by_role("button", name="Save the responsibility").click()
    promise = student.locator("article", has=student.get_by_role("heading", name="Reply to questions within 5 working days"))
    expect(promise).to_contain_text("Open")
    assert_accessible(student, "agreement page")
    student.get_by_role("button", name="Accept version 1").click()
    expect(student.get_by_text("1 of 2 accepted")).to_be_visible()
    screenshot(student, f"agreement-page-{'js' if js else 'nojs'}")

    partner = new_context(js=js).new_page()
    log_in(partner, world.partner)
    expect(partner.get_by_role("heading", name="Agreements to accept")).to_be_visible()
    expect(partner.locator("#waiting-badge")).to_contain_text("1")
    assert_accessible(partner, "home with an agreement to accept")
    partner.get_by_role("button", name=re.compile("Accept version 1")).click()
    expect(partner.get_by_text(re.compile("You accepted version 1")).first).to_be_visible()
    expect(partner.locator("#waiting-badge")).not_to_contain_text("1")

    partner.goto(url)
    expect(partner.get_by_text("accepted by everyone").first).to_be_visible()
    promise = partner.locator("article", has=partner.get_by_role("heading", name="Reply to questions within 5 working days"))
    promise.locator("summary").click()
    promise.get_by_label("Note (optional)").fill("Answered the first questions")
    promise.get_by_role("button", name="Mark as kept").click()
    promise = partner.locator("article", has=partner.get_by_role("heading", name="Reply to questions within 5 working days"))
    expect(promise).to_contain_text("Kept on time")
    expect(promise).to_contain_text("Answered the first questions")

    partner.get_by_role("button", name="Give consent Publishing the results").click()
    expect(partner.locator("#consent")).to_contain_text("Consent given")
    expect(partner.get_by_role("heading", name=re.compile("Version 2"))).to_be_visible()
    expect(partner.get_by_text("0 of 2 accepted")).to_be_visible()
    assert_accessible(partner, "agreement page with a new version")
