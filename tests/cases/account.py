"""Permission cases of the account routes: the e-mail change (issue 8), confirmed by link (issue 20)."""
from datetime import timedelta

from workspace.extensions import db
from workspace.models import EmailChange
from workspace.models.base import utcnow
from workspace.security import new_token

from ..factories import PASSWORD
from . import EVERYONE, SIGNED_IN, Case

ROLE_NAMES = ("admin", "teacher", "student", "partner", "other_teacher", "other_student", "other_partner", "loner")


def _change(world, user):
    """A waiting change of `user`'s address; returns it with the plain tokens of its two links."""
    (confirm, confirm_hash), (cancel, cancel_hash) = new_token(), new_token()
    change = EmailChange(user=user, old_email=user.email, new_email=f"new.{user.id}@example.org",
                         confirm_hash=confirm_hash, cancel_hash=cancel_hash, expires_at=utcnow() + timedelta(hours=1))
    db.session.add(change)
    db.session.commit()
    return {"change": change, "confirm": confirm, "cancel": cancel}


def _loners_change(world):
    return _change(world, world.loner)


def _everyones_change(world):
    """Whoever is signed in has a change waiting (the route acts on one's own)."""
    for name in ROLE_NAMES:
        _change(world, getattr(world, name))
    return {}


def _link(kind):
    return lambda w, o: f"/profile/email/{o['change'].id}/{kind}/{o[kind]}"


CASES = [
    Case("auth.change_email", "GET", lambda w, o: "/profile/email", SIGNED_IN, EVERYONE),
    Case("auth.change_email", "POST", lambda w, o: "/profile/email", SIGNED_IN, EVERYONE,
         data=lambda w, o: {"email": "fresh.address@example.org", "current": PASSWORD}),
    Case("auth.withdraw_email_change", "POST", lambda w, o: "/profile/email/cancel", SIGNED_IN, EVERYONE,
         setup=_everyones_change),
    *[Case(f"auth.{endpoint}", method, _link(kind), EVERYONE, EVERYONE, public=True, setup=_loners_change)
      for endpoint, kind in (("confirm_email", "confirm"), ("cancel_email", "cancel")) for method in ("GET", "POST")],
]
