"""Enrolling a class: the CSV import with its preview, re-imports that change nothing, invitations that
enrol on acceptance, the students page, leaving and re-enrolling, and the join code."""
import io
import re
import time
from html import unescape

from tests import factories
from workspace.extensions import db
from workspace.mail import send_due
from workspace.models import (
    Activity, CourseEnrolment, CourseStaff, CourseJoinCode, Invitation, Notification, OutboxMessage, ProjectMember, User,
)
from workspace.models.enrolment import ENROLLED, LEFT


def _count(model, *where):
    return db.session.scalar(db.select(db.func.count()).select_from(model).where(*where))


def _upload(client, course, text, encoding="utf-8", htmx=False):
    data = text.encode(encoding) if isinstance(text, str) else text
    return client.post_form(f"/courses/{course.id}/students/import",
                            {"file": (io.BytesIO(data), "class.csv")}, htmx=htmx)


def _hidden(html: str) -> dict:
    fields = {}
    for match in re.finditer(r'<input[^>]*name="(csv_data|signature)"[^>]*>', html):
        value = re.search(r'value="([^"]*)"', match.group(0))
        fields[match.group(1)] = value.group(1) if value else ""
    return fields


def _import(client, course, text, htmx=False):
    """Preview, then import what was previewed (as the page's form does)."""
    preview = _upload(client, course, text)
    assert preview.status_code == 200, preview.get_data(as_text=True)[:3000]
    return client.post_form(f"/courses/{course.id}/students/import/confirm", _hidden(preview.get_data(as_text=True)),
                            htmx=htmx)


def _class_list(n, start=0, header="name,email,student_number", sep=","):
    lines = [header.replace(",", sep)]
    lines += [sep.join([f"Student {i}", f"pupil{i}@example.org", f"s{100000 + i}"]) for i in range(start, start + n)]
    return "\n".join(lines) + "\n"


# ---- the preview ----------------------------------------------------------------------------------

def test_the_preview_reads_headers_in_any_order_semicolons_and_a_bom_and_writes_nothing(client, world):
    client.login(world.teacher)
    text = ("project;E-mail;Student number;Name\r\n"
            f"{world.project.title};noor@example.org;s1;Noor Jansen\r\n"
            f";{world.student.email};s2;{world.student.name}\r\n")
    response = _upload(client, world.course, "\ufeff" + text)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "noor@example.org" in html and "Noor Jansen" in html and world.project.title in html
    assert "invite (no account yet)" in html and "enrol" in html
    assert "Import 2 changes" in html
    assert _count(CourseEnrolment) == 0 and _count(Invitation) == 0 and _count(OutboxMessage) == 0


def test_a_dutch_header_or_no_header_at_all_is_read(client, world):
    client.login(world.teacher)
    dutch = _upload(client, world.course, "studentnummer,naam,e-mail\ns1,Noor Jansen,noor@example.org\n")
    assert dutch.status_code == 200 and "noor@example.org" in dutch.get_data(as_text=True)
    bare = _upload(client, world.course, f"Noor Jansen;noor@example.org;s1;{world.project.title}\n")
    html = bare.get_data(as_text=True)
    assert bare.status_code == 200 and "Import 1 change" in html and world.project.title in html


def test_a_file_with_20_bad_rows_names_every_one_and_cannot_be_imported(client, world):
    client.login(world.teacher)
    good = [f"Good {i},good{i}@example.org" for i in range(10)]
    bad = ([f"Bad {i},not-an-address-{i}" for i in range(8)]                  # bad e-mail
           + [f",noname{i}@example.org" for i in range(5)]                   # missing name
           + ["Twin,good0@example.org", "Twin,good1@example.org"]            # duplicates in the file
           + [f"Lost {i},lost{i}@example.org,,No such project {i}" for i in range(4)]  # unknown project
           + [f"Tina,{world.teacher.email}"])                                 # a teacher of the course
    text = "name,email,student_number,project\n" + "\n".join(good + bad) + "\n"
    response = _upload(client, world.course, text)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Nothing can be imported while 20 lines have a problem" in html
    for line in range(12, 32):  # the header is line 1, the good rows lines 2–11
        assert f'href="#line-{line}"' in html, line
    assert "is not a valid e-mail address" in html and "The name is missing." in html
    assert "The same e-mail address is on line 2." in html and 'no project titled "No such project 3"' in html
    assert "teaches this course" in html
    assert "csv_data" not in html  # no import button while rows have problems
    assert _count(Invitation) == 0 and _count(CourseEnrolment) == 0


def test_unreadable_files_are_refused_next_to_the_field(client, world):
    client.login(world.teacher)
    response = _upload(client, world.course, "name,email\nJosé,jose@example.org\n", encoding="latin-1")
    assert response.status_code == 422 and "not UTF-8" in response.get_data(as_text=True)
    response = _upload(client, world.course, "name,email\n\n")
    assert response.status_code == 422 and "holds no students" in response.get_data(as_text=True)
    response = client.post_form(f"/courses/{world.course.id}/students/import", {})
    assert response.status_code == 422 and "Choose the CSV file" in response.get_data(as_text=True)


# ---- importing ------------------------------------------------------------------------------------

def test_300_students_are_imported_in_under_10_seconds_and_a_second_import_writes_nothing(
        client, world, count_queries, sent_mail):
    client.login(world.teacher)
    existing = [factories.create_user(f"Known {i}", email=f"pupil{i}@example.org") for i in range(20)]
    text = _class_list(300)
    preview = _upload(client, world.course, text)
    assert "Import 300 changes" in preview.get_data(as_text=True)
    started = time.perf_counter()
    response = client.post_form(f"/courses/{world.course.id}/students/import/confirm",
                                _hidden(preview.get_data(as_text=True)))
    elapsed = time.perf_counter() - started
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert elapsed < 10, elapsed
    assert _count(CourseEnrolment, CourseEnrolment.course_id == world.course.id, CourseEnrolment.source == "csv") == 20
    assert _count(Invitation, Invitation.course_id == world.course.id, Invitation.role == "student",
                  Invitation.project_id.is_(None)) == 280
    assert db.session.scalar(db.select(Invitation.student_number).where(Invitation.email == "pupil299@example.org")) \
        == "s100299"
    assert _count(Notification, Notification.user_id.in_([u.id for u in existing])) == 20
    # 300 e-mails wait in the outbox for `flask send-mail`: none was sent during the request
    assert _count(OutboxMessage, OutboxMessage.sent_at.is_(None)) == 300 and sent_mail == []
    assert _count(Activity, Activity.verb == "imported", Activity.course_id == world.course.id) == 1
    page = client.get(f"/courses/{world.course.id}/students").get_data(as_text=True)
    assert "(20)" in page and "280 invited students have not accepted yet" in page

    with count_queries() as statements:
        again = _import(client, world.course, text)
    writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert again.status_code == 303 and writes == []
    assert _count(Invitation) == 280 and _count(CourseEnrolment) == 20 and _count(Activity, Activity.verb == "imported") == 1

    response = _import(client, world.course, text + "Late Comer,late@example.org,s9\n")
    assert response.status_code == 303
    assert _count(Invitation) == 281 and _count(CourseEnrolment) == 20


def test_existing_accounts_are_enrolled_at_once_put_in_the_team_and_told(client, world):
    known = factories.create_user("Kim Known", email="kim@example.org")
    client.login(world.teacher)
    response = _import(client, world.course, f"name,email,student_number,project\nKim,KIM@example.org,s77,"
                                             f"{world.project.title.upper()}\n")
    assert response.status_code == 303
    enrolment = db.session.scalar(db.select(CourseEnrolment).filter_by(user_id=known.id))
    assert (enrolment.course_id, enrolment.status, enrolment.source, enrolment.student_number) == (
        world.course.id, ENROLLED, "csv", "s77")
    assert db.session.scalar(db.select(ProjectMember.role).filter_by(user_id=known.id, project_id=world.project.id)) \
        == "student"
    note = db.session.scalar(db.select(Notification).filter_by(user_id=known.id))
    assert world.project.title in note.text
    # the same line again: no second membership, nothing written
    assert _import(client, world.course, f"name,email,student_number,project\nKim,kim@example.org,s77,"
                                         f"{world.project.title}\n").status_code == 303
    assert _count(ProjectMember, ProjectMember.user_id == known.id) == 1


def test_an_invitation_from_the_list_enrols_on_accepting_and_joins_the_named_team(client, world, sent_mail):
    client.login(world.teacher)
    _import(client, world.course, f"name,email,student_number,project\nNoor,noor@example.org,s5,{world.project.title}\n"
                                  "Lucas,lucas@example.org,,\n")
    mails = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.to for m in mails] == ["noor@example.org", "lucas@example.org"]
    bodies = [m.body for m in mails]
    assert send_due() == (2, 0)  # what `flask send-mail` runs from cron
    assert [m["to"] for m in sent_mail] == ["noor@example.org", "lucas@example.org"]
    client.logout()
    for mail, body, team in ((mails[0], bodies[0], True), (mails[1], bodies[1], False)):
        path = re.search(r"http://[^/]+(/invitations/\S+)", body).group(1)
        page = client.get(path)
        assert (world.project.title if team else "enrol as a student in the course") in page.get_data(as_text=True)
        response = client.post_form(path, {"name": mail.to.split("@")[0].title(), "password": "a-long-password",
                                           "confirm": "a-long-password"}, token_from=path)
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/projects/{world.project.id}" if team else "/home")
        user = db.session.scalar(db.select(User).filter_by(email=mail.to))
        enrolment = db.session.scalar(db.select(CourseEnrolment).filter_by(user_id=user.id))
        assert enrolment.course_id == world.course.id and enrolment.source == "invitation"
        assert enrolment.student_number == ("s5" if team else "")
        assert (_count(ProjectMember, ProjectMember.user_id == user.id) == 1) is team
        client.logout()


def test_a_tampered_or_changed_file_is_not_imported(client, world):
    client.login(world.teacher)
    preview = _upload(client, world.course, "name,email\nAda,ada@example.org\n")
    fields = _hidden(preview.get_data(as_text=True))
    fields["csv_data"] = fields["csv_data"][:-4] + "AAAA"
    response = client.post_form(f"/courses/{world.course.id}/students/import/confirm", fields)
    assert response.status_code == 303 and response.headers["Location"].endswith("/students/import")
    assert _count(Invitation) == 0
    # a row that became a problem between preview and import (the person is now a teacher of the course)
    preview = _upload(client, world.course, f"name,email\nOtto,{world.other_teacher.email}\n")
    db.session.add(CourseStaff(course_id=world.course.id, user_id=world.other_teacher.id))
    db.session.commit()
    response = client.post_form(f"/courses/{world.course.id}/students/import/confirm",
                                _hidden(preview.get_data(as_text=True)))
    assert response.status_code == 422 and "teaches this course" in response.get_data(as_text=True)
    assert _count(CourseEnrolment) == 0


# ---- the students page, leaving and re-enrolling -----------------------------------------------------

def _enrol(course, *users, **fields):
    rows = [CourseEnrolment(course_id=course.id, user_id=u.id, **fields) for u in users]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_the_students_page_lists_searches_and_pages_with_a_fixed_number_of_queries(client, world, count_queries):
    _enrol(world.course, world.student, student_number="s123", source="csv")
    client.login(world.teacher)
    html = client.get(f"/courses/{world.course.id}/students").get_data(as_text=True)
    assert world.student.name in html and world.student.email in html and "s123" in html
    assert "class list" in html and world.project.title in html and "enrolled on" in html
    with count_queries() as few:
        client.get(f"/courses/{world.course.id}/students")
    _enrol(world.course, *[factories.create_user(f"Pupil {i:02}") for i in range(60)], source="join")
    with count_queries() as many:
        html = client.get(f"/courses/{world.course.id}/students").get_data(as_text=True)
    assert len(few) == len(many)
    assert "(61)" in html and "Page 1 of 2" in html and "no team yet" in html
    found = client.get(f"/courses/{world.course.id}/students?q=pupil 07").get_data(as_text=True)
    assert "Pupil 07" in found and "Pupil 08" not in found
    assert "No student matches" in client.get(f"/courses/{world.course.id}/students?q=%25_").get_data(as_text=True)
    assert "61 students are enrolled in this course." in client.get(f"/courses/{world.course.id}").get_data(as_text=True)


def test_a_student_is_marked_as_left_and_re_enrolled_after_confirming_nothing_deleted(client, world):
    enrolment, = _enrol(world.course, world.student)
    client.login(world.teacher)
    base = f"/courses/{world.course.id}/students/{enrolment.id}"
    assert "Mark Sam Student as left?" in client.get(f"{base}/leave").get_data(as_text=True)
    response = client.post_form(f"{base}/leave", {})
    assert response.status_code == 303
    db.session.refresh(enrolment)
    assert enrolment.status == LEFT and enrolment.left_at is not None
    assert "left on" in client.get(f"/courses/{world.course.id}/students").get_data(as_text=True)
    again = client.post_form(f"{base}/leave", {}, follow_redirects=True)
    assert "marked as left already" in again.get_data(as_text=True)
    response = client.post_form(f"{base}/reenrol", {}, htmx=True)
    assert response.status_code == 200 and "announce" in response.headers["HX-Trigger"]
    assert f'id="enrolment-{enrolment.id}"' in response.get_data(as_text=True) and "<html" not in response.get_data(as_text=True)
    db.session.refresh(enrolment)
    assert enrolment.status == ENROLLED and enrolment.left_at is None
    assert _count(ProjectMember, ProjectMember.user_id == world.student.id) == 1
    assert {a.verb for a in db.session.scalars(db.select(Activity).where(Activity.course_id == world.course.id))} \
        >= {"left", "reenrolled"}
    # an enrolment of another course is not reachable through this course's address
    other, = _enrol(world.other_course, world.other_student)
    assert client.get(f"/courses/{world.course.id}/students/{other.id}/leave").status_code == 404


# ---- the join code ------------------------------------------------------------------------------------

def _switch(client, course, action, htmx=False):
    return client.post_form(f"/courses/{course.id}/join-code", {"action": action}, htmx=htmx)


def test_the_teacher_switches_the_code_on_renews_it_and_switches_it_off(client, world):
    client.login(world.teacher)
    assert "No join code yet" in client.get(f"/courses/{world.course.id}/students").get_data(as_text=True)
    assert _switch(client, world.course, "on").status_code == 303
    first = db.session.get(CourseJoinCode, world.course.id).code
    assert f"/join/{first}" in client.get(f"/courses/{world.course.id}/students").get_data(as_text=True)
    response = _switch(client, world.course, "renew", htmx=True)
    assert response.status_code == 200 and 'id="join-code"' in response.get_data(as_text=True)
    db.session.expire_all()
    second = db.session.get(CourseJoinCode, world.course.id).code
    assert second != first
    client.login(world.loner)
    assert client.get(f"/join/{first}").status_code == 404
    assert client.get(f"/join/{second}").status_code == 200
    client.login(world.teacher)
    _switch(client, world.course, "off")
    again = client.post_form(f"/courses/{world.course.id}/join-code", {"action": "off"}, follow_redirects=True)
    assert "switched off already" in again.get_data(as_text=True)
    client.login(world.loner)
    gone = client.get(f"/join/{second}")
    assert gone.status_code == 404 and world.course.name not in gone.get_data(as_text=True)
    assert _count(Activity, Activity.verb.like("join_code_%")) == 3
    client.login(world.teacher)
    bad = client.post_form(f"/courses/{world.course.id}/join-code", {"action": "explode"})
    assert bad.status_code == 422 and _count(Activity, Activity.verb.like("join_code_%")) == 3


def test_a_student_joins_by_link_and_by_typing_the_code_and_sees_the_course_at_home(client, world):
    db.session.add(CourseJoinCode(course_id=world.course.id, code="JOIN2345"))
    db.session.commit()
    client.login(world.loner)
    page = client.get("/join/JOIN2345")
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert world.course.name in page.get_data(as_text=True)
    response = client.post_form("/join/JOIN2345", {})
    assert response.status_code == 303 and response.headers["Referrer-Policy"] == "no-referrer"
    enrolment = db.session.scalar(db.select(CourseEnrolment).filter_by(user_id=world.loner.id))
    assert (enrolment.course_id, enrolment.source, enrolment.status) == (world.course.id, "join", ENROLLED)
    home = client.get("/home").get_data(as_text=True)
    assert world.course.name in home and "Teams are not formed yet" in home
    assert "already" in client.post_form("/join/JOIN2345", {}, follow_redirects=True).get_data(as_text=True)
    assert _count(CourseEnrolment) == 1

    client.login(world.other_student)
    response = client.post_form("/join", {"code": "join-2345"})
    assert response.status_code == 303
    assert _count(CourseEnrolment, CourseEnrolment.user_id == world.other_student.id) == 1
    wrong = client.post_form("/join", {"code": "NOPE9999"})
    assert wrong.status_code == 422 and "No course has this join code" in wrong.get_data(as_text=True)

    # a student in a team sees no "not formed" line; a teacher of the course cannot join as a student
    _enrol(world.course, world.student)
    client.login(world.student)
    assert "Teams are not formed yet" not in client.get("/home").get_data(as_text=True)
    client.login(world.teacher)
    assert "teachers are not enrolled" in client.post_form("/join/JOIN2345", {}, follow_redirects=True).get_data(
        as_text=True)


def test_a_student_marked_as_left_cannot_rejoin_by_code(client, world):
    db.session.add(CourseJoinCode(course_id=world.course.id, code="JOIN2345"))
    _enrol(world.course, world.loner, status=LEFT)
    client.login(world.loner)
    response = client.post_form("/join/JOIN2345", {}, follow_redirects=True)
    assert "marked you as having left" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(CourseEnrolment.status)) == LEFT


def test_anonymous_visitors_log_in_first_and_come_back_or_ask_for_a_link(client, world, sent_mail):
    db.session.add(CourseJoinCode(course_id=world.course.id, code="JOIN2345"))
    db.session.commit()
    html = client.get("/join/JOIN2345").get_data(as_text=True)
    assert "/login?next=/join/JOIN2345" in html or "/login?next=%2Fjoin%2FJOIN2345" in html
    assert client.post_form("/join/JOIN2345", {}, token_from="/login").status_code == 302
    bad = client.post_form("/join/JOIN2345/email", {"email": "not an address"}, token_from="/login")
    assert bad.status_code == 422 and "not an address" in bad.get_data(as_text=True)
    response = client.post_form("/join/JOIN2345/email", {"email": "Fresh@Example.org"}, token_from="/login")
    assert response.status_code == 200 and "fresh@example.org" in response.get_data(as_text=True)
    assert sent_mail[-1]["to"] == "fresh@example.org"
    path = re.search(r"http://[^/]+(/invitations/\S+)", sent_mail[-1]["body"]).group(1)
    response = client.post_form(path, {"name": "Fresh Face", "password": "a-long-password",
                                       "confirm": "a-long-password"}, token_from=path)
    assert response.status_code == 303
    user = db.session.scalar(db.select(User).filter_by(email="fresh@example.org"))
    assert db.session.scalar(db.select(CourseEnrolment.course_id).filter_by(user_id=user.id)) == world.course.id


def test_wrong_codes_say_nothing_and_guessing_is_limited(client, world):
    db.session.add(CourseJoinCode(course_id=world.course.id, code="JOIN2345"))
    db.session.commit()
    client.login(world.loner)
    for n in range(20):
        response = client.get(f"/join/WRONG{n:03}")
        assert response.status_code == 404 and response.headers["Referrer-Policy"] == "no-referrer"
        assert world.course.name not in response.get_data(as_text=True)
    blocked = client.get("/join/JOIN2345")
    assert blocked.status_code == 429 and world.course.name not in blocked.get_data(as_text=True)
    assert client.post_form("/join/JOIN2345", {}).status_code == 429
    assert _count(CourseEnrolment) == 0


def test_the_home_page_lists_enrolled_courses_in_a_fixed_number_of_queries(client, world, count_queries):
    _enrol(world.course, world.loner)
    client.login(world.loner)
    with count_queries() as few:
        client.get("/home")
    for n in range(3):
        _enrol(factories.create_course(f"Extra course {n}", term="2027"), world.loner)
    with count_queries() as many:
        html = client.get("/home").get_data(as_text=True)
    assert len(few) == len(many)
    assert "Extra course 2" in html and html.count("Teams are not formed yet") == 4
