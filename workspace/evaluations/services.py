"""The rules of the partner's evaluation. It is asked once per project: by `flask ask-evaluations`
(run it daily) the day after the project's end date, or earlier when a teacher asks. Each partner
of the project answers once and may edit the answer until a teacher closes the evaluation; the
team reads the answers only after a teacher releases them. Activity entries never carry scores."""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import bindparam
from sqlalchemy.orm import joinedload, selectinload

from ..activity import record
from ..checkups.services import asked_values
from ..extensions import db
from ..i18n import N_
from ..models import EvaluationAnswer, PartnerEvaluation, Project, ProjectMember
from ..models.base import utcnow
from ..notifications.services import notify
from ..projects.services import partners_by_project
from ..rules import Refused, check_version

WORK_AGAIN_LABELS = {"yes": N_("Yes"), "maybe": N_("Maybe"), "no": N_("No")}  # shown with _()
# Projects that ended longer ago are not asked by the command (its first run would ask all history).
ASK_WITHIN_DAYS = 60


def answer_url(project_id: int) -> str:
    return f"/projects/{project_id}/evaluation"


def ask_due(today: date | None = None) -> int:
    """Ask every project that ended (within ASK_WITHIN_DAYS), has partners and was not asked yet; returns how many.
    A second run asks nobody twice (one evaluation per project, unique in the table)."""
    today = today or date.today()
    due = list(db.session.scalars(
        db.select(Project).outerjoin(PartnerEvaluation, PartnerEvaluation.project_id == Project.id)
        .where(PartnerEvaluation.id.is_(None), Project.end_date < today,
               Project.end_date >= today - timedelta(days=ASK_WITHIN_DAYS))
        .options(joinedload(Project.course)).order_by(Project.end_date, Project.id)
    ))
    if not due:
        return 0
    partners = partners_by_project(p.id for p in due)
    asked = 0
    for project in due:
        people = partners.get(project.id, [])
        if people:  # a project without partner members is asked once it has them
            ask(None, project, people)
            asked += 1
    db.session.flush()
    return asked


def ask(actor, project, partners, email: bool = True) -> PartnerEvaluation:
    """Put the evaluation to the project's partners: a timeline entry and a notification (and e-mail) each."""
    if db.session.scalar(db.select(PartnerEvaluation.id).filter_by(project_id=project.id)) is not None:
        raise Refused(_("The partner has already been asked to evaluate this project."), 409)
    if not partners:
        raise Refused(_("This project has no partner members to ask yet: invite them first."), 409)
    evaluation = PartnerEvaluation(project_id=project.id, value_keys=asked_values(project.course),
                                   asked_by_id=actor.id if actor else None)
    db.session.add(evaluation)
    db.session.flush()
    record(actor, "asked", evaluation,
           _("The partner was asked to evaluate the collaboration in “%(title)s”", title=project.title),
           project=project)
    notify(partners, "evaluation", f"evaluation-{evaluation.id}",
           _("“%(title)s” has ended: how did the collaboration go? A short evaluation for your organisation.",
             title=project.title), answer_url(project.id), project=project, actor=actor, email=email)
    return evaluation


def answer_of(evaluation, user) -> EvaluationAnswer | None:
    return next((a for a in evaluation.answers if a.user_id == user.id), None)


def save_answer(actor, evaluation, submitted_version, scores: dict, changed: str, work_again: str,
                work_again_why: str) -> EvaluationAnswer:
    """A partner answers, or edits their answer while the evaluation is open."""
    if evaluation.closed_at is not None:
        raise Refused(_("The teacher has closed this evaluation: answers can no longer change."), 409)
    if set(scores) != set(evaluation.value_keys):
        raise Refused(_("Score every value."), 422)
    existing = answer_of(evaluation, actor)
    if existing is None:
        existing = EvaluationAnswer(evaluation=evaluation, user_id=actor.id, work_again=work_again)
        db.session.add(existing)
        verb, summary = "answered", _("%(name)s answered the evaluation of the collaboration", name=actor.name)
    else:
        check_version(existing, submitted_version)
        verb, summary = "edited", _("%(name)s changed their evaluation of the collaboration", name=actor.name)
    existing.scores, existing.changed = scores, changed
    existing.work_again, existing.work_again_why = work_again, work_again_why
    record(actor, verb, evaluation, summary, project=evaluation.project)
    db.session.flush()
    return existing


def close(actor, evaluation) -> None:
    if evaluation.closed_at is not None:
        raise Refused(_("This evaluation is already closed."), 409)
    evaluation.closed_at = utcnow()
    record(actor, "closed", evaluation, _("%(name)s closed the partner's evaluation", name=actor.name),
           project=evaluation.project)
    db.session.flush()


def release(actor, evaluation) -> None:
    """The team may read the answers from now on; a closed evaluation only, so they read the final ones."""
    if evaluation.closed_at is None:
        raise Refused(_("Close the evaluation before releasing it to the team."), 409)
    if evaluation.released_at is not None:
        raise Refused(_("This evaluation is already released to the team."), 409)
    evaluation.released_at = utcnow()
    record(actor, "released", evaluation,
           _("%(name)s released the partner's evaluation to the team", name=actor.name), project=evaluation.project)
    db.session.flush()


# ---- what other pages show (each one query) ------------------------------------------------------

def _with_answers(query):
    return query.options(selectinload(PartnerEvaluation.answers).joinedload(EvaluationAnswer.user))


@cache
def _evaluation_of_statement():
    """Built once per process; the project is the bound parameter `project_id`."""
    return _with_answers(db.select(PartnerEvaluation).where(PartnerEvaluation.project_id == bindparam("project_id")))


def evaluation_of(project) -> PartnerEvaluation | None:
    return db.session.scalar(_evaluation_of_statement(), {"project_id": project.id})


def open_for(user) -> list[PartnerEvaluation]:
    """Open evaluations of the projects where this person is a partner and has not answered yet."""
    return list(db.session.scalars(_open_for_statement(), {"user_id": user.id}))


def _open_for(user_id, *columns):
    # NOT EXISTS on (evaluation, person), not NOT IN: the latter read every answer of every evaluation.
    answered = db.select(EvaluationAnswer.id).where(EvaluationAnswer.evaluation_id == PartnerEvaluation.id,
                                                    EvaluationAnswer.user_id == user_id)
    return (db.select(*columns)
            .join(ProjectMember, (ProjectMember.project_id == PartnerEvaluation.project_id)
                  & (ProjectMember.user_id == user_id) & (ProjectMember.role == "partner"))
            .where(PartnerEvaluation.closed_at.is_(None), ~answered.exists()))


@cache
def _open_for_statement():
    """Built once per process (it is asked on every home page); the person is `user_id`."""
    return (_open_for(bindparam("user_id"), PartnerEvaluation)
            .options(joinedload(PartnerEvaluation.project).joinedload(Project.course))
            .order_by(PartnerEvaluation.asked_at, PartnerEvaluation.id))


def open_probe(user):
    """Whether `open_for` finds anything, as a SELECT (the home page's probe)."""
    return _open_for(user.id, PartnerEvaluation.id)


def of_organisation(organisation) -> list[PartnerEvaluation]:
    """The answered evaluations of the organisation's projects, most recently ended first."""
    return list(db.session.scalars(_with_answers(
        db.select(PartnerEvaluation).join(Project, Project.id == PartnerEvaluation.project_id)
        .where(Project.organisation_id == organisation.id, PartnerEvaluation.answers.any())
        .options(joinedload(PartnerEvaluation.project).joinedload(Project.course))
        .order_by(Project.end_date.desc(), Project.id)
    )))


@dataclass
class EvaluationSignal:
    """What the dashboard shows of a project's evaluation."""

    end_date: date
    closed: bool
    released: bool
    scores: list = field(default_factory=list)  # every score of every answer
    work_again: list = field(default_factory=list)  # every answer's yes / maybe / no

    @property
    def answered(self) -> int:
        return len(self.work_again)

    @property
    def average(self) -> float | None:
        return round(sum(self.scores) / len(self.scores), 1) if self.scores else None


@cache
def _course_evaluations_statement():
    """Built once per process (every dashboard asks it); the projects are `ids`."""
    return (db.select(PartnerEvaluation.project_id, Project.end_date, PartnerEvaluation.closed_at,
                      PartnerEvaluation.released_at, EvaluationAnswer.scores, EvaluationAnswer.work_again)
            .join(Project, Project.id == PartnerEvaluation.project_id)
            .outerjoin(EvaluationAnswer, EvaluationAnswer.evaluation_id == PartnerEvaluation.id)
            .where(PartnerEvaluation.project_id.in_(bindparam("ids", expanding=True))).order_by(EvaluationAnswer.id))


def course_evaluations(ids) -> dict[int, EvaluationSignal]:
    """{project id: signal} for the dashboard's projects: one query, whatever their number."""
    signals = {}
    for project_id, end_date, closed_at, released_at, scores, work_again in db.session.execute(
            _course_evaluations_statement(), {"ids": list(ids)}):
        signal = signals.setdefault(project_id, EvaluationSignal(end_date, closed_at is not None,
                                                                 released_at is not None))
        if work_again is not None:
            signal.scores.extend(s["score"] for s in scores.values())
            signal.work_again.append(work_again)
    return signals


def attention_reasons(signal: EvaluationSignal | None, course, now: datetime) -> list[str]:
    """The dashboard's reasons for attention about the partner's evaluation."""
    if signal is None:
        return []
    reasons = []
    if "no" in signal.work_again:
        reasons.append(_("the partner would not work with us again"))
    days = (now.date() - signal.end_date).days
    if signal.answered == 0 and not signal.closed and days >= course.attention_wait_days:
        reasons.append(_("evaluation not answered %(days)s days after the end", days=days))
    return reasons


def csv_cells(signal: EvaluationSignal | None) -> list[str]:
    """The dashboard CSV's two evaluation columns: average score and would-work-again answers."""
    if signal is None or signal.average is None:
        return ["", ""]
    return [format_decimal(signal.average, "0.0"),
            ", ".join(_(WORK_AGAIN_LABELS[w]) for w in signal.work_again)]
