"""The partner's evaluation and peer feedback in a browser, with JavaScript (in place, announced,
focus kept) and without: the partner answers on the home page after a refused incomplete answer;
a student rates both teammates; the teacher reads the summary with its flags. axe checks each step."""
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from workspace.evaluations.services import ask_due
from workspace.extensions import db
from workspace.models import PeerRound, ProjectMember
from workspace.models.checkup import VALUE_KEYS

from ..factories import create_user
from .conftest import assert_accessible, commit, expect_focus_within, log_in

pytestmark = pytest.mark.browser


def test_the_partner_evaluates_the_collaboration_on_the_home_page(new_context, world, js):
    world.project.end_date = date.today() - timedelta(days=1)
    db.session.flush()
    ask_due()
    commit()
    page = new_context(js=js).new_page()
    log_in(page, world.partner)
    page.goto("/home")
    card = page.locator("article.evaluation")
    expect(card.get_by_role("heading", name=re.compile("Food bank routes"))).to_be_visible()
    card.get_by_role("button", name="Send the evaluation").click()
    card = page.locator("article.evaluation")
    expect(card.get_by_text("Choose a score from 1 to 5.").first).to_be_visible()
    assert_accessible(page, "evaluation with errors")
    for group in card.locator("fieldset.pulse-value").all():
        group.get_by_label("4", exact=True).check()
    assert card.locator("fieldset.pulse-value").count() == len(VALUE_KEYS)
    card.get_by_label("What changed for your organisation?").fill("Volunteers plan the routes themselves.")
    card.get_by_label("Maybe").check()
    card.get_by_role("button", name="Send the evaluation").click()
    if js:
        card = page.locator("article.evaluation")
        expect(card.get_by_text("You can change it until the teacher closes it")).to_be_visible()
        expect(page.locator("#announcer")).not_to_be_empty()
        expect_focus_within(page, "main")
    else:
        expect(page.get_by_text("your evaluation of")).to_be_visible()
        expect(page.locator("article.evaluation")).to_have_count(0)
    assert_accessible(page, "partner home after the evaluation")


def test_a_student_rates_the_team_and_the_teacher_reads_the_flags(new_context, world, js):
    mates = [create_user("Amy Student"), create_user("Bob Student")]
    db.session.add_all([ProjectMember(project_id=world.project.id, user_id=u.id, role="student") for u in mates])
    peer_round = PeerRound(course_id=world.course.id, title="Mid-term", opens_on=date.today(),
                           closes_on=date.today() + timedelta(days=7), dimensions=["Communicating", "Keeping promises"])
    db.session.add(peer_round)
    commit()
    page = new_context(js=js).new_page()
    log_in(page, world.student)
    page.goto("/home")
    page.get_by_role("link", name=re.compile("Rate your teammates in")).click()
    form = page.locator("#peer-rate")
    expect(form.locator("fieldset.pulse-value")).to_have_count(4)  # two teammates, two dimensions
    for group in form.locator("fieldset.pulse-value").all():
        group.get_by_label("3", exact=True).check()
    form.get_by_label("Comment for the teacher").first.fill("Amy kept us on track.")
    assert_accessible(page, "peer feedback form")
    form.get_by_role("button", name="Send my peer feedback").click()
    if js:
        expect(page.locator("#peer-rate").get_by_text("your peer feedback is saved")).to_be_visible()
        expect(page.locator("#announcer")).not_to_be_empty()
        expect_focus_within(page, "main")
    else:
        expect(page.get_by_text("your peer feedback is saved")).to_be_visible()
        expect(page).to_have_url(re.compile(rf"/projects/{world.project.id}$"))
    teacher = new_context(js=js).new_page()
    log_in(teacher, world.teacher)
    teacher.goto(f"/courses/{world.course.id}/peer-feedback/{peer_round.id}")
    expect(teacher.get_by_text("rates everyone the same")).to_be_visible()
    expect(teacher.get_by_text("no peer feedback submitted").first).to_be_visible()
    assert_accessible(teacher, "peer feedback summary")
