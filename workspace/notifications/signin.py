"""Sign-in by e-mailed link: single use, valid 20 minutes, at most a few per address per quarter hour."""
from datetime import timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func

from ..auth.services import find_user
from ..extensions import db
from ..mail import send_mail
from ..models import SignInToken
from ..models.base import utcnow
from ..security import hash_token, new_token, safe_next
from ..sso.services import refuse_sso_only, tell_sso_only

VALID_FOR = timedelta(minutes=20)
WINDOW = timedelta(minutes=15)
MAX_PER_WINDOW = 3


class SignInProblem(Exception):
    """The link cannot be sent or used; the message says why."""


def request_sign_in_link(email: str, next_url: str | None) -> None:
    user = find_user(email)
    if user is None or not user.active or tell_sso_only(user, "sign_in_link"):
        return  # say nothing: nobody learns which addresses have accounts
    recent = db.session.scalar(
        db.select(func.count()).select_from(SignInToken)
        .where(SignInToken.user_id == user.id, SignInToken.created_at > utcnow() - WINDOW)
    )
    if recent >= MAX_PER_WINDOW:
        raise SignInProblem(_("Several links were sent to this address just now. Use the newest one, or wait "
                              "15 minutes before asking again."))
    token, digest = new_token()
    db.session.add(SignInToken(user_id=user.id, token_hash=digest, next_url=safe_next(next_url) or "",
                               expires_at=utcnow() + VALID_FOR))
    link = url_for("notifications.use_link", token=token, _external=True)
    send_mail(user.email, _("Your sign-in link"), _(
        "Open this link within 20 minutes to sign in to the co-creation workspace. It works once.\n%(link)s\n\n"
        "If you did not ask for it, ignore this message.", link=link))


def use_sign_in_link(token: str):
    """Spend the link: returns (user, where to go). A second use is refused."""
    now = utcnow()
    row = db.session.scalar(db.select(SignInToken).where(SignInToken.token_hash == hash_token(token)))
    if row is None:
        raise SignInProblem(_("This sign-in link is not valid. Ask for a new one."))
    claimed = db.session.execute(
        db.update(SignInToken).where(SignInToken.id == row.id, SignInToken.used_at.is_(None),
                                     SignInToken.expires_at > now).values(used_at=now)
    ).rowcount
    if claimed != 1:
        raise SignInProblem(_("This sign-in link cannot be used: it was used already or it expired. "
                              "Ask for a new one."))
    if not row.user.active:
        raise SignInProblem(_("This account is deactivated."))
    sso_only = refuse_sso_only(row.user, "sign_in_link")
    if sso_only:
        raise SignInProblem(sso_only)
    return row.user, safe_next(row.next_url)
