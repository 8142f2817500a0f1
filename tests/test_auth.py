"""Signing in and out, sessions that really end, password reset, safe redirects."""
from datetime import timedelta

import pytest

from workspace.extensions import db
from workspace.models import PasswordResetToken, User
from workspace.models.base import utcnow

from .factories import PASSWORD, create_user


def test_login_with_wrong_password_says_so_and_keeps_the_email(client, world):
    token = client.csrf_token("/login")
    response = client.post("/login", data={"email": world.student.email, "password": "wrong", "csrf_token": token})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "That e-mail address and password do not match an account." in html
    assert f'value="{world.student.email}"' in html
    assert client.get("/home").status_code == 302


@pytest.mark.parametrize("email, message", [
    ("", "This field is required."),
    ("not-an-email", "Enter a valid e-mail address."),
    ("a" * 250 + "@example.org", "Field cannot be longer than 254 characters."),
])
def test_login_rejects_bad_email_input(client, world, email, message):
    token = client.csrf_token("/login")
    response = client.post("/login", data={"email": email, "password": "x", "csrf_token": token})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_login_is_case_insensitive_for_the_email(client, world):
    token = client.csrf_token("/login")
    response = client.post("/login", data={"email": world.student.email.upper(), "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303


def test_deactivated_account_cannot_log_in(client, world):
    world.loner.active = False
    db.session.commit()
    token = client.csrf_token("/login")
    response = client.post("/login", data={"email": world.loner.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 422


@pytest.mark.parametrize("target, expected", [
    ("/projects/1", "/projects/1"),
    ("https://evil.example/x", "/home"),
    ("//evil.example/x", "/home"),
    ("/\\evil.example", "/home"),
    ("javascript:alert(1)", "/home"),
])
def test_next_redirects_only_to_local_paths(client, world, target, expected):
    token = client.csrf_token("/login")
    response = client.post("/login", query_string={"next": target},
                           data={"email": world.student.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == expected


def test_anonymous_page_request_redirects_to_login_with_next(client, world):
    response = client.get(f"/projects/{world.project.id}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/projects/")


def test_anonymous_htmx_request_gets_401_with_hx_redirect(client, world):
    response = client.get(f"/projects/{world.project.id}", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")
    assert response.get_data(as_text=True) == ""


def test_logout_invalidates_a_saved_session_cookie(client, world, app):
    client.login(world.student)
    saved = client.get_cookie("session").value
    client.logout()
    assert client.get("/home").status_code == 302
    # Replay the cookie saved before logout: it must no longer work.
    other = app.test_client()
    other.set_cookie("session", saved)
    assert other.get("/home").status_code == 302


def test_logout_requires_post_with_csrf(client, world):
    client.login(world.student)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/home").status_code == 200


def test_session_cookie_flags(client, world):
    response = client.login(world.student)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_config_sets_secure_cookies(app):
    from workspace.config import Config, DevelopmentConfig

    assert Config.SESSION_COOKIE_SECURE is True and Config.REMEMBER_COOKIE_SECURE is True
    assert DevelopmentConfig.SESSION_COOKIE_SECURE is False


def test_passwords_are_hashed(world):
    """The product hashes with scrypt (the factories' people have a fast hash: tests/factories.py)."""
    user = db.session.get(User, world.student.id)
    user.set_password("a new passphrase")
    assert "a new passphrase" not in user.password_hash
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password("a new passphrase") and not user.check_password(PASSWORD)


# ---- password reset ----------------------------------------------------------------------------

def _reset_link(sent_mail):
    body = sent_mail[-1]["body"]
    return next(word for word in body.split() if "/password/reset/" in word)


def test_password_reset_by_emailed_single_use_link(client, world, sent_mail):
    client.login(world.student)
    old_cookie = client.get_cookie("session").value
    client.logout()
    response = client.post("/password/forgot", data={"email": world.student.email, "csrf_token": client.csrf_token("/password/forgot")})
    assert response.status_code == 303
    assert sent_mail[-1]["to"] == world.student.email
    path = _reset_link(sent_mail).split("localhost", 1)[-1]
    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": "brand-new-password", "confirm": "brand-new-password",
                                       "csrf_token": client.csrf_token(path)})
    assert response.status_code == 303
    # The new password works, the old does not, and the link cannot be used again.
    token = client.csrf_token("/login")
    assert client.post("/login", data={"email": world.student.email, "password": PASSWORD, "csrf_token": token}).status_code == 422
    token = client.csrf_token("/login")
    assert client.post("/login", data={"email": world.student.email, "password": "brand-new-password", "csrf_token": token}).status_code == 303
    again = client.get(path)
    assert again.status_code == 410
    assert "not valid any more" in again.get_data(as_text=True)
    other = client.application.test_client()
    other.set_cookie("session", old_cookie)
    assert other.get("/home").status_code == 302


def test_password_reset_for_unknown_email_says_the_same_and_sends_nothing(client, world, sent_mail):
    response = client.post("/password/forgot", data={"email": "nobody@example.org", "csrf_token": client.csrf_token("/password/forgot")},
                           follow_redirects=True)
    assert "If an account exists for nobody@example.org" in response.get_data(as_text=True)
    assert sent_mail == []


def test_expired_reset_link_is_refused(client, world, sent_mail):
    client.post("/password/forgot", data={"email": world.student.email, "csrf_token": client.csrf_token("/password/forgot")})
    row = db.session.scalar(db.select(PasswordResetToken))
    row.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    path = _reset_link(sent_mail).split("localhost", 1)[-1]
    assert client.get(path).status_code == 410


def test_reset_with_mismatched_or_short_password_changes_nothing(client, world, sent_mail):
    client.post("/password/forgot", data={"email": world.student.email, "csrf_token": client.csrf_token("/password/forgot")})
    path = _reset_link(sent_mail).split("localhost", 1)[-1]
    before = db.session.get(User, world.student.id).password_hash
    response = client.post(path, data={"password": "short", "confirm": "other", "csrf_token": client.csrf_token(path)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Use between 10 and 200 characters." in html and "The two passwords differ." in html
    db.session.expire_all()
    assert db.session.get(User, world.student.id).password_hash == before


def test_change_password_asks_for_the_current_one_and_ends_other_sessions(client, world, app):
    client.login(world.student)
    elsewhere = app.test_client()
    elsewhere.set_cookie("session", client.get_cookie("session").value)
    response = client.post_form("/profile/password", {"current": "wrong", "password": "another-password-1", "confirm": "another-password-1"})
    assert response.status_code == 422
    assert "That is not your current password." in response.get_data(as_text=True)
    response = client.post_form("/profile/password", {"current": PASSWORD, "password": "another-password-1", "confirm": "another-password-1"})
    assert response.status_code == 303
    assert client.get("/home").status_code == 200
    assert elsewhere.get("/home").status_code == 302


def test_profile_time_zone_must_be_a_real_zone_and_is_saved(client, world):
    client.login(world.teacher)
    response = client.post_form("/profile", {"name": "Tina", "timezone": "Mars/Olympus", "locale": "en"})
    assert response.status_code == 422
    assert "Choose a time zone from the list." in response.get_data(as_text=True)
    response = client.post_form("/profile", {"name": "Tina", "timezone": "America/New_York", "locale": "en"})
    assert response.status_code == 303
    assert db.session.get(User, world.teacher.id).timezone == "America/New_York"


def test_new_user_defaults_to_amsterdam_time(world):
    assert create_user().timezone == "Europe/Amsterdam"
