"""The teacher dashboard's signals: one aggregate query per kind of signal for many projects.

Nothing here queries per project: `project_inputs` reads all projects asked for at once and
returns {project_id: inputs}, which each project's summary row keeps (summary.py), so the
dashboard reads them in one query. The rows are then judged against the course's thresholds
to say, in words, why a project needs attention.
"""
from dataclasses import dataclass, field
from functools import cache
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, bindparam, case, func

from ..extensions import db
from ..fast_format import PageFormats
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
    pulse_series: dict = field(default_factory=dict)  # side -> [(check-up time as ISO text in UTC, average)], oldest first
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


_babel_gettext, _babel_ngettext = _, ngettext


def days_since(moment: datetime | None, now: datetime) -> int | None:
    return None if moment is None else max(0, (now - moment).days)


@cache
def _course_projects_statement():
    """The course's projects with their summary rows: built once per process, the course is `course_id`,
    read as plain rows."""
    from ..database import PlainRead
    from .summary import ProjectSummary

    return PlainRead(db.select(Project.id, Project.title, Project.start_date, Organisation.name, ProjectSummary.data)
                     .join(Organisation, Organisation.id == Project.organisation_id)
                     .outerjoin(ProjectSummary, ProjectSummary.project_id == Project.id)
                     .where(Project.course_id == bindparam("course_id")).order_by(Project.title))


def course_signals(course, now: datetime | None = None, catalogue=None) -> list[ProjectSignals]:
    """Every project of the course with its signals: one read of the projects with their summary
    rows (workspace/dashboard/summary.py), the time-dependent parts judged here against `now`.
    With `catalogue` (the request's translations) the reasons are translated straight from it."""
    now = now or utcnow()
    projects = _course_projects_statement()({"course_id": course.id})
    rows = {p.id: ProjectSignals(p.id, p.title, p.name, p.start_date) for p in projects}
    if not rows:
        return []
    ids = list(rows)
    stored = {p.id: p.data for p in projects if p.data is not None}
    missing = [project_id for project_id in ids if project_id not in stored]
    if missing:  # not summarised yet (e.g. written by `flask import`): computed now, in full
        stored.update(project_inputs(missing))
    for project_id, row in rows.items():
        apply_inputs(row, stored[project_id], now)

    from ..evaluations.services import course_evaluations

    for project_id, signal in course_evaluations(ids).items():
        rows[project_id].evaluation = signal

    reasons = _Reasons(course, now, None if catalogue is None else _from(catalogue))
    for row in rows.values():
        row.reasons = reasons.of(row)
    return list(rows.values())


def _iso(moment) -> str | None:
    return None if moment is None else as_utc(moment).isoformat()


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


# kind of input -> its fields in a project's inputs, with their values when there is nothing
FIELDS = {
    "goals": {"goals_agreed": 0, "goals_waiting": 0, "partner_wait_since": None, "students_wait_since": None},
    "responsibilities": {"open_due": {}},  # side -> due dates of open responsibilities
    "agreement": {"cadence_days": None, "agreement_since": None, "accepted": 0},
    "checkups": {"last_checkup": None, "planned": []},  # planned: check-ups still planned, in order
    "feedback": {"open_feedback": 0, "oldest_open_feedback": None},
    "deliverables": {"reviews_waiting": 0, "review_wait_since": None, "deliverables_due": []},
    "members": {"members": 0},
    "pulse": {"pulse": {}},  # side -> [(check-up time, average)]
    "activity": {"last_activity": None},
}
KINDS = tuple(FIELDS)


@cache
def _input_statements() -> dict:
    """`project_inputs`' statements, one per kind (the agreement has two), built once per process
    with the projects as the expanding parameter `ids`: an action's summary refresh built two or
    three of them at every commit (issue 19)."""
    ids = bindparam("ids", expanding=True)
    return {
        "goals": db.select(
            Goal.project_id,
            _count(Goal.state == AGREED),
            _count(Goal.state.in_((PROPOSED, CHANGES_REQUESTED))),
            func.min(case((and_(Goal.state == PROPOSED, Goal.proposer_side == "student"), Goal.state_changed_at))),
            func.min(case((and_(Goal.state == PROPOSED, Goal.proposer_side == "partner"), Goal.state_changed_at))),
        ).where(Goal.project_id.in_(ids)).group_by(Goal.project_id),
        "responsibilities": db.select(Agreement.project_id, Responsibility.side, Responsibility.due_date)
        .join(Agreement, Agreement.id == Responsibility.agreement_id)
        .where(Agreement.project_id.in_(ids), Responsibility.done_at.is_(None), Responsibility.removed_at.is_(None),
               Responsibility.due_date.is_not(None))
        .order_by(Responsibility.due_date),
        "cadence": db.select(Agreement.project_id, Agreement.cadence_days).where(Agreement.project_id.in_(ids)),
        "checkups": db.select(CheckUp.project_id, CheckUp.state, CheckUp.planned_at)
        .where(CheckUp.project_id.in_(ids), CheckUp.state.in_((*HELD, PLANNED))).order_by(CheckUp.planned_at),
        "feedback": db.select(FeedbackItem.project_id, func.count(), func.min(FeedbackItem.created_at))
        .where(FeedbackItem.project_id.in_(ids), FeedbackItem.state == OPEN).group_by(FeedbackItem.project_id),
        "deliverables": db.select(Deliverable.project_id, Deliverable.state, Deliverable.state_changed_at,
                                  Deliverable.due_date)
        .where(Deliverable.project_id.in_(ids), Deliverable.state != HANDED_OVER),
        "members": db.select(ProjectMember.project_id, func.count()).where(ProjectMember.project_id.in_(ids))
        .group_by(ProjectMember.project_id),
        "agreement": db.select(Agreement.project_id, AgreementVersion.created_at, func.count(ProjectMember.id))
        .join(AgreementVersion, and_(AgreementVersion.agreement_id == Agreement.id,
                                     AgreementVersion.number == Agreement.number))
        .outerjoin(AgreementAcceptance, AgreementAcceptance.agreement_version_id == AgreementVersion.id)
        .outerjoin(ProjectMember, and_(ProjectMember.project_id == Agreement.project_id,
                                       ProjectMember.user_id == AgreementAcceptance.user_id))
        .where(Agreement.project_id.in_(ids))
        .group_by(Agreement.project_id, AgreementVersion.created_at),
        "pulse": db.select(PulseRating.project_id, PulseRating.side, CheckUp.planned_at, func.avg(PulseRating.score))
        .join(CheckUp, CheckUp.id == PulseRating.checkup_id)
        .where(PulseRating.project_id.in_(ids))
        .group_by(PulseRating.project_id, PulseRating.side, CheckUp.id, CheckUp.planned_at),
        "activity": db.select(Activity.project_id, func.max(Activity.created_at)).where(Activity.project_id.in_(ids))
        .group_by(Activity.project_id),
    }


def project_inputs(ids, kinds=KINDS, session=None) -> dict[int, dict]:
    """What the signals of these projects are computed from, as JSON: one aggregate query per kind
    for all of them (only `kinds`: a summary row refreshes what a change touched). Nothing here
    depends on the time of asking (dates that become late are kept as lists), so the summary row
    holds it from one change to the next."""
    session = session or db.session
    ids = list(ids)
    inputs = {project_id: {key: type(empty)() if isinstance(empty, (list, dict)) else empty
                           for kind in kinds for key, empty in FIELDS[kind].items()} for project_id in ids}
    statements, bound = _input_statements(), {"ids": ids}

    def rows(name):
        return session.execute(statements[name], bound)

    if "goals" in kinds:
        for r in rows("goals"):
            inputs[r[0]].update(goals_agreed=int(r[1] or 0), goals_waiting=int(r[2] or 0),
                                partner_wait_since=_iso(r[3]), students_wait_since=_iso(r[4]))

    if "responsibilities" in kinds:
        for project_id, side, due in rows("responsibilities"):
            inputs[project_id]["open_due"].setdefault(side, []).append(due.isoformat())

    if "agreement" in kinds:
        for project_id, cadence in rows("cadence"):
            inputs[project_id]["cadence_days"] = cadence
    if "checkups" in kinds:
        for project_id, state, planned_at in rows("checkups"):
            if state == PLANNED:
                inputs[project_id]["planned"].append(_iso(planned_at))
            else:
                inputs[project_id]["last_checkup"] = _iso(planned_at)  # ordered: the latest held wins

    if "feedback" in kinds:
        for project_id, count, oldest in rows("feedback"):
            inputs[project_id].update(open_feedback=count, oldest_open_feedback=_iso(oldest))

    if "deliverables" in kinds:
        for project_id, state, changed, due in rows("deliverables"):
            entry = inputs[project_id]
            if state == IN_REVIEW:
                entry["reviews_waiting"] += 1
                if entry["review_wait_since"] is None or _iso(changed) < entry["review_wait_since"]:
                    entry["review_wait_since"] = _iso(changed)
            if due is not None:
                entry["deliverables_due"].append(due.isoformat())

    if "members" in kinds:
        for project_id, members in rows("members"):
            inputs[project_id]["members"] = members
    if "agreement" in kinds:
        for project_id, since, accepted in rows("agreement"):
            inputs[project_id].update(agreement_since=_iso(since), accepted=accepted)

    if "pulse" in kinds:
        # Averages kept to six decimals: a dashboard reads every project's series, and a float of 17
        # digits ("3.6666666666666665") takes three times as long to read as one of seven (issue 19). What
        # is shown and judged is rounded to a tenth, which six decimals change only for an average
        # of more than 100,000 ratings.
        for project_id, side, planned_at, average in rows("pulse"):
            inputs[project_id]["pulse"].setdefault(side, []).append((_iso(planned_at), round(float(average), 6)))

    if "activity" in kinds:
        for project_id, last in rows("activity"):
            inputs[project_id]["last_activity"] = _iso(last)
    return inputs


def apply_inputs(row: ProjectSignals, data: dict, now: datetime) -> None:
    """Fill a row's signals from its inputs, judging what is late or due against `now`."""
    today = now.date().isoformat()
    row.goals_agreed, row.goals_waiting = data["goals_agreed"], data["goals_waiting"]
    row.partner_wait_since, row.students_wait_since = (_moment(data["partner_wait_since"]),
                                                      _moment(data["students_wait_since"]))
    for side, dues in data["open_due"].items():
        row.late[side] = sum(1 for due in dues if due < today)
    row.last_checkup = _moment(data["last_checkup"])
    upcoming = [moment for moment in map(_moment, data["planned"]) if moment >= now]
    row.next_checkup_due = upcoming[0] if upcoming else None
    if row.next_checkup_due is None:
        every = timedelta(days=data["cadence_days"] or DEFAULT_CADENCE_DAYS)
        start = row.last_checkup or datetime.combine(row.start_date, datetime.min.time(), now.tzinfo)
        row.next_checkup_due = start + every
    row.checkup_overdue = row.next_checkup_due < now
    row.open_feedback, row.oldest_open_feedback = data["open_feedback"], _moment(data["oldest_open_feedback"])
    row.reviews_waiting, row.review_wait_since = data["reviews_waiting"], _moment(data["review_wait_since"])
    row.deliverables_late = sum(1 for due in data["deliverables_due"] if due < today)
    row.members, row.accepted = data["members"], data["accepted"]
    row.agreement_exists = data["agreement_since"] is not None
    row.agreement_since = _moment(data["agreement_since"])
    for side, series in data["pulse"].items():
        # the moments stay ISO text (written by `_iso`: UTC, one format, so they sort as the moments do);
        # the dashboard formats each distinct one once (dashboard/view.py)
        series = sorted(series)
        latest = round(series[-1][1], 1)
        # the difference to six decimals first: a row stored before the averages were (17 digits) and one
        # stored after give the same change, even where the difference is a tie such as 0.45
        change = round(round(series[-1][1] - series[-2][1], 6), 1) if len(series) > 1 else None
        row.pulse[side] = (latest, change)
        row.pulse_series[side] = series
    row.last_activity = _moment(data["last_activity"])


def _from(catalogue):
    """gettext and ngettext as Flask-Babel's, looked up in `catalogue` (and not remembered by i18n:
    a page's reasons are shown, not stored)."""
    def gettext(string, **variables):
        text = catalogue.ugettext(string)
        return text % variables if variables else text

    def ngettext_(singular, plural, num, **variables):
        variables.setdefault("num", num)
        return catalogue.ungettext(singular, plural, num) % variables

    return gettext, ngettext_


class _Reasons:
    """Why a teacher should look at a project, in plain words (empty: it is healthy), for the rows of one
    page: the course's thresholds, the fixed words and the side names looked up once, each row's reasons
    written from them (`of`). `texts`: (gettext, ngettext) to use instead of Flask-Babel's (see
    course_signals)."""

    def __init__(self, course, now: datetime, texts=None):
        _, self.ngettext = texts or (_babel_gettext, _babel_ngettext)
        self._ = _
        self.now, self.course = now, course
        self.wait, self.checkup_days = course.attention_wait_days, course.attention_checkup_days
        self.quiet_days = course.attention_quiet_days
        self.no_checkup_since_start = _("no check-up held since the project started")
        self.overdue = _("the next check-up is overdue")
        self.goal_waits = (("partner_wait_since", _("partner has not answered a goal for %(days)s days")),
                           ("students_wait_since", _("students have not answered a goal for %(days)s days")))
        self.late_sides = (("students", _("students")), ("partner", _("partner")), ("teacher", _("teacher")))
        self.pulse_sides = (("partner", _("partner")), ("student", _("students")))
        self.tenth = None

    def of(self, row: ProjectSignals) -> list[str]:
        _, ngettext, now, wait = self._, self.ngettext, self.now, self.wait
        reasons = []
        since = days_since(row.last_checkup, now)
        if since is not None and since >= self.checkup_days:
            reasons.append(_("no check-up for %(days)s days", days=since))
        elif since is None and (now.date() - row.start_date).days >= self.checkup_days:
            reasons.append(self.no_checkup_since_start)
        elif row.checkup_overdue:
            reasons.append(self.overdue)
        for attribute, text in self.goal_waits:
            days = days_since(getattr(row, attribute), now)
            if days is not None and days >= wait:
                reasons.append(text % {"days": days})
        late = row.late
        for side, label in self.late_sides:
            if late.get(side):
                reasons.append(ngettext("%(num)s responsibility of the %(side)s is late",
                                        "%(num)s responsibilities of the %(side)s are late",
                                        late[side], side=label))
        days = days_since(row.review_wait_since, now)
        if days is not None and days >= wait:
            reasons.append(_("a deliverable has waited %(days)s days for review", days=days))
        if row.deliverables_late:
            reasons.append(ngettext("%(num)s deliverable is past its due date",
                                    "%(num)s deliverables are past their due date", row.deliverables_late))
        days = days_since(row.agreement_since, now)
        if row.agreement_exists and not row.accepted_by_all and days is not None and days >= wait:
            reasons.append(_("the agreement is not accepted by everyone after %(days)s days", days=days))
        days = days_since(row.oldest_open_feedback, now)
        if days is not None and days >= self.checkup_days:
            reasons.append(_("feedback has stayed unanswered for %(days)s days", days=days))
        for side, label in self.pulse_sides:
            latest, change = row.pulse.get(side, (None, None))
            if change is not None and change <= -0.5:
                if self.tenth is None:  # the reader's "0.0" numbers, as format_number writes them
                    self.tenth = PageFormats().tenth
                drop = self.tenth(abs(change))
                reasons.append(_("the %(side)s's values pulse dropped by %(drop)s", side=label, drop=drop))
        days = days_since(row.last_activity, now)
        if days is not None and days >= self.quiet_days:
            reasons.append(_("no activity for %(days)s days", days=days))
        if row.evaluation is not None:
            from ..evaluations.services import attention_reasons as evaluation_reasons

            reasons.extend(evaluation_reasons(row.evaluation, self.course, now))
        return reasons
