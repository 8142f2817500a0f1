"""Telling people what waits for them: in the workspace, and by e-mail through the outbox."""
from contextlib import nullcontext
from datetime import timedelta

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func

from ..extensions import db
from ..i18n import localized, recall
from ..mail import queue_mail, queue_mails
from ..models import EmailPreference, Notification, ProjectMember, User
from ..models.base import utcnow
from ..models.notification import DIGEST, IMMEDIATE


def notify(users, kind: str, key: str, text: str, url: str = "", project=None, actor=None,
           email: bool = True, later: bool = False, preferences: dict | None = None,
           already: set | None = None) -> int:
    """Tell each of `users` (never the actor) once per `key`; e-mail those who want it at once
    (`later`: through the mail sender, `flask send-mail`, for a bulk step such as a class import;
    always so where NOTIFICATION_MAIL_BY_SENDER is on, as in production). A caller that has
    read the users' e-mail preferences ({user id: choice}) and who among them has been told of the
    key already (their ids) passes them. Of a user this reads `id`, `email`, `active` and `locale`
    (a User, or a plain row of those). The e-mail's words are made once per language. Returns how
    many were told (no ORM objects are made of the notifications: nobody here reads them)."""
    actor_id = getattr(actor, "id", None)  # read once, not through the `current_user` proxy per person
    recipients = {u.id: u for u in users if u is not None and (actor_id is None or u.id != actor_id)}
    if not recipients:
        return 0
    already = already if already is not None else set(db.session.scalars(
        db.select(Notification.user_id).where(Notification.key == key, Notification.user_id.in_(recipients))
    ))
    if preferences is None:
        preferences = dict(db.session.execute(
            db.select(EmailPreference.user_id, EmailPreference.email).where(EmailPreference.user_id.in_(recipients))
        ).all())
    rows, mails, made, now = [], [], recall(text), utcnow()
    worded: dict = {}  # language -> (subject, body)
    for user_id, user in recipients.items():
        if user_id in already:
            continue
        emailed = email and preferences.get(user_id, IMMEDIATE) == IMMEDIATE and user.active
        rows.append({"user_id": user_id, "project_id": getattr(project, "id", None), "kind": kind, "key": key,
                     "text": text, "text_made": made, "url": url or "", "created_at": now,
                     "emailed_at": now if emailed else None})
        if emailed:
            words = worded.get(user.locale)
            if words is None:
                with _in_language_of(user):
                    shown = localized(text, made)
                    words = worded[user.locale] = (_("Co-creation workspace: %(text)s", text=_shorten(shown)),
                                                   _email_body(shown, url))
            mails.append((user.email, *words))
    if not rows:
        return 0
    # One INSERT for all the notes and one for all the mail: an action that tells six people
    # sends two statements, not twelve. The table's (Core) insert, not the ORM's bulk one, which
    # cost a goal decision about 0.4 ms more for the same statement (issue 19).
    db.session.execute(Notification.__table__.insert(), rows)
    queue_mails(mails, later=later or current_app.config["NOTIFICATION_MAIL_BY_SENDER"])
    return len(rows)


def notify_project(project, roles, kind, key, text, url="", actor=None):
    """Notify the members of `project` who hold one of `roles` ('student', 'partner')."""
    users = db.session.scalars(
        db.select(User).join(ProjectMember, ProjectMember.user_id == User.id)
        .where(ProjectMember.project_id == project.id, ProjectMember.role.in_(roles))
    ).all()
    return notify(users, kind, key, text, url, project=project, actor=actor)


def unread_count(user) -> int:
    return db.session.scalar(
        db.select(func.count()).select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def badge_state(user) -> str:
    """Changes whenever the unread list changes: lets the polling endpoint answer 204 cheaply."""
    return badge_state_of(*db.session.execute(db.select(*badge_state_columns(user))).one())


def badge_state_columns(user) -> list:
    """The bell's state (unread count, newest unread id) as two scalar subqueries, to be read alone
    (`badge_state`) or beside the navigation's waiting counts in one statement."""
    unread = (Notification.user_id == user.id, Notification.read_at.is_(None))
    return [db.select(func.count()).select_from(Notification).where(*unread).scalar_subquery(),
            db.select(func.max(Notification.id)).where(*unread).scalar_subquery()]


def badge_state_of(count, newest) -> str:
    return f"{count or 0}-{newest or 0}"


def mark_read(user, notification_ids=None) -> int:
    query = db.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_ids is not None:
        query = query.where(Notification.id.in_(notification_ids))
    return db.session.execute(query.values(read_at=utcnow())).rowcount


def set_email_preference(user, choice: str) -> None:
    pref = db.session.get(EmailPreference, user.id)
    if pref is None:
        pref = EmailPreference(user_id=user.id)
        db.session.add(pref)
    pref.email = choice


def email_preference(user) -> str:
    return db.session.scalar(db.select(EmailPreference.email).where(EmailPreference.user_id == user.id)) or IMMEDIATE


def queue_digests(now=None) -> int:
    """One e-mail per digest reader with what they have not read nor been e-mailed, once a day."""
    now = now or utcnow()
    cutoff = now - timedelta(hours=23)
    readers = db.session.execute(
        db.select(EmailPreference, User).join(User, User.id == EmailPreference.user_id)
        .where(EmailPreference.email == DIGEST, User.active.is_(True),
               (EmailPreference.last_digest_at.is_(None)) | (EmailPreference.last_digest_at <= cutoff))
    ).all()
    sent = 0
    for pref, user in readers:
        notes = db.session.scalars(
            db.select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None),
                                          Notification.emailed_at.is_(None)).order_by(Notification.created_at)
        ).all()
        pref.last_digest_at = now
        if not notes:
            continue
        with _in_language_of(user):
            texts = [localized(n.text, n.text_made) for n in notes]
            lines = [f"- {t}\n  {_absolute(n.url)}" if n.url else f"- {t}" for t, n in zip(texts, notes)]
            queue_mail(user.email, _("Co-creation workspace: %(num)s things for you today", num=len(notes)),
                       _("Waiting for you in the co-creation workspace:") + "\n\n" + "\n".join(lines),
                       later=True)  # queued by the mail sender itself, which sends it next
        for note in notes:
            note.emailed_at = now
        sent += 1
    return sent


def _in_language_of(user):
    """E-mail in the recipient's chosen language; without a choice, in the current one."""
    return force_locale(user.locale) if user.locale else nullcontext()


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _absolute(path: str) -> str:
    if not path or path.startswith("http"):
        return path
    if has_request_context():
        return url_for("main.index", _external=True).rstrip("/") + path
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def _email_body(text: str, url: str) -> str:
    body = text
    if url:
        body += "\n\n" + _("Open it in the workspace (you are asked to sign in first if needed):") + "\n" + _absolute(url)
    body += "\n\n" + _("You get these e-mails because of your notification settings in the workspace.")
    return body
