"""Failed logins are limited per IP and per account; reset requests per IP (figure 6)."""
import uuid

import pytest

from workspace.auth import limits
from workspace.extensions import db
from workspace.models import AuditEvent

from .factories import PASSWORD, create_user


@pytest.fixture
def clock(monkeypatch):
    """The limiter's clock, moved by hand: `clock.advance(seconds)`."""

    class Clock:
        t = 1_800_000_000.0

        def advance(self, seconds):
            self.t += seconds

    c = Clock()
    monkeypatch.setattr(limits, "now", lambda: c.t)
    return c


def _login(client, email, password, ip="203.0.113.7", htmx=False):
    """A login attempt from a fresh browser at `ip`."""
    client.delete_cookie("session")
    client.environ_base["REMOTE_ADDR"] = ip
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": client.csrf_token("/login")}, headers=headers)


def test_ten_failures_a_minute_from_one_ip_then_429_with_a_message(client, world, clock):
    for n in range(10):  # different accounts, so no account lockout plays a part
        assert _login(client, f"nobody{n}@example.org", "wrong").status_code == 422
    response = _login(client, world.student.email, PASSWORD)
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Too many failed logins from your network. Wait a minute and try again." in html
    assert "<html" in html  # in the site's layout
    assert int(response.headers["Retry-After"]) <= 60
    # htmx gets the short fragment that app.js shows in the flash area
    fragment = _login(client, world.student.email, PASSWORD, htmx=True)
    assert fragment.status_code == 429 and "<html" not in fragment.get_data(as_text=True)
    assert 'class="error-page"' in fragment.get_data(as_text=True)
    # another IP is not affected, and after the minute this one may try again
    assert _login(client, world.partner.email, PASSWORD, ip="198.51.100.1").status_code == 303
    clock.advance(61)
    assert _login(client, world.student.email, PASSWORD).status_code == 303


def test_account_locks_with_back_off_and_success_clears_it(client, world, clock):
    email = world.student.email
    for n in range(5):  # from different IPs: the account counter is what locks
        assert _login(client, email, "wrong", ip=f"192.0.2.{n}").status_code == 422
    locked = _login(client, email, PASSWORD, ip="192.0.2.99")
    assert locked.status_code == 429
    assert "This account is locked for 1 minute(s) after repeated failed logins" in locked.get_data(as_text=True)
    clock.advance(61)
    assert _login(client, email, "wrong", ip="192.0.2.50").status_code == 422  # 6th failure: 2 minutes
    clock.advance(61)
    assert _login(client, email, PASSWORD, ip="192.0.2.51").status_code == 429
    clock.advance(60)
    assert _login(client, email, PASSWORD, ip="192.0.2.52").status_code == 303
    # success cleared the count: a single new failure does not lock
    assert _login(client, email, "wrong", ip="192.0.2.53").status_code == 422
    assert _login(client, email, PASSWORD, ip="192.0.2.54").status_code == 303


def test_lockout_counts_unknown_accounts_the_same_way(client, world, clock):
    """Whether an address has an account cannot be told from the answers."""
    for n in range(5):
        _login(client, "no.such.person@example.org", "wrong", ip=f"192.0.2.{n}")
    assert _login(client, "no.such.person@example.org", "wrong", ip="192.0.2.77").status_code == 429


def test_lockout_back_off_is_capped(app, world, clock):
    for n in range(40):
        with app.test_request_context("/login", environ_base={"REMOTE_ADDR": f"192.0.2.{n}"}):
            limits.login_failed("victim@example.org")
    with app.test_request_context("/login", environ_base={"REMOTE_ADDR": "192.0.2.200"}):
        kind, seconds = limits.login_blocked("victim@example.org")
    assert kind == "account" and seconds == app.config["LOGIN_LOCKOUT_MAX_SECONDS"]


def test_password_reset_requests_are_limited_per_ip(client, world, clock, sent_mail):
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for _ in range(5):
        response = client.post_form("/password/forgot", {"email": world.student.email}, token_from="/login")
        assert response.status_code == 303
    response = client.post_form("/password/forgot", {"email": world.student.email}, token_from="/login")
    assert response.status_code == 429
    assert "Too many reset requests from your network." in response.get_data(as_text=True)
    assert len(sent_mail) == 5
    clock.advance(901)
    assert client.post_form("/password/forgot", {"email": world.student.email}, token_from="/login").status_code == 303


def test_blocked_attempts_are_audited(client, world, clock):
    for n in range(11):
        _login(client, f"nobody{n}@example.org", "wrong")
    events = [e.event for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]
    assert events.count("login_failed") == 10 and events.count("login_blocked") == 1


def test_redis_counters_share_state_between_two_app_instances(app, world):
    """Two apps (two workers, two servers) on one Redis see the same counts."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    from flask import Flask

    shared = {"RATELIMIT_STORAGE_URL": "redis://127.0.0.1:6379/0", "RATELIMIT_PREFIX": f"test:{uuid.uuid4().hex}:",
              "TESTING": True, **{k: app.config[k] for k in app.config if k.startswith(("LOGIN_", "PASSWORD_RESET"))}}
    one, two = Flask("one"), Flask("two")
    for a in (one, two):
        a.config.update(shared)
        limits.init_app(a)
    try:
        for _ in range(5):
            with one.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.1"}):
                limits.login_failed("shared@example.org")
        with two.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.2"}):
            assert limits.login_blocked("shared@example.org")[0] == "account"
    finally:
        one.extensions["limits"].clear()


def test_behind_a_proxy_the_forwarded_address_counts(app, world):
    """With TRUSTED_PROXIES=1 each visitor behind the proxy has their own count."""
    from workspace import create_app

    proxied = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], TRUSTED_PROXIES=1)

    @proxied.get("/_ip")
    def _ip():
        return limits.client_ip()

    got = proxied.test_client().get("/_ip", headers={"X-Forwarded-For": "198.51.100.4"},
                                    environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert got.get_data(as_text=True) == "198.51.100.4"
    with proxied.app_context():
        db.engine.dispose()


def test_redis_down_lets_logins_through_and_says_so(app, world, caplog):
    """An unreachable Redis must not lock everybody out; it is logged."""
    from flask import Flask

    down = Flask("down")
    down.config.update(RATELIMIT_STORAGE_URL="redis://127.0.0.1:1/0", TESTING=True,
                       **{k: app.config[k] for k in app.config if k.startswith(("LOGIN_", "PASSWORD_RESET"))})
    limits.init_app(down)
    with down.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.1"}):
        limits.login_failed("x@example.org")
        assert limits.login_blocked("x@example.org") is None
    assert "rate-limit storage unavailable" in caplog.text


def test_a_password_reset_lifts_the_account_lock(client, world, clock, sent_mail):
    import re

    for n in range(5):
        _login(client, world.loner.email, "wrong", ip=f"192.0.2.{n}")
    assert _login(client, world.loner.email, PASSWORD, ip="192.0.2.60").status_code == 429
    client.delete_cookie("session")
    client.post_form("/password/forgot", {"email": world.loner.email}, token_from="/login")
    path = re.search(r"http://[^/]+(/password/reset/\S+)", sent_mail[-1]["body"]).group(1)
    client.post_form(path, {"password": "a-fresh-password-9", "confirm": "a-fresh-password-9"}, token_from="/login")
    assert _login(client, world.loner.email, "a-fresh-password-9", ip="192.0.2.61").status_code == 303
