"""The rules of check-ups: who plans, logs, confirms and corrects; how feedback closes its loop;
when the values pulse of one side becomes visible to the other; when the next check-up is due."""
from collections import defaultdict
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import bindparam

from ..activity import record
from ..database import PlainRead
from ..extensions import db
from ..models import (
    ActionItem, CheckUp, CheckUpAttendee, Correction, CoursePrompt, CourseValueSetting, FeedbackItem, ProjectMember,
    PulseRating,
)
from ..models.base import utcnow
from ..models.checkup import (
    CONFIRMED, CORRECTION_PENDING, INTEGRATED, LOGGED, NOT_INTEGRATED, OPEN, PLANNED, PULSE_SIDES, VALUE_KEYS,
    VALUE_LABELS,
)
from ..policy import project_role
from ..rules import Refused, check_version

DEFAULT_CADENCE_DAYS = 14
# A feedback item still open after this many later check-ups is flagged.
FLAG_AFTER_CHECKUPS = 2


# ---- who is who ------------------------------------------------------------------------------

def side_of(user, project) -> str | None:
    """'student' or 'partner' for members of the project; teachers and others have no side."""
    role = project_role(user, project)
    return role if role in PULSE_SIDES else None


def _require(condition: bool, message: str, status: int = 403) -> None:
    if not condition:
        raise Refused(message, status)


def _member_ids(project) -> set[int]:
    return set(db.session.scalars(db.select(ProjectMember.user_id).where(ProjectMember.project_id == project.id)))


def _not_closed(checkup: CheckUp) -> None:
    _require(checkup.state != CONFIRMED,
             _("This check-up's log is confirmed and cannot change. Add a correction instead."), 409)


# ---- cadence ---------------------------------------------------------------------------------

def cadence_days(project) -> int:
    """Days between check-ups as the agreement sets them; 14 while there is no agreement."""
    try:
        from ..agreement.services import cadence_days as agreed_cadence
    except ImportError:
        return DEFAULT_CADENCE_DAYS
    days = agreed_cadence(project)
    return days if days else DEFAULT_CADENCE_DAYS


# ---- planning and logging --------------------------------------------------------------------

def plan_checkup(actor, project, *, planned_at: datetime, channel: str, location: str, agenda: str) -> CheckUp:
    checkup = CheckUp(project=project, planned_at=planned_at, channel=channel, location=location, agenda=agenda,
                      planned_by_id=actor.id)
    db.session.add(checkup)
    db.session.flush()
    record(actor, "planned", checkup, _("%(name)s planned a check-up", name=actor.name), project=project)
    return checkup


def reschedule(actor, checkup: CheckUp, submitted_version, **fields) -> None:
    """Change the plan of a check-up that has not been held yet."""
    _require(checkup.state == PLANNED, _("This check-up is already logged; its plan cannot change."), 409)
    check_version(checkup, submitted_version)
    before = {key: _plain(getattr(checkup, key)) for key in fields}
    for key, value in fields.items():
        setattr(checkup, key, value)
    record(actor, "edited", checkup, _("%(name)s changed the plan of a check-up", name=actor.name),
           project=checkup.project, before=before)
    db.session.flush()


def log_checkup(actor, checkup: CheckUp, submitted_version, *, attendee_ids, guests, summary: str,
                decisions: str) -> None:
    """Write (or, until it is confirmed, rewrite) the log: who attended, summary, decisions."""
    _require(side_of(actor, checkup.project) is not None, _("Only members of the project log its check-ups."))
    _not_closed(checkup)
    check_version(checkup, submitted_version)
    members = _member_ids(checkup.project)
    strangers = set(attendee_ids) - members
    _require(not strangers, _("Attendees must be members of the project; add others as guests."), 422)
    first = checkup.state == PLANNED
    before = None if first else {"summary": checkup.summary, "decisions": checkup.decisions,
                                 "attendees": [a.name for a in checkup.attendees]}
    checkup.attendees.clear()
    db.session.flush()
    for user_id in sorted(set(attendee_ids)):
        checkup.attendees.append(CheckUpAttendee(user_id=user_id))
    for name in guests:
        checkup.attendees.append(CheckUpAttendee(guest_name=name))
    checkup.summary, checkup.decisions = summary, decisions
    if first:
        checkup.state = LOGGED
        checkup.logged_by_id, checkup.logged_at = actor.id, utcnow()
        message = _("%(name)s logged a check-up; it waits for the partner's confirmation", name=actor.name)
    else:
        message = _("%(name)s edited the log of a check-up", name=actor.name)
    record(actor, "logged" if first else "edited", checkup, message, project=checkup.project, before=before)
    db.session.flush()


def add_feedback(actor, checkup: CheckUp, *, raised_by: str, text: str) -> FeedbackItem:
    _require(side_of(actor, checkup.project) is not None, _("Only members of the project add feedback items."))
    _not_closed(checkup)
    item = FeedbackItem(checkup=checkup, project_id=checkup.project_id, raised_by=raised_by, text=text,
                        added_by_id=actor.id)
    db.session.add(item)
    db.session.flush()
    record(actor, "added", item, _("%(name)s noted feedback raised by the %(side)s", name=actor.name,
                                   side=_(raised_by)), project=checkup.project)
    return item


def respond_to_feedback(actor, item: FeedbackItem, submitted_version, *, state: str, where: str,
                        reason: str, goal_id: int | None = None) -> None:
    """The team's answer: integrated (in a goal and/or where), not integrated (and why), or open again."""
    _require(side_of(actor, item.project) == "student", _("Only the student team responds to feedback."))
    check_version(item, submitted_version)
    if goal_id:
        from ..models import Goal

        _require(db.session.scalar(db.select(Goal.id).where(Goal.id == goal_id, Goal.project_id == item.project_id))
                 is not None, _("Choose a goal of this project."), 422)
    if state == INTEGRATED:
        _require(bool(where or goal_id), _("Say where the feedback was integrated."), 422)
        reason = ""
    elif state == NOT_INTEGRATED:
        _require(bool(reason), _("Give the reason it is not integrated; the partner sees it."), 422)
        where, goal_id = "", None
    else:
        where = reason = ""
        goal_id = None
    before = {"state": item.state, "integrated_where": item.integrated_where, "reason": item.reason,
              "goal_id": item.goal_id}
    item.state, item.integrated_where, item.reason, item.goal_id = state, where, reason, goal_id or None
    item.responded_by_id = actor.id if state != OPEN else None
    item.responded_at = utcnow() if state != OPEN else None
    label = {INTEGRATED: _("integrated"), NOT_INTEGRATED: _("not integrated"), OPEN: _("open")}[state]
    record(actor, "responded", item, _("%(name)s marked a feedback item as %(state)s", name=actor.name, state=label),
           project=item.project, before=before)
    db.session.flush()


def add_action(actor, checkup: CheckUp, *, text: str, owner_id: int, due_date: date) -> ActionItem:
    _require(side_of(actor, checkup.project) is not None, _("Only members of the project add action items."))
    _not_closed(checkup)
    _require(owner_id in _member_ids(checkup.project), _("The owner must be a member of the project."), 422)
    item = ActionItem(checkup=checkup, project_id=checkup.project_id, text=text, owner_id=owner_id,
                      due_date=due_date)
    db.session.add(item)
    db.session.flush()
    record(actor, "added", item, _("%(name)s added an action item: %(text)s", name=actor.name, text=text),
           project=checkup.project)
    return item


def mark_action(actor, item: ActionItem, done: bool) -> None:
    """Set (not toggle) done, so a repeated click does not undo it."""
    _require(side_of(actor, item.project) is not None, _("Only members of the project update action items."))
    if item.done == done:
        return
    item.done, item.done_at = done, (utcnow() if done else None)
    record(actor, "done" if done else "reopened", item,
           _("%(name)s marked an action item as %(state)s", name=actor.name, state=_("done") if done else _("open")),
           project=item.project, before={"done": not done})
    db.session.flush()


# ---- confirmation and corrections ------------------------------------------------------------

def confirm(actor, checkup: CheckUp, submitted_version) -> None:
    """The partner confirms the log they saw; a log that changed since gets a 409."""
    _require(side_of(actor, checkup.project) == "partner", _("Only the partner confirms a check-up's log."))
    _require(checkup.state == LOGGED, {
        PLANNED: _("This check-up is not logged yet."),
        CONFIRMED: _("This log is already confirmed."),
        CORRECTION_PENDING: _("A correction is waiting for the team; the log counts as confirmed once it is resolved."),
    }.get(checkup.state, ""), 409)
    check_version(checkup, submitted_version)
    checkup.state = CONFIRMED
    checkup.confirmed_by_id, checkup.confirmed_at = actor.id, utcnow()
    record(actor, "confirmed", checkup, _("%(name)s confirmed the log of a check-up", name=actor.name),
           project=checkup.project, before={"state": LOGGED})
    db.session.flush()


def add_correction(actor, checkup: CheckUp, text: str) -> Correction:
    """The partner's correction: the only way a confirmed log changes."""
    _require(side_of(actor, checkup.project) == "partner", _("Only the partner corrects a check-up's log."))
    _require(checkup.state != PLANNED, _("This check-up is not logged yet."), 409)
    correction = Correction(checkup=checkup, text=text, author_id=actor.id)
    db.session.add(correction)
    before = {"state": checkup.state}
    checkup.state = CORRECTION_PENDING
    checkup.confirmed_by_id = checkup.confirmed_at = None
    db.session.flush()
    record(actor, "corrected", correction, _("%(name)s asked for a correction of a check-up's log", name=actor.name),
           project=checkup.project, before=before)
    return correction


def resolve_correction(actor, correction: Correction, submitted_version, *, resolution: str, summary: str,
                       decisions: str) -> None:
    """The team applies the correction; when none is left open the log counts as confirmed."""
    checkup = correction.checkup
    _require(side_of(actor, checkup.project) == "student", _("Only the student team resolves corrections."))
    _require(correction.resolved_at is None, _("This correction is already resolved."), 409)
    check_version(checkup, submitted_version)
    before = {"summary": checkup.summary, "decisions": checkup.decisions, "state": checkup.state}
    checkup.summary, checkup.decisions = summary, decisions
    correction.resolution, correction.resolved_by_id, correction.resolved_at = resolution, actor.id, utcnow()
    if all(c.resolved_at is not None for c in checkup.corrections):
        checkup.state = CONFIRMED
        checkup.confirmed_by_id, checkup.confirmed_at = correction.author_id, utcnow()
    record(actor, "resolved", correction, _("%(name)s resolved a correction of a check-up's log", name=actor.name),
           project=checkup.project, before=before)
    db.session.flush()


# ---- the values pulse ------------------------------------------------------------------------

def asked_values(course) -> list[str]:
    """The value keys the course's pulse asks about, in the guide's order (all nine by default)."""
    return asked_values_of(course.id)


# The values a course turned off, built once per process (the check-up page asks on every view).
_NOT_ASKED = PlainRead(db.select(CourseValueSetting.value_key).where(
    CourseValueSetting.course_id == bindparam("course_id"), CourseValueSetting.asked.is_(False)))


def asked_values_of(course_id: int) -> list[str]:
    """asked_values by the course's id (without loading the course)."""
    off = {key for (key,) in _NOT_ASKED({"course_id": course_id})}
    return [key for key in VALUE_KEYS if key not in off]


def course_prompts(course) -> list[CoursePrompt]:
    return list(db.session.scalars(db.select(CoursePrompt).where(CoursePrompt.course_id == course.id)
                                   .order_by(CoursePrompt.position)))


def save_course_values(actor, course, asked: list[str], prompts: list[str]) -> None:
    _require(bool(asked), _("Choose at least one value for the pulse."), 422)
    before = {"asked": asked_values(course), "prompts": [p.text for p in course_prompts(course)]}
    settings = {s.value_key: s for s in db.session.scalars(
        db.select(CourseValueSetting).where(CourseValueSetting.course_id == course.id))}
    for key in VALUE_KEYS:
        if key in settings:
            settings[key].asked = key in asked
        else:
            db.session.add(CourseValueSetting(course_id=course.id, value_key=key, asked=key in asked))
    db.session.execute(db.delete(CoursePrompt).where(CoursePrompt.course_id == course.id))
    for position, text in enumerate(prompts):
        db.session.add(CoursePrompt(course_id=course.id, position=position, text=text))
    record(actor, "edited", course, _("%(name)s adapted the course's values and reflection prompts", name=actor.name),
           course=course, before=before)
    db.session.flush()


def validate_score(raw) -> int | None:
    """'' means not rated; anything but a whole number from 1 to 5 is refused."""
    if raw in (None, ""):
        return None
    try:
        score = int(raw)
    except (TypeError, ValueError):
        raise Refused(_("Choose a score from 1 to 5."), 422) from None
    if not 1 <= score <= 5:
        raise Refused(_("Choose a score from 1 to 5."), 422)
    return score


def save_pulse(actor, checkup: CheckUp, answers: dict[str, tuple[int | None, str]]) -> None:
    """One rating per person per value per check-up; editable until the check-up is closed.

    `answers` maps value keys to (score or None, comment); None removes an earlier rating.
    """
    side = side_of(actor, checkup.project)
    _require(side is not None, _("Only members of the project rate the values pulse."))
    _require(not checkup.closed, _("This check-up is closed; its pulse can no longer change."), 409)
    _require(checkup.held, _("The values pulse opens once the check-up has been held and logged."), 409)
    unknown = set(answers) - set(VALUE_KEYS)
    _require(not unknown, _("Unknown value."), 422)
    for _key, (score, _comment) in answers.items():
        _require(score is None or (isinstance(score, int) and 1 <= score <= 5), _("Choose a score from 1 to 5."), 422)
    mine = {r.value_key: r for r in db.session.scalars(db.select(PulseRating).where(
        PulseRating.checkup_id == checkup.id, PulseRating.user_id == actor.id))}
    before = {key: [r.score, r.comment] for key, r in mine.items()}
    for key, (score, comment) in answers.items():
        rating = mine.get(key)
        if score is None:
            if rating is not None:
                db.session.delete(rating)
        elif rating is None:
            db.session.add(PulseRating(checkup_id=checkup.id, project_id=checkup.project_id, user_id=actor.id,
                                       side=side, value_key=key, score=score, comment=comment))
        else:
            rating.score, rating.comment = score, comment
    record(actor, "rated", checkup, _("%(name)s gave the values pulse of a check-up", name=actor.name),
           project=checkup.project, before=before or None)
    db.session.flush()


def pulse_aggregates(project, checkup_id: int | None = None) -> list:
    """(checkup_id, side, value_key, average, count) rows: one query for a project or one check-up."""
    query = (db.select(PulseRating.checkup_id, PulseRating.side, PulseRating.value_key,
                       db.func.avg(PulseRating.score), db.func.count(PulseRating.id))
             .where(PulseRating.project_id == project.id)
             .group_by(PulseRating.checkup_id, PulseRating.side, PulseRating.value_key))
    if checkup_id is not None:
        query = query.where(PulseRating.checkup_id == checkup_id)
    return db.session.execute(query).all()


def visible_sides(viewer_side: str | None, checkup: CheckUp, submitted: set[str]) -> set[str]:
    """Whose ratings the viewer sees for a check-up.

    Both sides once both submitted or the check-up is closed, so neither anchors the other;
    until then a member sees their own side only. Teachers rate nothing and see both.
    """
    if viewer_side is None or checkup.closed or set(PULSE_SIDES) <= submitted:
        return set(PULSE_SIDES)
    return {viewer_side}


def pulse_view(project, viewer, checkups: list[CheckUp], rows) -> dict:
    """What the viewer may see of the pulse: per value, per side, a point per check-up."""
    viewer_side = side_of(viewer, project)
    submitted: dict[int, set[str]] = defaultdict(set)
    for checkup_id, side, _key, _avg, _count in rows:
        submitted[checkup_id].add(side)
    by_id = {c.id: c for c in checkups}
    visible = {cid: visible_sides(viewer_side, by_id[cid], submitted[cid]) for cid in submitted if cid in by_id}
    averages = {(cid, side, key): (round(float(avg), 1), count) for cid, side, key, avg, count in rows
                if cid in visible and side in visible[cid]}
    rated = [c for c in sorted(checkups, key=lambda c: c.planned_at) if c.id in visible and visible[c.id]]
    return {"checkups": rated, "averages": averages, "visible": visible, "submitted": submitted,
            "hidden": {cid for cid, sides in visible.items() if sides != set(PULSE_SIDES)}}


def pulse_comments(checkup: CheckUp, sides: set[str]) -> list[PulseRating]:
    """The comments of the sides the viewer may see (one query; hidden sides never leave the database)."""
    return list(db.session.scalars(
        db.select(PulseRating).where(PulseRating.checkup_id == checkup.id, PulseRating.side.in_(sorted(sides)),
                                     PulseRating.comment != "")
        .order_by(PulseRating.side, PulseRating.value_key, PulseRating.id)))


def pulse_series(view: dict, value_key: str, side: str) -> list[tuple[int, float]]:
    """(index of the check-up, average) points of one side for one value, oldest first."""
    points = []
    for index, checkup in enumerate(view["checkups"]):
        found = view["averages"].get((checkup.id, side, value_key))
        if found:
            points.append((index, found[0]))
    return points


def value_label(key: str) -> str:
    return _(VALUE_LABELS[key])


# ---- open feedback, due dates, the board -----------------------------------------------------

def flagged_feedback(held: list[CheckUp], open_items) -> set[int]:
    """Ids of open feedback items raised at least two held check-ups ago."""
    order = {c.id: i for i, c in enumerate(sorted(held, key=lambda c: c.planned_at))}
    last = len(order) - 1
    return {item.id for item in open_items
            if item.checkup_id in order and last - order[item.checkup_id] >= FLAG_AFTER_CHECKUPS}


def schedule(project, checkups: list[CheckUp], today: date | None = None) -> dict:
    """When the next check-up is due, what is planned and whether anything is overdue."""
    today = today or date.today()
    held = [c for c in checkups if c.held]
    planned = sorted((c for c in checkups if not c.held), key=lambda c: c.planned_at)
    last = max(held, key=lambda c: c.planned_at) if held else None
    since = last.planned_at.date() if last else project.start_date
    cadence = cadence_days(project)
    due = since + timedelta(days=cadence)
    upcoming = [c for c in planned if c.planned_at.date() >= today]
    unlogged = [c for c in planned if c.planned_at.date() < today]
    return {"cadence": cadence, "last": last, "due": due, "overdue": due < today,
            "next_planned": upcoming[0] if upcoming else None, "unlogged": unlogged}


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
