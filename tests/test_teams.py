"""Forming teams over HTTP: the teacher opens a choice round (deadline in their time zone, one open
round per course), enrolled students rank projects in place or by plain form until the deadline,
the teacher reminds those who have not chosen, proposes teams (invisible to students and partners),
moves students with a size warning, and publishes: memberships, notifications, homes and boards."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from workspace.extensions import db
from workspace.models import (
    Activity, ChoiceRound, Notification, OutboxMessage, Placement, ProjectChoice, ProjectMember,
)
from workspace.models.base import utcnow

from .factories import create_organisation, create_project, create_user, enrol


@pytest.fixture
def lab(world):
    """world.course with three more projects and four enrolled students without a team."""
    org = create_organisation("Buurthuis", themes="elderly, inclusion")
    world.cafe = create_project(world.course, org, title="Digital café", problem_statement="Seniors feel left behind.")
    world.garden = create_project(world.course, title="Garden")
    world.market = create_project(world.course, title="Market")
    world.students = [create_user(f"Student {name}") for name in ("Anna", "Bram", "Cas", "Dewi")]
    for user in [*world.students, world.student]:
        enrol(world.course, user)
    db.session.commit()
    return world


def open_round(world, deadline=None, min_size=1, max_size=2, **fields):
    choice_round = ChoiceRound(course_id=world.course.id, deadline=deadline or utcnow() + timedelta(days=3),
                               min_size=min_size, max_size=max_size, **fields)
    db.session.add(choice_round)
    db.session.commit()
    return choice_round


def rank(choice_round, user, *projects):
    db.session.add_all(ProjectChoice(round_id=choice_round.id, user_id=user.id, project_id=p.id, rank=n)
                       for n, p in enumerate(projects, start=1))
    db.session.commit()


def url(world, choice_round=None, tail=""):
    base = f"/courses/{world.course.id}/teams"
    return f"{base}/{choice_round.id}{tail}" if choice_round else base + tail


def fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


# ---- opening a round -----------------------------------------------------------------------------

def test_the_teacher_opens_a_round_with_a_deadline_in_their_own_time_zone(client, lab):
    client.login(lab.teacher)
    assert "No choice round is open" in client.get(url(lab)).get_data(as_text=True)
    response = client.post_form(url(lab, tail="/open"), {
        "deadline_date": "2031-01-15", "deadline_time": "12:00", "min_size": "2", "max_size": "3",
        "choices_count": "3"})
    assert response.status_code == 303
    choice_round = db.session.scalar(db.select(ChoiceRound))
    # Tina's time zone is Europe/Amsterdam (UTC+1 in January)
    assert choice_round.deadline == datetime(2031, 1, 15, 11, 0, tzinfo=timezone.utc)
    assert (choice_round.min_size, choice_round.max_size, choice_round.choices_count,
            choice_round.allow_unfilled, choice_round.state) == (2, 3, 3, False, "open")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Students are choosing" in page and "0 of 4 students waiting for a team" in page
    entry = db.session.scalar(db.select(Activity).where(Activity.subject_type == "choiceround"))
    assert entry.verb == "opened" and entry.course_id == lab.course.id and entry.project_id is None


def test_one_open_round_per_course(client, lab):
    open_round(lab)
    client.login(lab.teacher)
    response = client.post_form(url(lab, tail="/open"), {
        "deadline_date": "2031-01-15", "deadline_time": "12:00", "min_size": "2", "max_size": "3",
        "choices_count": "3"})
    assert response.status_code == 409
    assert "already has a choice round" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(ChoiceRound)) == 1


def test_bad_sizes_and_a_past_deadline_come_back_with_the_input_kept(client, lab):
    client.login(lab.teacher)
    response = client.post_form(url(lab, tail="/open"), {
        "deadline_date": "2031-01-15", "deadline_time": "12:00", "min_size": "5", "max_size": "3",
        "choices_count": "4"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The largest team cannot be smaller than the smallest." in page
    assert 'value="2031-01-15"' in page and 'value="4"' in page
    response = client.post_form(url(lab, tail="/open"), {
        "deadline_date": "2020-01-15", "deadline_time": "12:00", "min_size": "2", "max_size": "3",
        "choices_count": "3"})
    assert response.status_code == 422 and "Choose a deadline in the future." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(ChoiceRound)) is None


# ---- ranking -------------------------------------------------------------------------------------

def test_an_enrolled_student_sees_the_projects_and_ranks_them_by_plain_form(client, lab):
    choice_round = open_round(lab)
    anna = lab.students[0]
    client.login(anna)
    home = client.get("/home").get_data(as_text=True)
    assert "Choose your projects for Community Lab" in home and "not chosen yet" in home
    page = client.get(url(lab, choice_round, "/choose")).get_data(as_text=True)
    assert "Digital café" in page and "Buurthuis" in page and "Seniors feel left behind." in page
    assert "elderly" in page and "inclusion" in page
    response = client.post_form(url(lab, choice_round, "/choose"), {
        "choice_1": str(lab.cafe.id), "motivation_1": "My grandmother", "choice_2": str(lab.garden.id),
        "choice_3": ""})
    assert response.status_code == 303
    chosen = db.session.execute(db.select(ProjectChoice.rank, ProjectChoice.project_id, ProjectChoice.motivation)
                                .order_by(ProjectChoice.rank)).all()
    assert chosen == [(1, lab.cafe.id, "My grandmother"), (2, lab.garden.id, "")]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your choices are saved" in page and "My grandmother" in page
    assert f'<option selected value="{lab.cafe.id}">' in page or f'value="{lab.cafe.id}" selected' in page
    assert "ranked, you can still change it" in client.get("/home").get_data(as_text=True)
    entry = db.session.scalar(db.select(Activity).where(Activity.verb == "ranked"))
    assert entry.summary == "Student Anna saved their project choices"  # no project names: others may read it
    assert entry.project_id is None


def test_ranking_in_place_with_htmx_replaces_the_earlier_ranking(client, lab):
    choice_round = open_round(lab)
    anna = lab.students[0]
    rank(choice_round, anna, lab.garden, lab.market)
    client.login(anna)
    response = client.post_form(url(lab, choice_round, "/choose"), {"choice_1": str(lab.market.id)}, htmx=True)
    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"])["announce"].startswith("Your choices are saved")
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith("<section id=\"ranking\"") and "<html" not in body
    assert db.session.execute(db.select(ProjectChoice.rank, ProjectChoice.project_id)).all() == [(1, lab.market.id)]


def test_a_project_twice_or_none_comes_back_with_messages_next_to_the_fields(client, lab):
    choice_round = open_round(lab)
    client.login(lab.students[0])
    response = client.post_form(url(lab, choice_round, "/choose"), {
        "choice_1": str(lab.cafe.id), "choice_2": str(lab.cafe.id), "motivation_2": "kept text"}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "You chose this project already" in body and "kept text" in body
    response = client.post_form(url(lab, choice_round, "/choose"), {"choice_1": ""})
    assert response.status_code == 422 and "Choose your favourite project." in response.get_data(as_text=True)
    response = client.post_form(url(lab, choice_round, "/choose"), {"choice_1": str(lab.other_project.id)})
    assert response.status_code == 422  # a project of another course is no choice
    assert db.session.scalar(db.select(ProjectChoice)) is None


def test_after_the_deadline_the_ranking_is_refused_with_a_clear_message(client, lab):
    choice_round = open_round(lab)
    anna = lab.students[0]
    rank(choice_round, anna, lab.garden)
    choice_round.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    client.login(anna)
    assert "Choosing is closed" in client.get(url(lab, choice_round, "/choose")).get_data(as_text=True)
    response = client.post_form(url(lab, choice_round, "/choose"), {"choice_1": str(lab.cafe.id)},
                                token_from=url(lab))
    assert response.status_code == 409
    assert "The deadline for choosing projects has passed" in response.get_data(as_text=True)
    assert db.session.execute(db.select(ProjectChoice.project_id)).scalars().all() == [lab.garden.id]


def test_a_student_in_a_team_keeps_it_and_an_outsider_does_not_see_the_round(client, lab):
    choice_round = open_round(lab)
    client.login(lab.student)  # enrolled, and already in the team of world.project
    page = client.get(url(lab, choice_round, "/choose")).get_data(as_text=True)
    assert "You are already in the team of Food bank routes" in page
    response = client.post_form(url(lab, choice_round, "/choose"), {"choice_1": str(lab.cafe.id)})
    assert response.status_code == 409 and db.session.scalar(db.select(ProjectChoice)) is None
    client.login(lab.other_student)  # not enrolled in this course
    assert client.get(url(lab, choice_round, "/choose")).status_code == 404


# ---- who has not chosen, reminding ----------------------------------------------------------------

def test_the_teacher_sees_who_has_not_chosen_and_reminds_each_once(client, lab, sent_mail):
    choice_round = open_round(lab)
    anna, bram, cas, dewi = lab.students
    rank(choice_round, anna, lab.cafe)
    client.login(lab.teacher)
    page = client.get(url(lab)).get_data(as_text=True)
    assert "1 of 4 students waiting for a team" in page
    assert "Student Bram" in page and "Student Cas" in page and "Student Dewi" in page
    assert "Student Anna" not in page and "Sam Student" not in page  # ranked, and already in a team
    response = client.post_form(url(lab, choice_round, "/remind"), htmx=True)
    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"])["announce"] == "3 students are reminded."
    assert 'id="round"' in response.get_data(as_text=True)
    notes = db.session.scalars(db.select(Notification).where(Notification.kind == "teams")).all()
    assert sorted(n.user_id for n in notes) == sorted(u.id for u in (bram, cas, dewi))
    assert all(n.url.endswith(f"/teams/{choice_round.id}/choose") for n in notes)
    outbox = db.session.scalars(db.select(OutboxMessage.to)).all()
    assert sorted(outbox) == sorted(u.email for u in (bram, cas, dewi))
    assert db.session.scalar(db.select(Activity.summary).where(Activity.verb == "reminded")) == \
        "Tina Teacher reminded 3 students to choose projects"
    assert client.post_form(url(lab, choice_round, "/remind")).status_code == 303  # a second reminder, later on
    assert db.session.scalar(db.select(db.func.count()).select_from(Notification)) == 6


# ---- proposing, moving, publishing -----------------------------------------------------------------

def proposed(client, lab, **sizes):
    choice_round = open_round(lab, **sizes)
    anna, bram, cas, dewi = lab.students
    rank(choice_round, anna, lab.cafe, lab.garden)
    db.session.execute(db.update(ProjectChoice).where(ProjectChoice.user_id == anna.id, ProjectChoice.rank == 1)
                       .values(motivation="Near my home"))
    rank(choice_round, bram, lab.cafe, lab.garden)
    rank(choice_round, cas, lab.cafe, lab.market)
    client.login(lab.teacher)
    assert "Choosing ends when you propose" in client.get(url(lab, choice_round, "/propose")).get_data(as_text=True)
    response = client.post_form(url(lab, choice_round, "/propose"))
    assert response.status_code == 303, response.get_data(as_text=True)
    return choice_round, response


def test_proposing_places_every_waiting_student_within_the_sizes(client, lab):
    choice_round, response = proposed(client, lab)
    placements = dict(db.session.execute(db.select(Placement.user_id, Placement.project_id)).all())
    anna, bram, cas, dewi = lab.students
    assert set(placements) == {anna.id, bram.id, cas.id, dewi.id}  # Sam keeps world.project
    sizes = {p: list(placements.values()).count(p) for p in (lab.cafe.id, lab.garden.id, lab.market.id)}
    assert sizes[lab.cafe.id] == 2 and all(1 <= size <= 2 for size in sizes.values())
    assert placements[cas.id] in (lab.cafe.id, lab.market.id)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Proposed teams" in page and "2 students got choice 1" in page and "1 student got choice 2" in page
    assert "Did not choose:" in page and "Student Dewi" in page
    assert "Choices of Student Anna" in page and "<q>Near my home</q>" in page  # the teacher reads motivations
    assert fresh(ChoiceRound, choice_round.id).state == "proposed"
    assert db.session.scalar(db.select(Activity.summary).where(Activity.verb == "proposed")) == \
        "Tina Teacher proposed teams for 4 students"
    # Choosing has ended; students and partners do not see the proposal.
    client.login(lab.students[0])
    response = client.post_form(url(lab, choice_round, "/choose"), {"choice_1": str(lab.market.id)})
    assert response.status_code == 409 and "The choice round is closed" in response.get_data(as_text=True)
    assert "Your team in" not in client.get("/home").get_data(as_text=True)
    assert client.get(url(lab)).status_code == 404
    client.login(lab.partner)
    assert client.get(url(lab)).status_code == 404
    assert db.session.scalar(db.select(ProjectMember).where(ProjectMember.user_id == anna.id)) is None


def test_infeasible_sizes_are_named_with_their_numbers(client, lab):
    choice_round = open_round(lab, min_size=3, max_size=4)  # 4 students cannot fill 4 projects of 3 (1 there)
    client.login(lab.teacher)
    response = client.post_form(url(lab, choice_round, "/propose"))
    assert response.status_code == 422
    assert ("4 students cannot fill 4 projects of at least 3 students (11 are needed)"
            in response.get_data(as_text=True))
    assert fresh(ChoiceRound, choice_round.id).state == "open" and db.session.scalar(db.select(Placement)) is None


def test_moving_a_student_in_place_warns_about_team_sizes(client, lab):
    choice_round, _response = proposed(client, lab)
    dewi = lab.students[3]
    placement = db.session.scalar(db.select(Placement).where(Placement.user_id == dewi.id))
    target = lab.cafe if placement.project_id != lab.cafe.id else lab.garden
    response = client.post_form(url(lab, choice_round, f"/placements/{dewi.id}"), {"project_id": str(target.id)},
                                htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith('<section id="proposal"')
    assert json.loads(response.headers["HX-Trigger"])["announce"] == f"Student Dewi moved to {target.title}."
    assert fresh(Placement, placement.id).project_id == target.id and fresh(Placement, placement.id).moved
    assert "3 students: more than the maximum of 2." in body or "fewer than the minimum" in body
    assert "outside the team sizes" in body
    entry = db.session.scalar(db.select(Activity).where(Activity.verb == "moved"))
    assert entry.summary == f"Tina Teacher moved Student Dewi to {target.title}" and entry.project_id is None


def test_moving_by_plain_form_and_refusing_a_project_of_another_course(client, lab):
    choice_round, _response = proposed(client, lab)
    dewi = lab.students[3]
    response = client.post_form(url(lab, choice_round, f"/placements/{dewi.id}"),
                                {"project_id": str(lab.market.id), "page": "1"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#student-{dewi.id}")
    response = client.post_form(url(lab, choice_round, f"/placements/{dewi.id}"),
                                {"project_id": str(lab.other_project.id)})
    assert response.status_code == 422
    assert db.session.scalar(db.select(Placement.project_id).where(Placement.user_id == dewi.id)) == lab.market.id


def test_publishing_makes_memberships_tells_everyone_and_shows_the_team_at_home(client, lab, sent_mail):
    choice_round, _response = proposed(client, lab)
    cafe_partner = create_user("Petra Partner")
    db.session.add(ProjectMember(project_id=lab.cafe.id, user_id=cafe_partner.id, role="partner"))
    db.session.commit()
    assert "This cannot be undone" in client.get(url(lab, choice_round, "/publish")).get_data(as_text=True)
    response = client.post_form(url(lab, choice_round, "/publish"))
    assert response.status_code == 303
    assert fresh(ChoiceRound, choice_round.id).state == "published"
    placements = dict(db.session.execute(db.select(Placement.user_id, Placement.project_id)).all())
    members = set(db.session.execute(db.select(ProjectMember.user_id, ProjectMember.project_id)
                                     .where(ProjectMember.role == "student")).all())
    assert set(placements.items()) <= members
    anna = lab.students[0]
    note = db.session.scalar(db.select(Notification).where(Notification.user_id == anna.id))
    assert note.text == "You are in the team of Digital café" and note.url == f"/projects/{lab.cafe.id}"
    partner_note = db.session.scalar(db.select(Notification.text).where(Notification.user_id == cafe_partner.id))
    assert partner_note.startswith("Your student team for Digital café is formed: ") and "Student Anna" in partner_note
    assert anna.email in {m["to"] for m in sent_mail}
    verbs = db.session.scalars(db.select(Activity.verb).where(Activity.verb.in_(("published", "team_published")))).all()
    assert verbs.count("published") == 1 and verbs.count("team_published") >= 2
    client.login(anna)
    home = client.get("/home").get_data(as_text=True)
    assert "Your team in Community Lab:" in home and f'href="/projects/{lab.cafe.id}"' in home
    assert "Student Bram" in home  # the teammate
    assert client.get(f"/projects/{lab.cafe.id}").status_code == 200
    client.login(cafe_partner)
    assert "Student Anna" in client.get(f"/projects/{lab.cafe.id}").get_data(as_text=True)
    client.login(lab.teacher)
    page = client.get(url(lab)).get_data(as_text=True)
    assert "were published" in page and "Open a choice round" in page
    assert f'href="/courses/{lab.course.id}/teams"' in client.get(f"/courses/{lab.course.id}").get_data(as_text=True)


def test_publishing_twice_is_refused(client, lab):
    choice_round, _response = proposed(client, lab)
    assert client.post_form(url(lab, choice_round, "/publish")).status_code == 303
    response = client.post_form(url(lab, choice_round, "/publish"))
    assert response.status_code == 409 and "Propose teams before publishing them." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(ProjectMember).where(
        ProjectMember.user_id == lab.students[0].id)) == 1


# ---- query counts ---------------------------------------------------------------------------------

def _more_students(world, n):
    for _k in range(n):
        enrol(world.course, create_user())
    db.session.commit()


def test_the_teachers_pages_make_the_same_queries_at_two_sizes(client, lab, count_queries):
    choice_round = open_round(lab, min_size=1, max_size=20)
    client.login(lab.teacher)

    def queries():
        client.get(url(lab))  # warm
        with count_queries() as statements:
            assert client.get(url(lab)).status_code == 200
        return len(statements)

    small = queries()
    _more_students(lab, 12)
    assert queries() == small
    client.post_form(url(lab, choice_round, "/propose"))
    proposal = queries()
    _more_students(lab, 12)
    client.post_form(url(lab, choice_round, "/propose"))
    assert queries() == proposal


def test_the_choice_page_makes_the_same_queries_with_more_projects(client, lab, count_queries):
    choice_round = open_round(lab)
    client.login(lab.students[0])
    client.get(url(lab, choice_round, "/choose"))
    with count_queries() as statements:
        client.get(url(lab, choice_round, "/choose"))
    small = len(statements)
    for n in range(8):
        create_project(lab.course, create_organisation(f"Org {n}", themes="climate"), title=f"Extra project {n}")
    db.session.commit()
    with count_queries() as statements:
        page = client.get(url(lab, choice_round, "/choose")).get_data(as_text=True)
    assert "Extra project 7" in page and "Org 7" in page
    assert len(statements) == small


def test_the_students_home_makes_the_same_queries_with_more_rounds(client, lab, count_queries):
    choice_round = open_round(lab)
    anna = lab.students[0]
    rank(choice_round, anna, lab.cafe)
    client.login(anna)
    client.get("/home")
    with count_queries() as statements:
        client.get("/home")
    small = len(statements)
    other = create_project(lab.other_course, title="Elsewhere")
    enrol(lab.other_course, anna)
    db.session.add(ChoiceRound(course_id=lab.other_course.id, deadline=utcnow() + timedelta(days=2), min_size=1,
                               max_size=3))
    db.session.commit()
    with count_queries() as statements:
        page = client.get("/home").get_data(as_text=True)
    assert "Other Course" in page and other.title not in page
    assert len(statements) == small
    choice_round.deadline = utcnow() - timedelta(minutes=1)  # past its deadline, the round leaves the home page
    db.session.commit()
    assert "Choose your projects for Community Lab" not in client.get("/home").get_data(as_text=True)
