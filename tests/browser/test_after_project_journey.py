"""A partner answers the after-project questions on the home page, in place with JavaScript and
as a plain form without: first a refused (incomplete) answer, then the answer, focus kept in the
content and the change announced; axe checks the swapped markup."""
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from workspace.after_project.services import ask_due
from workspace.extensions import db

from .conftest import assert_accessible, commit, expect_focus_within, log_in

pytestmark = pytest.mark.browser


def test_the_partner_answers_on_the_home_page(new_context, world, js):
    world.project.start_date = date.today() - timedelta(days=400)
    world.project.end_date = date.today() - timedelta(days=200)
    db.session.flush()
    ask_due()
    commit()
    page = new_context(js=js).new_page()
    log_in(page, world.partner)
    page.goto("/home")
    card = page.locator("article.after-project")
    expect(card.get_by_role("heading", name=re.compile("Food bank routes"))).to_be_visible()
    card.get_by_label("Partly").first.check()  # still in use: partly; carrying on left out
    card.get_by_role("button", name="Send the answers").click()
    card = page.locator("article.after-project")
    expect(card.get_by_text("Choose yes, partly or no.")).to_be_visible()
    assert_accessible(page, "after-project question with an error")
    card.get_by_label("Yes").nth(1).check()
    card.get_by_label("What helps you carry on, or what is missing?").fill("The handbook.")
    card.get_by_role("button", name="Send the answers").click()
    if js:
        card = page.locator("article.after-project")
        expect(card.get_by_text("Answered by")).to_be_visible()
        expect(page.locator("#announcer")).not_to_be_empty()
        expect_focus_within(page, "main")
        expect(page).to_have_url(re.compile(r"/home$"))
    else:
        expect(page.get_by_text("your answers about")).to_be_visible()
        expect(page.locator("article.after-project")).to_have_count(0)
    assert_accessible(page, "partner home after answering")
