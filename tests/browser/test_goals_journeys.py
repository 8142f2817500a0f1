"""Goals in a real browser, with JavaScript (htmx swaps the card and the counters in place) and
without it (plain forms and redirects): propose, agree from the partner's home, ask for changes,
revise, claim and confirm; accessible at every step."""
import re

import pytest
from playwright.sync_api import expect

from workspace.extensions import db
from workspace.models import Goal

from ..factories import create_goal
from ..test_goals import only_goal_sections  # noqa: F401  (autouse: the goal parts of pages only)
from .conftest import assert_accessible, assert_reflows, commit, log_in, screenshot

pytestmark = pytest.mark.browser


def _card(page, title):
    return page.locator("article.goal-card", has=page.get_by_role("heading", name=title))


def test_a_goal_is_proposed_agreed_claimed_and_confirmed(new_context, world, js):
    commit()
    student = new_context(js=js).new_page()
    log_in(student, world.student)
    student.goto(f"/projects/{world.project.id}")
    expect(student.get_by_text("No goals yet.")).to_be_visible()
    student.get_by_role("link", name="Propose a goal").click()
    expect(student.get_by_role("heading", level=1)).to_have_text("Propose a goal")
    student.get_by_role("button", name="Propose the goal").click()
    expect(student.get_by_text("Give the goal a title.").first).to_be_visible()
    assert_accessible(student, "goal form with an error")
    student.get_by_label("Goal", exact=True).fill("Families wait less than 30 minutes")
    student.get_by_label("The partner's need it answers").fill("Volunteers are overwhelmed on Saturdays")
    student.get_by_role("button", name="Propose the goal").click()
    expect(student.get_by_role("heading", level=1)).to_have_text("Goal: Families wait less than 30 minutes")
    expect(student.locator("#flashes")).to_contain_text("is proposed")
    expect(student.get_by_text("Waiting for agreement", exact=True)).to_be_visible()

    partner = new_context(js=js).new_page()
    log_in(partner, world.partner)
    expect(partner.locator("#waiting-badge")).to_contain_text("1")
    card = _card(partner, "Families wait less than 30 minutes")
    expect(card).to_be_visible()
    assert_accessible(partner, "partner home with a goal to agree")
    screenshot(partner, f"goals-partner-home-{'js' if js else 'nojs'}")
    card.get_by_text("Request changes…").click()
    card.get_by_label("What should change?").fill("Please say **which** Saturdays")
    card.get_by_role("button", name=re.compile("Send the request")).click()
    if js:  # the card changes in place; the count elsewhere on the page follows, out of band
        expect(_card(partner, "Families wait less than 30 minutes").get_by_text("Changes requested")).to_be_visible()
    else:  # back home, where the goal no longer waits for the partner
        expect(partner.locator("#flashes")).to_contain_text("You asked for changes")
    expect(partner.locator("#goal-home-count")).to_have_text("(0)")
    expect(partner.locator("#waiting-badge")).not_to_contain_text("1")

    student.goto(f"/projects/{world.project.id}")
    expect(student.locator("#waiting-badge")).to_contain_text("1")
    card = _card(student, "Families wait less than 30 minutes")
    card.get_by_text("Actions").click()
    card.get_by_role("link", name=re.compile("Revise")).click()
    student.get_by_label("Goal", exact=True).fill("Families wait less than 30 minutes on the first three Saturdays")
    student.get_by_role("button", name="Save revision").click()
    expect(student.get_by_role("heading", name="Revision 2")).to_be_visible()
    expect(student.locator("ins").first).to_contain_text("on the first three Saturdays")
    expect(student.locator(".comment-body strong")).to_have_text("which")
    assert_accessible(student, "goal page with two revisions and a discussion")
    screenshot(student, f"goals-page-{'js' if js else 'nojs'}")

    partner.goto("/home")
    title = "Families wait less than 30 minutes on the first three Saturdays"
    _card(partner, title).get_by_role("button", name=re.compile("Agree to this goal")).click()
    if js:
        expect(_card(partner, title).get_by_text("Agreed", exact=True)).to_be_visible()
        expect(partner).to_have_url(re.compile(r"/home$"))
    else:
        expect(partner.locator("#flashes")).to_contain_text("agreed by both sides")
    expect(partner.locator("#waiting-badge")).not_to_contain_text("1")

    student.goto(f"/projects/{world.project.id}")
    card = _card(student, title)
    card.get_by_text("Actions").click()  # on the board a card's actions sit in one menu
    card.get_by_text("Claim achieved…").click()
    card.get_by_role("button", name=re.compile("^Claim achieved")).click()
    card = _card(student, title)
    expect(card.get_by_text("Describe the evidence")).to_be_visible()
    card.get_by_label("Evidence that it is met").fill("Measured on three Saturdays: median 22 minutes")
    card.get_by_role("button", name=re.compile("^Claim achieved")).click()
    expect(_card(student, title).get_by_text("Claimed achieved", exact=True)).to_be_visible()
    if js:
        expect(student.locator(f"#goal-counts-{world.project.id}")).to_contain_text("Claimed achieved: 1")
    screenshot(student, f"goals-board-{'js' if js else 'nojs'}")
    assert_accessible(student, "board with a claimed goal")
    student.set_viewport_size({"width": 320, "height": 800})
    assert_reflows(student)
    student.set_viewport_size({"width": 1280, "height": 900})

    db.session.rollback()  # a fresh look at the database the server wrote to
    partner.goto(f"/projects/{world.project.id}/goals/{db.session.scalar(db.select(Goal.id))}")
    _card(partner, title).get_by_role("button", name=re.compile("Confirm it is achieved")).click()
    expect(_card(partner, title).get_by_text("Achieved", exact=True)).to_be_visible()
    db.session.rollback()
    assert db.session.scalar(db.select(Goal.state)) == "achieved"


def test_a_stale_decision_shows_the_current_state_and_keeps_the_text(new_context, world, js):
    goal = create_goal(world.project, world.student, title="Shorter queues")
    commit()
    partner = new_context(js=js).new_page()
    log_in(partner, world.partner)
    partner.goto(f"/projects/{world.project.id}/goals/{goal.id}")
    other_tab = partner.context.new_page()
    other_tab.goto(f"/projects/{world.project.id}/goals/{goal.id}")
    other_tab.get_by_role("button", name=re.compile("Agree to this goal")).click()
    expect(other_tab.get_by_text("Agreed", exact=True)).to_be_visible()

    card = _card(partner, "Shorter queues")
    card.get_by_text("Request changes…").click()
    card.get_by_label("What should change?").fill("Add the costs")
    card.get_by_role("button", name=re.compile("Send the request")).click()
    card = _card(partner, "Shorter queues")
    expect(card.get_by_text("Someone else acted on this goal first")).to_be_visible()
    expect(card.get_by_text("Add the costs")).to_be_visible()
    expect(card.get_by_text("Agreed", exact=True)).to_be_visible()
    assert_accessible(partner, "stale decision")
