"""The login limit holds across two gunicorn workers sharing Redis (figure 6).

Starts gunicorn (2 sync workers, REDIS_URL set, a throw-away SQLite database) on a free
loopback port and sends failed logins over fresh connections: the first five to one worker,
the next five to the other (a sync worker that has accepted a half-sent request waits on it,
so the other one answers everything else), and checks from gunicorn's own access log (which
records the worker's pid) that both workers answered.
"""
import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar

import pytest

from .servers import ONE_AT_A_TIME, ROOT, gunicorn

pytestmark = ONE_AT_A_TIME

REDIS_URL = "redis://127.0.0.1:6379/0"
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _redis():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379 (start it with `redis-server --daemonize yes`)")
    return client


def _attempt(base: str, email: str, password: str) -> int:
    """One login from a fresh browser: GET the form, POST it; each request a new connection."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    html = opener.open(base + "/login", timeout=10).read().decode()
    token = TOKEN_RE.search(html).group(1)
    body = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token}).encode()
    try:
        return opener.open(urllib.request.Request(base + "/login", data=body), timeout=10).status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def server(tmp_path):
    """gunicorn with 2 workers on its own database and Redis key prefix; stopped afterwards."""
    redis = _redis()
    prefix = f"test-workers:{uuid.uuid4().hex}:"
    database = f"sqlite:///{tmp_path / 'workers.db'}"
    env = {**os.environ, "WORKSPACE_CONFIG": "development", "SECRET_KEY": uuid.uuid4().hex,
           "DATABASE_URL": database, "REDIS_URL": REDIS_URL, "RATELIMIT_PREFIX": prefix}
    subprocess.run([sys.executable, "-c", (
        "from workspace import create_app\nfrom workspace.extensions import db\n"
        "from workspace.models import User\napp = create_app()\n"
        "with app.app_context():\n    db.create_all()\n"
        "    u = User(email='walt@example.org', name='Walt Worker'); u.set_password('walt-password-1')\n"
        "    db.session.add(u); db.session.commit()\n"
    )], cwd=ROOT, env=env, check=True, timeout=60)
    access_log = tmp_path / "access.log"
    try:
        with gunicorn(env, tmp_path, workers=2, options=(
                "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(m)s %(U)s %(s)s %(q)s")) as server:
            yield server.base, access_log
    finally:
        for key in redis.scan_iter(prefix + "*"):
            redis.delete(key)


def _log_lines(access_log, needle: str, count: int = 1) -> list:
    """The access log's lines holding `needle`, once there are `count` of them (gunicorn writes a
    line just after it has sent the answer)."""
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in access_log.read_text().splitlines() if needle in line] if access_log.exists() else []
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)


def _hold(host: str, port: int) -> socket.socket:
    """A connection that has sent half a request: the sync worker that accepts it waits on it."""
    hold = socket.create_connection((host, port), timeout=60)
    hold.sendall(b"GET /healthz HTTP/1.1\r\nHost: " + host.encode() + b"\r\n")  # the headers never end
    time.sleep(0.1)  # accepted before the next connection
    return hold


def _free_worker(base: str, access_log) -> str:
    """The pid of the worker that answers now (the other one may still be starting: up to 60 s)."""
    probe = uuid.uuid4().hex
    urllib.request.urlopen(f"{base}/healthz?probe={probe}", timeout=60).read()
    lines = _log_lines(access_log, probe)
    assert lines, f"no access log line for the probe {probe}"
    return lines[0].split()[0]


@contextlib.contextmanager
def _the_other_worker_held(base: str, access_log, busy_pid=None):
    """Keep one worker waiting on a half-sent request so that every other request goes to the other
    one; with `busy_pid`, the held worker is that one. Yields the free worker's pid."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    holds = [_hold(host, int(port))]
    try:
        free = _free_worker(base, access_log)
        if busy_pid is not None and free == busy_pid:
            # the other worker is held: hold this one too (it is the only one free), then let the other go
            holds.append(_hold(host, int(port)))
            holds.pop(0).close()
            free = _free_worker(base, access_log)
            assert free != busy_pid, "the worker to hold is still free"
        yield free
    finally:
        for hold in holds:
            hold.close()


def test_login_limit_holds_across_two_gunicorn_workers(server):
    base, access_log = server
    # Five failed logins answered by one worker, five by the other; the limit of 10 is shared
    # through Redis, so the eleventh is refused whichever worker takes it.
    answers = []
    with _the_other_worker_held(base, access_log) as first:
        answers += [_attempt(base, f"nobody{n}@example.org", "wrong-password") for n in range(5)]
    with _the_other_worker_held(base, access_log, first) as second:
        answers += [_attempt(base, f"nobody{n}@example.org", "wrong-password") for n in range(5, 10)]
    answers += [_attempt(base, f"nobody{n}@example.org", "wrong-password") for n in range(10, 16)]
    # the right password from the same IP is refused too, once the IP is over its limit
    final = _attempt(base, "walt@example.org", "walt-password-1")
    assert answers[:10] == [422] * 10, answers
    assert answers[10:] == [429] * 6 and final == 429, (answers, final)
    posts = _log_lines(access_log, " POST /login ", 17)
    pids = [line.split()[0] for line in posts[:10]]
    assert pids == [first] * 5 + [second] * 5, posts
