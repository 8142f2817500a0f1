"""Accounts: sign-in, sessions that end on logout, password reset, invitations."""
from flask import flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from ..extensions import db, login_manager
from ..htmx import hx_redirect


def setup_login(app) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(identity: str):
        from ..models import User

        user_id, _, version = identity.partition(":")
        if not user_id.isdigit() or not version.isdigit():
            return None
        user = db.session.get(User, int(user_id))
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
