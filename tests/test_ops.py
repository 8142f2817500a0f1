"""Observability and secrets in URLs (issues 17 and 20): /metrics per route and only for allowed
addresses, /readyz, request ids on responses and log lines, JSON logs, redacted token paths,
Referrer-Policy on secret pages, the client address from X-Forwarded-For behind a proxy."""
import io
import json
import logging
import re
import threading
import urllib.request
from contextlib import contextmanager
from datetime import timedelta

import pytest
from werkzeug.serving import make_server

from workspace import create_app
from workspace.extensions import db
from workspace.models import AuditEvent, OutboxMessage, PasswordResetToken
from workspace.models.base import utcnow
from workspace.ops import logs
from workspace.ops.metrics import _allowed_networks
from workspace.ops.redact import carries_secret, redact
from workspace.security import new_token

from .factories import create_user


def _sample(text: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus text, 0 when absent."""
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0])) if "{" in line else {}
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


@contextmanager
def captured_logs(fmt="plain"):
    """Our production handler (request ids, redaction, format) on the root logger for a while."""
    stream = io.StringIO()
    handler = logs.make_handler(stream, fmt)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def _reset_token(user) -> str:
    token, digest = new_token()
    db.session.add(PasswordResetToken(user=user, token_hash=digest, expires_at=utcnow() + timedelta(hours=1)))
    db.session.commit()
    return token


# ---- /metrics -----------------------------------------------------------------------------------

def test_metrics_count_requests_per_route_endpoint_not_per_path(client, world):
    before = client.get("/metrics").get_data(as_text=True)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    client.login(world.student)
    assert client.get(f"/projects/{world.project.id}").status_code == 200
    assert client.get(f"/projects/{world.other_project.id}").status_code == 404
    secret = "s3cr3t-" + "x" * 20
    client.get(f"/invitations/{secret}")
    after = client.get("/metrics").get_data(as_text=True)

    def delta(name, **labels):
        return _sample(after, name, **labels) - _sample(before, name, **labels)

    assert delta("workspace_responses_total", endpoint="main.healthz", method="GET", status="200") == 3
    assert delta("workspace_request_duration_seconds_count", endpoint="main.healthz", method="GET") == 3
    assert delta("workspace_responses_total", endpoint="projects.show", method="GET", status="200") == 1
    assert delta("workspace_responses_total", endpoint="projects.show", method="GET", status="404") == 1
    assert delta("workspace_responses_total", endpoint="auth.invitation", method="GET", status="410") == 1
    # Labels are endpoint names: no raw path, no id, no token becomes a time series.
    assert secret not in after and f"/projects/{world.project.id}" not in after


def test_metrics_show_the_outbox_at_scrape_time(client):
    text = client.get("/metrics").get_data(as_text=True)
    assert _sample(text, "workspace_outbox_messages") == 0
    assert _sample(text, "workspace_outbox_oldest_unsent_seconds") == 0
    db.session.add_all([
        OutboxMessage(to="a@example.org", subject="old", body="x", created_at=utcnow() - timedelta(hours=2)),
        OutboxMessage(to="b@example.org", subject="new", body="x"),
        OutboxMessage(to="c@example.org", subject="sent", body="", sent_at=utcnow(),
                      created_at=utcnow() - timedelta(days=3)),
    ])
    db.session.commit()
    text = client.get("/metrics").get_data(as_text=True)
    assert _sample(text, "workspace_outbox_messages") == 2
    assert 7200 <= _sample(text, "workspace_outbox_oldest_unsent_seconds") < 7300


@pytest.mark.parametrize("address", ["10.1.2.3", "192.168.0.7", "2001:db8::1"])
def test_metrics_refused_from_other_addresses(client, world, address):
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 404
    assert "workspace_responses_total" not in response.get_data(as_text=True)
    client.login(world.admin)  # being an administrator does not help: the address decides
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": address}).status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    refused = db.session.scalars(db.select(AuditEvent).where(AuditEvent.event == "permission_denied")).all()
    assert [e.detail["rule"] for e in refused] == ["metrics.read", "metrics.read"]


def test_metrics_allowed_from_configured_networks(app, client):
    saved = app.extensions["metrics_allowed"]
    app.extensions["metrics_allowed"] = _allowed_networks("10.0.0.0/8, 192.0.2.5")
    try:
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.30.40"}).status_code == 200
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.5"}).status_code == 200
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.6"}).status_code == 404
        assert client.get("/metrics").status_code == 404  # 127.0.0.1 is no longer on the list
    finally:
        app.extensions["metrics_allowed"] = saved


# ---- behind a reverse proxy -----------------------------------------------------------------------

@pytest.fixture
def proxied_client(database_url):
    """The app as it runs behind nginx: TRUSTED_PROXIES=1."""
    from .conftest import Client

    proxied = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, TRUSTED_PROXIES=1,
                         LOGIN_FAILURES_PER_IP_PER_MINUTE=3)
    proxied.test_client_class = Client
    with proxied.app_context():
        yield proxied.test_client()
        db.session.remove()
        db.engine.dispose()  # its own connection pool: closed, not left to the garbage collector


def test_behind_a_proxy_the_forwarded_address_decides(proxied_client):
    user = create_user("Fred Forwarded")
    db.session.commit()
    first, second = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "203.0.113.8"}
    # The login limit counts the forwarded client, not the proxy (every request comes from 127.0.0.1).
    for _ in range(3):
        token = proxied_client.csrf_token("/login")
        bad = proxied_client.post("/login", data={"email": user.email, "password": "wrong", "csrf_token": token},
                                  headers=first)
        assert bad.status_code == 422
    token = proxied_client.csrf_token("/login")
    assert proxied_client.post("/login", data={"email": "x@example.org", "password": "wrong", "csrf_token": token},
                               headers=first).status_code == 429
    token = proxied_client.csrf_token("/login")
    assert proxied_client.post("/login", data={"email": "x@example.org", "password": "wrong", "csrf_token": token},
                               headers=second).status_code == 422
    # /metrics: a client on the internet stays outside, whatever it claims to be.
    assert proxied_client.get("/metrics", headers=first).status_code == 404
    assert proxied_client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1, 203.0.113.9"}).status_code == 404
    # Links the app builds use the scheme and host the visitor used.
    response = proxied_client.get("/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ws.example.org"})
    assert response.headers["Location"].startswith(("/login", "https://ws.example.org/login"))
    assert response.headers["Strict-Transport-Security"]


# ---- /readyz -------------------------------------------------------------------------------------

def test_readyz_answers_when_the_database_does(app, client):
    saved = app.config.get("REDIS_URL")
    app.config["REDIS_URL"] = ""
    try:
        response = client.get("/readyz")
    finally:
        app.config["REDIS_URL"] = saved
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {"database": "ok"}}
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_says_503_and_which_part_failed(app, client):
    from .servers import free_port

    saved = app.config.get("REDIS_URL")
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    try:
        response = client.get("/readyz")
    finally:
        app.config["REDIS_URL"] = saved
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "checks": {"database": "ok", "redis": "failed"}}


def test_readyz_without_a_database(tmp_path):
    from .servers import free_port

    broken = create_app("testing", SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/x",
                        REDIS_URL="")
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "checks": {"database": "failed"}}
    assert broken.test_client().get("/healthz").status_code == 200  # the process itself is fine
    with broken.app_context():
        db.engine.dispose()


def test_readyz_pings_redis_when_configured(app, client):
    import redis

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    saved = app.config.get("REDIS_URL")
    app.config["REDIS_URL"] = url
    try:
        response = client.get("/readyz")
    finally:
        app.config["REDIS_URL"] = saved
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "redis": "ok"}


# ---- request ids and logs ------------------------------------------------------------------------

def test_every_response_carries_a_request_id(client):
    ids = {client.get(path).headers["X-Request-ID"] for path in ("/healthz", "/login", "/no-such-page", "/healthz")}
    assert len(ids) == 4 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42:x_y"}).headers["X-Request-ID"] == "lb-7f3a.42:x_y"
    for insane in ("a" * 129, "has space", "semi;colon", "tab\tbed", "<script>"):
        kept = client.get("/healthz", headers={"X-Request-ID": insane}).headers["X-Request-ID"]
        assert kept != insane and re.fullmatch(r"[0-9a-f]{32}", kept)


def test_log_lines_carry_the_request_id(client, world):
    client.login(world.student)
    with captured_logs() as stream:
        response = client.get(f"/projects/{world.other_project.id}", headers={"X-Request-ID": "trace-4711"})
        logging.getLogger("workspace.test").info("outside any request")
    assert response.status_code == 404
    lines = stream.getvalue().splitlines()
    refused = [line for line in lines if "permission_denied" in line]
    assert refused and all("[trace-4711]" in line for line in refused)
    assert any(line.endswith("outside any request") and "[-]" in line for line in lines)


def test_json_logs(client, world):
    client.login(world.student)
    with captured_logs("json") as stream:
        response = client.get(f"/projects/{world.other_project.id}")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("workspace.test").exception("failed")
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    refused = [e for e in entries if "permission_denied" in e["message"]]
    assert refused and refused[0]["request_id"] == response.headers["X-Request-ID"]
    assert refused[0]["level"] == "INFO" and refused[0]["logger"] == "workspace.audit"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", refused[0]["time"])
    failed = [e for e in entries if e["message"] == "failed"]
    assert "ValueError: boom" in failed[0]["exception"] and failed[0]["request_id"] == "-"


# ---- secrets in URL paths --------------------------------------------------------------------------

def _secret_urls(app):
    """One URL per route with a secret in its path, with a recognisable fake secret in it."""
    urls = {}
    for rule in app.url_map.iter_rules():
        if carries_secret(rule):
            path = rule.rule
            for argument in rule.arguments:
                value = f"SeCrEt{argument}Value123" if re.search("token|code|secret|key", argument) else "1"
                path = re.sub(r"<(?:[^:<>]+:)?" + argument + ">", value, path)
            urls[rule.endpoint] = path
    return urls


def test_the_known_secret_routes_are_recognised(app):
    urls = _secret_urls(app)
    for endpoint in ("auth.invitation", "auth.reset_password", "notifications.use_link", "exports.calendar_feed"):
        assert endpoint in urls
    for path in urls.values():
        cleaned = redact(f'GET {path}?next=/home HTTP/1.1 "https://ws.example.org{path}"')
        assert "SeCrEt" not in cleaned and "***" in cleaned
    assert redact("GET /projects/12/goals/3?page=2 HTTP/1.1") == "GET /projects/12/goals/3?page=2 HTTP/1.1"


def test_secret_pages_send_no_referrer(app, client):
    for endpoint, path in _secret_urls(app).items():
        response = client.get(path)
        assert response.headers["Referrer-Policy"] == "no-referrer", endpoint
    assert client.get("/login").headers["Referrer-Policy"] == "same-origin"


def test_tokens_stay_out_of_the_app_log_and_the_audit(app, client):
    user = create_user("Rita Reset")
    token = _reset_token(user)
    db.session.commit()
    with captured_logs() as stream:
        assert client.get(f"/password/reset/{token}").status_code == 200
        response = client.post(f"/password/reset/{token}", data={
            "password": "a-new-password-42", "confirm": "a-new-password-42",
            "csrf_token": client.csrf_token(f"/password/reset/{token}")})
        assert response.status_code in (303, 410), response.get_data(as_text=True)[:500]
        with app.test_request_context(f"/password/reset/{token}?next=/login/link/{token}"):
            from flask import request

            logging.getLogger("workspace.test").warning("could not handle %s (%s)", request.url, request.full_path)
    output = stream.getvalue()
    assert "/password/reset/***" in output
    assert token not in output
    events = db.session.scalars(db.select(AuditEvent)).all()
    assert events and token not in repr([(e.event, e.detail) for e in events])


def test_tokens_stay_out_of_the_development_servers_request_log(app):
    """`flask run` (werkzeug) logs every request line: through our handler, redacted."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    token = "Dev" + "t0ken" * 8
    try:
        with captured_logs() as stream:
            for path in (f"/invitations/{token}", f"/login/link/{token}?next=/home", f"/calendar/1/{token}.ics"):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=5).read()
                except urllib.error.HTTPError:
                    pass
    finally:
        server.shutdown()
        server.server_close()
    output = stream.getvalue()
    assert "/invitations/*** " in output and "/calendar/1/***.ics" in output and "/login/link/***?next" in output
    assert token not in output


def test_only_the_development_mail_log_keeps_its_links(app):
    """Without a mail server, development writes whole messages to the log so links can be followed."""
    token = "MaIl" + "t0ken" * 8
    stream = io.StringIO()
    logger_names = ("workspace.mail", "workspace.auth")
    handler = logs.make_handler(stream, exempt=("workspace.mail",))
    for name in logger_names:
        record = logging.LogRecord(name, logging.INFO, __file__, 1, "link: %s", (f"/password/reset/{token}",), None)
        handler.handle(record)
    mail_line, other_line = stream.getvalue().splitlines()
    assert token in mail_line and token not in other_line


def test_the_error_page_shows_the_request_id_of_its_log_lines(client, world, monkeypatch):
    import workspace.main.routes as routes

    def broken(user):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(routes, "load_home", broken)
    client.login(world.student)
    with captured_logs() as stream:
        response = client.get("/home", headers={"X-Request-ID": "support-case-17"})
    assert response.status_code == 500
    assert "<code>support-case-17</code>" in response.get_data(as_text=True)
    assert "[support-case-17] unhandled error support-case-17 on GET /home" in stream.getvalue()
    assert "RuntimeError: kaboom" in stream.getvalue()
