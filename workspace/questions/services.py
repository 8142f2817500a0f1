"""The rules of partner questions: submitting and confirming by e-mail, the contact's secret link,
and the coordinator's steps (more information, match, park, decline), each on the question's
timeline, each mailed to the contact through the outbox.

The secret link's token is never stored: only its SHA-256, compared in constant time. Activity
entries carry the organisation's name and the step, never the question's text.
"""
import hmac

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func

from ..activity import record
from ..auth.services import find_user, invite
from ..extensions import db
from ..mail import send_mail
from ..models import Course, CourseStaff, Organisation, OrganisationMember
from ..models.base import utcnow
from ..models.question import (
    CONFIRMED_STATUSES, DECLINED, INFO_REQUESTED, MATCHED, NEW, OPEN, PARKED, UNCONFIRMED, WITHDRAWN,
    PartnerQuestion, QuestionEvent,
)
from ..organisations.services import parse_themes
from ..policy import teaches
from ..projects.services import create_project
from ..rules import Refused
from ..security import hash_token, new_token
from .forms import NEW_ORGANISATION

FIELDS = ("organisation_name", "contact_name", "contact_email", "problem", "affected", "hopes", "availability",
          "languages", "themes", "consent")


def _event(question, kind, actor=None, message="", public=True, detail="") -> QuestionEvent:
    event = QuestionEvent(question=question, kind=kind, actor_id=actor.id if actor else None, message=message,
                          public=public, detail=detail)
    db.session.add(event)
    return event


def _move(question, status) -> None:
    question.status = status
    question.waiting_since = utcnow()


def _link(token: str) -> str:
    return url_for("questions.follow", token=token, _external=True)


def _record(actor, verb, question, summary, course=None, project=None):
    return record(actor, verb, question, summary, course=course, project=project)


# ---- the contact -----------------------------------------------------------------------------------

def submit(data: dict) -> PartnerQuestion:
    """Store the question unconfirmed and e-mail the contact the link that confirms it (and follows it)."""
    token, digest = new_token()
    fields = {key: data[key] for key in FIELDS}
    fields["themes"] = ", ".join(parse_themes(fields["themes"] or ""))
    claimed = db.session.scalar(db.select(Organisation.id).where(
        func.lower(Organisation.name) == fields["organisation_name"].lower()))
    question = PartnerQuestion(token_hash=digest, status=UNCONFIRMED, claimed_organisation_id=claimed, **fields)
    db.session.add(question)
    db.session.flush()
    _event(question, "submitted")
    _record(None, "submitted", question, _("A partner question from %(org)s was submitted",
                                           org=question.organisation_name))
    send_mail(question.contact_email, _("Confirm your question to the co-creation workspace"), _(
        "Dear %(name)s,\n\nThank you for your question on behalf of %(org)s. Open this link to confirm it; "
        "only then does it reach our coordinators:\n%(link)s\n\n"
        "Keep this link: it shows what happens with your question, lets you answer our questions and "
        "withdraw it. Anyone with the link can do so, so do not share it.\n\n"
        "If you did not send a question, ignore this message and nothing happens.",
        name=question.contact_name, org=question.organisation_name, link=_link(token)))
    return question


def by_token(token: str) -> PartnerQuestion | None:
    """The question behind a secret link, or None; the stored hash is compared in constant time."""
    digest = hash_token(token or "")
    question = db.session.scalar(db.select(PartnerQuestion).where(PartnerQuestion.token_hash == digest))
    if question is None or not hmac.compare_digest(question.token_hash, digest):
        return None
    return question


def confirm(question: PartnerQuestion) -> bool:
    """The contact opened the link and confirmed: the question joins the queue. False if it already had."""
    if question.status != UNCONFIRMED:
        return False
    _move(question, NEW)
    question.confirmed_at = utcnow()
    _event(question, "confirmed")
    if question.claimed_organisation_id and _member_of(question.contact_email, question.claimed_organisation_id):
        question.organisation_id = question.claimed_organisation_id
        _event(question, "organisation_verified", public=False)
    _record(None, "confirmed", question, _("The partner question from %(org)s was confirmed",
                                           org=question.organisation_name))
    return True


def _member_of(email: str, organisation_id: int) -> bool:
    user = find_user(email)
    return user is not None and db.session.scalar(db.select(OrganisationMember.id).filter_by(
        organisation_id=organisation_id, user_id=user.id)) is not None


def answer(question: PartnerQuestion, message: str) -> None:
    """The contact answers the coordinator's request; the question waits for a coordinator again."""
    if question.status != INFO_REQUESTED:
        raise Refused(_("No question of ours waits for your answer."))
    _move(question, NEW)
    _event(question, "answered", message=message)
    _record(None, "answered", question, _("The contact of %(org)s answered the request for more information",
                                          org=question.organisation_name))


def withdraw(question: PartnerQuestion) -> None:
    if question.status not in (UNCONFIRMED, *OPEN):
        raise Refused(_("This question can no longer be withdrawn."))
    _move(question, WITHDRAWN)
    _event(question, "withdrawn")
    _record(None, "withdrawn", question, _("The contact withdrew the partner question from %(org)s",
                                           org=question.organisation_name))


# ---- the coordinator -------------------------------------------------------------------------------

def _open(question) -> None:
    if question.status not in OPEN:
        raise Refused(_("This question is closed: nothing can be done with it any more."))


def _tell(question, subject, body) -> None:
    """Mail the contact with the link to their question (a new token: the old one is not known)."""
    token, question.token_hash = new_token()
    send_mail(question.contact_email, subject, body + "\n\n" + _(
        "See your question and everything that happened with it here:\n%(link)s\n"
        "This link replaces the one you received before.", link=_link(token)))


def ask(actor, question: PartnerQuestion, message: str) -> None:
    _open(question)
    _move(question, INFO_REQUESTED)
    _event(question, "info_requested", actor, message)
    _record(actor, "asked", question, _("%(name)s asked %(org)s for more information about their question",
                                        name=actor.name, org=question.organisation_name))
    _tell(question, _("A question about your question"), _(
        "Dear %(name)s,\n\nOur coordinator would like to know more about your question:\n\n%(message)s\n\n"
        "You can answer through the link below.", name=question.contact_name, message=message))


def park(actor, question: PartnerQuestion, term: str, message: str = "") -> None:
    _open(question)
    _move(question, PARKED)
    question.term = term
    _event(question, "parked", actor, message, detail=term)
    _record(actor, "parked", question, _("%(name)s parked the question of %(org)s for %(term)s",
                                         name=actor.name, org=question.organisation_name, term=term))
    _tell(question, _("Your question is planned for a later term"), _(
        "Dear %(name)s,\n\nWe would like to take up your question in %(term)s. %(message)s",
        name=question.contact_name, term=term, message=message))


def decline(actor, question: PartnerQuestion, reason: str) -> None:
    _open(question)
    _move(question, DECLINED)
    question.decline_reason = reason
    _event(question, "declined", actor, reason)
    _record(actor, "declined", question, _("%(name)s declined the question of %(org)s",
                                           name=actor.name, org=question.organisation_name))
    _tell(question, _("About your question"), _(
        "Dear %(name)s,\n\nWe cannot take up your question. The reason:\n\n%(reason)s",
        name=question.contact_name, reason=reason))


def match(actor, question: PartnerQuestion, course: Course, organisation_id: int, title: str, start_date,
          end_date):
    """Create the project in `course` with the problem as first presented, and invite the contact as partner."""
    _open(question)
    if not teaches(actor, course):
        raise Refused(_("Choose a course you teach."), 403)
    organisation = _organisation_for(actor, question, organisation_id)
    merged = parse_themes(f"{organisation.themes},{question.themes}")
    organisation.themes = ", ".join(merged)[:500]
    project = create_project(actor, course, organisation=organisation, title=title,
                             problem_statement=question.problem, start_date=start_date, end_date=end_date)
    question.organisation_id, question.course_id, question.project_id = organisation.id, course.id, project.id
    question.term = course.term
    _move(question, MATCHED)
    _event(question, "matched", actor, detail=f"{course.name}: {title}"[:300])
    _record(actor, "matched", question, _("%(name)s matched the question of %(org)s to this course",
                                          name=actor.name, org=organisation.name), course=course)
    invite(actor, question.contact_email, "partner", course, project)
    _tell(question, _("Your question is taken up"), _(
        "Dear %(name)s,\n\nGood news: a student team in %(course)s will work on your question in the project "
        "%(title)s. You receive a separate invitation to the project's workspace.",
        name=question.contact_name, course=course.name, title=title))
    return project


def _organisation_for(actor, question, organisation_id) -> Organisation:
    if organisation_id != NEW_ORGANISATION:
        organisation = db.session.get(Organisation, organisation_id)
        if organisation is None:
            raise Refused(_("Choose an organisation from the list."), 422)
        return organisation
    name = question.organisation_name
    if db.session.scalar(db.select(Organisation.id).where(func.lower(Organisation.name) == name.lower())):
        raise Refused(_("An organisation with this name exists already: choose it from the list."), 422)
    organisation = Organisation(name=name)
    db.session.add(organisation)
    db.session.flush()
    record(actor, "created", organisation, _("%(name)s registered the organisation %(org)s", name=actor.name,
                                             org=name))
    return organisation


# ---- reading ---------------------------------------------------------------------------------------

def queue(status: str, theme: str, term: str):
    """The confirmed questions, filtered, the longest waiting first."""
    query = db.select(PartnerQuestion).where(PartnerQuestion.status.in_(CONFIRMED_STATUSES))
    if status:
        query = query.where(PartnerQuestion.status == status)
    if theme:
        escaped = theme.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(PartnerQuestion.themes).like(f"%{escaped}%", escape="\\"))
    if term:
        query = query.where(PartnerQuestion.term == term)
    return query.order_by(PartnerQuestion.waiting_since, PartnerQuestion.id)


def counts() -> dict[str, int]:
    """Confirmed questions per status: one query."""
    rows = db.session.execute(db.select(PartnerQuestion.status, func.count()).where(
        PartnerQuestion.status.in_(CONFIRMED_STATUSES)).group_by(PartnerQuestion.status)).all()
    found = dict(rows)
    return {status: found.get(status, 0) for status in CONFIRMED_STATUSES}


def terms() -> list[str]:
    return list(db.session.scalars(db.select(PartnerQuestion.term).where(PartnerQuestion.term != "").distinct()
                                   .order_by(PartnerQuestion.term)))


def courses_for(actor) -> list[Course]:
    """The courses a coordinator may match to: the ones they teach (an admin: all)."""
    query = db.select(Course).order_by(Course.created_at.desc(), Course.name)
    if not actor.is_admin:
        query = query.join(CourseStaff, CourseStaff.course_id == Course.id).where(CourseStaff.user_id == actor.id)
    return list(db.session.scalars(query))


def organisations() -> list[Organisation]:
    return list(db.session.scalars(db.select(Organisation).order_by(Organisation.name)))
