"""Changing the e-mail address: nothing changes until the link sent to the new address is opened; the
old address is told at once and may cancel the change with its own link, within the same lifetime."""
import hmac
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import gettext as _

from ..activity import record
from ..extensions import db
from ..mail import send_mail
from ..models import EmailChange, User
from ..models.base import utcnow
from ..models.email_change import CANCELLED, CONFIRMED, REPLACED
from ..rules import Refused
from ..security import hash_token, new_token
from .services import find_user

CONFIRM, CANCEL = "confirm", "cancel"


def pending(user: User) -> EmailChange | None:
    """The change waiting for its confirmation, if any (a newer request replaces an older one)."""
    return db.session.scalar(
        db.select(EmailChange)
        .where(EmailChange.user_id == user.id, EmailChange.ended_at.is_(None), EmailChange.expires_at > utcnow())
        .order_by(EmailChange.id.desc()).limit(1)
    )


def _free(email: str, user: User) -> bool:
    other = find_user(email)
    return other is None or other.id == user.id


def request_change(user: User, email: str) -> EmailChange:
    """Store the wish, mail a confirmation link to the new address and a cancel link to the old one."""
    email = email.strip().lower()
    if email == user.email.lower():
        raise Refused(_("That is already your e-mail address."), 422)
    if not _free(email, user):
        raise Refused(_("Another account already uses this e-mail address."), 422)
    now = utcnow()
    db.session.execute(db.update(EmailChange).where(EmailChange.user_id == user.id, EmailChange.ended_at.is_(None))
                       .values(ended_at=now, outcome=REPLACED))
    confirm, confirm_hash = new_token()
    cancel, cancel_hash = new_token()
    hours = current_app.config["EMAIL_CHANGE_HOURS"]
    change = EmailChange(user=user, old_email=user.email, new_email=email, confirm_hash=confirm_hash,
                         cancel_hash=cancel_hash, created_at=now, expires_at=now + timedelta(hours=hours))
    db.session.add(change)
    db.session.flush()
    record(user, "requested_email_change", user, _("%(name)s asked to change their e-mail address", name=user.name))
    send_mail(email, _("Confirm your new e-mail address"), _(
        "%(name)s asked to log in to the co-creation workspace with this address from now on.\n\n"
        "Open this link within %(hours)s hours to confirm it:\n%(link)s\n\n"
        "Until then the account keeps its old address. If it was not you, ignore this message: nothing changes.",
        name=user.name, hours=hours, link=url_for("auth.confirm_email", change_id=change.id, token=confirm,
                                                  _external=True),
    ))
    send_mail(user.email, _("Your e-mail address is about to change"), _(
        "Someone signed in to your co-creation workspace account asked to change its e-mail address from "
        "%(old)s to %(new)s. It changes only when the new address confirms it.\n\n"
        "If it was not you, cancel the change within %(hours)s hours with this link:\n%(link)s\n"
        "and then choose a new password: whoever asked knows your current one.",
        old=user.email, new=email, hours=hours,
        link=url_for("auth.cancel_email", change_id=change.id, token=cancel, _external=True),
    ))
    return change


def by_link(change_id: int, token: str, kind: str) -> EmailChange | None:
    """The open change a link stands for; its token is compared with the stored hash in constant time."""
    change = db.session.get(EmailChange, change_id)
    if change is None or not change.is_open():
        return None
    stored = change.confirm_hash if kind == CONFIRM else change.cancel_hash
    return change if hmac.compare_digest(stored, hash_token(token)) else None


def _end(change: EmailChange, outcome: str) -> None:
    """Close the change exactly once: of two clicks at the same moment only one goes through."""
    ended = db.session.execute(
        db.update(EmailChange).where(EmailChange.id == change.id, EmailChange.ended_at.is_(None))
        .values(ended_at=utcnow(), outcome=outcome)
    ).rowcount
    if ended != 1:
        raise Refused(_("This change was already confirmed or cancelled."), 409)
    db.session.refresh(change)


def confirm(change: EmailChange) -> str:
    """Move the account to the new address and end its sessions; tells the old address. Returns it."""
    user = change.user
    if not _free(change.new_email, user):
        raise Refused(_("Another account uses %(email)s by now, so it cannot become yours.",
                        email=change.new_email), 409)
    _end(change, CONFIRMED)
    old = user.email
    user.email = change.new_email
    user.end_sessions()
    record(user, "changed_email", user, _("%(name)s changed their e-mail address", name=user.name))
    send_mail(old, _("Your e-mail address was changed"), _(
        "The e-mail address of your co-creation workspace account was changed from %(old)s to %(new)s.\n\n"
        "If it was not you, contact your teacher or the administrator at once.", old=old, new=user.email,
    ))
    return old


def cancel(change: EmailChange, from_old_address: bool) -> None:
    """Drop the change. Through the old address's link every session ends too: whoever asked may not
    have been the owner."""
    _end(change, CANCELLED)
    user = change.user
    if from_old_address:
        user.end_sessions()
    record(user, "cancelled_email_change", user,
           _("%(name)s cancelled the change of their e-mail address", name=user.name))
