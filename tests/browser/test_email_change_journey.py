"""Changing the e-mail address in a browser: the profile shows the waiting change and cancels it (in
place with JavaScript, focus and announcement kept; by redirect without), and the link from the new
mailbox confirms it on a page with a button, after which the new address logs in."""
import re

import pytest
from playwright.sync_api import expect

from workspace.extensions import db
from workspace.models import User

from .conftest import assert_accessible, commit, expect_focus_within, log_in

pytestmark = pytest.mark.browser
NEW = "lou.new@example.org"


def _ask(page, email):
    page.goto("/profile/email")
    page.get_by_label("New e-mail address").fill(email)
    page.get_by_label("Current password").fill("correct-horse-battery")
    page.get_by_role("button", name="Send the confirmation link").click()
    expect(page).to_have_url(re.compile(r"/profile$"))


def test_change_cancel_and_confirm_the_e_mail_address(app, new_context, world, js, sent_mail):
    page = new_context(js=js).new_page()
    log_in(page, world.loner)
    _ask(page, "lou.typo@example.org")
    waiting = page.locator("#email-change")
    expect(waiting).to_contain_text("We sent a link to lou.typo@example.org.")
    assert_accessible(page, "profile with a waiting e-mail change")
    page.get_by_role("button", name="Cancel this change").click()
    expect(page.locator("main")).to_contain_text("The change is cancelled: you keep logging in with")
    expect(page.get_by_role("button", name="Cancel this change")).to_have_count(0)
    if js:
        expect(page.locator("#announcer")).to_contain_text("The change is cancelled")
        expect_focus_within(page, "#email-change")
        expect(page).to_have_url(re.compile(r"/profile$"))

    _ask(page, NEW)
    link = re.search(r"http://[^/\s]+(/profile/email/\d+/confirm/\S+)", sent_mail[-2]["body"]).group(1)
    mailbox = new_context(js=js).new_page()  # the link opened elsewhere, not signed in
    mailbox.goto(link)
    expect(mailbox.get_by_role("heading", level=1)).to_have_text("Confirm your new e-mail address")
    assert_accessible(mailbox, "confirm page")
    mailbox.get_by_role("button", name=f"Use {NEW}").click()
    expect(mailbox).to_have_url(re.compile(r"/login$"))
    expect(mailbox.get_by_text(f"Your e-mail address is now {NEW}. Log in with it.")).to_be_visible()
    commit()
    assert db.session.get(User, world.loner.id).email == NEW
    log_in(mailbox, NEW)
