"""Forming teams in a browser, with JavaScript (the ranking and a move happen in place, announced,
focus kept in the changed part) and without it (plain forms and redirects): a student ranks, the
teacher proposes, moves a student and publishes, and the student finds the team at home."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from workspace.extensions import db
from workspace.models import ChoiceRound, Placement
from workspace.models.base import utcnow

from ..factories import create_project, create_user, enrol
from .conftest import assert_accessible, commit, expect_focus_within, log_in, log_out

pytestmark = pytest.mark.browser


def test_a_round_from_ranking_to_published_teams(new_context, world, js):
    cafe = create_project(world.course, title="Digital café")
    garden = create_project(world.course, title="Garden")
    anna, bram = create_user("Anna Student"), create_user("Bram Student")
    for user in (anna, bram):
        enrol(world.course, user)
    db.session.add(ChoiceRound(course_id=world.course.id, deadline=utcnow() + timedelta(days=2), min_size=1,
                               max_size=2))
    commit()
    page = new_context(js=js).new_page()

    log_in(page, anna)
    page.get_by_role("link", name="Choose your projects for Community Lab").click()
    expect(page).to_have_url(re.compile(r"/teams/\d+/choose$"))
    choose_url = page.url
    page.get_by_label("Choice 1").select_option(label="Digital café")
    page.get_by_label("Why this project? (optional)").first.fill("I help my grandmother online.")
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_text("Your choices are saved.").first).to_be_visible()  # in place, or the flash
    expect(page.get_by_label("Choice 1")).to_have_value(str(cafe.id))
    if js:
        expect(page.locator("#announcer")).to_contain_text("Your choices are saved.")
        expect_focus_within(page, "#ranking")
        assert page.url == choose_url
    assert_accessible(page, "the student's ranking")
    log_out(page)

    log_in(page, world.teacher)
    page.goto(f"/courses/{world.course.id}")
    page.get_by_role("link", name="Forming teams").click()
    expect(page.get_by_text("1 of 2 students waiting for a team")).to_be_visible()
    page.get_by_role("link", name="Propose teams").click()
    page.get_by_role("button", name="Propose teams now").click()
    expect(page.get_by_role("heading", name="Proposed teams")).to_be_visible()
    assert_accessible(page, "proposed teams")
    commit()
    anna_team = db.session.scalar(db.select(Placement.project_id).where(Placement.user_id == anna.id))
    assert anna_team == cafe.id
    page.get_by_label("Team of Anna Student").select_option(label="Garden")
    page.get_by_role("button", name="Move Anna Student").click()
    expect(page.locator("#proposal").get_by_text("moved")).to_be_visible()
    if js:
        expect(page.locator("#announcer")).to_contain_text("Anna Student moved to Garden.")
        expect_focus_within(page, "#proposal")
    else:
        expect(page.get_by_text("Anna Student moved to Garden.")).to_be_visible()  # the flash after the redirect
    page.get_by_role("link", name="Publish the teams").click()
    page.get_by_role("button", name="Publish the teams now").click()
    expect(page.get_by_text(re.compile(r"teams? (is|are) published"))).to_be_visible()
    log_out(page)

    log_in(page, anna)
    expect(page.get_by_text("Your team in Community Lab:")).to_be_visible()
    page.get_by_role("link", name="Garden").first.click()
    expect(page).to_have_url(re.compile(rf"/projects/{garden.id}$"))
