"""The teacher dashboard's signals: one aggregate query per kind of signal for a whole course.

Nothing here queries per project: each function reads all projects of the course at once and
returns {project_id: ...}. The rows are then judged against the course's thresholds to say, in
words, why a project needs attention.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import format_decimal, ngettext
from sqlalchemy import and_, case, func

from ..extensions import db
from ..models import Activity, Organisation, Project, ProjectMember
from ..models.agreement import Agreement, AgreementAcceptance, AgreementVersion, Responsibility
from ..models.base import as_utc, utcnow
from ..models.checkup import CONFIRMED, CORRECTION_PENDING, LOGGED, OPEN, PLANNED, CheckUp, FeedbackItem, PulseRating
from ..models.deliverable import HANDED_OVER, IN_REVIEW, Deliverable
from ..models.goal import AGREED, CHANGES_REQUESTED, PROPOSED, Goal

DEFAULT_CADENCE_DAYS = 14
HELD = (LOGGED, CONFIRMED, CORRECTION_PENDING)


def _count(condition):
    return func.sum(case((condition, 1), else_=0))


@dataclass
class ProjectSignals:
    id: int
    title: str
    partner: str
    start_date: date
    goals_agreed: int = 0
    goals_waiting: int = 0
    partner_wait_since: datetime | None = None  # oldest student proposal the partner has not answered
    students_wait_since: datetime | None = None  # oldest partner proposal the students have not answered
    late: dict = field(default_factory=lambda: {"students": 0, "partner": 0, "teacher": 0})
    last_checkup: datetime | None = None
    next_checkup_due: datetime | None = None
    checkup_overdue: bool = False
    open_feedback: int = 0
    oldest_open_feedback: datetime | None = None
    reviews_waiting: int = 0
    review_wait_since: datetime | None = None
    deliverables_late: int = 0  # past their due date and not handed over
    agreement_exists: bool = False
    members: int = 0
    accepted: int = 0
    agreement_since: datetime | None = None
    pulse: dict = field(default_factory=dict)  # side -> (latest average, change from the one before or None)
    pulse_series: dict = field(default_factory=dict)  # side -> [(check-up date, average)], oldest first
    last_activity: datetime | None = None
    evaluation: object = None  # the partner's evaluation (evaluations.services.EvaluationSignal) or None
    reasons: list = field(default_factory=list)

    @property
    def accepted_by_all(self) -> bool:
        return self.agreement_exists and self.members > 0 and self.accepted >= self.members

    @property
    def oldest_goal_wait(self) -> datetime | None:
        waits = [w for w in (self.partner_wait_since, self.students_wait_since) if w]
        return min(waits) if waits else None

    @property
    def late_total(self) -> int:
        return sum(self.late.values())

    @property
    def needs_attention(self) -> bool:
        return bool(self.reasons)


def days_since(moment: datetime | None, now: datetime) -> int | None:
    return None if moment is None else max(0, (now - moment).days)


def course_signals(course, now: datetime | None = None) -> list[ProjectSignals]:
    now = now or utcnow()
    today = now.date()
    projects = db.session.execute(
        db.select(Project.id, Project.title, Project.start_date, Organisation.name)
        .join(Organisation, Organisation.id == Project.organisation_id)
        .where(Project.course_id == course.id).order_by(Project.title)
    ).all()
    rows = {p.id: ProjectSignals(p.id, p.title, p.name, p.start_date) for p in projects}
    if not rows:
        return []
    ids = list(rows)

    for r in db.session.execute(
        db.select(
            Goal.project_id,
            _count(Goal.state == AGREED),
            _count(Goal.state.in_((PROPOSED, CHANGES_REQUESTED))),
            func.min(case((and_(Goal.state == PROPOSED, Goal.proposer_side == "student"), Goal.state_changed_at))),
            func.min(case((and_(Goal.state == PROPOSED, Goal.proposer_side == "partner"), Goal.state_changed_at))),
        ).where(Goal.project_id.in_(ids)).group_by(Goal.project_id)
    ):
        row = rows[r[0]]
        row.goals_agreed, row.goals_waiting = int(r[1] or 0), int(r[2] or 0)
        row.partner_wait_since, row.students_wait_since = as_utc(r[3]), as_utc(r[4])

    for project_id, side, late in db.session.execute(
        db.select(Agreement.project_id, Responsibility.side, func.count())
        .join(Agreement, Agreement.id == Responsibility.agreement_id)
        .where(Agreement.project_id.in_(ids), Responsibility.done_at.is_(None), Responsibility.removed_at.is_(None),
               Responsibility.due_date < today)
        .group_by(Agreement.project_id, Responsibility.side)
    ):
        rows[project_id].late[side] = late

    cadence = dict(db.session.execute(
        db.select(Agreement.project_id, Agreement.cadence_days).where(Agreement.project_id.in_(ids))
    ).all())
    for project_id, last_held, next_planned in db.session.execute(
        db.select(
            CheckUp.project_id,
            func.max(case((CheckUp.state.in_(HELD), CheckUp.planned_at))),
            func.min(case((and_(CheckUp.state == PLANNED, CheckUp.planned_at >= now), CheckUp.planned_at))),
        ).where(CheckUp.project_id.in_(ids)).group_by(CheckUp.project_id)
    ):
        row = rows[project_id]
        row.last_checkup = as_utc(last_held)
        row.next_checkup_due = as_utc(next_planned)
    for row in rows.values():
        if row.next_checkup_due is None:
            every = timedelta(days=cadence.get(row.id) or DEFAULT_CADENCE_DAYS)
            start = row.last_checkup or datetime.combine(row.start_date, datetime.min.time(), now.tzinfo)
            row.next_checkup_due = start + every
        row.checkup_overdue = row.next_checkup_due < now

    for project_id, count, oldest in db.session.execute(
        db.select(FeedbackItem.project_id, func.count(), func.min(FeedbackItem.created_at))
        .where(FeedbackItem.project_id.in_(ids), FeedbackItem.state == OPEN).group_by(FeedbackItem.project_id)
    ):
        rows[project_id].open_feedback, rows[project_id].oldest_open_feedback = count, as_utc(oldest)

    for project_id, count, oldest, late in db.session.execute(
        db.select(Deliverable.project_id, _count(Deliverable.state == IN_REVIEW),
                  func.min(case((Deliverable.state == IN_REVIEW, Deliverable.state_changed_at))),
                  _count(and_(Deliverable.due_date < today, Deliverable.state != HANDED_OVER)))
        .where(Deliverable.project_id.in_(ids)).group_by(Deliverable.project_id)
    ):
        row = rows[project_id]
        row.reviews_waiting, row.review_wait_since, row.deliverables_late = int(count or 0), as_utc(oldest), int(late or 0)

    for project_id, members in db.session.execute(
        db.select(ProjectMember.project_id, func.count()).where(ProjectMember.project_id.in_(ids))
        .group_by(ProjectMember.project_id)
    ):
        rows[project_id].members = members
    for project_id, since, accepted in db.session.execute(
        db.select(Agreement.project_id, AgreementVersion.created_at, func.count(ProjectMember.id))
        .join(AgreementVersion, and_(AgreementVersion.agreement_id == Agreement.id,
                                     AgreementVersion.number == Agreement.number))
        .outerjoin(AgreementAcceptance, AgreementAcceptance.agreement_version_id == AgreementVersion.id)
        .outerjoin(ProjectMember, and_(ProjectMember.project_id == Agreement.project_id,
                                       ProjectMember.user_id == AgreementAcceptance.user_id))
        .where(Agreement.project_id.in_(ids))
        .group_by(Agreement.project_id, AgreementVersion.created_at)
    ):
        row = rows[project_id]
        row.agreement_exists, row.agreement_since, row.accepted = True, as_utc(since), accepted

    _pulse(rows, ids)

    for project_id, last in db.session.execute(
        db.select(Activity.project_id, func.max(Activity.created_at)).where(Activity.project_id.in_(ids))
        .group_by(Activity.project_id)
    ):
        rows[project_id].last_activity = as_utc(last)

    from ..evaluations.services import course_evaluations

    for project_id, signal in course_evaluations(ids).items():
        rows[project_id].evaluation = signal

    for row in rows.values():
        row.reasons = attention_reasons(row, course, now)
    return list(rows.values())


def _pulse(rows, ids) -> None:
    """Average rating per side per check-up; the latest and its change from the one before."""
    averages = defaultdict(list)  # (project, side) -> [(planned_at, average)]
    for project_id, side, planned_at, average in db.session.execute(
        db.select(PulseRating.project_id, PulseRating.side, CheckUp.planned_at, func.avg(PulseRating.score))
        .join(CheckUp, CheckUp.id == PulseRating.checkup_id)
        .where(PulseRating.project_id.in_(ids))
        .group_by(PulseRating.project_id, PulseRating.side, CheckUp.id, CheckUp.planned_at)
    ):
        averages[(project_id, side)].append((as_utc(planned_at), float(average)))
    for (project_id, side), series in averages.items():
        series.sort()
        latest = round(series[-1][1], 1)
        change = round(series[-1][1] - series[-2][1], 1) if len(series) > 1 else None
        rows[project_id].pulse[side] = (latest, change)
        rows[project_id].pulse_series[side] = series


def attention_reasons(row: ProjectSignals, course, now: datetime) -> list[str]:
    """Why a teacher should look at this project, in plain words (empty: it is healthy)."""
    reasons = []
    wait = course.attention_wait_days
    since = days_since(row.last_checkup, now)
    if since is not None and since >= course.attention_checkup_days:
        reasons.append(_("no check-up for %(days)s days", days=since))
    elif since is None and (now.date() - row.start_date).days >= course.attention_checkup_days:
        reasons.append(_("no check-up held since the project started"))
    elif row.checkup_overdue:
        reasons.append(_("the next check-up is overdue"))
    for waited_since, text in ((row.partner_wait_since, _("partner has not answered a goal for %(days)s days")),
                               (row.students_wait_since, _("students have not answered a goal for %(days)s days"))):
        days = days_since(waited_since, now)
        if days is not None and days >= wait:
            reasons.append(text % {"days": days})
    for side, label in (("students", _("students")), ("partner", _("partner")), ("teacher", _("teacher"))):
        if row.late.get(side):
            reasons.append(ngettext("%(num)s responsibility of the %(side)s is late",
                                    "%(num)s responsibilities of the %(side)s are late",
                                    row.late[side], side=label))
    days = days_since(row.review_wait_since, now)
    if days is not None and days >= wait:
        reasons.append(_("a deliverable has waited %(days)s days for review", days=days))
    if row.deliverables_late:
        reasons.append(ngettext("%(num)s deliverable is past its due date", "%(num)s deliverables are past their due date",
                                row.deliverables_late))
    days = days_since(row.agreement_since, now)
    if row.agreement_exists and not row.accepted_by_all and days is not None and days >= wait:
        reasons.append(_("the agreement is not accepted by everyone after %(days)s days", days=days))
    days = days_since(row.oldest_open_feedback, now)
    if days is not None and days >= course.attention_checkup_days:
        reasons.append(_("feedback has stayed unanswered for %(days)s days", days=days))
    for side, label in (("partner", _("partner")), ("student", _("students"))):
        latest, change = row.pulse.get(side, (None, None))
        if change is not None and change <= -0.5:
            reasons.append(_("the %(side)s's values pulse dropped by %(drop)s", side=label, drop=format_decimal(abs(change), "0.0")))
    days = days_since(row.last_activity, now)
    if days is not None and days >= course.attention_quiet_days:
        reasons.append(_("no activity for %(days)s days", days=days))
    from ..evaluations.services import attention_reasons as evaluation_reasons

    reasons.extend(evaluation_reasons(row.evaluation, course, now))
    return reasons
