"""The audit log records sign-ins, refusals and account changes; no log ever holds a password,
a token or a session cookie (figure 6)."""
import logging
import re

import pytest

from workspace.audit import audit
from workspace.extensions import db
from workspace.models import AuditEvent

from .factories import PASSWORD

NEW_PASSWORD = "a-brand-new-password-7"
WRONG_PASSWORD = "wrong-password-xyzzy"
INVITEE_PASSWORD = "invitee-password-42"


def _events():
    return db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)).all()


def _login(client, email, password, remember=False):
    client.delete_cookie("session")
    data = {"email": email, "password": password, "csrf_token": client.csrf_token("/login")}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


def _cookies(client):
    return [c.value for c in (client.get_cookie("session"), client.get_cookie("remember_token")) if c]


def test_no_log_holds_a_password_token_or_cookie(app, client, world, sent_mail, caplog):
    # Every logger at every level. (SQL echo is off in every configuration; with it on, the
    # statements that queue mail would show the links, as the outbox must hold them to send.)
    caplog.set_level(logging.DEBUG)
    secrets = {PASSWORD, NEW_PASSWORD, WRONG_PASSWORD, INVITEE_PASSWORD}

    assert _login(client, world.student.email, WRONG_PASSWORD).status_code == 422
    assert _login(client, world.student.email, PASSWORD, remember=True).status_code == 303
    secrets.update(_cookies(client))
    assert client.post_form("/logout", token_from="/profile").status_code == 303

    client.delete_cookie("session")
    client.post_form("/password/forgot", {"email": world.loner.email}, token_from="/login")
    reset_path = re.search(r"http://[^/]+(/password/reset/(\S+))", sent_mail[-1]["body"])
    secrets.add(reset_path.group(2))
    response = client.post_form(reset_path.group(1), {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                                token_from="/login")
    assert response.status_code == 303
    assert _login(client, world.loner.email, NEW_PASSWORD).status_code == 303
    secrets.update(_cookies(client))

    client.delete_cookie("session")
    assert _login(client, world.teacher.email, PASSWORD).status_code == 303
    secrets.update(_cookies(client))
    page = client.post_form(f"/projects/{world.project.id}/invite", {"email": "newbie@example.org", "role": "student"},
                            token_from="/profile").get_data(as_text=True)
    invitation_path = re.search(r'value="http://[^/"]+(/invitations/([^"]+))"', page)
    secrets.add(invitation_path.group(2))
    client.delete_cookie("session")
    response = client.post_form(invitation_path.group(1), {"name": "Nina New", "password": INVITEE_PASSWORD,
                                                           "confirm": INVITEE_PASSWORD}, token_from="/login")
    assert response.status_code == 303
    secrets.update(_cookies(client))
    response = client.post_form("/profile/email", {"email": "nina@example.org", "current": INVITEE_PASSWORD},
                                token_from="/profile")
    assert response.status_code == 303
    links = [re.search(r"http://[^/\s]+(/profile/email/\d+/(?:confirm|cancel)/(\S+))", m["body"]) for m in sent_mail[-2:]]
    secrets.update(link.group(2) for link in links)
    for link in links:
        assert client.get(link.group(1)).status_code == 200
    assert client.post_form(links[0].group(1), token_from=links[0].group(1)).status_code == 303
    secrets.update(_cookies(client))

    logged = caplog.text + "\n".join(str((e.ip, e.event, e.detail)) for e in _events())
    assert "login_failed" in caplog.text and "invitation_accepted" in caplog.text  # the logs were captured
    leaked = [s for s in secrets if s and s in logged]
    assert leaked == []


def test_production_without_mail_server_logs_recipient_and_subject_only(app, client, world, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "log")
    monkeypatch.setitem(app.config, "MAIL_LOG_BODY", False)
    caplog.set_level(logging.INFO, logger="workspace.mail")
    client.post_form("/password/forgot", {"email": world.loner.email}, token_from="/login")
    lines = [r.getMessage() for r in caplog.records if r.name == "workspace.mail"]
    assert lines == [f"mail to {world.loner.email}: Reset your password (body not logged: no MAIL_SERVER configured)"]


def test_development_without_mail_server_logs_the_body_for_the_developer(app, client, world, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "log")
    monkeypatch.setitem(app.config, "MAIL_LOG_BODY", True)
    caplog.set_level(logging.INFO, logger="workspace.mail")
    client.post_form("/password/forgot", {"email": world.loner.email}, token_from="/login")
    assert "/password/reset/" in caplog.text


def test_configurations_log_mail_bodies_only_in_development():
    from workspace.config import CONFIGS

    assert CONFIGS["development"].MAIL_LOG_BODY is True
    assert not getattr(CONFIGS["production"], "MAIL_LOG_BODY", False)
    assert CONFIGS["testing"].MAIL_BACKEND == "memory"  # the suite keeps mail in memory, never in a log


def test_sign_ins_refusals_and_account_changes_are_recorded(client, world):
    client.environ_base["REMOTE_ADDR"] = "198.51.100.23"
    _login(client, world.student.email, WRONG_PASSWORD)
    _login(client, world.student.email, PASSWORD)
    client.get(f"/projects/{world.other_project.id}")  # not theirs: 404
    client.post_form(f"/projects/{world.project.id}/edit", {"title": "x"}, token_from="/profile")  # 403
    client.post_form("/profile/password", {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                     token_from="/profile")
    client.post_form("/logout", token_from="/profile")
    got = [(e.event, e.user_id, e.detail.get("status"), e.detail.get("rule")) for e in _events()]
    student = world.student.id
    assert got == [
        ("login_failed", None, None, None),
        ("login", student, None, None),
        ("permission_denied", student, 404, "project.view"),
        ("permission_denied", student, 403, "project.edit"),
        ("password_changed", student, None, None),
        ("logout", student, None, None),
    ]
    first = _events()[0]
    assert first.ip == "198.51.100.23" and first.detail["email"] == world.student.email
    assert first.detail["route"] == "/login" and first.created_at is not None


def test_admin_actions_are_recorded(client, world):
    _login(client, world.admin.email, PASSWORD)
    response = client.post_form(f"/admin/users/{world.loner.id}", {
        "name": "Lou Loner", "is_teacher": "y", "active": "y"}, token_from="/profile")
    assert response.status_code == 303
    event = _events()[-1]
    assert event.event == "admin_action" and event.user_id == world.admin.id
    assert event.detail["endpoint"] == "admin.edit_user" and event.detail["target"] == {"user_id": world.loner.id}


def test_routes_with_tokens_are_recorded_by_their_pattern(client, world, sent_mail):
    client.post_form("/password/forgot", {"email": world.loner.email}, token_from="/login")
    path = re.search(r"http://[^/]+(/password/reset/\S+)", sent_mail[-1]["body"]).group(1)
    client.post_form(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, token_from="/login")
    event = _events()[-1]
    assert event.event == "password_reset" and event.detail["route"] == "/password/reset/<token>"


def test_audit_refuses_secret_looking_detail(app):
    with app.test_request_context("/"):
        with pytest.raises(ValueError):
            audit("oops", password="hunter2")
        with pytest.raises(ValueError):
            audit("oops", reset_token="abc")


def test_audit_log_lines_go_to_the_workspace_audit_logger(client, world, caplog):
    caplog.set_level(logging.INFO, logger="workspace.audit")
    _login(client, world.student.email, PASSWORD)
    assert [r.getMessage().split()[0] for r in caplog.records if r.name == "workspace.audit"] == ["login"]
