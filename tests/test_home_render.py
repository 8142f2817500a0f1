"""The partner home (issue 19): its lists are read as plain rows and written out by the home's own
templates, so they must say exactly what the shared partials say for the same things."""
import re

import pytest
from flask import render_template
from flask_login import login_user

from workspace.extensions import db
from workspace.models import ProjectMember, User

from .factories import create_goal, create_project, create_user

CSRF = re.compile(r'(name="csrf_token" value=)"[^"]*"')


def _cards(html: str) -> dict[str, str]:
    return {m.group(1): CSRF.sub(r'\1"-"', m.group(0))
            for m in re.finditer(r'<article id="goal-(\d+)".*?</article>', html, re.S)}


@pytest.mark.parametrize("locale", ["en", "nl"])
def test_a_goal_on_the_partner_home_is_the_goal_card_the_actions_answer_with(app, client, world, locale):
    partner, student = world.partner, world.student
    partner.locale = locale
    second = create_project(world.course, students=[student], partners=[partner], title="Second <project> & co")
    leaver = create_user("Lee Leaver")
    db.session.add(ProjectMember(project_id=world.project.id, user_id=leaver.id, role="student"))
    from datetime import date

    goals = [
        create_goal(world.project, student, title="Routes <b>for</b> “every” family", description="Plan & <i>map</i>",
                    partner_need="Fewer trips", success_criteria="30 min", target_date=date(2027, 3, 1)),
        create_goal(world.project, student, title="Only a title"),
        create_goal(second, student, title="In the second project", partner_need="A need", revision_number=3),
        create_goal(world.project, leaver, title="Proposed by someone who left"),
    ]
    create_goal(world.project, partner, side="partner", title="The partner's own proposal")
    create_goal(world.project, student, state="agreed", title="Agreed already")
    db.session.commit()
    leaver_goal = goals[-1]
    db.session.delete(db.session.get(ProjectMember, db.session.scalar(
        db.select(ProjectMember.id).where(ProjectMember.user_id == leaver.id))))
    db.session.delete(db.session.get(User, leaver.id))
    db.session.commit()
    db.session.refresh(leaver_goal)
    assert leaver_goal.proposer_id is None

    client.login(partner)
    page = client.get("/home").get_data(as_text=True)
    home = _cards(page)
    assert sorted(home) == sorted(str(g.id) for g in goals)
    # the list around the cards, as the home's loop wrote it (goals/cards.py `HomeCards.items`)
    listed = page[page.index('<ul class="plain goal-list">'):page.index("</ul>", page.index("goal-list"))]
    assert listed.startswith('<ul class="plain goal-list">\n    \n    <li>\n<article id="goal-')
    assert listed.endswith("</article></li>\n    \n  ") and listed.count("<li>") == len(goals)
    with app.test_request_context("/home"):
        login_user(db.session.get(User, partner.id))
        for goal in goals:
            goal = db.session.get(type(goal), goal.id)
            card = _cards(render_template("goals/_card.html", goal=goal, view="home"))
            assert card[str(goal.id)] == home[str(goal.id)]


def _review_items(html: str) -> dict[str, str]:
    html = re.sub(r'(id="csrf_token" name="csrf_token" type="hidden" value=)"[^"]*"', r'\1"-"', html)
    return {m.group(1): m.group(0)
            for m in re.finditer(r'<li class="card review-item" id="home-review-(\d+)">.*?</form>\s*</li>', html, re.S)}


def test_a_version_to_review_on_the_partner_home_is_the_item_a_refused_review_answers_with(app, client, world):
    from workspace.deliverables.forms import ReviewForm
    from workspace.models import Deliverable, DeliverableVersion

    from .factories import create_deliverable, create_deliverable_version

    partner, student = world.partner, world.student
    second = create_project(world.course, students=[student], partners=[partner], title="Second <project>")
    files = [("plan <1>.pdf", "application/pdf", b"%PDF-1.4 x"), ("map.png", "image/png", b"\x89PNG...."),
             ("notes.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK" * 700)]
    report = create_deliverable(world.project, title="Route <report>", state="in_review")
    create_deliverable_version(report, submitted_by=student, decision="changes_requested", reviewer=partner)
    create_deliverable_version(report, submitted_by=student, files=files, note="Now with the map & notes",
                               links=["https://example.org/video?a=1&b=2", "https://example.org/site"])
    report.versions[-1].links[0].label = "The <video>"
    bare = create_deliverable(second, title="Bare", state="in_review")
    create_deliverable_version(bare, submitted_by=student, note="")
    create_deliverable(world.project, title="A draft", state="draft")
    db.session.commit()

    client.login(partner)
    home = _review_items(client.get("/home").get_data(as_text=True))
    assert sorted(home) == sorted([str(report.id), str(bare.id)])
    with app.test_request_context("/home"):
        login_user(db.session.get(User, partner.id))
        for deliverable_id in (report.id, bare.id):
            deliverable = db.session.get(Deliverable, deliverable_id)
            version = db.session.scalar(db.select(DeliverableVersion).where(
                DeliverableVersion.deliverable_id == deliverable_id).order_by(DeliverableVersion.number.desc()))
            item = render_template("deliverables/_home_item.html", deliverable=deliverable, version=version,
                                   review_form=ReviewForm(formdata=None))
            assert _review_items(item)[str(deliverable_id)] == home[str(deliverable_id)]
