"""After the project over HTTP and the command line: the question is asked once per project when
`after_project_months` have passed since its end, partners are notified and e-mailed once, answer
on their home page (in place or as a plain form), and the answers show on the organisation page
and the teacher dashboard with a fixed number of queries."""
import json
from datetime import date

from workspace.after_project.services import add_months, ask_due
from workspace.extensions import db
from workspace.models import Activity, AfterProjectQuestion, Notification, OutboxMessage, ProjectMember

from .factories import create_project, create_user


def ended(world, months_ago=7, project=None):
    project = project or world.project
    project.start_date = add_months(date.today(), -months_ago - 4)
    project.end_date = add_months(date.today(), -months_ago)
    db.session.commit()
    return project


def question_of(project):
    db.session.expire_all()
    return db.session.scalar(db.select(AfterProjectQuestion).filter_by(project_id=project.id))


def answers(question, **overrides):
    p = f"q{question.id}-"
    data = {p + "still_in_use": "partly", p + "still_in_use_comment": "The toolkit, not the app.",
            p + "carry_on": "yes", p + "carry_on_comment": "Our volunteers run it.", p + "version": question.version}
    data.update({p + key: value for key, value in overrides.items()})
    return data


def url(project):
    return f"/projects/{project.id}/after-project"


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 8, 15), 6) == date(2027, 2, 15)
    assert add_months(date(2026, 3, 1), -3) == date(2025, 12, 1)


def test_the_command_asks_once_when_due_and_mails_each_partner_once(app, world, sent_mail):
    ended(world, months_ago=7)  # the default: asked 6 months after the end
    ended(world, months_ago=5, project=world.other_project)  # not yet
    second = create_user("Petra Partner")
    db.session.add(ProjectMember(project_id=world.project.id, user_id=second.id, role="partner"))
    db.session.commit()
    runner = app.test_cli_runner()
    assert "after-project questions asked: 1" in runner.invoke(args=["ask-after-project"]).output
    assert "after-project questions asked: 0" in runner.invoke(args=["ask-after-project"]).output
    question = question_of(world.project)
    assert question is not None and question.answered_at is None
    assert question_of(world.other_project) is None
    notes = db.session.scalars(db.select(Notification).where(Notification.kind == "after_project")).all()
    assert sorted(n.user_id for n in notes) == sorted([world.partner.id, second.id])
    assert all(n.url == url(world.project) for n in notes)
    mails = db.session.scalars(db.select(OutboxMessage)).all()
    assert sorted(m.to for m in mails) == sorted([world.partner.email, second.email])
    assert all("is the result still in use" in m.body for m in mails)
    entries = db.session.scalars(db.select(Activity).where(Activity.verb == "asked")).all()
    assert [(e.project_id, e.subject_type) for e in entries] == [(world.project.id, "afterprojectquestion")]


def test_the_course_setting_decides_when(app, world):
    world.course.after_project_months = 2
    world.other_course.after_project_months = 12
    ended(world, months_ago=3)
    ended(world, months_ago=11, project=world.other_project)
    assert ask_due() == 1
    assert ask_due() == 0
    assert ask_due(today=add_months(date.today(), 2)) == 1


def test_teachers_edit_the_months_in_the_course_settings(client, world):
    client.login(world.teacher)
    page = client.get(f"/courses/{world.course.id}/edit").get_data(as_text=True)
    assert "Months after a project ends" in page
    response = client.post_form(f"/courses/{world.course.id}/edit", {
        "name": world.course.name, "term": "", "description": "", "after_project_months": "9"})
    assert response.status_code == 303
    db.session.expire_all()
    assert world.course.after_project_months == 9
    response = client.post_form(f"/courses/{world.course.id}/edit", {
        "name": world.course.name, "after_project_months": "0"})
    assert response.status_code == 422


def asked(world):
    ended(world)
    ask_due()
    db.session.commit()
    return question_of(world.project)


def test_the_partner_answers_on_the_home_page_in_place(client, world):
    question = asked(world)
    client.login(world.partner)
    home = client.get("/home").get_data(as_text=True)
    assert "After the project: two questions" in home and f'hx-post="{url(world.project)}"' in home
    response = client.post_form(url(world.project), answers(question), htmx=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body and "Partly" in body and "Our volunteers run it." in body
    assert "saved" in json.loads(response.headers["HX-Trigger"])["announce"]
    question = question_of(world.project)
    assert (question.still_in_use, question.carry_on, question.answered_by_id) == ("partly", "yes", world.partner.id)
    assert question.still_in_use_comment == "The toolkit, not the app."
    entry = db.session.scalar(db.select(Activity).where(Activity.verb == "answered"))
    assert entry.project_id == world.project.id and "Partly" in entry.summary
    assert "After the project: two questions" not in client.get("/home").get_data(as_text=True)


def test_the_plain_form_redirects_home_with_a_message(client, world):
    question = asked(world)
    client.login(world.partner)
    assert "Is the result of the project still in use?" in client.get(url(world.project)).get_data(as_text=True)
    response = client.post_form(url(world.project), answers(question))
    assert response.status_code == 303 and response.headers["Location"].endswith("/home")
    assert "your answers about" in client.get("/home").get_data(as_text=True)


def test_bad_answers_are_refused_next_to_the_fields_and_kept(client, world):
    question = asked(world)
    client.login(world.partner)
    for bad in ({"still_in_use": ""}, {"carry_on": "maybe"}, {"still_in_use_comment": "x" * 5001}):
        response = client.post_form(url(world.project), answers(question, **bad), htmx=True)
        assert response.status_code == 422, bad
        body = response.get_data(as_text=True)
        assert 'class="error"' in body
    assert "Our volunteers run it." in body  # what was typed is kept
    assert question_of(world.project).answered_at is None


def test_answers_are_given_once_and_a_stale_form_is_refused(client, world):
    question = asked(world)
    client.login(world.partner)
    stale = answers(question, version=question.version + 5)
    assert client.post_form(url(world.project), stale).status_code == 409
    assert client.post_form(url(world.project), answers(question)).status_code == 303
    response = client.post_form(url(world.project), answers(question, still_in_use="no"))
    assert response.status_code == 409
    assert question_of(world.project).still_in_use == "partly"


def test_no_question_no_page(client, world):
    client.login(world.partner)
    assert client.get(url(world.project)).status_code == 404


def test_answers_show_on_the_organisation_page_partial_for_insiders_only(app, client, world):
    question = asked(world)
    client.login(world.partner)
    client.post_form(url(world.project), answers(question))
    from flask import render_template
    from flask_login import login_user

    def render_for(user):
        with app.test_request_context("/"):
            login_user(user)
            return render_template("organisations/_after_project.html", organisation=world.project.organisation)

    html = render_for(world.teacher)
    assert "Food bank routes" in html and "Partly" in html and "Our volunteers run it." in html
    assert "Partly" in render_for(world.partner)
    assert render_for(world.other_partner).strip() == ""  # another organisation's partner sees nothing


def test_the_organisation_partial_makes_a_fixed_number_of_queries(app, world, count_queries):
    from flask import render_template
    from flask_login import login_user

    organisation = world.project.organisation

    def render_counted():
        with app.test_request_context("/"):
            login_user(world.teacher)
            with count_queries() as queries:
                render_template("organisations/_after_project.html", organisation=organisation)
            return len(queries)

    asked(world)
    one = render_counted()
    for n in range(5):
        project = create_project(world.course, organisation=organisation, partners=[create_user(f"P{n}")])
        ended(world, project=project, months_ago=8 + n)
    ask_due()
    db.session.commit()
    assert render_counted() == one


def test_the_dashboard_shows_capacity_built_with_fixed_queries(client, world, count_queries):
    question = asked(world)
    client.login(world.partner)
    client.post_form(url(world.project), answers(question, carry_on="no", carry_on_comment="We need the team."))
    client.login(world.teacher)
    path = f"/courses/{world.course.id}/dashboard"
    page = client.get(path).get_data(as_text=True)
    assert "Capacity built" in page and "We need the team." in page and "✕ No" in page
    with count_queries() as few:
        client.get(path)
    for n in range(4):
        project = create_project(world.course, partners=[create_user(f"Partner {n}")])
        ended(world, project=project, months_ago=9)
    ask_due()
    db.session.commit()
    with count_queries() as many:
        page = client.get(path).get_data(as_text=True)
    assert len(few) == len(many)
    assert "not answered yet" in page


def test_the_home_page_makes_a_fixed_number_of_queries(client, world, count_queries):
    asked(world)
    client.login(world.partner)
    client.get("/home")
    with count_queries() as one:
        client.get("/home")
    for n in range(4):
        project = create_project(world.course, partners=[world.partner])
        ended(world, project=project, months_ago=9)
    ask_due()
    db.session.commit()
    with count_queries() as five:
        page = client.get("/home").get_data(as_text=True)
    assert page.count('class="card after-project"') == 5
    assert len(one) == len(five)


def test_the_organisation_page_shows_the_answers(client, world):
    question = asked(world)
    client.login(world.partner)
    client.post_form(url(world.project), answers(question))
    page = client.get(f"/organisations/{world.project.organisation_id}").get_data(as_text=True)
    assert "did the work last?" in page and "Our volunteers run it." in page
    client.login(world.other_partner)
    page = client.get(f"/organisations/{world.project.organisation_id}")
    assert "Our volunteers run it." not in page.get_data(as_text=True)
