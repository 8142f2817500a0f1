"""After an htmx swap (JavaScript on): focus stays in the content where the person acted, the
aria-live region says what changed, the address still names the page, and axe finds nothing
in the swapped markup, for a success (200) and for invalid input (422)."""
import re

import pytest
from playwright.sync_api import expect

from ..factories import create_goal
from .conftest import assert_accessible, commit, expect_focus_within, log_in

pytestmark = pytest.mark.browser


def _card(page, title):
    return page.locator("article.goal-card", has=page.get_by_role("heading", name=title))


def test_agreeing_to_a_goal_in_place_keeps_focus_and_announces_it(page, world):
    create_goal(world.project, world.student, title="Families wait less than 30 minutes")
    commit()
    log_in(page, world.partner)
    card = _card(page, "Families wait less than 30 minutes")
    card.get_by_role("button", name=re.compile("Agree to this goal")).click()
    expect(_card(page, "Families wait less than 30 minutes").get_by_text("Agreed", exact=True)).to_be_visible()
    expect(page.locator("#announcer")).not_to_be_empty()
    expect_focus_within(page, "main")
    expect(page).to_have_url(re.compile(r"/home$"))
    assert_accessible(page, "partner home after agreeing in place")


def test_invalid_input_in_place_shows_the_message_and_keeps_focus_near_it(page, world):
    create_goal(world.project, world.student, state="agreed", title="Families wait less than 30 minutes")
    commit()
    log_in(page, world.student)
    page.goto(f"/projects/{world.project.id}")
    card = _card(page, "Families wait less than 30 minutes")
    card.get_by_text("Actions").click()  # on the board a card's actions sit in one menu
    card.get_by_text("Claim achieved…").click()
    card.get_by_role("button", name=re.compile("^Claim achieved")).click()
    card = _card(page, "Families wait less than 30 minutes")
    expect(card.get_by_text("Describe the evidence")).to_be_visible()
    expect_focus_within(page, "article.goal-card")
    expect(page).to_have_url(re.compile(rf"/projects/{world.project.id}$"))
    assert_accessible(page, "board with an error in a goal card")
