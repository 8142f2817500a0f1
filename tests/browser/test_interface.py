"""The interface's figures (issue 21), measured in Chromium: the demo dashboard on one 1280 × 800
screen and 40 projects in under five, one line per project; a decision on the board moves the card
to its new column at once; the style page renders every component accessibly. (No word broken
inside itself in any table cell at 1280 and 390 px on every demo page of every demo account is
checked in test_demo_pages.py, on the same visit as axe and reflow.)"""
import re

import pytest
from playwright.sync_api import expect

from workspace.extensions import db
from workspace.models import Goal
from workspace.seed import DEMO_PASSWORD

from ..snapshots import demo_world
from ..factories import create_goal, create_project
from .conftest import assert_accessible, assert_reflows, commit, log_in
from .test_demo_pages import ACCOUNTS

pytestmark = pytest.mark.browser

SCREEN = {"width": 1280, "height": 800}



ROW_HEIGHTS = ("Array.from(document.querySelectorAll('table.dashboard tbody tr'))"
               ".map(r => r.getBoundingClientRect().height)")
TABLE_BOTTOM = "document.querySelector('table.dashboard').getBoundingClientRect().bottom + window.scrollY"


def _one_line_each(page):
    heights = page.evaluate(ROW_HEIGHTS)
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('table.dashboard td')).lineHeight)")
    assert heights and max(heights) < 2 * line + 16, f"a project takes more than one line: {heights} (line {line})"
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREEN["width"]
    return heights


def test_the_demo_dashboard_fits_one_screen_and_40_projects_fit_in_under_five(new_context, app):
    demo = demo_world(app)
    course = demo["courses"][0]
    page = new_context(viewport=SCREEN).new_page()
    log_in(page, ACCOUNTS["teacher"], DEMO_PASSWORD)
    page.goto(f"/courses/{course.id}/dashboard")
    heights = _one_line_each(page)
    assert len(heights) >= 6
    assert page.evaluate(TABLE_BOTTOM) <= SCREEN["height"], "the demo dashboard needs more than one screen"

    organisation = demo["organisations"][0]
    for n in range(40 - len(heights)):
        create_project(course, organisation=organisation, title=f"Generated project number {n + 1} with a longer name")
    commit()
    page.reload()
    heights = _one_line_each(page)
    assert len(heights) == 40
    assert page.evaluate(TABLE_BOTTOM) < 5 * SCREEN["height"], "40 projects need 5 screens or more"
    # the header stays in view while the teacher scrolls down the list
    page.mouse.wheel(0, 1500)
    page.wait_for_function("window.scrollY > 1000")
    top = page.evaluate("document.querySelector('table.dashboard thead th').getBoundingClientRect().top")
    assert 0 <= top < 5, f"the header row scrolled away (top {top})"


def _card(scope, title):
    return scope.locator("article.goal-card").filter(has=scope.page.get_by_role("heading", name=title))


def test_a_decision_on_the_board_moves_the_card_to_its_new_column_at_once(new_context, world, js):
    create_goal(world.project, world.student, title="Families wait less than 30 minutes")
    create_goal(world.project, world.student, title="A second goal stays waiting")
    commit()
    partner = new_context(js=js, viewport=SCREEN).new_page()
    log_in(partner, world.partner)
    partner.goto(f"/projects/{world.project.id}")
    waiting, agreed = partner.locator("#goal-column-waiting"), partner.locator("#goal-column-agreed")
    card = _card(waiting, "Families wait less than 30 minutes")
    expect(card).to_be_visible()
    expect(card.get_by_role("button", name=re.compile("Agree to this goal"))).to_be_hidden()  # inside the menu
    card.get_by_text("Actions").click()
    card.get_by_role("button", name=re.compile("Agree to this goal")).click()
    expect(_card(agreed, "Families wait less than 30 minutes")).to_be_visible()
    expect(_card(waiting, "Families wait less than 30 minutes")).to_have_count(0)
    expect(_card(waiting, "A second goal stays waiting")).to_be_visible()
    expect(partner.locator("#goal-column-agreed-title")).to_contain_text("(1)")
    expect(partner).to_have_url(re.compile(rf"/projects/{world.project.id}(#goal-\d+)?$"))
    if js:
        expect(partner.locator("#announcer")).not_to_be_empty()
        partner.wait_for_function("!!(document.activeElement && document.activeElement.closest('#goal-column-agreed'))")
    assert_accessible(partner, "board after a card moved")
    db.session.rollback()
    state = db.session.scalar(db.select(Goal.state).where(Goal.title == "Families wait less than 30 minutes"))
    assert state == "agreed"


def test_the_style_page_shows_every_component_accessibly(page, world):
    log_in(page, world.admin)
    page.goto("/styleguide")
    expect(page.get_by_role("heading", level=1)).to_have_text("Style guide")
    for heading in ("Type scale", "Buttons: one style per weight", "Badges and signals", "Icons", "Dates and numbers",
                    "Card with a menu of actions", "Empty state", "Form field", "Data table", "Colours"):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    assert page.locator("svg.icon use").count() >= 20
    assert page.evaluate("document.querySelector('svg.icon').getBoundingClientRect().width") > 0  # the sprite draws
    assert_accessible(page, "style guide")
    page.set_viewport_size({"width": 320, "height": 640})
    assert_reflows(page)
