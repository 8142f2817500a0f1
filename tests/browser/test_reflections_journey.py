"""A reflection from prompt to response, with JavaScript (the response swaps in place, focus stays
in the thread, the change is announced) and without it (plain forms and redirects); the partner
never reaches the entry."""
import re

import pytest
from playwright.sync_api import expect

from workspace.extensions import db
from workspace.models import Reflection

from .conftest import assert_accessible, commit, expect_focus_within, log_in, log_out

pytestmark = pytest.mark.browser


def test_a_private_reflection_gets_a_teachers_response(new_context, world, js):
    page = new_context(js=js).new_page()
    log_in(page, world.student)
    page.goto(f"/projects/{world.project.id}")
    page.get_by_role("link", name="Write a reflection").click()
    page.get_by_label(re.compile("^Humbleness:")).check()
    page.get_by_label("Your reflection").fill("I assumed I *knew* what the food bank needed.")
    page.get_by_role("button", name="Save the reflection").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reflection by Sam Student")
    expect(page.locator(".reflection-prompt", has_text="Humbleness: where did you meet")).to_be_visible()
    expect(page.locator(".reflection-body em")).to_have_text("knew")
    entry_url = page.url
    commit()
    reflection_id = db.session.scalar(db.select(Reflection.id))
    assert entry_url.endswith(f"/projects/{world.project.id}/reflections/{reflection_id}")
    log_out(page)

    log_in(page, world.teacher)
    page.goto(entry_url)
    page.get_by_role("button", name="Add response").click()  # empty: the message, nothing lost
    expect(page.locator("#responses").get_by_text("This field is required.")).to_be_visible()
    page.get_by_label("Your response").fill("What made you sure?")
    page.get_by_role("button", name="Add response").click()
    expect(page.locator("#responses").get_by_text("What made you sure?")).to_be_visible()
    if js:
        expect(page.locator("#announcer")).to_contain_text("Your response is added.")
        expect_focus_within(page, "#responses")
        expect(page).to_have_url(entry_url)
    assert_accessible(page, "reflection with a response")
    log_out(page)

    log_in(page, world.partner)
    assert page.goto(entry_url).status == 404
