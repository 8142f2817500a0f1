"""The login limit holds across two gunicorn workers sharing Redis (figure 6).

Starts gunicorn (2 sync workers, REDIS_URL set, a throw-away SQLite database) on a free
loopback port, sends failed logins over fresh connections, and checks from gunicorn's own
access log (which records the worker's pid) that both workers answered.
"""
import os
import re
import subprocess
import sys
import threading
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
                "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(m)s %(U)s %(s)s")) as server:
            yield server.base, access_log
    finally:
        for key in redis.scan_iter(prefix + "*"):
            redis.delete(key)


def test_login_limit_holds_across_two_gunicorn_workers(server):
    base, access_log = server
    # Failed logins go out in simultaneous pairs, so both workers must answer (one sequential
    # client is often served by a single worker). The limit of 10 falls between two pairs.
    answers = []
    for pair in range(8):
        barrier = threading.Barrier(2)
        results = [None, None]

        def attempt(i, pair=pair, barrier=barrier, results=results):
            barrier.wait()
            results[i] = _attempt(base, f"nobody{pair}-{i}@example.org", "wrong-password")

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        answers.append(sorted(results))
    # the right password from the same IP is refused too, once the IP is over its limit
    final = _attempt(base, "walt@example.org", "walt-password-1")
    assert answers[:5] == [[422, 422]] * 5, answers
    assert answers[5:] == [[429, 429]] * 3 and final == 429, (answers, final)
    time.sleep(0.5)  # let gunicorn flush its access log
    pids = {line.split()[0] for line in access_log.read_text().splitlines() if " POST /login " in line}
    assert len(pids) == 2, f"the POSTs were answered by {len(pids)} worker(s); the test proves nothing"
