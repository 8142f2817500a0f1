"""Several servers (issue 8, figure 8): scripts/two_servers.py against the test's PostgreSQL
database and Redis: sessions, uploaded files, the login limit and every change are shared by
two gunicorn instances. Skipped on SQLite or without Redis, except in CI with PostgreSQL, where
it must run (.ci/run starts Redis)."""
import os
import subprocess
import sys

import pytest

from .servers import ONE_AT_A_TIME, ROOT, UNSET

pytestmark = ONE_AT_A_TIME

REDIS_URL = "redis://127.0.0.1:6379/2"


def _redis_reachable() -> bool:
    redis = pytest.importorskip("redis")
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.exceptions.ConnectionError:
        return False


def test_two_servers_share_sessions_files_limits_and_changes(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("two servers share one PostgreSQL database: set DATABASE_URL=postgresql://… to run this")
    if not _redis_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI runs this on PostgreSQL and needs Redis at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL} (start it with `redis-server --daemonize yes`)")
    env = {key: value for key, value in os.environ.items() if key not in UNSET}
    env.update(DATABASE_URL=database_url, REDIS_URL=REDIS_URL)
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "two_servers.py")], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=240)
    print(run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr[-5000:]
    assert "16 checks passed, 0 failed" in run.stdout
