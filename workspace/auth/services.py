"""Account rules: signing in, password resets and invitations, independent of HTTP."""
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import func

from ..activity import record
from ..extensions import db
from ..i18n import N_
from ..mail import send_mail
from ..models import (
    CourseStaff, Invitation, OrganisationMember, PasswordResetToken, ProjectMember, User,
)
from ..models.base import utcnow
from ..policy import forget_standing
from ..security import hash_token, new_token


class InvitationProblem(Exception):
    """An invitation that can no longer be used; the message says why."""


def find_user(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    user = find_user(email)
    if user is None or not user.active or not user.check_password(password):
        return None
    return user


# ---- password reset --------------------------------------------------------------------------

def request_password_reset(email: str) -> None:
    """E-mail a single-use link if the account exists; say nothing either way."""
    from ..sso.services import tell_sso_only  # the SSO rules build on this module
    user = find_user(email)
    if user is None or not user.active or tell_sso_only(user, "password_reset"):
        return
    token, digest = new_token()
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    db.session.add(PasswordResetToken(user=user, token_hash=digest, expires_at=utcnow() + timedelta(minutes=minutes)))
    link = url_for("auth.reset_password", token=token, _external=True)
    send_mail(user.email, _("Reset your password"), _(
        "Someone asked to reset the password of your co-creation workspace account.\n\n"
        "Open this link within %(minutes)s minutes to choose a new password:\n%(link)s\n\n"
        "If it was not you, ignore this message; your password stays as it is.",
        minutes=minutes, link=link,
    ))


def usable_reset_token(token: str) -> PasswordResetToken | None:
    row = db.session.scalar(db.select(PasswordResetToken).where(PasswordResetToken.token_hash == hash_token(token)))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def reset_password(row: PasswordResetToken, password: str) -> User:
    row.used_at = utcnow()
    user = row.user
    user.set_password(password)
    user.end_sessions()
    record(user, "reset_password", user, _("%(name)s reset their password", name=user.name))
    return user


def change_password(user: User, password: str) -> None:
    user.set_password(password)
    user.end_sessions()
    record(user, "changed_password", user, _("%(name)s changed their password", name=user.name))


# ---- invitations -----------------------------------------------------------------------------

ROLE_LABELS = {"student": N_("student"), "partner": N_("partner"), "teacher": N_("co-teacher")}


def invite(inviter: User, email: str, role: str, course, project=None) -> tuple[Invitation, str]:
    """Create an invitation and e-mail its link; returns the invitation and the link to copy."""
    token, digest = new_token()
    days = current_app.config["INVITATION_DAYS"]
    invitation = Invitation(
        token_hash=digest, email=email, role=role, course=course, project=project,
        invited_by=inviter, expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(invitation)
    db.session.flush()
    link = url_for("auth.invitation", token=token, _external=True)
    where = project.title if project is not None else course.name
    record(inviter, "invited", invitation, _(
        "%(name)s invited %(email)s as %(role)s to %(where)s",
        name=inviter.name, email=email, role=_(ROLE_LABELS[role]), where=where,
    ), project=project, course=course)
    send_mail(email, _("You are invited to %(where)s", where=where), _(
        "%(name)s invites you to join %(where)s in the co-creation workspace as %(role)s.\n\n"
        "Open this link within %(days)s days to accept:\n%(link)s",
        name=inviter.name, where=where, role=_(ROLE_LABELS[role]), days=days, link=link,
    ))
    return invitation, link


def invitation_for_token(token: str) -> Invitation:
    """The invitation behind a link, or InvitationProblem saying why it cannot be used."""
    invitation = db.session.scalar(db.select(Invitation).where(Invitation.token_hash == hash_token(token)))
    if invitation is None:
        raise InvitationProblem(_("This invitation link is not valid. Check that you copied the whole link."))
    if invitation.accepted_at is not None:
        raise InvitationProblem(_("This invitation has already been used. Log in to reach your workspace."))
    if invitation.revoked_at is not None:
        raise InvitationProblem(_("This invitation was withdrawn. Ask your teacher for a new one."))
    if invitation.expires_at <= utcnow():
        raise InvitationProblem(_("This invitation has expired. Ask your teacher for a new one."))
    return invitation


def accept_invitation(invitation: Invitation, user: User) -> None:
    """Give the user the invited role; the invitation cannot be used again."""
    now = utcnow()
    # Claim the invitation with a guarded UPDATE so two clicks cannot both use it.
    claimed = db.session.execute(
        db.update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .values(accepted_at=now, accepted_by_id=user.id)
    ).rowcount
    if claimed != 1:
        raise InvitationProblem(_("This invitation has already been used. Log in to reach your workspace."))
    db.session.refresh(invitation)
    if invitation.role == "teacher":
        user.is_teacher = True
        if not db.session.scalar(db.select(CourseStaff).filter_by(course_id=invitation.course_id, user_id=user.id)):
            db.session.add(CourseStaff(course_id=invitation.course_id, user_id=user.id))
        record(user, "joined", invitation, _("%(name)s joined %(course)s as co-teacher",
                                             name=user.name, course=invitation.course.name),
               course=invitation.course)
    elif invitation.project is not None:
        project = invitation.project
        member = db.session.scalar(db.select(ProjectMember).filter_by(project_id=project.id, user_id=user.id))
        if member is None:
            db.session.add(ProjectMember(project_id=project.id, user_id=user.id, role=invitation.role))
        else:
            member.role = invitation.role
        if invitation.role == "partner" and not db.session.scalar(
            db.select(OrganisationMember).filter_by(organisation_id=project.organisation_id, user_id=user.id)
        ):
            db.session.add(OrganisationMember(organisation_id=project.organisation_id, user_id=user.id))
        record(user, "joined", invitation, _("%(name)s joined the project as %(role)s",
                                             name=user.name, role=_(ROLE_LABELS[invitation.role])),
               project=project)
    if invitation.role == "student":
        from ..enrolment.services import enrol_invited

        enrol_invited(user, invitation)  # a student of the project is a student of its course
    forget_standing()


def sign_up(invitation: Invitation, name: str, password: str) -> User:
    """Create the invitee's account and accept the invitation with it."""
    user = User(email=invitation.email, name=name)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    accept_invitation(invitation, user)
    return user
