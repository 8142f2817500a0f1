"""Follow-up projects over HTTP: a teacher continues a project in a later course; the new project
links to its predecessor, keeps the partner, carries the open goals over as fresh proposals and
copies the agreement as a version to accept; the predecessor stays as it was."""
from datetime import date, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from workspace.extensions import db
from workspace.models import (
    Activity, Agreement, AgreementVersion, Goal, GoalComment, GoalRevision, Notification, Project, ProjectMember,
    RootCauseRevision,
)
from workspace.models.agreement import AgreementRole, ConsentItem, Responsibility

from .factories import create_agreement, create_course, create_goal, create_project, create_user


def later_course(world, name="Community Lab, semester 2"):
    course = create_course(name, teachers=[world.teacher])
    db.session.commit()
    return course


def form(course, **overrides):
    data = {"course_id": course.id, "title": "Food bank routes, year two",
            "start_date": (date.today() + timedelta(days=10)).isoformat(),
            "end_date": (date.today() + timedelta(days=130)).isoformat()}
    data.update(overrides)
    return data


def url(world):
    return f"/projects/{world.project.id}/follow-up"


def follow_up_of(project):
    db.session.expire_all()
    return db.session.scalar(db.select(Project).where(Project.predecessor_id == project.id))


def test_the_form_offers_only_other_courses_the_teacher_teaches(client, world):
    course = later_course(world)
    client.login(world.teacher)
    page = client.get(url(world)).get_data(as_text=True)
    assert course.name in page
    assert world.other_course.name not in page
    assert f'<option value="{world.course.id}"' not in page  # not the project's own course


def test_the_board_offers_the_follow_up_to_teachers_only(client, world):
    client.login(world.teacher)
    assert "Continue this project in another course" in client.get(f"/projects/{world.project.id}").get_data(
        as_text=True)
    client.login(world.student)
    assert "Continue this project in another course" not in client.get(f"/projects/{world.project.id}").get_data(
        as_text=True)


def test_a_follow_up_keeps_the_partner_and_carries_open_goals_over(client, world):
    course = later_course(world)
    second_partner, teammate = create_user("Petra Partner"), create_user("Tim Student")
    db.session.add_all([ProjectMember(project_id=world.project.id, user_id=second_partner.id, role="partner"),
                        ProjectMember(project_id=world.project.id, user_id=teammate.id, role="student")])
    states = {"proposed": "student", "changes_requested": "partner", "agreed": "student",
              "achievement_claimed": "student", "drop_proposed": "partner", "achieved": "student",
              "dropped": "partner"}
    goals = {state: create_goal(world.project, world.student if side == "student" else world.partner, side=side,
                                state=state, title=f"Goal {state}", partner_need=f"need {state}",
                                success_criteria=f"criteria {state}")
             for state, side in states.items()}
    goals["agreed"].revision_number = 3
    db.session.add(RootCauseRevision(project_id=world.project.id, number=1, text="Routes are planned by hand.",
                                     author_id=world.partner.id))
    db.session.commit()
    before_goals = {g.id: (g.state, g.version) for g in goals.values()}

    client.login(world.teacher)
    response = client.post_form(url(world), form(course))
    assert response.status_code == 303
    new = follow_up_of(world.project)
    assert response.headers["Location"].endswith(f"/projects/{new.id}")
    assert (new.course_id, new.organisation_id, new.title) == (course.id, world.project.organisation_id,
                                                                "Food bank routes, year two")
    assert new.problem_statement == world.project.problem_statement
    members = {(m.user_id, m.role) for m in db.session.scalars(
        db.select(ProjectMember).where(ProjectMember.project_id == new.id))}
    assert members == {(world.partner.id, "partner"), (second_partner.id, "partner")}  # not the old team

    carried = db.session.scalars(db.select(Goal).where(Goal.project_id == new.id).order_by(Goal.position)).all()
    assert sorted(g.title for g in carried) == sorted(f"Goal {s}" for s in states if s not in ("achieved", "dropped"))
    for goal in carried:
        assert (goal.state, goal.revision_number, goal.proposer_side) == ("proposed", 1, "partner")
        assert goal.proposer_id in (world.partner.id, second_partner.id)
        assert goal.partner_need.startswith("need ") and goal.success_criteria.startswith("criteria ")
        revisions = db.session.scalars(db.select(GoalRevision).where(GoalRevision.goal_id == goal.id)).all()
        assert [(r.number, r.title) for r in revisions] == [(1, goal.title)]
        notes = db.session.scalars(db.select(GoalComment).where(GoalComment.goal_id == goal.id)).all()
        assert len(notes) == 1 and "Carried over from “Food bank routes”" in notes[0].body
    root = db.session.scalar(db.select(RootCauseRevision).where(RootCauseRevision.project_id == new.id))
    assert (root.number, root.text) == (1, "Routes are planned by hand.")

    # The predecessor is untouched: its goals keep their states and versions.
    db.session.expire_all()
    assert {g.id: (g.state, g.version) for g in db.session.scalars(
        db.select(Goal).where(Goal.project_id == world.project.id))} == before_goals

    # The partner must agree again: the carried goals wait for the new students' side.
    client.login(world.partner)
    board = client.get(f"/projects/{new.id}").get_data(as_text=True)
    assert "Follow-up of" in board and "Food bank routes" in board


def test_the_agreement_is_copied_as_a_version_to_accept(client, world):
    course = later_course(world)
    old_student = world.student
    agreement = create_agreement(world.project, cadence_days=21, channel="at the food bank", accepted_by=[
        world.student, world.partner], responsibilities=[
        {"what": "Share the delivery data", "side": "partner", "person_id": world.partner.id,
         "due_date": date.today() + timedelta(days=60)},
        {"what": "Weekly update", "side": "students", "person_id": old_student.id, "recurrence": "every",
         "every_n": 1, "every_unit": "weeks", "due_date": date.today() - timedelta(days=3)},
        {"what": "Already done", "side": "students", "done_at": None},
    ])
    done = db.session.scalar(db.select(Responsibility).where(Responsibility.what == "Already done"))
    from workspace.models.base import utcnow
    done.done_at = utcnow()
    role = AgreementRole(agreement_id=agreement.id, name="Partner contact", holders=[world.partner])
    lead = AgreementRole(agreement_id=agreement.id, name="Team lead", holders=[old_student])
    db.session.add_all([role, lead])
    consent = db.session.scalar(db.select(ConsentItem).filter_by(agreement_id=agreement.id, kind="data"))
    consent.state, consent.details = "given", "Anonymous delivery counts"
    db.session.commit()
    old_version = db.session.scalar(db.select(AgreementVersion).filter_by(agreement_id=agreement.id))

    client.login(world.teacher)
    assert client.post_form(url(world), form(course)).status_code == 303
    new = follow_up_of(world.project)
    copy = db.session.scalar(db.select(Agreement).where(Agreement.project_id == new.id))
    assert (copy.cadence_days, copy.checkup_channel, copy.number) == (21, "at the food bank", 1)
    versions = db.session.scalars(db.select(AgreementVersion).filter_by(agreement_id=copy.id)).all()
    assert len(versions) == 1 and versions[0].acceptances == [] and versions[0].created_by_id == world.teacher.id
    roles = {r.name: [u.id for u in r.holders] for r in copy.roles}
    assert roles == {"Partner contact": [world.partner.id], "Team lead": []}  # the old team is not here
    promises = {r.what: r for r in db.session.scalars(db.select(Responsibility).filter_by(agreement_id=copy.id))}
    assert set(promises) == {"Share the delivery data", "Weekly update"}
    assert promises["Share the delivery data"].person_id == world.partner.id
    assert promises["Share the delivery data"].due_date == date.today() + timedelta(days=60)
    assert promises["Weekly update"].person_id is None and promises["Weekly update"].due_date is None
    assert promises["Weekly update"].series_id == promises["Weekly update"].id
    assert {c.kind: (c.state, c.details) for c in copy.consent_items}["data"] == ("undecided",
                                                                                 "Anonymous delivery counts")
    # The old agreement's accepted version stays as it was.
    db.session.expire_all()
    assert len(db.session.get(AgreementVersion, old_version.id).acceptances) == 2
    # The partner is asked to accept the copied agreement.
    note = db.session.scalar(db.select(Notification).filter_by(user_id=world.partner.id, project_id=new.id))
    assert "copied the agreement" in note.text and "please read and accept it" in note.text


def test_both_timelines_say_where_the_project_continues(client, world):
    course = later_course(world)
    client.login(world.teacher)
    client.post_form(url(world), form(course))
    new = follow_up_of(world.project)
    old_entries = db.session.scalars(db.select(Activity).where(Activity.project_id == world.project.id)).all()
    new_entries = db.session.scalars(db.select(Activity).where(Activity.project_id == new.id)).all()
    assert [a.verb for a in old_entries] == ["continued"]
    assert "continued this project in Community Lab, semester 2" in old_entries[0].summary
    assert any(a.verb == "continued" and "follow-up of “Food bank routes”" in a.summary for a in new_entries)
    old_board = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert "Continued in" in old_board and "Food bank routes, year two" in old_board


def test_a_second_follow_up_into_the_same_course_is_refused(client, world):
    course = later_course(world)
    client.login(world.teacher)
    assert client.post_form(url(world), form(course)).status_code == 303
    response = client.post_form(url(world), form(course, title="Again"))
    assert response.status_code == 422
    assert "already continues in that course" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Project.id)).where(Project.predecessor_id == world.project.id)) == 1
    # Another later course is fine.
    third = later_course(world, "Community Lab, year 3")
    assert client.post_form(url(world), form(third, title="Year three")).status_code == 303


def test_bad_input_is_shown_next_to_the_fields_and_nothing_is_made(client, world):
    course = later_course(world)
    client.login(world.teacher)
    for data in (form(course, title=""), form(course, end_date="2020-01-01"), form(course, start_date="soon"),
                 form(course, course_id=world.other_course.id), form(course, course_id=world.course.id),
                 form(course, course_id="x")):
        response = client.post_form(url(world), data)
        assert response.status_code == 422, data
        assert 'class="error"' in response.get_data(as_text=True)
    assert follow_up_of(world.project) is None


def test_a_teacher_without_another_course_is_told_so(client, world):
    client.login(world.teacher)
    page = client.get(url(world)).get_data(as_text=True)
    assert "You teach no other course" in page


def test_the_follow_up_of_a_project_the_teacher_may_not_see_is_hidden(client, world):
    """The board of the follow-up names its predecessor; a link only for those who may open it."""
    course = create_course("Later, other teacher", teachers=[world.other_teacher])
    project = create_project(world.course, partners=[world.partner], title="Earlier")
    db.session.add(CourseStaffFor(course, world.teacher))
    db.session.commit()
    client.login(world.teacher)
    assert client.post_form(f"/projects/{project.id}/follow-up", form(course, title="Later")).status_code == 303
    new = follow_up_of(project)
    client.login(world.other_teacher)
    board = client.get(f"/projects/{new.id}").get_data(as_text=True)
    assert "Earlier" in board and f'href="/projects/{project.id}"' not in board


def CourseStaffFor(course, user):  # noqa: N802 (reads as a row)
    from workspace.models import CourseStaff

    return CourseStaff(course_id=course.id, user_id=user.id)


def test_the_board_makes_the_same_queries_with_one_or_several_follow_ups(client, world, count_queries):
    client.login(world.teacher)
    path = f"/projects/{world.project.id}"
    client.post_form(url(world), form(later_course(world, "Later 0"), title="Next 0"))
    client.get(path)
    with count_queries() as one:
        client.get(path)
    for n in range(1, 4):
        client.post_form(url(world), form(later_course(world, f"Later {n}"), title=f"Next {n}"))
    with count_queries() as several:
        page = client.get(path).get_data(as_text=True)
    assert page.count("Continued in") == 4
    assert len(one) == len(several)


def test_the_database_keeps_one_follow_up_per_course_when_two_teachers_race(client, world):
    """The service checks first; the unique constraint catches two requests passing that check at once."""
    course = later_course(world)
    for title in ("First", "Second"):
        db.session.add(Project(course_id=course.id, organisation_id=world.project.organisation_id, title=title,
                               start_date=date.today(), end_date=date.today(), predecessor_id=world.project.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
