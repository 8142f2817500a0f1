"""The partner's evaluation over HTTP and the command line: asked once when a project ends (or when
the teacher asks), partners notified and e-mailed, answered in place on the home page or as a plain
form, editable until the teacher closes it, read by the team once released, and shown on the teacher
dashboard (column, reasons, CSV) and the organisation page with a fixed number of queries."""
import csv
import io
import json
from datetime import date, timedelta

from workspace.evaluations.services import ask_due
from workspace.extensions import db
from workspace.models import (
    Activity, CourseValueSetting, EvaluationAnswer, Notification, OutboxMessage, PartnerEvaluation, ProjectMember,
)

from .cases.evaluations import answer_form
from .factories import create_project, create_user


def ended(project, days_ago=1):
    project.start_date = date.today() - timedelta(days=days_ago + 100)
    project.end_date = date.today() - timedelta(days=days_ago)
    db.session.commit()
    return project


def evaluation_of(project):
    db.session.expire_all()
    return db.session.scalar(db.select(PartnerEvaluation).filter_by(project_id=project.id))


def asked(world, project=None):
    project = ended(project or world.project)
    ask_due()
    db.session.commit()
    return evaluation_of(project)


def url(project, step=""):
    return f"/projects/{project.id}/evaluation" + (f"/{step}" if step else "")


def answered(client, world, evaluation, partner=None, **overrides):
    client.login(partner or world.partner)
    response = client.post_form(url(world.project), answer_form(evaluation, **overrides))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return evaluation_of(world.project)


def test_the_command_asks_once_about_the_course_values_and_mails_each_partner(app, world, sent_mail):
    ended(world.project)
    ended(world.other_project, days_ago=90)  # ended too long ago: the first run does not ask all history
    db.session.add(CourseValueSetting(course_id=world.course.id, value_key="humbleness", asked=False))
    second = create_user("Petra Partner")
    db.session.add(ProjectMember(project_id=world.project.id, user_id=second.id, role="partner"))
    not_yet = create_project(world.course, partners=[create_user("Future Partner")])
    nobody = ended(create_project(world.course))  # no partner members: asked once it has them
    db.session.commit()
    runner = app.test_cli_runner()
    assert "evaluations asked: 1" in runner.invoke(args=["ask-evaluations"]).output
    assert "evaluations asked: 0" in runner.invoke(args=["ask-evaluations"]).output
    evaluation = evaluation_of(world.project)
    assert "humbleness" not in evaluation.value_keys and "relevance" in evaluation.value_keys
    assert evaluation_of(world.other_project) is None and evaluation_of(not_yet) is None
    assert evaluation_of(nobody) is None
    notes = db.session.scalars(db.select(Notification).where(Notification.kind == "evaluation")).all()
    assert sorted(n.user_id for n in notes) == sorted([world.partner.id, second.id])
    assert all(n.url == url(world.project) for n in notes)
    mails = db.session.scalars(db.select(OutboxMessage)).all()
    assert sorted(m.to for m in mails) == sorted([world.partner.email, second.email])
    assert all("how did the collaboration go" in m.body for m in mails)
    entry = db.session.scalar(db.select(Activity).where(Activity.subject_type == "partnerevaluation"))
    assert entry.verb == "asked" and entry.project_id == world.project.id


def test_the_teacher_asks_from_the_board_in_place_and_only_once(client, world):
    client.login(world.teacher)
    lonely = create_project(world.course, title="No partner yet")
    refused = client.post_form(url(lonely, "ask"), htmx=True)
    assert refused.status_code == 409 and "invite them first" in refused.get_data(as_text=True)
    assert evaluation_of(lonely) is None
    board = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert "Ask the partner now" in board and f'hx-post="{url(world.project, "ask")}"' in board
    response = client.post_form(url(world.project, "ask"), htmx=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="evaluation-section"' in body and "Close the evaluation" in body
    assert "asked" in json.loads(response.headers["HX-Trigger"])["announce"]
    assert evaluation_of(world.project).asked_by_id == world.teacher.id
    note = db.session.scalar(db.select(Notification).where(Notification.kind == "evaluation"))
    assert note.user_id == world.partner.id
    again = client.post_form(url(world.project, "ask"), htmx=True)
    assert again.status_code == 409 and "already been asked" in again.get_data(as_text=True)
    plain = client.post_form(url(world.project, "ask"))  # without JavaScript: back to the board with the message
    assert plain.status_code == 303 and plain.headers["Location"].endswith("#evaluation-section")
    assert db.session.scalar(db.select(db.func.count()).select_from(PartnerEvaluation)) == 1


def test_the_partner_answers_on_the_home_page_in_place(client, world):
    evaluation = asked(world)
    client.login(world.partner)
    home = client.get("/home").get_data(as_text=True)
    assert "Evaluate the collaboration" in home and f'hx-post="{url(world.project)}"' in home
    assert "Reciprocity" in home
    response = client.post_form(url(world.project), answer_form(evaluation, score_reciprocity="2",
                                                                 work_again="maybe"), htmx=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body and "Our volunteers plan routes themselves now." in body
    assert "saved" in json.loads(response.headers["HX-Trigger"])["announce"]
    answer = evaluation_of(world.project).answers[0]
    assert answer.user_id == world.partner.id and answer.work_again == "maybe"
    assert answer.scores["reciprocity"] == {"score": 2, "comment": ""} and answer.scores["relevance"]["score"] == 4
    entry = db.session.scalar(db.select(Activity).where(Activity.verb == "answered"))
    assert entry.project_id == world.project.id and "answered the evaluation" in entry.summary
    assert "2" not in entry.summary and "maybe" not in entry.summary.lower()  # no scores in the timeline
    assert "Evaluate the collaboration" not in client.get("/home").get_data(as_text=True)


def test_the_plain_form_redirects_home_and_the_answer_stays_editable(client, world):
    evaluation = asked(world)
    evaluation = answered(client, world, evaluation)
    assert "your evaluation of" in client.get("/home").get_data(as_text=True)
    page = client.get(url(world.project)).get_data(as_text=True)
    assert "Our volunteers plan routes themselves now." in page and "Save my evaluation" in page
    version = evaluation.answers[0].version
    response = client.post_form(url(world.project), answer_form(evaluation, changed="Nothing much.", work_again="no",
                                                                 version=str(version)))
    assert response.status_code == 303
    answer = evaluation_of(world.project).answers[0]
    assert (answer.changed, answer.work_again) == ("Nothing much.", "no")
    assert db.session.scalar(db.select(db.func.count()).select_from(EvaluationAnswer)) == 1
    assert db.session.scalar(db.select(Activity).where(Activity.verb == "edited",
                                                       Activity.subject_type == "partnerevaluation")) is not None
    stale = client.post_form(url(world.project), answer_form(evaluation, version=str(version)))
    assert stale.status_code == 409
    assert evaluation_of(world.project).answers[0].changed == "Nothing much."


def test_bad_answers_come_back_with_messages_and_what_was_typed(client, world):
    evaluation = asked(world)
    client.login(world.partner)
    for bad in ({"score_relevance": ""}, {"score_relevance": "6"}, {"work_again": "never"}, {"changed": ""},
                {"work_again_why": "x" * 5001}):
        response = client.post_form(url(world.project), answer_form(evaluation, **bad), htmx=True)
        assert response.status_code == 422, bad
        body = response.get_data(as_text=True)
        assert 'class="error"' in body
    assert "Our volunteers plan routes themselves now." in body
    assert evaluation_of(world.project).answers == []


def test_after_closing_answers_are_refused_and_release_needs_a_closed_evaluation(client, world):
    evaluation = asked(world)
    evaluation = answered(client, world, evaluation)
    client.login(world.teacher)
    early = client.post_form(url(world.project, "release"), htmx=True)
    assert early.status_code == 409 and "Close the evaluation" in early.get_data(as_text=True)
    closed = client.post_form(url(world.project, "close"), htmx=True)
    assert closed.status_code == 200 and "Release to the team" in closed.get_data(as_text=True)
    assert client.post_form(url(world.project, "close"), htmx=True).status_code == 409
    client.login(world.partner)
    late = client.post_form(url(world.project), answer_form(evaluation, changed="Too late.",
                                                            version=str(evaluation.answers[0].version)), htmx=True)
    assert late.status_code == 409 and "closed" in late.get_data(as_text=True)
    assert evaluation_of(world.project).answers[0].changed == "Our volunteers plan routes themselves now."
    assert "Evaluate the collaboration" not in client.get("/home").get_data(as_text=True)


def test_the_team_reads_the_answers_only_once_released(client, world):
    evaluation = asked(world)
    answered(client, world, evaluation)
    board = f"/projects/{world.project.id}"
    client.login(world.student)
    page = client.get(board).get_data(as_text=True)
    assert "Partner&#39;s evaluation" in page or "Partner's evaluation" in page
    assert "Our volunteers plan routes themselves now." not in page and "once the teacher releases it" in page
    client.login(world.teacher)
    assert "Our volunteers plan routes themselves now." in client.get(board).get_data(as_text=True)
    client.post_form(url(world.project, "close"))
    response = client.post_form(url(world.project, "release"))
    assert response.status_code == 303
    client.login(world.student)
    assert "Our volunteers plan routes themselves now." in client.get(board).get_data(as_text=True)
    entries = db.session.scalars(db.select(Activity.verb).where(Activity.subject_type == "partnerevaluation")).all()
    assert sorted(entries) == ["answered", "asked", "closed", "released"]


def test_the_organisation_page_shows_the_answers_to_its_own_people_only(client, world):
    evaluation = asked(world)
    answered(client, world, evaluation)
    page = f"/organisations/{world.project.organisation_id}"
    text = client.get(page).get_data(as_text=True)
    assert "How the collaborations went" in text and "Our volunteers plan routes themselves now." in text
    client.login(world.other_partner)  # another organisation's partner
    text = client.get(page).get_data(as_text=True)
    assert "Our volunteers plan routes themselves now." not in text and "How the collaborations went" not in text
    client.login(world.student)
    assert "Our volunteers plan routes themselves now." not in client.get(page).get_data(as_text=True)


def dashboard(client, world):
    return client.get(f"/courses/{world.course.id}/dashboard").get_data(as_text=True)


def test_the_dashboard_shows_the_score_the_reasons_and_the_csv(client, world):
    evaluation = asked(world)
    answered(client, world, evaluation, score_relevance="2", work_again="no", work_again_why="Too slow.")
    waiting = create_project(world.course, title="Silent partner", partners=[create_user("Quiet Partner")])
    ended(waiting, days_ago=world.course.attention_wait_days + 2)
    ask_due()
    db.session.commit()
    client.login(world.teacher)
    page = dashboard(client, world)
    assert "3.8 of 5" in page  # eight values at 4 and one at 2
    assert "partner would not work with us again" in page
    assert f"evaluation not answered {world.course.attention_wait_days + 2} days after the end" in page
    rows = {r["project"]: r for r in csv.DictReader(io.StringIO(
        client.get(f"/courses/{world.course.id}/dashboard.csv").get_data(as_text=True)))}
    assert rows["Food bank routes"]["partner's evaluation (average of 5)"] == "3.8"
    assert rows["Food bank routes"]["would work with us again"] == "No"
    assert "partner would not work with us again" in rows["Food bank routes"]["needs attention"]
    assert rows["Silent partner"]["partner's evaluation (average of 5)"] == ""


def test_the_dashboard_and_home_make_a_fixed_number_of_queries(client, world, count_queries):
    evaluation = asked(world)
    answered(client, world, evaluation)
    client.login(world.teacher)
    dashboard(client, world)
    with count_queries() as few:
        dashboard(client, world)
    made = [ended(create_project(world.course, partners=[world.partner, create_user("Partner 0")]))]
    ask_due()
    client.login(world.partner)
    client.get("/home")
    with count_queries() as home_few:  # one evaluation waits on the partner's home page
        page = client.get("/home").get_data(as_text=True)
    assert page.count('class="card evaluation"') == 1
    made += [ended(create_project(world.course, partners=[world.partner, create_user(f"Partner {n}")]))
             for n in range(1, 5)]
    ask_due()
    for project in made[:2]:  # two answered, three waiting on the partner's home page
        db.session.add(EvaluationAnswer(evaluation_id=evaluation_of(project).id, user_id=world.partner.id,
                                        scores={"relevance": {"score": 3, "comment": ""}}, work_again="yes"))
    db.session.commit()
    client.login(world.partner)
    with count_queries() as home_many:
        page = client.get("/home").get_data(as_text=True)
    assert page.count('class="card evaluation"') == 3
    assert len(home_many) == len(home_few)
    client.login(world.teacher)
    with count_queries() as many:
        page = dashboard(client, world)
    assert page.count("3.0 of 5") == 2
    assert len(many) == len(few)


def test_the_organisation_page_makes_a_fixed_number_of_queries(client, world, count_queries):
    answered(client, world, asked(world))
    page = f"/organisations/{world.project.organisation_id}"
    client.get(page)
    with count_queries() as one:
        client.get(page)
    for n in range(3):
        partner = create_user(f"Org Partner {n}")
        project = ended(create_project(world.course, organisation=world.project.organisation, partners=[partner]))
        ask_due()
        db.session.add(EvaluationAnswer(evaluation_id=evaluation_of(project).id, user_id=partner.id,
                                        scores={"relevance": {"score": 5, "comment": ""}}, changed="More volunteers.",
                                        work_again="yes"))
        db.session.commit()
    with count_queries() as four:
        text = client.get(page).get_data(as_text=True)
    assert text.count("More volunteers.") == 3
    assert len(four) == len(one)


def test_the_timeline_links_to_the_evaluation_panel_without_scores(client, world):
    answered(client, world, asked(world), score_relevance="1", work_again="no", work_again_why="Never again.")
    client.login(world.student)
    timeline = client.get(f"/projects/{world.project.id}/timeline").get_data(as_text=True)
    assert "answered the evaluation of the collaboration" in timeline
    assert f'/projects/{world.project.id}#evaluation-section' in timeline and "Never again." not in timeline


def test_the_board_offers_the_answer_link_to_the_partner_only_while_open(client, world):
    evaluation = asked(world)
    link = "Answer or change your evaluation"
    client.login(world.partner)
    assert link in client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    client.login(world.student)
    assert link not in client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    evaluation.closed_at = evaluation.asked_at
    db.session.commit()
    client.login(world.partner)
    assert link not in client.get(f"/projects/{world.project.id}").get_data(as_text=True)
