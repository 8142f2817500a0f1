"""Permission cases of notifications, my work and the sign-in link."""
from datetime import timedelta

from workspace.extensions import db
from workspace.models import Notification, SignInToken
from workspace.models.base import utcnow
from workspace.security import new_token

from . import EVERYONE, SIGNED_IN, Case


def _own_notification(world):
    """A notification for each signed-in role; the case opens the one of whoever asks."""
    ids = {}
    for role in ("student", "partner", "teacher", "admin", "other_student", "other_partner", "other_teacher"):
        note = Notification(user_id=getattr(world, role).id, kind="test", key="k", text="Hello", url="/home")
        db.session.add(note)
        db.session.flush()
        ids[role] = note.id
    db.session.commit()
    return ids


def _link(world):
    token, digest = new_token()
    db.session.add(SignInToken(user_id=world.loner.id, token_hash=digest, expires_at=utcnow() + timedelta(minutes=20)))
    db.session.commit()
    return {"token": token}


CASES = [
    Case("notifications.index", "GET", lambda w, o: "/notifications", SIGNED_IN, EVERYONE),
    Case("notifications.badge", "GET", lambda w, o: "/notifications/badge", SIGNED_IN, EVERYONE),
    Case("notifications.open_one", "POST", lambda w, o: f"/notifications/{o['student']}/open", {"student"},
         {"student"}, setup=_own_notification),
    Case("notifications.read_all", "POST", lambda w, o: "/notifications/read", SIGNED_IN, EVERYONE),
    Case("notifications.settings", "POST", lambda w, o: "/notifications/settings", SIGNED_IN, EVERYONE,
         data=lambda w, o: {"email": "digest"}),
    Case("notifications.mywork", "GET", lambda w, o: "/my-work", SIGNED_IN, EVERYONE),
    Case("notifications.sign_in_link", "GET", lambda w, o: "/login/link", EVERYONE, EVERYONE, public=True),
    Case("notifications.sign_in_link", "POST", lambda w, o: "/login/link", EVERYONE, EVERYONE, public=True,
         data=lambda w, o: {"email": w.loner.email}),
    Case("notifications.use_link", "GET", lambda w, o: f"/login/link/{o['token']}", EVERYONE, EVERYONE,
         public=True, setup=_link),
    Case("notifications.use_link", "POST", lambda w, o: f"/login/link/{o['token']}", EVERYONE, EVERYONE,
         public=True, setup=_link),
]
