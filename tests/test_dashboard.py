"""The teacher dashboard: signals per project, reasons in words, filter, sort, search, CSV."""
import csv
import io
from datetime import date, timedelta

from workspace.activity import record
from workspace.extensions import db
from workspace.models.agreement import Agreement, AgreementAcceptance, AgreementVersion, Responsibility
from workspace.models.base import utcnow
from workspace.models.checkup import CheckUp, FeedbackItem, PulseRating
from workspace.models.deliverable import Deliverable
from workspace.models.goal import Goal

from .factories import create_project


def _stuck(world):
    """The world's project: a goal the partner left for 9 days, late promises, an old check-up."""
    now = utcnow()
    project = world.project
    db.session.add(Goal(project_id=project.id, title="Map the routes", proposer_side="student",
                        proposer_id=world.student.id, state="proposed", state_changed_at=now - timedelta(days=9)))
    db.session.add(Goal(project_id=project.id, title="Agreed one", proposer_side="student", state="agreed"))
    agreement = Agreement(project_id=project.id, cadence_days=14, number=1)
    db.session.add(agreement)
    db.session.flush()
    db.session.add(Responsibility(agreement_id=agreement.id, what="Reply within 5 days", side="partner",
                                  due_date=date.today() - timedelta(days=3)))
    version = AgreementVersion(agreement_id=agreement.id, number=1, snapshot={}, created_at=now - timedelta(days=10))
    db.session.add(version)
    db.session.flush()
    db.session.add(AgreementAcceptance(agreement_version_id=version.id, user_id=world.student.id))
    checkup = CheckUp(project_id=project.id, planned_at=now - timedelta(days=24), state="confirmed")
    db.session.add(checkup)
    db.session.flush()
    db.session.add(FeedbackItem(checkup_id=checkup.id, project_id=project.id, raised_by="partner", text="Bigger font"))
    for score, days in ((4, 40), (2, 24)):
        old = CheckUp(project_id=project.id, planned_at=now - timedelta(days=days), state="confirmed")
        db.session.add(old)
        db.session.flush()
        db.session.add(PulseRating(checkup_id=old.id, project_id=project.id, user_id=world.partner.id, side="partner",
                                   value_key="relevance", score=score))
    db.session.add(Deliverable(project_id=project.id, title="Route map", kind="report", state="in_review",
                               state_changed_at=now - timedelta(days=8)))
    record(world.student, "edited", project, "Something happened", project=project)
    db.session.commit()


def test_dashboard_states_why_a_project_needs_attention(client, world):
    _stuck(world)
    healthy = create_project(world.course, title="Healthy project", start_date=date.today() - timedelta(days=3))
    db.session.commit()
    client.login(world.teacher)
    html = client.get(f"/courses/{world.course.id}/dashboard").get_data(as_text=True)
    for reason in ("no check-up for 24 days", "partner has not answered a goal for 9 days",
                   "1 responsibility of the partner is late", "a deliverable has waited 8 days for review",
                   "the agreement is not accepted by everyone after 10 days",
                   "the partner&#39;s values pulse dropped by 2.0"):
        assert reason in html, reason
    assert "1 of 2 accepted" in html and "Healthy project" in html and "</svg>Healthy</span>" in html
    assert "1 project needs attention." in html
    filtered = client.get(f"/courses/{world.course.id}/dashboard?attention=1").get_data(as_text=True)
    assert "Food bank routes" in filtered and "Healthy project" not in filtered
    assert healthy.id


def test_dashboard_search_and_sort(client, world):
    create_project(world.course, title="Alpha garden")
    create_project(world.course, title="Zeta library")
    db.session.commit()
    client.login(world.teacher)
    html = client.get(f"/courses/{world.course.id}/dashboard?sort=title&dir=desc").get_data(as_text=True)
    assert html.index("Zeta library") < html.index("Food bank routes") < html.index("Alpha garden")
    assert 'aria-sort="descending"' in html
    html = client.get(f"/courses/{world.course.id}/dashboard?q=zeta").get_data(as_text=True)
    assert "Zeta library" in html and "Alpha garden" not in html


def test_dashboard_csv_export(client, world):
    _stuck(world)
    create_project(world.course, title="=HYPERLINK(evil)")
    db.session.commit()
    client.login(world.teacher)
    response = client.get(f"/courses/{world.course.id}/dashboard.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    food = next(r for r in rows if r["project"] == "Food bank routes")
    assert food["goals awaiting agreement"] == "1" and food["late responsibilities (partner)"] == "1"
    assert "no check-up for 24 days" in food["needs attention"]
    assert any(r["project"] == "'=HYPERLINK(evil)" for r in rows)


def test_dashboard_queries_do_not_grow_with_projects(client, world, count_queries):
    for _ in range(4):
        create_project(world.course, students=[world.student])
    db.session.commit()
    client.login(world.teacher)
    client.get(f"/courses/{world.course.id}/dashboard")
    with count_queries() as few:
        client.get(f"/courses/{world.course.id}/dashboard")
    for _ in range(35):
        create_project(world.course, students=[world.student])
    _stuck(world)
    with count_queries() as many:
        client.get(f"/courses/{world.course.id}/dashboard")
    assert len(few) == len(many)


def test_contributions_count_both_sides(client, world):
    db.session.add(Goal(project_id=world.project.id, title="By partner", proposer_side="partner",
                        proposer_id=world.partner.id))
    db.session.add(Goal(project_id=world.project.id, title="By student", proposer_side="student",
                        proposer_id=world.student.id, created_at=utcnow() - timedelta(days=40)))
    db.session.commit()
    client.login(world.teacher)
    html = client.get(f"/courses/{world.course.id}/contributions").get_data(as_text=True)
    partner_row = html[html.index("Pat Partner"):].split("</tr>")[0]
    student_row = html[html.index("Sam Student"):].split("</tr>")[0]
    assert "<td>1 <span class=\"meta\">(1)</span></td>" in partner_row
    assert "<td>1 <span class=\"meta\">(0)</span></td>" in student_row


def test_thresholds_are_course_settings(client, world):
    client.login(world.teacher)
    response = client.post_form(f"/courses/{world.course.id}/edit", {"name": "Community Lab", "attention_checkup_days": 0})
    assert response.status_code == 422
    response = client.post_form(f"/courses/{world.course.id}/edit", {"name": "Community Lab", "attention_checkup_days": 30})
    assert response.status_code == 303
    html = client.get(f"/courses/{world.course.id}/dashboard").get_data(as_text=True)
    assert "after 30 days without a check-up" in html
