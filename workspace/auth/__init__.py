"""Accounts: sign-in, sessions that end on logout or time out, password reset, invitations."""
import os
from datetime import timedelta

from flask import flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import user_logged_in

from ..extensions import login_manager
from ..htmx import hx_redirect


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# Limits and lifetimes, each from the environment; create_app(**overrides) wins over both.
DEFAULTS = {
    "LOGIN_FAILURES_PER_IP_PER_MINUTE": _env_int("LOGIN_FAILURES_PER_IP_PER_MINUTE", 10),
    "LOGIN_FAILURES_BEFORE_LOCKOUT": _env_int("LOGIN_FAILURES_BEFORE_LOCKOUT", 5),
    "LOGIN_LOCKOUT_SECONDS": _env_int("LOGIN_LOCKOUT_SECONDS", 60),
    "LOGIN_LOCKOUT_MAX_SECONDS": _env_int("LOGIN_LOCKOUT_MAX_SECONDS", 3600),
    "PASSWORD_RESETS_PER_IP": _env_int("PASSWORD_RESETS_PER_IP", 5),
    "PASSWORD_RESET_WINDOW_SECONDS": _env_int("PASSWORD_RESET_WINDOW_SECONDS", 900),
    "SESSION_IDLE_MINUTES": _env_int("SESSION_IDLE_MINUTES", 30),
    "SESSION_MAX_HOURS": _env_int("SESSION_MAX_HOURS", 12),
}


def setup_login(app) -> None:
    from .. import audit
    from . import limits, sessions

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    # "Remember me" survives closing the browser, but not the absolute session lifetime.
    app.config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(hours=app.config["SESSION_MAX_HOURS"]))
    limits.init_app(app)
    audit.init_app(app)
    app.before_request(sessions.check_session)
    user_logged_in.connect(sessions.logged_in, app)

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(identity: str):
        from ..database import get
        from ..models import User

        user_id, _, version = identity.partition(":")
        if not user_id.isdigit() or not version.isdigit():
            return None
        user = get(User, int(user_id))
        # A cookie saved before logout or a password change carries an old version.
        if user is None or user.session_version != int(version):
            return None
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        target = request.full_path.rstrip("?") if request.method == "GET" else request.headers.get("HX-Current-URL", "/")
        login_url = url_for("auth.login", next=target)
        if request.headers.get("HX-Request") == "true":
            # A login page swapped into a fragment would be wrong: load it as a page.
            return hx_redirect(login_url, 401)
        flash(login_manager.login_message, "info")
        return redirect(login_url)
