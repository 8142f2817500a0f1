"""On SQLite, writers queue at a file lock beside the database (database.WriterTurns) and the next is woken
as soon as the last has committed or rolled back, instead of sleeping in SQLite's busy handler."""
import fcntl
import os
import threading

import pytest
from sqlalchemy import event

from workspace import activity
from workspace.database import WriterTurns
from workspace.extensions import db
from workspace.models import Goal

from .factories import create_goal


@pytest.fixture
def lock_path():
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the writers' turns are SQLite's; PostgreSQL locks rows")
    return WriterTurns.for_database(db.engine.url.database).path


def _taken(path: str) -> bool:
    """Whether someone holds the turn (asked from an open file of its own, as another process would)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _approve(client, world, goal):
    return client.post_form(f"/projects/{world.project.id}/goals/{goal.id}/approve",
                            {"version": goal.version, "view": "board"}, htmx=True)


def test_a_decision_holds_the_turn_while_it_writes_and_hands_it_on(client, world, lock_path):
    goal = create_goal(world.project, world.student)
    db.session.commit()
    client.login(world.partner)
    seen = []

    def on_write(_conn, _cursor, statement, *_args):
        if statement.startswith("UPDATE"):
            seen.append(_taken(lock_path))

    event.listen(db.engine, "before_cursor_execute", on_write)
    try:
        response = _approve(client, world, goal)
    finally:
        event.remove(db.engine, "before_cursor_execute", on_write)
    assert response.status_code == 200
    assert seen and all(seen), seen  # held whenever the decision (and its e-mail) wrote
    assert not _taken(lock_path)  # and handed on once it committed
    db.session.expire_all()
    assert db.session.get(Goal, goal.id).state == "agreed"


def test_a_request_that_fails_while_writing_hands_the_turn_on(app, client, world, lock_path, monkeypatch):
    goal = create_goal(world.project, world.student)
    db.session.commit()
    client.login(world.partner)

    def crash(entry, *_args):
        db.session.flush()
        raise RuntimeError("injected crash while writing")

    monkeypatch.setattr(activity, "LISTENERS", [crash, *activity.LISTENERS])
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = _approve(client, world, goal)
    assert response.status_code == 500
    assert not _taken(lock_path)
    db.session.expire_all()
    assert db.session.get(Goal, goal.id).state == "proposed"  # rolled back


def test_a_writer_waits_for_the_turn_and_goes_on_once_it_is_free(app, client, world, lock_path):
    goal = create_goal(world.project, world.student)
    db.session.commit()
    client.login(world.partner)
    client.get(f"/projects/{world.project.id}")  # the session's cookie and token first
    token = client.csrf_token(f"/projects/{world.project.id}")
    path, version = f"/projects/{world.project.id}/goals/{goal.id}/approve", goal.version

    holder = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)  # another writer has the turn
    fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)  # (free: no request is under way)
    answers = []

    def decide():  # another worker's decision
        with app.app_context():
            answers.append(client.post(path, data={"version": version, "view": "board", "csrf_token": token},
                                       headers={"HX-Request": "true"}))

    writer = threading.Thread(target=decide)
    try:
        writer.start()
        writer.join(0.5)
        assert writer.is_alive() and answers == []  # waiting for its turn, not failing
    finally:
        fcntl.flock(holder, fcntl.LOCK_UN)
        os.close(holder)
    writer.join(10)
    assert not writer.is_alive() and answers[0].status_code == 200
    db.session.rollback()  # the test's own snapshot predates the decision
    assert db.session.get(Goal, goal.id).state == "agreed"
