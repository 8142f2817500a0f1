"""Sessions end after 30 idle minutes (without "remember me") and after 12 hours (figure 7); the
e-mail change is in tests/test_email_change.py."""
import pytest

from workspace.auth import sessions
from workspace.extensions import db
from workspace.models import AuditEvent

from .factories import PASSWORD


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        t = 1_800_000_000.0

        def advance(self, minutes):
            self.t += minutes * 60

    c = Clock()
    monkeypatch.setattr(sessions, "now", lambda: c.t)
    return c


def _login(client, user, remember=False):
    client.delete_cookie("session")
    data = {"email": user.email, "password": PASSWORD, "csrf_token": client.csrf_token("/login")}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 303


def test_idle_session_ends_after_30_minutes(client, world, clock):
    _login(client, world.loner)
    clock.advance(29)
    assert client.get("/profile").status_code == 200
    clock.advance(29)  # activity at minute 29 restarted the idle time
    assert client.get("/profile").status_code == 200
    clock.advance(31)
    response = client.get("/profile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your session ended after 30 minutes without activity. Please log in again." in page
    assert client.get("/profile").status_code == 302  # really ended
    assert db.session.scalar(db.select(AuditEvent.event).order_by(AuditEvent.id.desc()).limit(1)) == "session_idle"


def test_idle_timeout_answers_htmx_with_401_and_a_redirect(client, world, clock):
    _login(client, world.loner)
    clock.advance(31)
    response = client.get("/profile", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")


def test_a_saved_copy_of_the_cookie_is_expired_too(client, world, clock):
    _login(client, world.loner)
    saved = client.get_cookie("session").value
    clock.advance(31)
    assert client.get("/profile").status_code == 302
    client.set_cookie("session", saved)
    assert client.get("/profile").status_code == 302


def test_remember_me_has_no_idle_timeout_but_the_absolute_lifetime(client, world, clock):
    _login(client, world.loner, remember=True)
    for _ in range(11):
        clock.advance(60)
        assert client.get("/profile").status_code == 200
    clock.advance(61)
    response = client.get("/profile")
    assert response.status_code == 302
    assert "Your session ended because it was 12 hours old." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get_cookie("remember_token") is None  # the remember-me cookie is gone too


def test_a_session_restored_from_remember_me_keeps_the_first_logins_clock(client, world, clock):
    """Closing the browser and coming back restores the session from the remember cookie, but the
    12 hours still count from the password: no second 12-hour life."""
    _login(client, world.loner, remember=True)
    clock.advance(11 * 60)
    client.delete_cookie("session")  # the browser was closed: only the remember cookies are left
    assert client.get("/profile").status_code == 200
    clock.advance(61)
    client.delete_cookie("session")
    response = client.get("/profile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "Your session ended because it was 12 hours old." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_remember_cookie_without_its_login_time_signs_nobody_in(client, world, clock):
    _login(client, world.loner, remember=True)
    client.delete_cookie("session")
    client.set_cookie("login_at", "forged")
    response = client.get("/profile")
    assert response.status_code == 302
    assert "Your session has ended. Please log in again." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get_cookie("remember_token") is None


def test_absolute_lifetime_applies_to_active_sessions(client, world, clock):
    _login(client, world.loner)
    for _ in range(12 * 60 // 20):
        clock.advance(20)
        client.get("/profile")
    clock.advance(1)
    assert client.get("/profile").status_code == 302


def test_limits_come_from_the_configuration(app, client, world, clock, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 5)
    _login(client, world.loner)
    clock.advance(6)
    assert client.get("/profile").status_code == 302


def test_signing_in_by_emailed_link_gets_the_same_timeouts_and_audit(client, world, clock, sent_mail):
    """Every way in goes through Flask-Login's user_logged_in signal."""
    import re

    client.post_form("/login/link", {"email": world.loner.email}, token_from="/login")
    path = re.search(r"http://[^/\s]+(/login/link/\S+)", sent_mail[-1]["body"]).group(1)
    assert client.post_form(path, {}, token_from=path).status_code == 303
    assert client.get("/profile").status_code == 200
    login = db.session.scalar(db.select(AuditEvent).where(AuditEvent.event == "login"))
    assert login.user_id == world.loner.id and login.detail["route"] == "/login/link/<token>"
    clock.advance(31)
    assert client.get("/profile").status_code == 302


def test_the_cookie_is_written_only_when_the_session_changes(client, world, clock):
    """A response that sent an unchanged session back would race with a logout: a slower answer (the icon,
    a stylesheet, the bell) arriving after the logout's would put the old cookie back, and the browser would
    come to the login page without "You are logged out.". Only a change writes the cookie: signing in, a
    flash, the last-seen time (at most once a minute)."""
    _login(client, world.loner)

    def writes(path):
        response = client.get(path)
        assert response.status_code == 200, path
        return any(cookie.startswith("session=") for cookie in response.headers.getlist("Set-Cookie"))

    client.get("/profile")  # the form's CSRF token goes into the session once
    assert not writes("/static/favicon.svg")
    assert not writes("/profile")
    clock.advance(1)
    assert writes("/profile")  # the last-seen time moved on
    assert not writes("/profile")
