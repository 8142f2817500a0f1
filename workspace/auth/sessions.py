"""Session lifetimes: an idle timeout (without "remember me") and an absolute lifetime.

The times live in the signed session cookie, so a copy of an old cookie replayed later is
just as expired as the original. Changing the password or the e-mail address, or logging
out, ends every other session through `User.end_sessions()`.

"Remember me" keeps the login time in a signed cookie of its own beside Flask-Login's remember
cookie: a session restored from that cookie keeps the first login's clock, so the absolute
lifetime counts from the password, not from the restore (and a replayed copy expires as well).
"""
import time

from flask import after_this_request, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from ..htmx import hx_redirect

LOGIN_AT = "login_at"
SEEN_AT = "seen_at"
REMEMBER = "remember"
LOGIN_AT_COOKIE = "login_at"
TOUCH_EVERY = 60  # seconds: refresh "last seen" at most once a minute, not on every request


def now() -> float:
    """Seconds since the epoch; tests replace this to move the clock."""
    return time.time()


def started(remember: bool) -> None:
    session[LOGIN_AT] = session[SEEN_AT] = int(now())
    session[REMEMBER] = bool(remember)


def _stamps():
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(current_app.secret_key, salt="login-at")


def _remember_login_time(user) -> None:
    """Set the signed login-time cookie beside the remember cookie, lasting as long as it."""
    value = _stamps().dumps({"u": user.get_id(), "t": session[LOGIN_AT]})
    config = current_app.config

    @after_this_request
    def set_cookie(response):
        response.set_cookie(LOGIN_AT_COOKIE, value, max_age=config["SESSION_MAX_HOURS"] * 3600,
                            secure=config.get("REMEMBER_COOKIE_SECURE", False), httponly=True, samesite="Lax")
        return response


def _remembered_login_time(user) -> int | None:
    """The first login's time from the signed cookie, when it belongs to this user and session version."""
    from itsdangerous import BadSignature

    try:
        stamp = _stamps().loads(request.cookies.get(LOGIN_AT_COOKIE, ""))
    except BadSignature:
        return None
    if not isinstance(stamp, dict) or stamp.get("u") != user.get_id() or not isinstance(stamp.get("t"), int):
        return None
    return stamp["t"]


def logged_in(_app, user) -> None:
    """Flask-Login's user_logged_in signal, whatever the way in (password, invitation, e-mailed link).

    A session that already runs (login_user again after a password change) keeps its times.
    """
    if LOGIN_AT in session:
        return
    from ..audit import audit

    started(remember=session.get("_remember") == "set")  # login_user(remember=True) marks it so
    if session[REMEMBER]:
        _remember_login_time(user)
    audit("login", user=user)


def check_session():
    """before_request: end a session that was idle too long or is too old."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    moment = int(now())
    if LOGIN_AT not in session:
        # Restored from a "remember me" cookie: the clock of the first login goes on.
        first = _remembered_login_time(current_user)
        if first is None:
            return _end(_("Your session has ended. Please log in again."), "session_expired")
        started(remember=True)
        session[LOGIN_AT] = first
    limit = _passed_limit(moment)
    if limit == "age":
        return _end(_("Your session ended because it was %(hours)s hours old. Please log in again.",
                      hours=current_app.config["SESSION_MAX_HOURS"]), "session_expired")
    if limit == "idle":
        return _end(_("Your session ended after %(minutes)s minutes without activity. Please log in again.",
                      minutes=current_app.config["SESSION_IDLE_MINUTES"]), "session_idle")
    if moment - session.get(SEEN_AT, 0) >= TOUCH_EVERY:
        session[SEEN_AT] = moment
    return None


def _passed_limit(moment: int) -> str | None:
    """"age" or "idle" when the session is past its absolute or idle lifetime, else None."""
    if moment - session[LOGIN_AT] > current_app.config["SESSION_MAX_HOURS"] * 3600:
        return "age"
    if not session.get(REMEMBER) and moment - session.get(SEEN_AT, 0) > current_app.config["SESSION_IDLE_MINUTES"] * 60:
        return "idle"
    return None


def session_alive() -> bool:
    """For readers outside the page cycle (the live stream): a running session within its limits, nothing ended."""
    return LOGIN_AT in session and _passed_limit(int(now())) is None


def _end(message: str, event: str):
    from ..audit import audit

    audit(event, user=current_user)
    session.clear()
    logout_user()  # after clear(): it marks the "remember me" cookie for deletion in the session
    flash(message, "info")
    target = request.full_path.rstrip("?") if request.method == "GET" else request.headers.get("HX-Current-URL")
    login_url = url_for("auth.login", next=target) if target else url_for("auth.login")
    if request.headers.get("HX-Request") == "true":
        return hx_redirect(login_url, 401)
    return redirect(login_url, code=303 if request.method != "GET" else 302)
