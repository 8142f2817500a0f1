"""After the project: the question is asked once per project, `after_project_months` (a course
setting) after the project's end date, by `flask ask-after-project` (run it daily); the
project's partner members are notified in the workspace and by e-mail (as their notification
settings say) and answer on their home page. The answers show on the organisation page and the
teacher dashboard: was capacity really built?"""
import calendar
from datetime import date
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import bindparam
from sqlalchemy.orm import joinedload

from ..activity import record
from ..extensions import db
from ..i18n import N_
from ..models import AfterProjectQuestion, Course, Project, ProjectMember
from ..models.base import utcnow
from ..notifications.services import notify
from ..projects.services import partners_by_project
from ..rules import Refused, check_version

ANSWER_LABELS = {"yes": N_("Yes"), "partly": N_("Partly"), "no": N_("No")}  # shown with _()
# Shown next to the words, never instead of them.
ANSWER_ICONS = {"yes": "✓", "partly": "◐", "no": "✕"}


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def asking_date(project, course) -> date:
    return add_months(project.end_date, course.after_project_months)


def answer_url(project_id: int) -> str:
    return f"/projects/{project_id}/after-project"


def ask_due(today: date | None = None) -> int:
    """Ask every project whose asking date has come and that was not asked yet; returns how many.
    A second run asks nobody twice (one question per project, unique in the table)."""
    today = today or date.today()
    rows = db.session.execute(
        db.select(Project, Course).join(Course, Course.id == Project.course_id)
        .outerjoin(AfterProjectQuestion, AfterProjectQuestion.project_id == Project.id)
        .where(AfterProjectQuestion.id.is_(None), Project.end_date < today)
        .order_by(Project.end_date, Project.id)
    ).all()
    due = [project for project, course in rows if asking_date(project, course) <= today]
    if not due:
        return 0
    partners = partners_by_project(p.id for p in due)
    for project in due:
        ask(project, partners.get(project.id, []))
    db.session.flush()
    return len(due)


def ask(project, partners, email: bool = True) -> AfterProjectQuestion:
    """Put the two questions to the project's partners: a timeline entry and a notification each."""
    question = AfterProjectQuestion(project_id=project.id)
    db.session.add(question)
    db.session.flush()
    record(None, "asked", question,
           _("The partner was asked whether the result of “%(title)s” is still in use and whether they can carry "
             "on without the team", title=project.title), project=project)
    notify(partners, "after_project", f"after-project-{question.id}",
           _("Some months after “%(title)s”: is the result still in use, and can you carry on without the team? "
             "Two short questions.", title=project.title), answer_url(project.id), project=project, email=email)
    return question


def answer(actor, question, submitted_version, still_in_use: str, still_in_use_comment: str, carry_on: str,
           carry_on_comment: str) -> None:
    """A partner answers both questions, once; the answer is then part of the project's record."""
    if question.answered_at is not None:
        raise Refused(_("These questions are already answered."), 409)
    check_version(question, submitted_version)
    question.still_in_use, question.still_in_use_comment = still_in_use, still_in_use_comment
    question.carry_on, question.carry_on_comment = carry_on, carry_on_comment
    question.answered_at, question.answered_by_id = utcnow(), actor.id
    record(actor, "answered", question,
           _("%(name)s answered the after-project questions: result still in use: %(use)s; can carry on without "
             "the team: %(carry)s", name=actor.name, use=_(ANSWER_LABELS[still_in_use]),
             carry=_(ANSWER_LABELS[carry_on])), project=question.project)
    db.session.flush()


# ---- what other pages show (each one query) ------------------------------------------------------

def open_questions_for(user) -> list[AfterProjectQuestion]:
    """Unanswered questions of the projects where this person is a partner."""
    return list(db.session.scalars(_open_questions_statement(), {"user_id": user.id}))


def _open_questions(user_id, *columns):
    return (db.select(*columns)
            .join(ProjectMember, (ProjectMember.project_id == AfterProjectQuestion.project_id)
                  & (ProjectMember.user_id == user_id) & (ProjectMember.role == "partner"))
            .where(AfterProjectQuestion.answered_at.is_(None)))


@cache
def _open_questions_statement():
    """Built once per process (it is asked on every home page); the person is `user_id`."""
    return (_open_questions(bindparam("user_id"), AfterProjectQuestion)
            .options(joinedload(AfterProjectQuestion.project).joinedload(Project.course))
            .order_by(AfterProjectQuestion.asked_at, AfterProjectQuestion.id))


def open_questions_probe(user):
    """Whether `open_questions_for` finds anything, as a SELECT (the home page's probe)."""
    return _open_questions(user.id, AfterProjectQuestion.id)


def _questions_of(condition, with_related) -> list[AfterProjectQuestion]:
    """Questions of the projects matching `condition`, with the project and `with_related` loaded."""
    return list(db.session.scalars(
        db.select(AfterProjectQuestion).join(Project, Project.id == AfterProjectQuestion.project_id).where(condition)
        .options(joinedload(AfterProjectQuestion.project).joinedload(with_related),
                 joinedload(AfterProjectQuestion.answered_by))
        .order_by(Project.end_date.desc(), Project.title, Project.id)
    ))


def questions_of_organisation(organisation) -> list[AfterProjectQuestion]:
    """Every question asked about the organisation's projects, most recently ended first."""
    return _questions_of(Project.organisation_id == organisation.id, Project.course)


def questions_of_course(course) -> list[AfterProjectQuestion]:
    """Every question asked about the course's projects, most recently ended first."""
    return list(db.session.scalars(_course_questions_statement(), {"course_id": course.id}))


@cache
def _course_questions_statement():
    """_questions_of for a course, built once per process (every teacher dashboard asks it): `course_id`."""
    return (
        db.select(AfterProjectQuestion).join(Project, Project.id == AfterProjectQuestion.project_id)
        .where(Project.course_id == bindparam("course_id"))
        .options(joinedload(AfterProjectQuestion.project).joinedload(Project.organisation),
                 joinedload(AfterProjectQuestion.answered_by))
        .order_by(Project.end_date.desc(), Project.title, Project.id)
    )
