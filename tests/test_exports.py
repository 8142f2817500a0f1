"""Exports: the calendar feed (parsed as iCalendar), the project as JSON, the CSV tables (parsed,
formulas neutralised), who gets what, and fixed query counts."""
import csv
import io
import json
import re
from datetime import date, datetime, timedelta

import pytest
from icalendar import Calendar

from workspace.activity import record
from workspace.csvcells import safe_cell
from workspace.extensions import db
from workspace.models import Activity, AuditEvent, CalendarFeed, GoalComment, User

from . import factories as f

CSV_INJECTION = '=HYPERLINK("http://evil.example","click")'
TRICKY = 'Buurthuis "De Ster", zaal 2; ingang\nachterkant \\ fietsenstalling'


def login_and_create_feed(client, user) -> str:
    """Create the person's calendar address through the profile; return the address shown there."""
    client.login(user)
    assert client.post_form("/profile/calendar", token_from="/profile").status_code == 303
    html = client.get("/profile").get_data(as_text=True)
    match = re.search(r'id="calendar-url" type="text" readonly value="([^"]+)"', html)
    assert match, html
    return match.group(1).replace("&amp;", "&").removeprefix("http://localhost")


def parse_ics(response) -> Calendar:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def fill(project, student, partner, n, *, tricky=""):
    """n of everything a project holds, with dates ahead so the calendar shows them."""
    soon = date.today() + timedelta(days=10)
    agreement = f.create_agreement(project, responsibilities=[
        *({"what": f"Students promise {i}", "side": "students", "due_date": soon} for i in range(n)),
        *({"what": f"Partner promise {i}", "side": "partner", "due_date": soon} for i in range(n)),
    ], accepted_by=[student])
    for i in range(n):
        goal = f.create_goal(project, student, title=f"Goal {i} {tricky}", target_date=soon + timedelta(days=i))
        db.session.add(GoalComment(goal_id=goal.id, author_id=partner.id, body=f"Comment {i}"))
        checkup = f.create_checkup(project, days_ago=-(i + 1), location=tricky or "Library")
        held = f.create_checkup(project, state="logged", days_ago=i + 2)
        f.create_feedback(held, text=f"Feedback {i}")
        f.create_action(held, student, text=f"Action {i}", due=soon)
        f.create_rating(held, student, "student", score=4, comment=f"student comment {i}")
        deliverable = f.create_deliverable(project, title=f"Deliverable {i}", items=1)
        f.create_deliverable_version(deliverable, submitted_by=student, links=["https://example.org/video"],
                                     files=[("report.pdf", "application/pdf", b"%PDF")])
        assert checkup.id
    db.session.commit()
    return agreement


# ---- the calendar feed ---------------------------------------------------------------------------------

def test_the_calendar_feed_has_the_persons_checkups_and_due_dates(client, world):
    fill(world.project, world.student, world.partner, 1, tricky=TRICKY)
    f.create_checkup(world.other_project, days_ago=-3, location="Elsewhere")
    db.session.commit()
    url = login_and_create_feed(client, world.student)
    client.logout()  # calendar apps do not sign in

    response = client.get(url)
    raw = response.data
    cal = parse_ics(response)
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))  # folded
    assert cal["version"] == "2.0" and cal["prodid"]
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    kinds = sorted(uid.split("-")[0] for uid in events)
    # one planned and one held check-up, the goal, the students' promise (not the partner's), the action item
    assert kinds == ["action", "checkup", "checkup", "goal", "responsibility"], kinds
    for event in events.values():
        assert event.get("dtstamp") is not None and event.get("summary")
    planned = next(e for uid, e in events.items() if uid.startswith("checkup") and str(e.get("location")) == TRICKY)
    assert isinstance(planned.decoded("dtstart"), datetime) and planned.decoded("dtstart").tzinfo is not None
    assert planned.decoded("duration") == timedelta(hours=1)
    unfolded = raw.replace(b"\r\n ", b"")
    assert rb'LOCATION:Buurthuis "De Ster"\, zaal 2\; ingang\nachterkant \\ fietsenstalling' in unfolded
    goal = next(e for uid, e in events.items() if uid.startswith("goal"))
    start, end = goal.decoded("dtstart"), goal.decoded("dtend")
    assert type(start) is date and end == start + timedelta(days=1)  # all day
    assert b"DTSTART;VALUE=DATE:" in raw
    assert str(goal["summary"]).startswith("Goal due: Goal 0") and "Food bank routes" in str(goal["summary"])
    assert str(goal["url"]).endswith(f"/projects/{world.project.id}/goals/{goal['uid'].split('-')[1].split('@')[0]}")
    assert "Elsewhere" not in raw.decode()

    # the same UIDs on the next poll
    assert set(str(e["uid"]) for e in parse_ics(client.get(url)).walk("VEVENT")) == set(events)


def test_a_wrong_or_renewed_address_is_404_and_renewing_is_recorded(client, world):
    client.login(world.student)
    assert "Create your calendar address?" in client.get("/profile/calendar").get_data(as_text=True)
    url = login_and_create_feed(client, world.student)
    profile = client.get("/profile").get_data(as_text=True)
    assert f'href="webcal://localhost{url}"' in profile
    user_id, token = url.split("/")[2], url.split("/")[3].removesuffix(".ics")
    wrong = token[:-1] + ("y" if token.endswith("x") else "x")  # one character off
    assert client.get(f"/calendar/{user_id}/{wrong}.ics").status_code == 404
    assert client.get(f"/calendar/{world.partner.id}/{token}.ics").status_code == 404
    assert client.get(f"/calendar/999999/{token}.ics").status_code == 404
    assert client.get(f"/calendar/{user_id}/{token[:-1]}é.ics").status_code == 404
    assert client.get(f"/calendar/{user_id}/.ics").status_code == 404

    page = client.get("/profile/calendar").get_data(as_text=True)
    assert "Renew your calendar address?" in page and "stops working" in page
    before = db.session.get(CalendarFeed, world.student.id).secret
    assert client.post_form("/profile/calendar", token_from="/profile").status_code == 303
    assert db.session.get(CalendarFeed, world.student.id).secret != before
    html = client.get("/profile").get_data(as_text=True)
    assert "The old address no longer works." in html
    fresh = re.search(r'id="calendar-url" type="text" readonly value="([^"]+)"', html).group(1)
    assert fresh.removeprefix("http://localhost") != url
    assert client.get(url).status_code == 404
    assert client.get(fresh.removeprefix("http://localhost")).status_code == 200
    verbs = set(db.session.scalars(db.select(Activity.verb).where(Activity.actor_id == world.student.id)))
    assert {"created_calendar_feed", "renewed_calendar_feed"} <= verbs
    events = set(db.session.scalars(db.select(AuditEvent.event).where(AuditEvent.user_id == world.student.id)))
    assert {"calendar_feed_created", "calendar_feed_renewed"} <= events
    assert all(token not in json.dumps(e.detail) for e in db.session.scalars(db.select(AuditEvent)))


def test_an_inactive_account_has_no_feed(client, world):
    url = login_and_create_feed(client, world.student)
    db.session.get(User, world.student.id).active = False
    db.session.commit()
    assert client.get(url).status_code == 404


def test_the_address_is_created_in_place_with_htmx(client, world):
    client.login(world.partner)
    assert 'id="calendar"' in client.get("/profile").get_data(as_text=True)
    response = client.post_form("/profile/calendar", token_from="/profile", htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="calendar-url"' in body and "<html" not in body
    assert "announce" in response.headers["HX-Trigger"]


def test_the_feed_speaks_the_persons_language(client, world):
    fill(world.project, world.student, world.partner, 1)
    url = login_and_create_feed(client, world.student)
    db.session.get(User, world.student.id).locale = "nl"
    db.session.commit()
    client.logout()
    assert client.get(url).status_code == 200  # rendered under the person's own locale, not the request's


def test_the_feed_makes_a_fixed_number_of_queries_whatever_the_number_of_projects(client, world, count_queries):
    url = login_and_create_feed(client, world.student)
    counts = []
    for n in (1, 3):
        for _ in range(n):
            project = f.create_project(world.course, students=[world.student], partners=[world.partner])
            fill(project, world.student, world.partner, n)
        client.get(url)
        with count_queries() as statements:
            cal = parse_ics(client.get(url))
        counts.append(len(statements))
        assert len(cal.walk("VEVENT")) > 0
    assert counts[0] == counts[1], counts


def test_someone_without_projects_gets_an_empty_calendar(client, world):
    url = login_and_create_feed(client, world.loner)
    response = client.get(url)
    cal = parse_ics(response)
    assert cal.walk("VEVENT") == [] and b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in response.data
    assert rb"X-WR-CALNAME:Co-creation workspace: Lou Loner" in response.data


def test_a_teacher_sees_the_checkups_of_the_courses_they_teach(client, world):
    f.create_checkup(world.project, days_ago=-2)
    f.create_checkup(world.other_project, days_ago=-2)
    db.session.commit()
    url = login_and_create_feed(client, world.teacher)
    cal = parse_ics(client.get(url))
    assert [str(e["summary"]) for e in cal.walk("VEVENT")] == ["Check-up: Food bank routes"]


# ---- the project as JSON ------------------------------------------------------------------------------------

def test_the_project_document_holds_the_whole_project_without_accounts(client, world):
    agreement = fill(world.project, world.student, world.partner, 2)
    record(world.student, "proposed", world.project, "Sam proposed a goal", project=world.project)
    record(world.other_student, "proposed", world.other_project, "Elsewhere", project=world.other_project)
    db.session.commit()
    client.login(world.partner)
    response = client.get(f"/projects/{world.project.id}/exports/project.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    doc = json.loads(response.data)
    assert doc["format"] == "cocreation-workspace/project" and doc["format_version"] == 1
    assert doc["project"]["title"] == "Food bank routes"
    assert doc["exported_by"] == {"id": world.partner.id, "name": "Pat Partner"}
    roles = {(m["person"]["name"], m["role"]) for m in doc["members"]}
    assert {("Sam Student", "student"), ("Pat Partner", "partner"), ("Tina Teacher", "teacher")} <= roles
    assert len(doc["goals"]) == 2 and doc["goals"][0]["revisions"][0]["number"] == 1
    assert doc["goals"][0]["discussion"][0]["author"]["name"] == "Pat Partner"
    assert doc["agreement"]["versions"][0]["acceptances"][0]["person"]["name"] == "Sam Student"
    assert len(doc["agreement"]["responsibilities"]) == 4 and agreement.id
    held = [c for c in doc["checkups"] if c["state"] == "logged"]
    assert held[0]["feedback_items"][0]["text"].startswith("Feedback")
    assert held[0]["action_items"][0]["owner"]["name"] == "Sam Student"
    version = doc["deliverables"][0]["versions"][0]
    stored = version["files"][0]
    assert stored["name"] == "report.pdf" and stored["size"] == 4 and "data" not in stored
    assert stored["download_url"] == f"http://localhost/projects/{world.project.id}/files/{stored['id']}"
    assert client.get(stored["download_url"]).data == b"%PDF"
    assert version["links"] == [{"url": "https://example.org/video", "label": ""}]
    assert [(a["verb"], a["actor"]["name"], a["summary"]) for a in doc["activity"]] == [
        ("proposed", "Sam Student", "Sam proposed a goal")]
    text = response.get_data(as_text=True)
    for secret in ("password", "pbkdf2", "scrypt", "@example.org", "session_version"):
        assert secret not in text


def test_the_pulse_in_the_document_hides_a_side_until_both_rated(client, world):
    checkup = f.create_checkup(world.project, state="logged", days_ago=1)
    f.create_rating(checkup, world.student, "student", score=5, comment="Students feel heard")
    db.session.commit()
    client.login(world.partner)
    pulse = json.loads(client.get(f"/projects/{world.project.id}/exports/project.json").data)["checkups"][0]["pulse"]
    assert pulse == {"visible_sides": ["partner"], "averages": [], "comments": []}
    client.login(world.student)
    pulse = json.loads(client.get(f"/projects/{world.project.id}/exports/project.json").data)["checkups"][0]["pulse"]
    assert pulse["averages"] == [{"side": "student", "value": "relevance", "average": 5.0, "ratings": 1}]
    assert pulse["comments"] == [{"side": "student", "value": "relevance", "comment": "Students feel heard"}]


@pytest.mark.parametrize("path", ["project.json", "goals.csv", "responsibilities.csv", "feedback.csv",
                                  "deliverables.csv", ""])
def test_exports_make_a_fixed_number_of_queries(client, world, count_queries, path):
    counts = []
    client.login(world.partner)
    url = f"/projects/{world.project.id}/exports/{path}".rstrip("/")
    for n in (1, 4):
        fill(world.project, world.student, world.partner, n) if n == 1 else _more(world, n)
        client.get(url)
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def _more(world, n):
    """More of everything on top of what fill() made (its agreement exists already)."""
    for i in range(n):
        goal = f.create_goal(world.project, world.student, title=f"More {i}")
        db.session.add(GoalComment(goal_id=goal.id, author_id=world.teacher.id, body="Well done"))
        held = f.create_checkup(world.project, state="logged", days_ago=20 + i)
        f.create_feedback(held)
        f.create_action(held, world.partner)
        f.create_rating(held, world.partner, "partner", score=3, comment="ok")
        deliverable = f.create_deliverable(world.project, items=2)
        f.create_deliverable_version(deliverable, files=[("a.pdf", "application/pdf", b"%PDF")])
    db.session.commit()


# ---- CSV ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, cell", [
    ("=1+1", "'=1+1"), ("+31 6", "'+31 6"), ("-2", "'-2"), ("@A1", "'@A1"), ("\t=x", "'\t=x"), ("\r=x", "'\r=x"),
    ("a=b", "a=b"), (None, ""), (3, "3"), ("", ""),
    # Spreadsheets skip leading blanks before a formula: a space, a tab or a line break in front changes nothing.
    (" =1+1", "' =1+1"), ("  @A1", "'  @A1"), (" \t-2", "' \t-2"), ("\n+31", "'\n+31"), (" a = b", " a = b"),
])
def test_the_shared_csv_guard(value, cell):
    assert safe_cell(value) == cell


def read_csv(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_csv_tables_are_parsed_back_with_formulas_neutralised(client, world):
    fill(world.project, world.student, world.partner, 1)
    f.create_goal(world.project, world.partner, side="partner", title=CSV_INJECTION, description=TRICKY)
    checkup = f.create_checkup(world.project, state="logged", days_ago=1)
    f.create_feedback(checkup, text="@SUM(A1:A9) please", state="not_integrated", reason="-1 for now")
    f.create_action(checkup, world.partner, text="+31 call the alderman")
    f.create_deliverable(world.project, title="-minus toolkit", audience="Bewoners, €")
    f.create_goal(world.project, world.student, title=" \t=1+2 sneaky", description="plain")
    db.session.commit()
    client.login(world.teacher)
    base = f"/projects/{world.project.id}/exports"

    goals = read_csv(client.get(f"{base}/goals.csv"))
    assert goals[0][:3] == ["id", "title", "state"]
    row = next(r for r in goals[1:] if "HYPERLINK" in r[1])
    assert row[1] == "'" + CSV_INJECTION and row[5] == TRICKY and row[3] == "partner"
    assert "' \t=1+2 sneaky" in [r[1] for r in goals[1:]]  # blanks before the formula do not hide it

    feedback = read_csv(client.get(f"{base}/feedback.csv"))
    texts = {r[5]: r for r in feedback[1:]}
    assert texts["'@SUM(A1:A9) please"][9] == "'-1 for now"
    assert texts["'+31 call the alderman"][0] == "action" and texts["'+31 call the alderman"][4] == "Pat Partner"

    responsibilities = read_csv(client.get(f"{base}/responsibilities.csv"))
    assert {r[2] for r in responsibilities[1:]} == {"students", "partner"}

    deliverables = read_csv(client.get(f"{base}/deliverables.csv"))
    row = next(r for r in deliverables[1:] if "toolkit" in r[1])
    assert row[1] == "'-minus toolkit" and row[4] == "Bewoners, €"
    assert next(r for r in deliverables[1:] if r[1] == "Deliverable 0")[10] == "report.pdf"


def test_nobody_gets_another_projects_export_by_changing_an_id(client, world):
    f.create_goal(world.other_project, world.other_student, title="Secret goal of the other project")
    db.session.commit()
    client.login(world.student)
    for path in ("", "/project.json", "/goals.csv", "/feedback.csv"):
        assert client.get(f"/projects/{world.other_project.id}/exports{path}").status_code == 404
    assert client.get(f"/projects/{world.other_project.id}/exports/secrets.csv").status_code == 404
    assert "Secret goal" not in client.get(f"/projects/{world.project.id}/exports/goals.csv").get_data(as_text=True)


def test_the_exports_page_lists_the_downloads_and_the_printable_agreement(client, world):
    client.login(world.student)
    page = client.get(f"/projects/{world.project.id}/exports").get_data(as_text=True)
    assert "project.json" in page and "goals.csv" in page and "There is no agreement yet." in page
    f.create_agreement(world.project)
    db.session.commit()
    page = client.get(f"/projects/{world.project.id}/exports").get_data(as_text=True)
    assert f"/projects/{world.project.id}/agreement/print" in page
    board = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert f"/projects/{world.project.id}/exports" in board
