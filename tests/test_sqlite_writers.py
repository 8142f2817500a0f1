"""On SQLite, writers queue at a file lock beside the database (database.WriterTurns) and the next is woken
as soon as the last has committed or rolled back, instead of sleeping in SQLite's busy handler."""
import fcntl
import os
import subprocess
import sys
import threading
import time

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


@pytest.fixture
def other_writer(lock_path):
    """`other_writer()`: another process takes the turn and holds it until told to let go (`release()`),
    as a second worker would."""
    holders = []

    class Holder:
        released_at = None

        def __init__(self):
            self.process = subprocess.Popen([sys.executable, "-c", HOLDER, lock_path],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            holders.append(self.process)
            assert self.process.stdout.readline().strip() == "holding"

        def release(self):
            self.released_at = time.monotonic()
            self.process.stdin.write("go\n")
            self.process.stdin.flush()

    yield Holder
    for process in holders:
        process.stdin.close()
        process.wait(10)
        process.stdout.close()


HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("holding", flush=True)
sys.stdin.readline()
fcntl.flock(fd, fcntl.LOCK_UN)
"""


def test_a_writer_waits_for_the_turn_and_goes_on_once_it_is_free(client, world, other_writer):
    goal = create_goal(world.project, world.student)
    db.session.commit()
    client.login(world.partner)
    client.get("/home")  # (the form's token, read before the other takes the turn)
    other = other_writer()
    timer = threading.Timer(0.3, other.release)
    timer.start()
    try:
        response = _approve(client, world, goal)
        finished = time.monotonic()
    finally:
        timer.join()
    assert response.status_code == 200
    assert finished >= other.released_at  # it waited for the other writer's turn to end
    db.session.expire_all()
    assert db.session.get(Goal, goal.id).state == "agreed"


def test_a_writer_that_waited_too_long_for_its_turn_goes_on_to_sqlite(client, world, other_writer, monkeypatch):
    monkeypatch.setattr(WriterTurns, "WAIT", 0.2)
    goal = create_goal(world.project, world.student)
    db.session.commit()
    client.login(world.partner)
    other = other_writer()
    started = time.monotonic()
    response = _approve(client, world, goal)  # the other never lets go: after WAIT, SQLite orders the two
    assert response.status_code == 200 and time.monotonic() - started >= 0.2
    assert other.released_at is None
    db.session.expire_all()
    assert db.session.get(Goal, goal.id).state == "agreed"
