"""Reflections over HTTP: prompts from the guiding values and the course, who reads what (a
private entry is unknown to the partner and other students), the response thread and its
notification, edits with a version check, deleting after asking, escaping, what stays out of
the project's timeline, the teacher's counts without the text, and fixed query counts."""
import json

import pytest

from workspace.extensions import db
from workspace.models import Activity, CoursePrompt, Notification, ProjectMember, Reflection, ReflectionResponse
from workspace.reflections.prompts import VALUE_PROMPTS

from .factories import create_user

SECRET = "I doubt the partner really needs this"


def base(world):
    return f"/projects/{world.project.id}/reflections"


def fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def teammate(world, name="Tess Teammate"):
    user = create_user(name)
    db.session.add(ProjectMember(project_id=world.project.id, user_id=user.id, role="student"))
    db.session.commit()
    return user


def entry(world, visibility="private", author=None, body=SECRET, **fields):
    reflection = Reflection(project_id=world.project.id, author_id=(author or world.student).id, body=body,
                            visibility=visibility, **fields)
    db.session.add(reflection)
    db.session.commit()
    return reflection


def write(client, world, **overrides):
    data = {"prompt": "value:humbleness", "body": SECRET, "visibility": "private"}
    data.update(overrides)
    return client.post_form(f"{base(world)}/new", data)


# ---- writing -----------------------------------------------------------------------------------------

def test_every_guiding_value_has_a_prompt():
    from workspace.models.checkup import VALUE_KEYS

    assert set(VALUE_PROMPTS) == set(VALUE_KEYS)


def test_a_student_answers_a_value_prompt_in_the_guides_words(client, world):
    client.login(world.student)
    page = client.get(f"{base(world)}/new").get_data(as_text=True)
    assert "Humbleness: where did you meet the limitations of your knowledge" in page
    response = write(client, world)
    assert response.status_code == 303
    reflection = db.session.scalar(db.select(Reflection))
    assert (reflection.prompt_source, reflection.prompt_text) == ("value:humbleness", str(VALUE_PROMPTS["humbleness"]))
    assert (reflection.author_id, reflection.visibility, reflection.body) == (world.student.id, "private", SECRET)
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "limitations of your knowledge" in shown and SECRET in shown and "Private" in shown


def test_the_course_prompt_is_kept_as_written_when_the_course_edits_its_prompts(client, world):
    prompt = CoursePrompt(course_id=world.course.id, position=0, text="What did the residents teach you?")
    db.session.add(prompt)
    db.session.commit()
    client.login(world.student)
    assert "What did the residents teach you?" in client.get(f"{base(world)}/new?prompt=course:{prompt.id}").get_data(
        as_text=True)
    assert write(client, world, prompt=f"course:{prompt.id}").status_code == 303
    client.login(world.teacher)
    assert client.post_form(f"/courses/{world.course.id}/values",
                            {"asked": ["relevance"], "prompts": "A new question"}).status_code == 303
    reflection = fresh(Reflection, db.session.scalar(db.select(Reflection.id)))
    assert (reflection.prompt_source, reflection.prompt_text) == ("course", "What did the residents teach you?")
    page = client.get(f"{base(world)}/{reflection.id}").get_data(as_text=True)
    assert "What did the residents teach you?" in page


def test_only_the_values_the_course_emphasises_are_offered(client, world):
    client.login(world.teacher)
    client.post_form(f"/courses/{world.course.id}/values", {"asked": ["relevance"], "prompts": ""})
    client.login(world.student)
    page = client.get(f"{base(world)}/new").get_data(as_text=True)
    assert "Relevance: does your work respond" in page and "Humbleness:" not in page
    response = write(client, world)
    assert response.status_code == 422 and db.session.scalar(db.select(db.func.count(Reflection.id))) == 0
    assert SECRET in response.get_data(as_text=True)  # nothing lost


def test_free_writing_needs_text_and_a_known_visibility(client, world):
    client.login(world.student)
    assert write(client, world, prompt="", body="  ").status_code == 422
    assert write(client, world, prompt="", visibility="public").status_code == 422
    assert write(client, world, prompt="", visibility="shared").status_code == 303
    reflection = db.session.scalar(db.select(Reflection))
    assert (reflection.prompt_source, reflection.prompt_text, reflection.visibility) == ("", "", "shared")


# ---- who reads what ----------------------------------------------------------------------------------

def test_private_entries_are_unknown_to_the_partner_and_other_students(client, world):
    private = entry(world, "private")
    shared = entry(world, "shared", body="Our shared thoughts")
    tess = teammate(world)
    for user in (world.partner, world.other_student, world.other_partner, world.other_teacher, world.admin, tess):
        client.login(user)
        for path in ("", "/edit", "/delete"):
            assert client.get(f"{base(world)}/{private.id}{path}").status_code == 404, (user.name, path)
        assert client.post_form(f"{base(world)}/{private.id}/responses", {"body": "x"}).status_code == 404
    # the entry is only reached through its own project
    client.login(world.other_student)
    assert client.get(f"/projects/{world.other_project.id}/reflections/{private.id}").status_code == 404
    # a teammate reads the shared entry, and the list shows it but not the private one
    client.login(tess)
    assert client.get(f"{base(world)}/{shared.id}").status_code == 200
    page = client.get(base(world)).get_data(as_text=True)
    assert "Our shared thoughts" in page and SECRET not in page
    assert client.get(f"{base(world)}/{shared.id}/edit").status_code == 403
    # the partner sees neither, nor the list
    client.login(world.partner)
    assert client.get(f"{base(world)}/{shared.id}").status_code == 404
    assert client.get(base(world)).status_code == 403
    board = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert "reflections-section" not in board
    # the course's teacher reads both
    client.login(world.teacher)
    page = client.get(base(world)).get_data(as_text=True)
    assert SECRET in page and "Our shared thoughts" in page


def test_private_activity_stays_out_of_the_project_timeline(client, world):
    client.login(world.student)
    write(client, world)
    reflection = db.session.scalar(db.select(Reflection))
    client.login(world.teacher)
    client.post_form(f"{base(world)}/{reflection.id}/responses", {"body": "Tell me more"})
    entries = db.session.scalars(db.select(Activity).where(Activity.subject_type == "reflection")
                                 .order_by(Activity.id)).all()
    assert [(a.verb, a.project_id, a.course_id) for a in entries] == [
        ("created", None, world.course.id), ("responded", None, world.course.id)]
    assert all(SECRET not in a.summary and "Tell me more" not in a.summary for a in entries)
    client.login(world.partner)
    timeline = client.get(f"/projects/{world.project.id}/timeline").get_data(as_text=True)
    assert "reflection" not in timeline.lower()


def test_shared_activity_names_the_entry_without_its_text(client, world):
    client.login(world.student)
    write(client, world, visibility="shared")
    client.login(world.partner)
    timeline = client.get(f"/projects/{world.project.id}/timeline").get_data(as_text=True)
    assert "shared a reflection with the team" in timeline and SECRET not in timeline


def test_the_board_counts_without_showing_text(client, world):
    entry(world)
    entry(world, "shared", author=teammate(world), body="Team entry")
    client.login(world.student)
    board = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert "You wrote 1; the team shares 1." in board and SECRET not in board and "Team entry" not in board
    client.login(world.teacher)
    board = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert "2 written, 1 of them shared with the team." in board


# ---- responses ---------------------------------------------------------------------------------------

def test_a_teacher_responds_and_the_student_is_notified_without_the_text(client, world, sent_mail):
    reflection = entry(world)
    client.login(world.teacher)
    assert client.post_form(f"{base(world)}/{reflection.id}/responses", {"body": ""}, htmx=True).status_code == 422
    response = client.post_form(f"{base(world)}/{reflection.id}/responses", {"body": "What made you *doubt*?"},
                                htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="responses"' in html and "<em>doubt</em>" in html and "<html" not in html
    assert json.loads(response.headers["HX-Trigger"]) == {"announce": "Your response is added."}
    note = db.session.scalar(db.select(Notification).where(Notification.user_id == world.student.id))
    assert note.text == "Tina Teacher responded to your reflection"
    assert note.url == f"{base(world)}/{reflection.id}"
    assert all(SECRET not in str(mail) and "doubt" not in str(mail) for mail in sent_mail)
    # the student replies: the teacher who responded hears of it
    client.login(world.student)
    response = client.post_form(f"{base(world)}/{reflection.id}/responses", {"body": "The budget."})
    assert response.status_code == 303
    note = db.session.scalar(db.select(Notification).where(Notification.user_id == world.teacher.id))
    assert note.text == "Sam Student replied under their reflection"
    page = client.get(f"{base(world)}/{reflection.id}").get_data(as_text=True)
    assert page.index("What made you") < page.index("The budget.")


# ---- editing and deleting ----------------------------------------------------------------------------

def test_the_author_edits_and_a_stale_edit_keeps_the_input(client, world):
    reflection = entry(world, prompt_text="Relevance", prompt_source="value:relevance")
    client.login(world.student)
    form = client.get(f"{base(world)}/{reflection.id}/edit").get_data(as_text=True)
    assert 'name="version" value="1"' in form and "Relevance" in form
    response = client.post_form(f"{base(world)}/{reflection.id}/edit",
                                {"body": "Second thoughts", "visibility": "shared", "version": "1"})
    assert response.status_code == 303
    saved = fresh(Reflection, reflection.id)
    assert (saved.body, saved.visibility, saved.version, saved.prompt_text) == (
        "Second thoughts", "shared", 2, "Relevance")
    stale = client.post_form(f"{base(world)}/{reflection.id}/edit",
                             {"body": "My late edit", "visibility": "private", "version": "1"})
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "My late edit" in html and "Second thoughts" in html
    assert fresh(Reflection, reflection.id).body == "Second thoughts"
    missing = client.post_form(f"{base(world)}/{reflection.id}/edit", {"body": "No version", "visibility": "private"})
    assert missing.status_code == 409 and fresh(Reflection, reflection.id).body == "Second thoughts"


def test_deleting_asks_first_and_takes_the_responses_with_it(client, world):
    reflection = entry(world)
    db.session.add(ReflectionResponse(reflection_id=reflection.id, author_id=world.teacher.id, body="Hm"))
    db.session.commit()
    client.login(world.student)
    page = client.get(f"{base(world)}/{reflection.id}/delete").get_data(as_text=True)
    assert "Delete this reflection?" in page and "the response under it are deleted" in page
    assert db.session.scalar(db.select(db.func.count(Reflection.id))) == 1  # asking changes nothing
    response = client.post_form(f"{base(world)}/{reflection.id}/delete", {})
    assert response.status_code == 303 and response.headers["Location"].endswith(base(world))
    assert db.session.scalar(db.select(db.func.count(Reflection.id))) == 0
    assert db.session.scalar(db.select(db.func.count(ReflectionResponse.id))) == 0
    assert db.session.scalar(db.select(Activity.verb).where(Activity.subject_type == "reflection")) == "deleted"


# ---- escaping ------------------------------------------------------------------------------------------

def test_entries_prompts_and_responses_are_escaped(client, world):
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    reflection = entry(world, "shared", body=f"**bold** {evil}", prompt_text=f"Prompt {evil}", prompt_source="course")
    db.session.add(ReflectionResponse(reflection_id=reflection.id, author_id=world.teacher.id, body=evil))
    db.session.commit()
    client.login(world.student)
    for path in (f"{base(world)}/{reflection.id}", base(world)):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "<strong>bold</strong>" in html


# ---- the teacher's view: counts, not text --------------------------------------------------------------

def test_the_contributions_table_counts_reflections_without_their_text(client, world):
    entry(world)
    entry(world, "shared", body="another")
    client.login(world.teacher)
    html = client.get(f"/courses/{world.course.id}/contributions").get_data(as_text=True)
    assert "Reflections written (last)" in html
    row = html[html.index("Sam Student"):].split("</tr>")[0]
    assert "<td>2 <span" in row
    assert SECRET not in html and "another" not in html


# ---- fixed query counts ------------------------------------------------------------------------------

def _fill(world, n):
    tess = teammate(world, f"Teammate {n}")
    for i in range(n):
        reflection = entry(world, "shared" if i % 2 else "private", author=tess if i % 3 else world.student,
                           body=f"Entry {n}-{i}")
        db.session.add(ReflectionResponse(reflection_id=reflection.id, author_id=world.teacher.id, body="ok"))
    db.session.commit()


PROJECT_PAGES = ["/projects/{pid}/reflections", "/projects/{pid}", "/projects/{pid}/reflections/{rid}"]


@pytest.mark.parametrize("who, path", [(who, path) for who in ("student", "teacher") for path in PROJECT_PAGES]
                         + [("teacher", "/courses/{cid}/contributions")])  # contributions: the teacher's page
def test_query_counts_do_not_grow_with_reflections(client, world, count_queries, who, path):
    client.login(getattr(world, who))
    counts = []
    for n in (1, 6):
        _fill(world, n)
        rid = db.session.scalar(db.select(Reflection.id).where(Reflection.author_id == world.student.id)
                                .order_by(Reflection.id.desc()).limit(1))
        url = path.format(pid=world.project.id, rid=rid, cid=world.course.id)
        client.get(url)
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


# ---- demo ----------------------------------------------------------------------------------------------

def test_the_demo_has_shared_and_private_reflections_with_a_teacher_response(app):
    from .snapshots import demo_world

    demo_world(app)
    assert set(db.session.scalars(db.select(Reflection.visibility))) == {"private", "shared"}
    assert db.session.scalar(db.select(db.func.count(ReflectionResponse.id)))
