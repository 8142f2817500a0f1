"""The rules of course enrolment: importing a class list, the join code, leaving and re-enrolling."""
import secrets
from collections import defaultdict
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from ..activity import record
from ..auth import limits
from ..extensions import db
from ..mail import queue_mail
from ..models import CourseEnrolment, CourseJoinCode, CourseStaff, Invitation, ProjectMember
from ..models.base import utcnow
from ..models.enrolment import ENROLLED, LEFT
from ..notifications.services import notify
from ..policy import enrolled_in, forget_standing
from ..rules import Refused
from ..security import new_token
from .roster import ENROL, ERROR, INVITE, UPDATE

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
CODE_LENGTH = 8
JOIN_FAILURES_PER_IP = 20  # wrong codes from one address per JOIN_WINDOW before it must wait
JOIN_WINDOW = 600
EMAIL_REQUESTS_PER_IP = 5  # invitation e-mails asked for with a code, per address per hour


# ---- the class list ----------------------------------------------------------------------------

def invite_student(actor, course, email: str, project=None, student_number: str = "", later: bool = True) -> Invitation:
    """A course-level invitation (and the team's, when a project is given); its e-mail goes through the outbox."""
    token, digest = new_token()
    days = current_app.config["INVITATION_DAYS"]
    invitation = Invitation(token_hash=digest, email=email, role="student", course=course, project=project,
                            invited_by=actor, student_number=student_number,
                            expires_at=utcnow() + timedelta(days=days))
    db.session.add(invitation)
    link = url_for("auth.invitation", token=token, _external=True)
    where = _("%(course)s, team %(project)s", course=course.name, project=project.title) if project else course.name
    queue_mail(email, _("You are enrolled in %(course)s", course=course.name), _(
        "You are enrolled as a student in %(where)s in the co-creation workspace.\n\n"
        "Open this link within %(days)s days to create your account (or log in) and join:\n%(link)s",
        where=where, days=days, link=link,
    ), later=later)
    return invitation


def import_rows(actor, course, rows) -> dict:
    """Apply a previewed class list in the request's one transaction; refuses while any row has an error."""
    bad = [row for row in rows if row.outcome == ERROR]
    if bad:
        raise Refused(ngettext("Nothing was imported: %(num)s line has a problem. Correct it and upload the file again.",
                               "Nothing was imported: %(num)s lines have problems. Correct them and upload the file "
                               "again.", len(bad)), 422)
    counts = {"invited": 0, "enrolled": 0, "updated": 0}
    told = defaultdict(list)  # project (or None) -> people enrolled or added to its team
    for row in rows:
        if row.outcome == INVITE:
            invite_student(actor, course, row.email, row.project, row.student_number)
            counts["invited"] += 1
        elif row.outcome == ENROL:
            db.session.add(CourseEnrolment(course_id=course.id, user_id=row.user.id, source="csv",
                                           student_number=row.student_number))
            counts["enrolled"] += 1
        elif row.outcome == UPDATE:
            if row.student_number:
                row.enrolment.student_number = row.student_number
            counts["updated"] += 1
        else:
            continue
        if row.user is not None and row.project is not None:
            db.session.add(ProjectMember(project_id=row.project.id, user_id=row.user.id, role="student"))
        if row.user is not None and (row.outcome == ENROL or row.project is not None):
            told[row.project].append(row.user)
    if not any(counts.values()):
        return counts
    for project, users in told.items():
        if project is None:
            notify(users, "enrolment", f"enrolled-{course.id}", _(
                "%(name)s enrolled you in the course %(course)s", name=actor.name, course=course.name),
                url_for("main.home"), actor=actor, later=True)
        else:
            notify(users, "enrolment", f"team-{project.id}", _(
                "%(name)s added you to the team of %(project)s (course %(course)s)",
                name=actor.name, project=project.title, course=course.name),
                url_for("projects.show", project_id=project.id), project=project, actor=actor, later=True)
    record(actor, "imported", course, _(
        "%(name)s imported a class list into %(course)s: %(enrolled)s enrolled, %(invited)s invited, "
        "%(updated)s updated", name=actor.name, course=course.name, **counts), course=course)
    forget_standing()
    return counts


def enrol_invited(user, invitation: Invitation) -> None:
    """Accepting a student invitation enrols in its course (again, when marked as left: the teacher asked)."""
    enrolment = db.session.scalar(db.select(CourseEnrolment).filter_by(course_id=invitation.course_id, user_id=user.id))
    if enrolment is None:
        db.session.add(CourseEnrolment(course_id=invitation.course_id, user_id=user.id, source="invitation",
                                       student_number=invitation.student_number))
    elif enrolment.status == LEFT:
        enrolment.status, enrolment.left_at = ENROLLED, None
    if invitation.project_id is None:
        record(user, "joined", invitation, _("%(name)s enrolled in %(course)s", name=user.name,
                                             course=invitation.course.name), course=invitation.course)


# ---- leaving and coming back ---------------------------------------------------------------------

def mark_left(actor, enrolment: CourseEnrolment) -> None:
    """Nothing is deleted: the student stays in the list as left, with their work."""
    if enrolment.status == LEFT:
        raise Refused(_("%(name)s is marked as left already.", name=enrolment.user.name))
    enrolment.status, enrolment.left_at = LEFT, utcnow()
    record(actor, "left", enrolment, _("%(actor)s marked %(name)s as having left %(course)s", actor=actor.name,
                                       name=enrolment.user.name, course=enrolment.course.name), course=enrolment.course)


def reenrol(actor, enrolment: CourseEnrolment) -> None:
    if enrolment.status == ENROLLED:
        raise Refused(_("%(name)s is enrolled already.", name=enrolment.user.name))
    enrolment.status, enrolment.left_at = ENROLLED, None
    record(actor, "reenrolled", enrolment, _("%(actor)s re-enrolled %(name)s in %(course)s", actor=actor.name,
                                             name=enrolment.user.name, course=enrolment.course.name),
           course=enrolment.course)


# ---- the join code ---------------------------------------------------------------------------------

def join_code_of(course) -> CourseJoinCode | None:
    return db.session.get(CourseJoinCode, course.id)


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def switch_join_code(actor, course, action: str) -> CourseJoinCode:
    """'on' (the code it had, or a first one), 'renew' (a new code: the old one stops working) or 'off'."""
    code = join_code_of(course)
    if code is None:
        if action == "off":
            raise Refused(_("This course has no join code to switch off."))
        code = CourseJoinCode(course_id=course.id, code=_new_code())
        db.session.add(code)
    elif action == "renew":
        code.code, code.active = _new_code(), True
    elif (action == "on") == code.active:
        raise Refused(_("The join code is switched on already.") if code.active
                      else _("The join code is switched off already."))
    else:
        code.active = action == "on"
    code.changed_at = utcnow()
    if action == "renew":
        summary = _("%(name)s renewed the join code of %(course)s", name=actor.name, course=course.name)
    elif action == "on":
        summary = _("%(name)s switched on the join code of %(course)s", name=actor.name, course=course.name)
    else:
        summary = _("%(name)s switched off the join code of %(course)s", name=actor.name, course=course.name)
    record(actor, f"join_code_{action}", course, summary, course=course)
    return code


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:CODE_LENGTH * 2]


def join_wait() -> int:
    """Seconds this address must wait after too many wrong codes (0: it may try)."""
    store = limits.counters()
    key = f"join-ip:{limits.client_ip()}"
    return max(1, store.ttl(key)) if store.get(key) >= JOIN_FAILURES_PER_IP else 0


def email_request_wait() -> int:
    """Count one request for an invitation e-mail from this address; seconds to wait when over the limit."""
    store = limits.counters()
    key = f"join-email-ip:{limits.client_ip()}"
    return max(1, store.ttl(key)) if store.incr(key, 3600) > EMAIL_REQUESTS_PER_IP else 0


def course_for_code(code: str):
    """The course whose switched-on code this is, or None (counted against the address)."""
    row = db.session.scalar(db.select(CourseJoinCode).where(CourseJoinCode.code == normalise_code(code),
                                                            CourseJoinCode.active.is_(True)))
    if row is None:
        limits.counters().incr(f"join-ip:{limits.client_ip()}", JOIN_WINDOW)
        return None
    return row.course


def join(user, course) -> CourseEnrolment | None:
    """Enrol with the course's code; None when enrolled already. Teachers and students marked as left are refused."""
    if db.session.scalar(db.select(CourseStaff.id).filter_by(course_id=course.id, user_id=user.id)):
        raise Refused(_("You teach this course: teachers are not enrolled as students."), 403)
    if enrolled_in(user, course):
        return None
    enrolment = db.session.scalar(db.select(CourseEnrolment).filter_by(course_id=course.id, user_id=user.id))
    if enrolment is not None:
        raise Refused(_("Your teacher marked you as having left this course. Ask them to enrol you again."), 403)
    enrolment = CourseEnrolment(course_id=course.id, user_id=user.id, source="join")
    db.session.add(enrolment)
    db.session.flush()
    record(user, "joined", enrolment, _("%(name)s joined %(course)s with the join code", name=user.name,
                                        course=course.name), course=course)
    forget_standing()
    return enrolment


def invite_by_code(course, email: str) -> Invitation:
    """Someone without a session asks to join: the invitation link proves the address before any account exists."""
    invitation = invite_student(None, course, email, later=False)
    db.session.flush()
    record(None, "invited", invitation, _("%(email)s asked to join %(course)s with the join code", email=email,
                                          course=course.name), course=course)
    return invitation
