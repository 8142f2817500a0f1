"""Live updates: what is published to Redis after a commit (and not after a rollback, and not to people
without access), who the stream service lets in, what it sends, and the pages without it.

Needs Redis at 127.0.0.1:6379 (pub/sub channels get a prefix of this test's own); skipped without
it, except in CI (CI=true), where it must run."""
import asyncio
import gzip
import json
import os
import re
import socket
import threading
import time
import uuid
from contextlib import contextmanager

import pytest
import redis

from workspace import activity
from workspace.extensions import db
from workspace.goals import services as goals
from workspace.live.access import listener
from workspace.live.stream import StreamServer

from .factories import create_checkup, create_deliverable, create_deliverable_version, create_goal
from .servers import free_port

REDIS_URL = "redis://127.0.0.1:6379/3"


def _redis_or_skip():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI runs the live-update tests and needs Redis at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL} (start it with `redis-server --daemonize yes`)")


class Heard:
    """Everything published under this test's prefix, as (channel without prefix, payload)."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.client = redis.Redis.from_url(REDIS_URL)
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.psubscribe(prefix + "*")
        self.pubsub.get_message(timeout=1)  # the subscription's confirmation
        self.messages = []

    def __call__(self, wait=0.3):
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            message = self.pubsub.get_message(timeout=0.05)
            if message:
                self.messages.append((message["channel"].decode()[len(self.prefix):], json.loads(message["data"])))
        return self.messages

    def close(self):
        self.pubsub.close()
        self.client.close()


@pytest.fixture
def live(app, monkeypatch):
    """Live updates on, against the local Redis, on channels no other test uses."""
    _redis_or_skip()
    prefix = f"test-{uuid.uuid4().hex[:10]}:"
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "LIVE_CHANNEL_PREFIX", prefix)
    monkeypatch.setitem(app.config, "STREAM_URL", "/stream/")
    heard = Heard(prefix)
    yield heard
    heard.close()


def approve(client, goal):
    return client.post_form(f"/projects/{goal.project_id}/goals/{goal.id}/approve",
                            {"version": goal.version, "view": "board"}, htmx=True)


# ---- publishing after commit ---------------------------------------------------------------------

def test_agreeing_to_a_goal_publishes_the_goal_and_badges_after_commit(client, world, live):
    goal = create_goal(world.project, world.student, title="Families wait less")
    db.session.commit()
    client.login(world.partner)
    assert approve(client, goal).status_code == 200
    heard = live()
    project = f"project:{world.project.id}"
    assert (project, {"event": "goal-changed", "project": world.project.id, "actor": world.partner.id,
                      "id": goal.id}) in heard
    badges = {channel for channel, payload in heard if payload == {"event": "badge-changed"}}
    # Everyone of the project but the one who acted; nobody from the other course.
    assert badges == {f"user:{world.student.id}", f"user:{world.teacher.id}"}
    assert {channel for channel, _ in heard} == badges | {project}
    assert "Families" not in json.dumps(heard)  # names and ids only, never what people wrote


def test_a_comment_and_a_confirmed_check_up_are_published(client, world, live):
    goal = create_goal(world.project, world.student, state="agreed")
    checkup = create_checkup(world.project, state="logged")
    db.session.commit()
    client.login(world.partner)
    response = client.post_form(f"/projects/{world.project.id}/goals/{goal.id}/comments", {"body": "Looks good"})
    assert response.status_code == 303
    response = client.post_form(f"/projects/{world.project.id}/checkups/{checkup.id}/confirm", {"version": checkup.version})
    assert response.status_code == 303, response.get_data(as_text=True)
    events = [(payload["event"], payload.get("id")) for channel, payload in live() if channel.startswith("project:")]
    assert events == [("goal-changed", goal.id), ("checkup-changed", checkup.id)]


def test_a_reviewed_version_is_published_and_an_invalid_review_is_not(client, world, live):
    deliverable = create_deliverable(world.project, state="in_review")
    version = create_deliverable_version(deliverable, submitted_by=world.student)
    db.session.commit()
    client.login(world.partner)
    review = f"/projects/{world.project.id}/deliverables/{deliverable.id}/versions/{version.id}/review"
    assert client.post_form(review, {"decision": "changes_requested", "comment": ""}, htmx=True).status_code == 422
    assert live() == []
    assert client.post_form(review, {"decision": "approved", "comment": "Fine"}).status_code == 303
    assert [(channel, payload["event"], payload.get("id")) for channel, payload in live() if "project" in payload] == [
        (f"project:{world.project.id}", "deliverable-changed", deliverable.id)]


def test_nothing_is_published_for_a_rolled_back_change(app, world, live):
    goal = create_goal(world.project, world.student)
    db.session.commit()
    with app.test_request_context():
        activity.record(world.partner, "approved", goal, "rolled back", project=world.project)
        db.session.rollback()
        db.session.commit()
    assert live() == []
    with app.test_request_context():
        activity.record(world.partner, "approved", goal, "kept", project=world.project)
        db.session.commit()
    assert ("project:%d" % world.project.id, {"event": "goal-changed", "project": world.project.id,
                                               "actor": world.partner.id, "id": goal.id}) in live()


def test_a_change_no_live_part_shows_only_moves_the_badges(app, world, live):
    with app.test_request_context():
        activity.record(world.student, "edited", world.project, "edited the project", project=world.project)
        db.session.commit()
    assert sorted(live()) == sorted([(f"user:{world.partner.id}", {"event": "badge-changed"}),
                                     (f"user:{world.teacher.id}", {"event": "badge-changed"})])


def test_a_refused_step_publishes_nothing(client, world, live):
    goal = create_goal(world.project, world.student)
    db.session.commit()
    client.login(world.student)  # one's own proposal cannot be agreed by one's own side
    assert approve(client, goal).status_code in (403, 409)
    assert live() == []


def test_without_redis_nothing_is_published_and_pages_have_no_stream(client, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    goal = create_goal(world.project, world.student)
    db.session.commit()
    client.login(world.partner)
    page = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert "sse-connect" not in page and "htmx-ext-sse" not in page and "sse:" not in page
    assert approve(client, goal).status_code == 200
    assert "live_events" not in db.session.info


# ---- the pages -----------------------------------------------------------------------------------

def test_pages_listen_to_their_project_and_parts_fetch_themselves_again(client, world, live):
    goal = create_goal(world.project, world.student)
    checkup = create_checkup(world.project)
    deliverable = create_deliverable(world.project)
    db.session.commit()
    client.login(world.student)
    board = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert f'hx-ext="sse" sse-connect="/stream/?project={world.project.id}"' in board
    assert re.search(r'src="/static/vendor/htmx-ext-sse-2\.2\.4\.min\.js\?v=', board)
    assert 'id="goals"' in board and 'hx-trigger="sse:goal-changed, live-refresh"' in board
    # Only its own hx-select and hx-swap stop at the part: forms and links inside still inherit the body's.
    assert 'hx-select="#goals" hx-swap="outerHTML" hx-disinherit="hx-select hx-swap"' in board
    assert 'hx-trigger="sse:checkup-changed, live-refresh"' in board
    assert 'hx-get="/live/badge" hx-trigger="sse:badge-changed"' in board
    page = client.get(f"/projects/{world.project.id}/goals/{goal.id}").get_data(as_text=True)
    assert f'hx-trigger="sse:goal-changed-{goal.id}, live-refresh"' in page and 'hx-select="#live-goal"' in page
    page = client.get(f"/projects/{world.project.id}/checkups/{checkup.id}").get_data(as_text=True)
    assert f'hx-trigger="sse:checkup-changed-{checkup.id}, live-refresh"' in page
    home = client.get("/home").get_data(as_text=True)
    assert 'sse-connect="/stream/"' in home and 'hx-trigger="sse:badge-changed, live-refresh"' in home
    # What a part fetches (with htmx's header) holds the part itself, so hx-select finds it.
    for path, part in [(f"/projects/{world.project.id}", 'id="goals"'),
                       (f"/projects/{world.project.id}", 'id="board-checkups"'),
                       (f"/projects/{world.project.id}/goals/{goal.id}", 'id="live-goal"'),
                       (f"/projects/{world.project.id}/checkups/{checkup.id}", 'id="live-checkup"'),
                       (f"/projects/{world.project.id}/deliverables/{deliverable.id}", 'id="live-deliverable"'),
                       (f"/projects/{world.project.id}", 'id="deliverables-section"'),
                       ("/home", 'id="live-home"')]:
        assert part in client.get(path, headers={"HX-Request": "true"}).get_data(as_text=True), path


def test_live_updates_can_be_switched_off_with_an_empty_stream_url(client, world, live, app, monkeypatch):
    monkeypatch.setitem(app.config, "STREAM_URL", "")
    client.login(world.student)
    board = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert "sse-connect" not in board and "htmx-ext-sse" not in board


def test_the_badge_fragment_counts_what_waits(client, world, live):
    goal = create_goal(world.project, world.student)
    db.session.commit()
    client.login(world.partner)
    response = client.get("/live/badge")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert re.search(r'<span id="waiting-badge"[^>]*> <span class="badge-count">1</span>', response.get_data(as_text=True))


def test_css_and_javascript_stay_within_budget_with_live_updates(client, world, live):
    client.login(world.student)
    html = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    total = sum(len(gzip.compress(client.get(path).get_data()))
                for path in re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js)\?v=[0-9a-f]+)"', html))
    assert 0 < total <= 40 * 1024


# ---- who the stream lets in ----------------------------------------------------------------------

def cookie_of(client):
    return f"session={client.get_cookie('session').value}"


def test_the_stream_lets_in_a_member_for_their_own_project_only(app, client, world, live):
    client.login(world.student)
    cookie = cookie_of(client)
    status, user_id, channels = listener(app, cookie, world.project.id)
    prefix = app.config["LIVE_CHANNEL_PREFIX"]
    assert (status, user_id) == (200, world.student.id)
    assert channels == [f"{prefix}user:{world.student.id}", f"{prefix}project:{world.project.id}"]
    assert listener(app, cookie, world.other_project.id)[0] == 403
    assert listener(app, cookie, 2**31)[0] == 403 and listener(app, cookie, 2**62)[0] == 403
    assert listener(app, cookie, None)[:2] == (200, world.student.id)


def test_the_stream_refuses_anonymous_forged_and_logged_out_cookies(app, client, world, live):
    assert listener(app, "", world.project.id)[0] == 401
    assert listener(app, "session=forged.value.here", world.project.id)[0] == 401
    client.login(world.partner)
    cookie = cookie_of(client)
    assert listener(app, cookie, world.project.id)[0] == 200
    client.logout()
    assert listener(app, cookie, world.project.id)[0] == 401  # the copy kept from before logging out


# ---- the stream service over HTTP ----------------------------------------------------------------

@contextmanager
def stream_service(app, **config):
    """The stream service in a thread of this process, on a free port, stopped afterwards."""
    before = {key: app.config[key] for key in config}
    app.config.update(config)
    port, holder, ready = free_port(), {}, threading.Event()

    async def main():
        holder["loop"], holder["stop"] = asyncio.get_running_loop(), asyncio.Event()
        ready.set()
        await StreamServer(app).run("127.0.0.1", port, holder["stop"])

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    ready.wait(5)
    deadline = time.monotonic() + 5
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "the stream service did not start"
            time.sleep(0.05)
    try:
        yield port
    finally:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join(10)
        assert not thread.is_alive(), "the stream service did not stop"
        app.config.update(before)


class Stream:
    """A raw HTTP client reading the event stream, as a browser's EventSource would."""

    def __init__(self, port, path, cookie=""):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        headers = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        if cookie:
            headers += f"Cookie: {cookie}\r\n"
        self.sock.sendall((headers + "\r\n").encode())
        self.buffer = b""

    def read_until(self, needle: bytes, timeout=3.0) -> bytes:
        deadline = time.monotonic() + timeout
        while needle not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(4096)
            except TimeoutError:
                break
            if not chunk:
                break
            self.buffer += chunk
        return self.buffer

    def close(self):
        self.sock.close()


def test_the_stream_sends_others_changes_within_two_seconds_and_not_ones_own(app, client, world, live):
    goal = create_goal(world.project, world.student)
    own = create_goal(world.project, world.partner, side="partner")
    db.session.commit()
    client.login(world.student)
    student_cookie = cookie_of(client)
    with stream_service(app, STREAM_HEARTBEAT_SECONDS=0.3) as port:
        stream = Stream(port, f"/stream/?project={world.project.id}", student_cookie)
        head = stream.read_until(b": connected\n\n")
        assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"Content-Type: text/event-stream" in head
        assert b"retry: 2000" in head
        assert b": heartbeat" in stream.read_until(b": heartbeat")

        # The student agrees to the partner's goal: their own action is not sent back to them.
        assert approve(client, own).status_code == 200
        client.login(world.partner)
        started = time.monotonic()
        assert approve(client, goal).status_code == 200
        received = stream.read_until(f"event: goal-changed-{goal.id}\n".encode())
        assert time.monotonic() - started < 2
        assert f"event: goal-changed\ndata: {{\"project\":{world.project.id},\"id\":{goal.id}}}\n\n".encode() in received
        assert f"goal-changed-{own.id}".encode() not in received
        assert b"event: badge-changed" in stream.read_until(b"event: badge-changed")
        stopping = time.monotonic()
    # Stopping the service ends the open stream at once (the browser reconnects elsewhere).
    assert time.monotonic() - stopping < 2
    stream.sock.settimeout(2)
    assert stream.sock.recv(4096) == b""
    stream.close()


def test_the_stream_refuses_over_http_and_ends_for_a_logged_out_session(app, client, world, live):
    client.login(world.student)
    cookie = cookie_of(client)
    with stream_service(app, STREAM_HEARTBEAT_SECONDS=0.2, STREAM_RECHECK_SECONDS=0.2) as port:
        for path, sent, status in [("/stream/", "", b"401"), (f"/stream/?project={world.other_project.id}", cookie, b"403"),
                                   ("/stream/?project=abc", cookie, b"400")]:
            stream = Stream(port, path, sent)
            assert stream.read_until(b"\r\n").startswith(b"HTTP/1.1 " + status), path
            stream.close()
        stream = Stream(port, f"/stream/?project={world.project.id}", cookie)
        assert b": connected" in stream.read_until(b": connected")
        client.logout()
        ended = time.monotonic()
        while stream.sock.recv(4096):  # heartbeats until the next check finds the session ended
            assert time.monotonic() - ended < 3, "the stream went on after logout"
        stream.close()


def test_flask_stream_refuses_to_start_without_redis(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    result = app.test_cli_runner().invoke(args=["stream", "--port", str(free_port())])
    assert result.exit_code == 2 and "Set REDIS_URL" in result.output


def test_the_stream_answers_503_when_it_cannot_check_the_session(app, client, world, live, monkeypatch):
    def unreachable(*args):
        raise ConnectionError("database down")

    monkeypatch.setattr("workspace.live.stream.listener", unreachable)
    with stream_service(app) as port:
        stream = Stream(port, "/stream/", "session=whatever")
        assert stream.read_until(b"\r\n").startswith(b"HTTP/1.1 503")
        stream.close()


def test_a_change_is_saved_when_redis_is_down_and_requests_do_not_wait_for_it(client, world, app, monkeypatch, caplog):
    port = free_port()  # nothing listens there
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{port}/0")
    monkeypatch.setitem(app.extensions, "live_state", {"quiet_until": 0.0})  # removed again afterwards
    first, second = create_goal(world.project, world.student), create_goal(world.project, world.student)
    db.session.commit()
    client.login(world.partner)
    assert approve(client, first).status_code == 200
    assert "live update not published" in caplog.text
    started = time.monotonic()
    assert approve(client, second).status_code == 200  # within the quiet time: no second attempt
    assert time.monotonic() - started < 2 and caplog.text.count("live update not published") == 1
    db.session.expire_all()
    assert {goal.state for goal in db.session.scalars(db.select(type(first)))} == {"agreed"}


def test_a_browser_that_stops_reading_misses_events_without_stalling_the_others():
    from workspace.live.stream import Hub

    hub, slow, quick = Hub(REDIS_URL, "p:"), asyncio.Queue(maxsize=1), asyncio.Queue(maxsize=10)
    hub.join(["p:project:1"], slow)
    hub.join(["p:project:1", "p:user:2"], quick)
    for _ in range(3):
        hub.deliver("p:project:1", b"{}")
    assert (slow.qsize(), quick.qsize()) == (1, 3)
    hub.leave(["p:project:1", "p:user:2"], quick)
    hub.leave(["p:project:1"], slow)
    assert hub.queues == {}
