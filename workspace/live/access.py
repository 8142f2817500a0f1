"""Who is at the other end of a stream: the app's own session cookie, login version and policy decide."""
from flask import Flask
from flask_login import current_user

from ..auth.sessions import session_alive
from ..extensions import db
from ..models import Project
from ..policy import can
from .publish import channel


def listener(app: Flask, cookie: str, project_id: int | None) -> tuple[int, int | None, list[str]]:
    """(status, user id, channels): 200 with the channels this browser may follow, else 401 or 403.

    Runs a request context of the app itself, so the signed session, the session version checked by
    the user loader (a logged-out cookie loads nobody) and the session lifetimes all apply.
    """
    # A context of its own (own `g`, own database session), even when called where one is open.
    with app.app_context(), app.test_request_context("/stream/", headers={"Cookie": cookie} if cookie else {}):
        user = current_user._get_current_object()
        if not user.is_authenticated or not user.active or not session_alive():
            return 401, None, []
        channels = [channel("user", user.id)]
        if project_id is not None:
            # Ids are 32-bit integers in PostgreSQL: a larger number names no project (never a database error).
            project = db.session.get(Project, project_id) if project_id < 2**31 else None
            if project is None or not can(user, "project.view", project):
                return 403, user.id, []
            channels.append(channel("project", project.id))
        return 200, user.id, channels
