"""The shipped deployment files: start-up checks (refuse or warn), gunicorn with deploy/gunicorn.conf.py
(redacted access log with request ids, metrics added up across workers, a refusing start), and the
nginx site's log map covering every route with a secret in its path."""
import json
import logging
import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from workspace import create_app
from workspace.ops.redact import RedactFilter
from workspace.startup import StartupRefused, check, mail_problems

from .servers import GUNICORN, ONE_AT_A_TIME, ROOT, free_port, gunicorn, server_env

GOOD_KEY = "k" * 16 + uuid.uuid4().hex
POSTGRES = "postgresql+psycopg://ws@db.example.org/ws"


def _config(**settings):
    return {"SECRET_KEY": GOOD_KEY, "SQLALCHEMY_DATABASE_URI": POSTGRES, "REDIS_URL": "redis://r:6379/0",
            "MAIL_SERVER": "", "MAIL_PORT": 587, **settings}


# ---- start-up checks -----------------------------------------------------------------------------

@pytest.mark.parametrize("key, reason", [
    ("", "SECRET_KEY is not set"),
    ("change-me", "SECRET_KEY is a placeholder"),
    ("test-secret-key", "SECRET_KEY is a placeholder"),
    ("short-but-random-9f8e7d", "SECRET_KEY is 23 characters"),
])
def test_a_missing_or_weak_secret_key_refuses_to_start(key, reason):
    with pytest.raises(StartupRefused) as refused:
        check(_config(SECRET_KEY=key))
    message = str(refused.value)
    assert message.startswith("The workspace refuses to start:") and reason in message
    assert "secrets.token_hex(32)" in message  # says how to fix it


def test_a_good_configuration_starts_silently(caplog):
    with caplog.at_level(logging.WARNING, "workspace.startup"):
        assert check(_config(), workers=5) == []
    assert caplog.records == []


def test_sqlite_with_several_workers_refuses_one_worker_is_fine():
    sqlite = _config(SQLALCHEMY_DATABASE_URI="sqlite:////srv/ws/instance/workspace.db")
    with pytest.raises(StartupRefused, match="SQLite with 3 workers"):
        check(sqlite, workers=3)
    assert check(sqlite, workers=1) == []


def test_all_fatal_problems_in_one_message():
    with pytest.raises(StartupRefused) as refused:
        check(_config(SECRET_KEY="x", SQLALCHEMY_DATABASE_URI="sqlite:///w.db"), workers=2)
    lines = str(refused.value).splitlines()
    assert len(lines) == 3 and "SECRET_KEY" in lines[1] and "SQLite" in lines[2]


def test_several_workers_without_redis_only_warn(caplog):
    with caplog.at_level(logging.WARNING, "workspace.startup"):
        problems = check(_config(REDIS_URL=""), workers=4)
    assert [p.fatal for p in problems] == [False]
    assert "4 workers without REDIS_URL" in caplog.text
    assert check(_config(REDIS_URL=""), workers=1) == []


def test_mail_server_checks():
    assert [p.fatal for p in mail_problems("", 587)] == [False]  # only logged: a warning
    unresolvable = mail_problems("no-such-host.invalid", 587, timeout=1)
    assert unresolvable[0].fatal and "does not resolve" in unresolvable[0].message
    closed = mail_problems("127.0.0.1", free_port(), timeout=1)
    assert not closed[0].fatal and "outbox" in closed[0].message
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        assert mail_problems("127.0.0.1", listening.getsockname()[1], timeout=1) == []


def test_mail_checks_run_only_when_asked():
    with pytest.raises(StartupRefused, match="does not resolve"):
        check(_config(MAIL_SERVER="no-such-host.invalid"), network=True)
    assert check(_config(MAIL_SERVER="no-such-host.invalid")) == []


def test_create_app_in_production_refuses_a_weak_key(tmp_path):
    with pytest.raises(StartupRefused, match="SECRET_KEY is a placeholder"):
        create_app("production", SECRET_KEY="changeme")
    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        app = create_app("production", SECRET_KEY=GOOD_KEY, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.db'}")
        ours = [h for h in root.handlers if getattr(h, "_workspace", False)]
    finally:
        root.handlers[:] = handlers  # production logging goes to stderr; the suite keeps its own
    assert app.config["SECRET_KEY"] == GOOD_KEY
    # Production redacts every logger, the mail log included (only development keeps mail links).
    assert len(ours) == 1 and [f.exempt for f in ours[0].filters if isinstance(f, RedactFilter)] == [()]


# ---- gunicorn with the shipped configuration ------------------------------------------------------

CONF = ("-c", str(ROOT / "deploy" / "gunicorn.conf.py"))


@ONE_AT_A_TIME
def test_gunicorn_refuses_to_start_with_one_clear_message(tmp_path):
    env = server_env(f"sqlite:///{tmp_path / 'r.db'}", WORKSPACE_CONFIG="production", SECRET_KEY="change-me",
                     WEB_CONCURRENCY=3, PROMETHEUS_MULTIPROC_DIR=tmp_path / "metrics")
    result = subprocess.run([str(GUNICORN), *CONF, "--bind", f"127.0.0.1:{free_port()}", "wsgi:app"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 3
    assert result.stderr.count("The workspace refuses to start:") == 1
    assert "SECRET_KEY is a placeholder" in result.stderr and "SQLite with 3 workers" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Booting worker" not in result.stderr


def _get(url, headers=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@ONE_AT_A_TIME
def test_gunicorn_access_log_is_redacted_and_metrics_add_up_across_workers(tmp_path, database_url):
    if database_url.startswith("sqlite"):
        database_url = f"sqlite:///{tmp_path / 'g.db'}"
        subprocess.run([sys.executable, "-c", "from workspace import create_app\nfrom workspace.extensions import db\n"
                        "app = create_app('development')\nwith app.app_context(): db.create_all()"],
                       cwd=ROOT, env=server_env(database_url), check=True, timeout=60)
    access_log = tmp_path / "access.log"
    env = server_env(database_url, ACCESS_LOG=access_log, PROMETHEUS_MULTIPROC_DIR=tmp_path / "metrics",
                     LOG_FORMAT="json")
    token = "Gu" + "n1c0rn" * 7
    with gunicorn(env, tmp_path, workers=2, options=CONF) as server:
        paths = [f"/invitations/{token}", f"/password/reset/{token}?next=/home", f"/login/link/{token}",
                 f"/calendar/1/{token}.ics", f"/questions/t/{token}", f"/login?next=%2Finvitations%2F{token}"]
        for path in paths:
            status, _ = _get(server.base + path, {"Referer": f"https://elsewhere.example/invitations/{token}"})
            assert status < 500
        answers = []
        for _batch in range(25):  # simultaneous requests until both workers have answered some
            with ThreadPoolExecutor(4) as pool:
                answers += pool.map(lambda _: _get(server.base + "/healthz", {"X-Request-ID": "deploy-test-1"})[0],
                                    range(40))
            if len([n for n in os.listdir(tmp_path / "metrics") if n.startswith("counter_")]) >= 2:
                break
        assert answers == [200] * len(answers)
        status, metrics = _get(server.base + "/metrics")
    assert status == 200
    writers = {name.rsplit("_", 1)[1] for name in os.listdir(tmp_path / "metrics") if name.startswith("counter_")}
    assert len(writers) == 2  # two worker processes wrote samples...
    count = re.search(r'workspace_responses_total\{endpoint="main\.healthz",method="GET",status="200"\} (\S+)', metrics)
    assert count and float(count.group(1)) >= len(answers)  # ...and one answer adds them up
    entries = [json.loads(line) for line in access_log.read_text().splitlines()]
    assert token not in json.dumps(entries) and sum("***" in e["path"] + e["query"] for e in entries) >= len(paths)
    assert {"/invitations/***", "/calendar/1/***.ics", "/questions/t/***"} <= {e["path"] for e in entries}
    assert [e["status"] for e in entries if e["request_id"] == "deploy-test-1"] == ["200"] * len(answers)
    assert token not in server.log()


# ---- the nginx site ------------------------------------------------------------------------------

def _nginx_patterns():
    conf = (ROOT / "deploy" / "nginx" / "workspace.conf").read_text()
    block = conf.split("map $request_uri $workspace_loggable_uri {", 1)[1].split("\n}", 1)[0]
    patterns = []
    for match in re.finditer(r'"~(\*?)(\^[^"]+)"', block):
        patterns.append(re.compile(match.group(2), re.I if match.group(1) else 0))
    return patterns


def test_the_nginx_access_log_masks_every_secret_route(app):
    """Every route with a token/code/secret/key argument is masked by the site's log map, with a short
    secret too (the long-segment rule alone would only catch long ones)."""
    from .test_ops import _secret_urls

    patterns = _nginx_patterns()
    assert len(patterns) == 3
    for endpoint, path in _secret_urls(app).items():
        for uri in (path, f"/login?next={path.replace('/', '%2F')}"):
            masked = next((p.sub(r"\1***\2", uri) for p in patterns if p.match(uri)), uri)
            assert "SeCrEt" not in masked, (endpoint, uri, masked)
    plain = "/projects/3/goals/4?page=2"
    assert not any(p.match(plain) for p in patterns)


@pytest.mark.parametrize("settings, expected", [
    ({"MAX_WORKERS": "3"}, lambda cores: min(2 * cores + 1, 3)),
    ({}, lambda cores: min(2 * cores + 1, 8)),
    ({"WEB_CONCURRENCY": "7", "MAX_WORKERS": "3"}, lambda cores: 7),
])
def test_gunicorn_workers_follow_the_cores_capped_by_the_environment(monkeypatch, tmp_path, settings, expected):
    import multiprocessing
    import runpy

    for name in ("WEB_CONCURRENCY", "MAX_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))  # restored afterwards: the suite runs single-process
    conf = runpy.run_path(CONF[1])
    assert conf["workers"] == expected(multiprocessing.cpu_count())
    assert (conf["timeout"], conf["graceful_timeout"]) == (30, 30)
    assert not conf.get("preload_app")  # nothing preloaded in the master: a HUP loads the new code
