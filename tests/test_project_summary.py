"""The dashboard's per-project summary (workspace/dashboard/summary.py): after every kind of change,
in any order and any mix per transaction, the stored row equals the full computation from the data."""
import json
import random
from datetime import date, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workspace.dashboard.signals import project_inputs
from workspace.extensions import db
from workspace.models import (
    Activity, Agreement, AgreementAcceptance, AgreementVersion, CheckUp, Deliverable, FeedbackItem, Goal, ProjectMember,
    ProjectSummary, PulseRating, Responsibility,
)
from workspace.models.checkup import CHECKUP_STATES, FEEDBACK_STATES
from workspace.models.deliverable import DELIVERABLE_STATES
from workspace.models.goal import GOAL_STATES

from . import factories as f

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def stored(project_id):
    db.session.expire_all()
    return db.session.scalar(db.select(ProjectSummary.data).where(ProjectSummary.project_id == project_id))


def full(project_id):
    return json.loads(json.dumps(project_inputs([project_id])[project_id]))  # as the JSON column gives it back


def pick(rnd, model, project_id, column="project_id"):
    rows = db.session.scalars(db.select(model).where(getattr(model, column) == project_id).order_by(model.id)).all()
    return rnd.choice(rows) if rows else None


def _agreement(rnd, project):
    agreement = db.session.scalar(db.select(Agreement).where(Agreement.project_id == project.id))
    if agreement is None:
        agreement = f.create_agreement(project, cadence_days=rnd.choice([7, 14, 21]))
    return agreement


def act(rnd, world, kind):
    """One change of `kind` to one of the two projects, as a feature's service would make it."""
    project = rnd.choice([world.project, world.other_project])
    day = timedelta(days=rnd.randint(-20, 20))
    if kind == "goal_add":
        f.create_goal(project, world.student, side=rnd.choice(["student", "partner"]), state=rnd.choice(GOAL_STATES))
    elif kind == "goal_change" and (goal := pick(rnd, Goal, project.id)):
        goal.state, goal.state_changed_at = rnd.choice(GOAL_STATES), NOW + day
    elif kind == "goal_delete" and (goal := pick(rnd, Goal, project.id)):
        db.session.delete(goal)
    elif kind == "responsibility_add":
        agreement = _agreement(rnd, project)
        row = Responsibility(agreement_id=agreement.id, what="Answer mail", side=rnd.choice(["students", "partner",
                                                                                            "teacher"]),
                             due_date=rnd.choice([None, date.today() + day]))
        db.session.add(row)
        db.session.flush()
        row.series_id = row.id
    elif kind == "responsibility_change":
        agreement = _agreement(rnd, project)
        row = pick(rnd, Responsibility, agreement.id, "agreement_id")
        if row is not None:
            setattr(row, rnd.choice(["done_at", "removed_at", "due_date"]),
                    rnd.choice([None, NOW + day]) if rnd.random() < 0.6 else None)
            if isinstance(row.due_date, datetime):
                row.due_date = row.due_date.date()
    elif kind == "agreement_version":
        agreement = _agreement(rnd, project)
        agreement.number = (agreement.number or 1) + 1
        db.session.add(AgreementVersion(agreement_id=agreement.id, number=agreement.number, snapshot={}))
    elif kind == "accept":
        agreement = _agreement(rnd, project)
        version = db.session.scalar(db.select(AgreementVersion).where(
            AgreementVersion.agreement_id == agreement.id, AgreementVersion.number == agreement.number))
        member = pick(rnd, ProjectMember, project.id)
        if version and member and not db.session.scalar(db.select(AgreementAcceptance).filter_by(
                agreement_version_id=version.id, user_id=member.user_id)):
            db.session.add(AgreementAcceptance(agreement_version_id=version.id, user_id=member.user_id))
    elif kind == "cadence" and (agreement := pick(rnd, Agreement, project.id)):
        agreement.cadence_days = rnd.choice([7, 14, 28])
    elif kind == "checkup_add":
        f.create_checkup(project, state=rnd.choice(CHECKUP_STATES), days_ago=rnd.randint(-20, 40))
    elif kind == "checkup_change" and (checkup := pick(rnd, CheckUp, project.id)):
        checkup.state, checkup.planned_at = rnd.choice(CHECKUP_STATES), NOW + day
    elif kind == "feedback" and (checkup := pick(rnd, CheckUp, project.id)):
        f.create_feedback(checkup, state=rnd.choice(FEEDBACK_STATES))
    elif kind == "feedback_change" and (item := pick(rnd, FeedbackItem, project.id)):
        item.state = rnd.choice(FEEDBACK_STATES)
    elif kind == "pulse" and (checkup := pick(rnd, CheckUp, project.id)):
        member = pick(rnd, ProjectMember, project.id)
        key = rnd.choice(["relevance", "reciprocity", "transparency"])
        if member and not db.session.scalar(db.select(PulseRating).filter_by(checkup_id=checkup.id,
                                                                              user_id=member.user_id, value_key=key)):
            f.create_rating(checkup, member.user, rnd.choice(["student", "partner"]), value_key=key,
                            score=rnd.randint(1, 5))
    elif kind == "deliverable_add":
        f.create_deliverable(project, state=rnd.choice(DELIVERABLE_STATES), items=0,
                             due_date=rnd.choice([None, date.today() + day]), state_changed_at=NOW + day)
    elif kind == "deliverable_change" and (deliverable := pick(rnd, Deliverable, project.id)):
        deliverable.state, deliverable.due_date = rnd.choice(DELIVERABLE_STATES), date.today() + day
    elif kind == "member_add":
        db.session.add(ProjectMember(project_id=project.id, user_id=f.create_user().id,
                                     role=rnd.choice(["student", "partner"])))
    elif kind == "member_remove" and (member := pick(rnd, ProjectMember, project.id)):
        db.session.delete(member)
    elif kind == "activity":
        db.session.add(Activity(project_id=project.id, course_id=project.course_id, verb="commented",
                                subject_type="goal", created_at=NOW + day))


KINDS = ["goal_add", "goal_change", "goal_delete", "responsibility_add", "responsibility_change",
         "agreement_version", "accept", "cadence", "checkup_add", "checkup_change", "feedback", "feedback_change",
         "pulse", "deliverable_add", "deliverable_change", "member_add", "member_remove", "activity"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2 ** 32), steps=st.lists(st.sampled_from(KINDS), min_size=1, max_size=12),
       per_commit=st.integers(1, 3), rollback_every=st.integers(2, 6))
def test_the_summary_equals_the_full_computation_after_any_sequence_of_changes(world, seed, steps, per_commit,
                                                                                rollback_every):
    rnd = random.Random(seed)
    for n, kind in enumerate(steps, 1):
        act(rnd, world, kind)
        if n % rollback_every == 0:
            db.session.rollback()  # a refused step: its marks must not leak into the next commit
        elif n % per_commit == 0 or n == len(steps):
            db.session.commit()
            for project in (world.project, world.other_project):
                assert stored(project.id) == full(project.id), (kind, n)
    db.session.commit()
    for project in (world.project, world.other_project):
        assert stored(project.id) == full(project.id)


def test_every_kind_of_change_reaches_the_dashboard_without_a_rebuild(client, world):
    rnd = random.Random(7)
    for kind in KINDS:
        for _ in range(3):
            act(rnd, world, kind)
        db.session.commit()
        assert stored(world.project.id) == full(world.project.id), kind


def test_a_goal_decision_over_http_updates_the_summary_in_its_transaction(client, world):
    goal = f.create_goal(world.project, world.student, title="Routes for every family")
    db.session.commit()
    assert stored(world.project.id)["goals_waiting"] == 1
    client.login(world.partner)
    response = client.post_form(f"/projects/{world.project.id}/goals/{goal.id}/approve",
                                {"version": goal.version, "view": "board"})
    assert response.status_code == 303
    summary = stored(world.project.id)
    assert (summary["goals_agreed"], summary["goals_waiting"]) == (1, 0)
    assert summary == full(world.project.id)


def test_rebuild_summaries_catches_up_writes_that_bypass_the_session(app, world):
    f.create_goal(world.project, world.student, state="agreed")
    db.session.commit()
    db.session.execute(db.update(Goal).values(state="proposed"))  # bulk SQL: no objects, no marks
    db.session.commit()
    assert stored(world.project.id) != full(world.project.id)
    result = app.test_cli_runner().invoke(args=["rebuild-summaries"])
    assert "project summaries rebuilt: 2" in result.output, result.output
    assert stored(world.project.id) == full(world.project.id)


def test_a_project_without_a_summary_row_is_computed_in_full_and_shown_the_same(world):
    from workspace.dashboard.signals import course_signals

    f.create_goal(world.project, world.student)
    f.create_checkup(world.project, state="confirmed", days_ago=30)
    db.session.commit()
    summarised = course_signals(world.course)
    db.session.execute(db.delete(ProjectSummary))
    db.session.commit()
    assert course_signals(world.course) == summarised
    assert summarised[0].goals_waiting == 1 and summarised[0].last_checkup is not None
    assert db.session.scalar(db.select(db.func.count()).select_from(ProjectSummary)) == 0  # reading writes nothing


def test_rows_stored_before_and_after_the_six_decimals_judge_the_pulse_alike(world):
    """The averages are stored to six decimals (issue 19); a row stored before, with 17 digits, gives the
    same latest value and change, also where the difference is a tie (13/12 after 23/15 is -0.45)."""
    from workspace.dashboard.signals import ProjectSignals, apply_inputs

    inputs = project_inputs([world.project.id])[world.project.id]
    earlier, later = (NOW - timedelta(days=14)).isoformat(), (NOW - timedelta(days=7)).isoformat()
    judged = []
    for digits in (None, 6):
        value = (lambda x: x) if digits is None else (lambda x: round(x, digits))
        row = ProjectSignals(world.project.id, "P", "O", NOW.date())
        apply_inputs(row, {**inputs, "pulse": {"partner": [[later, value(13 / 12)], [earlier, value(23 / 15)]]}}, NOW)
        judged.append((row.pulse["partner"], [when for when, _average in row.pulse_series["partner"]]))
    assert judged[0] == judged[1] == ((1.1, -0.5), [earlier, later])


def test_json_columns_keep_what_the_app_stores(world):
    """The JSON columns go through orjson (workspace/jsonvalues.py): text keys, number keys (as text, as
    json wrote them), non-ASCII text, floats and None come back as stored; a datetime is refused, as json
    refused it."""
    import pytest

    from workspace import jsonvalues

    data = {**project_inputs([world.project.id])[world.project.id], "note": "Zoë “quoted” — ok", "ratio": 3.666667}
    row = db.session.get(ProjectSummary, world.project.id)
    row.data = {**data, 7: "seven"}
    db.session.commit()
    assert stored(world.project.id) == {**data, "7": "seven"}
    with pytest.raises(TypeError):
        jsonvalues.dumps({"when": NOW})


def test_activity_only_added_moves_the_last_activity_without_reading_it_again(world, app):
    """Every action adds an activity entry: the last activity becomes the later of the stored one and the
    newest added, with no query of its own; an older entry leaves it; a savepoint rolled back with its entry
    makes the commit read it again."""
    from sqlalchemy import event

    project = world.project
    db.session.add(Activity(project_id=project.id, course_id=project.course_id, verb="commented",
                            subject_type="goal", created_at=NOW))
    db.session.commit()
    seen = []

    def statement(_conn, _cursor, sql, *_args):
        seen.append(sql)

    for when in (NOW + timedelta(hours=1), NOW - timedelta(days=3)):
        db.session.add(Activity(project_id=project.id, course_id=project.course_id, verb="commented",
                                subject_type="goal", created_at=when))
        event.listen(db.engine, "before_cursor_execute", statement)
        try:
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", statement)
        assert stored(project.id) == full(project.id)
        assert stored(project.id)["last_activity"] == (NOW + timedelta(hours=1)).isoformat()
    assert [sql for sql in seen if sql.startswith("UPDATE project_summary")], seen  # the row was written
    assert not [sql for sql in seen if "max(activity.created_at)" in sql], seen  # without reading activity

    db.session.add(Activity(project_id=project.id, course_id=project.course_id, verb="commented",
                            subject_type="goal", created_at=NOW + timedelta(hours=2)))  # kept
    db.session.flush()
    with db.session.begin_nested() as savepoint:
        db.session.add(Activity(project_id=project.id, course_id=project.course_id, verb="commented",
                                subject_type="goal", created_at=NOW + timedelta(days=5)))
        db.session.flush()
        savepoint.rollback()
    db.session.commit()
    assert stored(project.id) == full(project.id)
    assert stored(project.id)["last_activity"] == (NOW + timedelta(hours=2)).isoformat()
