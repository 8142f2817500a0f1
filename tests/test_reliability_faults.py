"""Faults (issue 8, figure 9), through HTTP on the test database (SQLite or PostgreSQL):

(a) the database going away mid-request gives the friendly 503 page (errors.database_unavailable)
    and the next request works by itself: on every database by making the connection fail while
    a request runs; on PostgreSQL also for real, by terminating the app's backends with
    pg_terminate_backend between requests (pool_pre_ping replaces them unseen) and in the middle
    of one (503, then the next request works); and against gunicorn, whose database connection
    runs through a TCP proxy the test cuts and restores;
(b) a mail server that refuses leaves the message in the outbox for `flask send-mail` to retry:
    here with a real SMTP conversation (nothing listening, then a server answering 550, then one
    that accepts); tests/test_notifications.py checks the same with the in-memory transport;
(c) a crash in the middle of a multi-row change leaves nothing half-written: an exception injected
    after the service has already flushed its rows (a goal revision, a check-up log that replaces
    its attendees, a deliverable version with a file) gives the 500 page, and every table holds
    exactly the rows it held before.
"""
import http.cookiejar
import select
import socket
import socketserver
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import event, text

from workspace import activity
from workspace.extensions import db
from workspace.models import CheckUp, Goal, GoalRevision, OutboxMessage
from workspace.models.base import utcnow

from .conftest import TOKEN_RE
from .factories import PASSWORD, create_checkup, create_deliverable, create_goal
from .servers import ONE_AT_A_TIME, FakeSMTP, free_port, gunicorn, server_env

pytestmark = ONE_AT_A_TIME


def _table_counts() -> dict:
    db.session.rollback()
    return {table.name: db.session.scalar(db.select(db.func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def _token(client, path="/home") -> str:
    match = TOKEN_RE.search(client.get(path).get_data(as_text=True))
    return match.group(1) or match.group(2)


# ---- (a) the database goes away ---------------------------------------------------------------

def test_the_engine_pings_connections_before_use(app):
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    assert db.engine.pool._pre_ping


@pytest.fixture
def outage(app):
    """While `outage.down` is true every statement fails as if the database were gone."""
    class Outage:
        down = False

    state = Outage()
    error = db.engine.dialect.loaded_dbapi.OperationalError

    def fail(conn, cursor, statement, parameters, context, executemany):
        if state.down:
            raise error("could not connect to server: the database went away (simulated)")

    event.listen(db.engine, "before_cursor_execute", fail)
    yield state
    event.remove(db.engine, "before_cursor_execute", fail)


def test_database_outage_gives_a_friendly_503_and_recovers_by_itself(client, world, outage):
    client.login(world.student)
    goal = create_goal(world.project, world.student, title="Routes")
    db.session.commit()
    page = f"/projects/{world.project.id}/goals/{goal.id}"
    token, version = _token(client, page), goal.version
    before = _table_counts()

    outage.down = True
    for response in (client.get(page), client.get(page, headers={"HX-Request": "true"}),
                     client.post(f"{page}/edit", data={"title": "Lost?", "version": version, "csrf_token": token})):
        html = response.get_data(as_text=True)
        assert response.status_code == 503, html
        assert "cannot reach its database right now" in html and "Traceback" not in html
    assert "Temporarily unavailable" in client.get(page).get_data(as_text=True)
    outage.down = False

    assert client.get(page).status_code == 200  # back at once, same session, no restart
    assert _table_counts() == before  # the edit sent during the outage changed nothing
    response = client.post(f"{page}/edit", data={"title": "Routes again", "version": version, "csrf_token": token})
    assert response.status_code == 303


@pytest.fixture
def terminate(database_url):
    """pg_terminate_backend from a connection of its own: kill(pid) or kill_all() of this database."""
    if not database_url.startswith("postgresql"):
        pytest.skip("terminating backends needs PostgreSQL (DATABASE_URL=postgresql://…)")
    import psycopg

    admin = psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)

    class Terminate:
        def kill(self, pid):
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))

        def kill_all(self) -> int:
            pids = [row[0] for row in admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
            for pid in pids:
                self.kill(pid)
            return len(pids)

    yield Terminate()
    admin.close()


def test_postgresql_backends_terminated_between_requests_are_replaced_unseen(client, world, terminate):
    client.login(world.student)
    page = f"/projects/{world.project.id}"
    assert client.get(page).status_code == 200
    assert terminate.kill_all() >= 1  # every pooled connection of the app is now dead
    assert client.get(page).status_code == 200  # pre-ping noticed and reconnected
    assert client.get(page).status_code == 200


def test_postgresql_backend_terminated_mid_request_gives_503_then_recovers(client, world, terminate):
    client.login(world.student)
    goal = create_goal(world.project, world.student, title="Routes")
    db.session.commit()
    page = f"/projects/{world.project.id}/goals/{goal.id}"
    armed = {"on": False, "killed": 0}

    def kill_own_backend(conn, cursor, statement, parameters, context, executemany):
        if armed["on"] and "FROM goal" in statement:  # the request has begun: the user is loaded
            armed["on"] = False
            terminate.kill(conn.connection.dbapi_connection.info.backend_pid)
            armed["killed"] += 1

    event.listen(db.engine, "before_cursor_execute", kill_own_backend)
    try:
        armed["on"] = True
        response = client.get(page)
    finally:
        event.remove(db.engine, "before_cursor_execute", kill_own_backend)
    assert armed["killed"] == 1
    assert response.status_code == 503 and "cannot reach its database" in response.get_data(as_text=True)
    assert client.get(page).status_code == 200


class CuttableProxy(socketserver.ThreadingTCPServer):
    """A TCP proxy to PostgreSQL that can be cut (every connection closed, new ones refused)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream):
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.upstream, self.cut, self.live = upstream, False, set()

    def set_cut(self, cut: bool):
        self.cut = cut
        if cut:
            for sock in list(self.live):
                sock.close()


class _ProxyHandler(socketserver.BaseRequestHandler):
    def handle(self):
        if self.server.cut:
            return
        upstream = socket.create_connection(self.server.upstream)
        pair = (self.request, upstream)
        self.server.live.update(pair)
        try:
            while not self.server.cut:
                readable, _, _ = select.select(pair, [], [], 0.2)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is self.request else self.request).sendall(data)
        except OSError:
            return
        finally:
            self.server.live.difference_update(pair)
            upstream.close()


def test_gunicorn_answers_503_while_its_database_is_cut_off_and_recovers(world, database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("the database is cut off through a TCP proxy to PostgreSQL (DATABASE_URL=postgresql://…)")
    parts = urllib.parse.urlsplit(database_url)
    proxy = CuttableProxy((parts.hostname, parts.port or 5432))
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    proxied = parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.server_address[1]}").geturl()
    try:
        with gunicorn(server_env(proxied), tmp_path, workers=2) as server:
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

            def get(path, data=None):
                try:
                    with opener.open(server.base + path, data=data, timeout=30) as response:
                        return response.status, response.read().decode()
                except urllib.error.HTTPError as error:
                    return error.code, error.read().decode()

            match = TOKEN_RE.search(get("/login")[1])
            token = match.group(1) or match.group(2)
            status, _ = get("/login", urllib.parse.urlencode(
                {"email": world.student.email, "password": PASSWORD, "csrf_token": token}).encode())
            page = f"/projects/{world.project.id}"
            assert status == 200 and get(page)[0] == 200

            proxy.set_cut(True)
            for _ in range(3):  # whichever worker answers, with or without a pooled connection
                status, html = get(page)
                assert status == 503 and "cannot reach its database right now" in html, (status, html[-2000:])
            proxy.set_cut(False)

            assert [get(page)[0] for _ in range(4)] == [200] * 4  # the same session, no restart
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(5)


# ---- (b) a mail server that refuses -------------------------------------------------------------

def test_a_refusing_mail_server_leaves_the_message_in_the_outbox_for_retry(app, client, world, monkeypatch):
    port = free_port()
    for key, value in {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port,
                       "MAIL_USE_TLS": False, "MAIL_USERNAME": ""}.items():
        monkeypatch.setitem(app.config, key, value)
    client.login(world.teacher)

    # Nothing listens: the invitation is made, the mail waits in the outbox.
    response = client.post_form(f"/projects/{world.project.id}/invite", {"email": "x@example.org", "role": "student"})
    assert response.status_code == 200
    message = db.session.scalar(db.select(OutboxMessage).where(OutboxMessage.to == "x@example.org"))
    assert message.sent_at is None and message.attempts == 1 and "Refused" in message.last_error
    assert message.body  # kept whole for the retry

    def retry():
        db.session.get(OutboxMessage, message.id).next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        result = app.test_cli_runner().invoke(args=["send-mail"])
        db.session.expire_all()
        return result.output, db.session.get(OutboxMessage, message.id)

    server = FakeSMTP(port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        output, stored = retry()  # the server answers, and refuses the recipient
        assert stored.sent_at is None and stored.attempts == 2 and "SMTPRecipientsRefused" in stored.last_error, output
        assert stored.next_attempt_at > utcnow() and server.received == []

        server.refuse = False  # the mail server takes it now
        output, stored = retry()
        assert "sent: 1" in output, output
        assert stored.sent_at is not None and stored.body == ""
        assert len(server.received) == 1 and "x@example.org" in server.received[0][0][0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# ---- (c) a crash in the middle of a multi-row change -------------------------------------------

@pytest.fixture
def crash_on(monkeypatch):
    """crash_on(verb): the activity entry for `verb` raises, after the service flushed its rows."""
    def arm(verb):
        def crash(entry, subject, project, actor):
            if entry.verb == verb:
                db.session.flush()  # everything so far is written inside the transaction
                raise RuntimeError(f"injected crash while recording {verb!r}")

        monkeypatch.setattr(activity, "LISTENERS", [*activity.LISTENERS, crash])
    return arm


def _assert_500_and_nothing_written(client, path, data, before):
    response = client.post(path, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 500, html
    assert "Something went wrong" in html and "Nothing you entered was saved" in html
    assert _table_counts() == before


def test_a_crash_inside_a_goal_revision_leaves_nothing_half_written(client, world, crash_on):
    goal = create_goal(world.project, world.student, title="Routes", description="First")
    db.session.commit()
    client.login(world.student)
    path = f"/projects/{world.project.id}/goals/{goal.id}/edit"
    data = {"title": "Routes, revised", "description": "Second", "version": goal.version,
            "csrf_token": _token(client, path)}
    before = _table_counts()
    crash_on("revised")
    _assert_500_and_nothing_written(client, path, data, before)
    goal = db.session.get(Goal, goal.id)
    assert (goal.title, goal.revision_number, goal.version) == ("Routes", 1, data["version"])
    assert db.session.scalar(db.select(db.func.count(GoalRevision.id)).where(GoalRevision.goal_id == goal.id)) == 1


def test_a_crash_inside_a_checkup_log_keeps_the_attendees_it_had(client, world, crash_on):
    checkup = create_checkup(world.project, days_ago=1)
    db.session.commit()
    client.login(world.student)
    path = f"/projects/{world.project.id}/checkups/{checkup.id}/log"
    token = _token(client, path)
    first = client.post(path, data={"attendees": [world.student.id, world.partner.id], "guests": "Gert Guest",
                                    "summary": "We met.", "decisions": "Pilot in May", "version": checkup.version,
                                    "csrf_token": token})
    assert first.status_code == 303
    db.session.expire_all()
    checkup = db.session.get(CheckUp, checkup.id)
    attendees = sorted(a.name for a in checkup.attendees)
    before = _table_counts()
    crash_on("edited")  # the log is rewritten: attendees deleted, new ones added, then the crash
    _assert_500_and_nothing_written(client, path, {
        "attendees": [world.student.id], "guests": "Other Guest\nThird Guest", "summary": "Rewritten.",
        "decisions": "", "version": checkup.version, "csrf_token": token}, before)
    db.session.expire_all()
    checkup = db.session.get(CheckUp, checkup.id)
    assert sorted(a.name for a in checkup.attendees) == attendees and checkup.summary == "We met."


def test_a_crash_inside_a_new_deliverable_version_stores_no_file(client, world, crash_on):
    import io

    deliverable = create_deliverable(world.project, title="Route planner")
    db.session.commit()
    client.login(world.student)
    path = f"/projects/{world.project.id}/deliverables/{deliverable.id}/versions/new"
    data = {"note": "First draft", "links": "https://example.org/map Map", "csrf_token": _token(client, path),
            "files": (io.BytesIO(b"%PDF-1.4 a small file"), "plan.pdf")}
    before = _table_counts()
    crash_on("added_version")
    _assert_500_and_nothing_written(client, path, data, before)
    assert before["stored_file"] == 0 and before["deliverable_version"] == 0
    version = db.session.execute(text("SELECT version FROM deliverable WHERE id = :id"), {"id": deliverable.id})
    assert version.scalar() == deliverable.version
