"""The audit log: `audit(event, user=..., **detail)` writes a row of `audit_event` and a line
to the `workspace.audit` logger.

Rows are written when the request ends, in their own transaction, so a refused or failed
request (which commits nothing) is recorded too. Never pass a password, a token or a cookie
as detail: `audit()` refuses keys that look like one.
"""
import logging

from flask import abort, g, has_request_context, request
from flask_login import current_user

from .extensions import db
from .models.audit import AuditEvent

logger = logging.getLogger("workspace.audit")
SECRET_WORDS = ("password", "token", "cookie", "secret", "session")


def audit(event: str, user=None, **detail) -> None:
    """Record `event` about `user` (default: whoever is signed in)."""
    leaked = [key for key in detail if any(word in key.lower() for word in SECRET_WORDS)]
    if leaked:
        raise ValueError(f"audit detail must not hold secrets: {leaked}")
    if user is None and has_request_context() and current_user and current_user.is_authenticated:
        user = current_user
    user_id = getattr(user, "id", None)
    ip = (request.remote_addr or "") if has_request_context() else ""
    if has_request_context():
        # The route's pattern, not the path: reset and invitation paths hold a token.
        detail.setdefault("route", request.url_rule.rule if request.url_rule else "")
        detail.setdefault("method", request.method)
    logger.info("%s user=%s ip=%s %s", event, user_id, ip, detail)
    row = AuditEvent(user_id=user_id, ip=ip[:45], event=event[:40], detail=detail)
    if has_request_context():
        g.setdefault("_audit_events", []).append(row)
    else:
        db.session.add(row)  # commands: stored with the command's own commit


def deny(status: int):
    """abort(403/404) for the permission policy, recording who was refused what."""
    rule = getattr(request.endpoint and _view(), "permission", None)
    audit("permission_denied", status=status, rule=rule, endpoint=request.endpoint)
    abort(status)


def _view():
    from flask import current_app

    return current_app.view_functions.get(request.endpoint)


def write_pending(_exc=None) -> None:
    """teardown_request: store the request's audit rows after its own transaction ended."""
    rows = g.pop("_audit_events", None)
    if not rows:
        return
    try:
        db.session.rollback()  # whatever the request left uncommitted is not ours to keep
        db.session.add_all(rows)
        db.session.commit()
    except Exception:  # the log line was written; a database outage must not hide the response
        db.session.rollback()
        logger.exception("could not store %d audit event(s)", len(rows))


def admin_actions(response):
    """after_request: every change made through the admin pages is an audit event."""
    if request.blueprint == "admin" and request.method == "POST" and response.status_code < 400:
        audit("admin_action", endpoint=request.endpoint, target=dict(request.view_args or {}),
              status=response.status_code)
    return response


def init_app(app) -> None:
    app.after_request(admin_actions)
    app.teardown_request(write_pending)
