"""A deliverable's optional due date (issue 20): set and checked in the form, shown on its page, the
list and the board, in the calendar feed, in the students' "my work", and, once late, on the
teacher dashboard (a count, a reason in words and a CSV column) without extra queries."""
import csv
import io
from datetime import date, timedelta

from flask_babel import format_date

from workspace.extensions import db
from workspace.models import Activity, Deliverable

from . import factories as f
from .test_exports import login_and_create_feed, parse_ics

SOON = date.today() + timedelta(days=5)
PAST = date.today() - timedelta(days=3)


def _form(world, **changes):
    data = {"title": "Volunteer handbook", "kind": "report", "due_date": SOON.isoformat()}
    data.update(changes)
    return data


def _shown(app, day) -> str:
    with app.test_request_context():
        return format_date(day)


def test_a_student_sets_the_due_date_and_everyone_sees_it(app, client, world):
    client.login(world.student)
    response = client.post_form(f"/projects/{world.project.id}/deliverables/new", _form(world))
    assert response.status_code == 303
    deliverable = db.session.scalar(db.select(Deliverable))
    assert deliverable.due_date == SOON
    client.login(world.partner)
    base = f"/projects/{world.project.id}"
    for page in (f"{base}/deliverables/{deliverable.id}", f"{base}/deliverables", base):
        html = client.get(page).get_data(as_text=True)
        assert f"due {_shown(app, SOON)}" in html, page
        assert "late: due" not in html


def test_the_due_date_is_optional_and_can_be_removed(client, world):
    client.login(world.student)
    client.post_form(f"/projects/{world.project.id}/deliverables/new", _form(world))
    deliverable = db.session.scalar(db.select(Deliverable))
    url = f"/projects/{world.project.id}/deliverables/{deliverable.id}/edit"
    response = client.post_form(url, _form(world, due_date="", version=deliverable.version), token_from=url)
    assert response.status_code == 303
    db.session.refresh(deliverable)
    assert deliverable.due_date is None
    assert "None set" in client.get(f"/projects/{world.project.id}/deliverables/{deliverable.id}").get_data(as_text=True)
    edited = db.session.scalars(db.select(Activity).where(Activity.verb == "edited")).one()
    assert edited.before["due_date"] == SOON.isoformat()


def test_a_due_date_before_the_project_starts_or_no_date_at_all_is_refused(app, client, world):
    client.login(world.student)
    url = f"/projects/{world.project.id}/deliverables/new"
    early = world.project.start_date - timedelta(days=1)
    response = client.post_form(url, _form(world, due_date=early.isoformat(), audience="Residents"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"The due date cannot be before the project starts ({_shown(app, world.project.start_date)})." in html
    assert 'value="Volunteer handbook"' in html and 'value="Residents"' in html  # nothing typed is lost
    assert client.post_form(url, _form(world, due_date="31-12-2026")).status_code == 422
    assert db.session.scalar(db.select(db.func.count()).select_from(Deliverable)) == 0
    on_start = client.post_form(url, _form(world, due_date=world.project.start_date.isoformat()))
    assert on_start.status_code == 303


def test_a_late_deliverable_is_marked_until_it_is_handed_over(app, client, world):
    late = f.create_deliverable(world.project, title="Late report", due_date=PAST)
    done = f.create_deliverable(world.project, title="Done toolkit", state="handed_over", due_date=PAST)
    db.session.commit()
    client.login(world.student)
    html = client.get(f"/projects/{world.project.id}/deliverables").get_data(as_text=True)
    late_row = html[html.index("Late report"):].split("</tr>")[0]
    done_row = html[html.index("Done toolkit"):].split("</tr>")[0]
    assert f"late: due {_shown(app, PAST)}" in late_row
    assert "late" not in done_row.replace("Done toolkit", "") and f"due {_shown(app, PAST)}" in done_row
    assert late.late and not done.late


def test_the_calendar_feed_holds_due_deliverables_not_handed_over(client, world):
    soon = f.create_deliverable(world.project, title="Soon video", due_date=SOON)
    f.create_deliverable(world.project, title="Handed over", state="handed_over", due_date=SOON)
    f.create_deliverable(world.project, title="Undated")
    f.create_deliverable(world.other_project, title="Elsewhere", due_date=SOON)
    db.session.commit()
    for person in (world.student, world.partner, world.teacher):
        url = login_and_create_feed(client, person)
        client.logout()
        events = [e for e in parse_ics(client.get(url)).walk("VEVENT") if str(e["uid"]).startswith("deliverable-")]
        assert [str(e["summary"]) for e in events] == ["Deliverable due: Soon video (Food bank routes)"]
        assert events[0].decoded("dtstart") == SOON and events[0].decoded("dtend") == SOON + timedelta(days=1)
        assert str(events[0]["url"]).endswith(f"/projects/{world.project.id}/deliverables/{soon.id}")


def test_my_work_asks_the_students_to_finish_dated_deliverables_in_their_hands(client, world):
    f.create_deliverable(world.project, title="Draft report", due_date=PAST)
    f.create_deliverable(world.project, title="Revise plan", state="changes_requested", due_date=SOON)
    f.create_deliverable(world.project, title="Undated draft")
    f.create_deliverable(world.project, title="In review", state="in_review", due_date=SOON)
    f.create_deliverable(world.project, title="Approved", state="approved", due_date=SOON)
    db.session.commit()
    client.login(world.student)
    html = client.get("/my-work").get_data(as_text=True)
    assert html.index("Finish the deliverable “Draft report”") < html.index("Finish the deliverable “Revise plan”")
    assert "late since" in html[html.index("Draft report"):html.index("Revise plan")]
    for absent in ("Undated draft", "“In review”", "“Approved”"):
        assert absent not in html
    client.login(world.partner)
    html = client.get("/my-work").get_data(as_text=True)
    assert "Review the deliverable “In review”" in html and "Finish the deliverable" not in html


def test_the_dashboard_counts_late_deliverables_and_says_why(client, world):
    f.create_deliverable(world.project, title="Late one", due_date=PAST)
    f.create_deliverable(world.project, title="Late two", state="in_review", due_date=PAST)
    f.create_deliverable(world.project, title="Handed over late", state="handed_over", due_date=PAST)
    f.create_deliverable(world.project, title="Due soon", due_date=SOON)
    healthy = f.create_project(world.course, title="On time", students=[world.student])
    f.create_deliverable(healthy, title="Due soon elsewhere", due_date=SOON)
    db.session.commit()
    client.login(world.teacher)
    html = client.get(f"/courses/{world.course.id}/dashboard").get_data(as_text=True)
    row = html[html.index("Food bank routes"):].split("</tr>")[0]
    assert "2 late" in row and "2 deliverables are past their due date" in row
    assert "past their due date" not in html[html.index(">On time<"):].split("</tr>")[0]
    rows = list(csv.DictReader(io.StringIO(client.get(f"/courses/{world.course.id}/dashboard.csv").get_data(as_text=True))))
    by_title = {r["project"]: r for r in rows}
    assert by_title["Food bank routes"]["deliverables past their due date"] == "2"
    assert "2 deliverables are past their due date" in by_title["Food bank routes"]["needs attention"]
    assert by_title["Food bank routes"]["deliverables awaiting review"] == "1"
    assert by_title["On time"]["deliverables past their due date"] == "0"


def test_the_dashboard_makes_as_many_queries_with_many_late_deliverables(client, world, count_queries):
    client.login(world.teacher)
    path = f"/courses/{world.course.id}/dashboard"
    f.create_deliverable(world.project, due_date=PAST)
    db.session.commit()
    client.get(path)
    with count_queries() as few:
        client.get(path)
    for n in range(12):
        project = f.create_project(world.course, title=f"Project {n}", students=[world.student])
        for _ in range(3):
            f.create_deliverable(project, due_date=PAST, state="in_review")
    db.session.commit()
    with count_queries() as many:
        html = client.get(path).get_data(as_text=True)
    assert html.count("3 deliverables are past their due date") == 12
    assert len(few) == len(many)


def test_the_deliverables_csv_has_the_due_date(client, world):
    f.create_deliverable(world.project, title="Dated", due_date=SOON)
    db.session.commit()
    client.login(world.student)
    body = client.get(f"/projects/{world.project.id}/exports/deliverables.csv").get_data(as_text=True)
    row = next(r for r in csv.DictReader(io.StringIO(body)) if r["title"] == "Dated")
    assert row["due date"] == SOON.isoformat()
