"""`database.PlainRead` (issue 19): a prebuilt SELECT read from the driver's cursor gives the rows
SQLAlchemy gives, value for value and type for type, on SQLite and on PostgreSQL; it is counted and
fails like any other statement, and it reads inside the session's transaction."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, event, exc, literal

from workspace.database import PlainRead
from workspace.extensions import db
from workspace.models import ActionItem, CheckUp, Goal, PeerRound, User

from .factories import create_action, create_checkup, create_goal

_PROJECT = bindparam("project_id")


def _statements():
    """Statements of every kind of column the pages read: numbers, texts, dates, UTC times, booleans,
    JSON, NULLs from an outer join, a literal bound in the statement, an aggregate, a label."""
    return {
        "action items": (db.select(ActionItem.id, ActionItem.text, ActionItem.due_date, ActionItem.done, User.id,
                                   User.name)
                         .outerjoin(User, User.id == ActionItem.owner_id)
                         .where(ActionItem.project_id == _PROJECT).order_by(ActionItem.id)),
        "check-ups": (db.select(CheckUp.id, CheckUp.planned_at, CheckUp.state, CheckUp.created_at)
                      .where(CheckUp.project_id == _PROJECT, CheckUp.state != "confirmed").order_by(CheckUp.id)),
        "goals counted": (db.select(Goal.state, db.func.count(Goal.id).label("n"), db.func.max(Goal.state_changed_at))
                          .where(Goal.project_id == _PROJECT).group_by(Goal.state).order_by(Goal.state)),
        "a literal": db.select(literal("p").label("kind"), Goal.id, Goal.target_date).where(Goal.project_id == _PROJECT)
                     .order_by(Goal.id),
        "peer rounds": db.select(PeerRound.id, PeerRound.dimensions, PeerRound.opens_on)
                       .where(PeerRound.course_id == bindparam("course_id")).order_by(PeerRound.id),
    }


def _world_with_rows(world):
    checkup = create_checkup(world.project, state="logged", days_ago=3)
    create_checkup(world.project, state="planned", days_ago=-4)
    create_action(checkup, world.student, text="Send the <draft> & more", due=date(2026, 3, 1))
    create_action(checkup, world.partner, text="Nobody's", done=True).owner_id = None
    create_goal(world.project, world.student, title="Routes", target_date=date(2027, 1, 31))
    create_goal(world.project, world.partner, side="partner", state="agreed", title="Maps")
    db.session.add(PeerRound(course_id=world.course.id, title="Mid-term", opens_on=date(2026, 5, 1),
                             closes_on=date(2026, 5, 8), dimensions=["effort", "care"]))
    db.session.commit()


def test_rows_are_what_sqlalchemy_gives_value_for_value_and_type_for_type(world):
    _world_with_rows(world)
    params = {"project_id": world.project.id, "course_id": world.course.id}
    for name, statement in _statements().items():
        expected = [tuple(row) for row in db.session.execute(statement, params)]
        got = PlainRead(statement)(params)
        assert expected, name
        assert [tuple(row) for row in got] == expected, name
        assert [[type(v) for v in row] for row in got] == [[type(v) for v in row] for row in expected], name
    times = PlainRead(_statements()["check-ups"])(params)
    assert all(row.planned_at.tzinfo == timezone.utc and row.created_at.tzinfo == timezone.utc for row in times)
    actions = PlainRead(_statements()["action items"])(params)
    assert actions[0].text == "Send the <draft> & more" and actions[0].done is False and actions[1].done is True
    assert actions[1].id_1 is None and actions[1].name is None  # the outer join's missing owner
    assert actions[0].due_date == date(2026, 3, 1)


def test_a_read_is_counted_as_a_statement_and_sees_the_sessions_own_writes(world, count_queries):
    read = PlainRead(db.select(Goal.title).where(Goal.project_id == _PROJECT).order_by(Goal.id))
    project_id = world.project.id
    with count_queries() as statements:
        assert read({"project_id": project_id}) == []
    assert len(statements) == 1 and statements[0].startswith("SELECT goal.title")
    goal = create_goal(world.project, world.student, title="Not committed yet")
    # in the session's transaction, not committed: a read of that transaction sees it
    assert [row.title for row in read({"project_id": project_id})] == ["Not committed yet"]
    goal.title = "Changed, not flushed"  # the session flushes pending changes before the read, as for a query
    assert [row.title for row in read({"project_id": project_id})] == ["Changed, not flushed"]
    with db.session.no_autoflush:
        goal.title = "Changed within no_autoflush"
        assert [row.title for row in read({"project_id": project_id})] == ["Changed, not flushed"]
    db.session.rollback()
    assert read({"project_id": world.project.id}) == []


def test_a_driver_error_is_sqlalchemys_error_and_the_page_says_the_database_is_away(app, client, world):
    read = PlainRead(db.select(Goal.id).where(Goal.project_id == _PROJECT))
    error = db.engine.dialect.loaded_dbapi.OperationalError

    def fail(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT goal.id"):
            raise error("the database went away (simulated)")

    event.listen(db.engine, "before_cursor_execute", fail)
    try:
        with pytest.raises(exc.OperationalError, match="went away"):
            read({"project_id": world.project.id})
    finally:
        event.remove(db.engine, "before_cursor_execute", fail)
    db.session.rollback()
    assert read({"project_id": world.project.id}) == []


def test_a_statement_with_a_list_parameter_is_refused(world):
    read = PlainRead(db.select(Goal.id).where(Goal.id.in_(bindparam("ids", expanding=True))))
    with pytest.raises(ValueError, match="expanding"):
        read({"ids": [1, 2]})


def test_a_bound_time_is_sent_as_sqlalchemy_sends_it(world):
    """Parameters go through their types' processing (a UTC time on SQLite is text)."""
    create_checkup(world.project, state="logged", days_ago=3)
    create_checkup(world.project, state="logged", days_ago=10)
    db.session.commit()
    since = datetime.now(timezone.utc) - timedelta(days=5)
    statement = db.select(CheckUp.id).where(CheckUp.project_id == _PROJECT, CheckUp.planned_at > bindparam(
        "since", type_=CheckUp.planned_at.type))
    params = {"project_id": world.project.id, "since": since}
    assert [tuple(r) for r in PlainRead(statement)(params)] == [tuple(r) for r in db.session.execute(statement, params)]
    assert len(PlainRead(statement)(params)) == 1


def test_a_missing_or_unbindable_parameter_is_a_statement_error_and_a_whole_entity_is_refused(world):
    read = PlainRead(db.select(CheckUp.id).where(CheckUp.planned_at > bindparam("since", type_=CheckUp.planned_at.type)))
    with pytest.raises(exc.StatementError, match="A value is required for bind parameter 'since'"):
        read({})
    with pytest.raises(exc.StatementError, match="naive datetime"):
        read({"since": datetime(2026, 1, 1)})  # noqa: DTZ001 (the point: a time without a zone)
    with pytest.raises(ValueError, match="not whole entities"):
        PlainRead(db.select(Goal).where(Goal.project_id == _PROJECT))


def test_a_statement_without_its_join_warns_as_sqlalchemy_does():
    """The engine's linting runs on the one compilation: a forgotten join is a warning (an error in the suite)."""
    read = PlainRead(db.select(Goal.id, User.name).where(Goal.project_id == _PROJECT))
    with pytest.warns(exc.SAWarning, match="cartesian product"):
        read({"project_id": 1})


def test_a_lost_connection_is_sqlalchemys_error_and_the_next_read_gets_a_working_one(world, database_url):
    """A connection lost under a read comes out as SQLAlchemy's error, marked invalidated, whatever closing
    the cursor then says; the next read gets a working connection. On PostgreSQL the read's own backend is
    terminated; on SQLite the driver's error for a closed database is raised (a file cannot go away)."""
    read = PlainRead(db.select(Goal.id).where(Goal.project_id == _PROJECT))
    project_id = world.project.id
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        lost = db.engine.dialect.loaded_dbapi.ProgrammingError("Cannot operate on a closed database.")

        def fail(conn, cursor, statement, parameters, context, executemany):
            if statement.startswith("SELECT goal.id"):
                raise lost
    else:
        import psycopg

        admin = psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)

        def fail(conn, cursor, statement, parameters, context, executemany):
            if statement.startswith("SELECT goal.id"):
                admin.execute("SELECT pg_terminate_backend(%s, 5000)", (conn.connection.dbapi_connection.info.backend_pid,))

    event.listen(db.engine, "before_cursor_execute", fail)
    try:
        with pytest.raises(exc.DBAPIError) as raised:
            read({"project_id": project_id})
    finally:
        event.remove(db.engine, "before_cursor_execute", fail)
        if db.engine.dialect.name != "sqlite":
            admin.close()
    assert raised.value.connection_invalidated
    db.session.rollback()
    assert read({"project_id": project_id}) == []


def test_get_is_the_sessions_object_when_it_holds_one_and_one_select_otherwise(world, count_queries):
    from workspace.database import get
    from workspace.models import Project

    project_id, student_id = world.project.id, world.student.id
    db.session.expunge_all()
    with count_queries() as statements:
        project = get(Project, project_id)
        again = get(Project, project_id)
        missing = get(Project, 10 ** 6)
    assert project is again and project.id == project_id and missing is None
    assert len(statements) == 2  # the project once, the missing one once; the second `get` asked nobody
    student = db.session.get(User, student_id)
    with count_queries() as statements:
        assert get(User, student_id) is student
    assert statements == []


def test_a_read_from_within_a_flush_does_not_flush_again(world):
    """A flush event that asks the policy (whose standing is a PlainRead) reads, as the ORM's queries do there."""
    from sqlalchemy.orm import Session

    from workspace.policy import forget_standing, project_role

    seen = []

    def before_flush(session, context, instances):
        forget_standing()
        seen.append(project_role(world.student, world.project))

    event.listen(Session, "before_flush", before_flush)
    try:
        create_goal(world.project, world.student, title="Asked during a flush")
    finally:
        event.remove(Session, "before_flush", before_flush)
    assert seen and set(seen) == {"student"}
