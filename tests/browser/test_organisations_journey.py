"""The organisation page with JavaScript on: a partner ticks what the organisation shares and
answers an introduction in place; focus stays where they acted and the change is announced."""
import re

import pytest
from playwright.sync_api import expect

from workspace.extensions import db
from workspace.models import Introduction, OrganisationProfile

from .conftest import assert_accessible, commit, expect_focus_within, log_in

pytestmark = pytest.mark.browser


def test_a_partner_shares_and_accepts_an_introduction_in_place(page, world):
    org, other = world.project.organisation, world.other_project.organisation
    org.themes, other.themes = "food, care", "Food"
    db.session.add(Introduction(organisation=org, other=other, introduced_by=world.teacher, note="Meet up"))
    commit()
    log_in(page, world.partner)
    expect(page.get_by_role("heading", name=re.compile("Introductions to answer"))).to_be_visible()
    assert_accessible(page, "partner home with an introduction to answer")
    page.get_by_role("link", name=re.compile("^Accept or decline")).click()
    expect(page).to_have_url(re.compile(rf"/organisations/{org.id}#introduction-\d+$"))
    assert_accessible(page, "organisation page of its own partner")

    box = page.get_by_role("checkbox", name="Values pulse over the years")
    box.focus()
    page.keyboard.press("Space")
    expect(page.locator("#announcer")).to_contain_text("shares is saved")
    expect(page.get_by_role("checkbox", name="Values pulse over the years")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Values pulse over the years")).to_be_focused()  # htmx keeps it by id
    commit()
    db.session.expire_all()
    assert db.session.get(OrganisationProfile, org.id).share_pulse

    page.get_by_role("button", name=re.compile("^Accept the introduction")).click()
    expect(page.locator("#org-introductions")).to_contain_text(f"{org.name}: accepted")
    expect(page.locator("#announcer")).to_contain_text("You accepted the introduction")
    expect_focus_within(page, "#org-introductions")
    expect(page).to_have_url(re.compile(rf"/organisations/{org.id}(#introduction-\d+)?$"))
    expect(page.locator("#waiting-badge")).to_have_text("")
    assert_accessible(page, "organisation page after accepting in place")
