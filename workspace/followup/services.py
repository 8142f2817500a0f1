"""Follow-up projects: a teacher continues a project in a later course.

The new project links to its predecessor, keeps the partner (organisation and partner members)
and the problem, carries the open goals over as proposals both sides agree to again, and
copies the agreement as a version 1 everyone accepts afresh. The predecessor is not changed:
its goals, agreement and timeline stay as they were (it only gains a timeline entry saying
where it continues). One follow-up per course: a second one into the same course is refused.
"""
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import bindparam

from ..activity import record
from ..agreement.services import _open_responsibilities, snapshot
from ..database import Named, PlainRead
from ..extensions import db
from ..goals.services import STATE_LABELS, current_root_cause
from ..models import (
    Agreement, AgreementVersion, ConsentItem, Course, CourseStaff, Goal, GoalComment, GoalRevision, Project,
    ProjectMember, RootCauseRevision,
)
from ..models.agreement import AgreementRole, Responsibility
from ..models.goal import ACHIEVED, DROPPED, PROPOSED
from ..rules import Refused

CLOSED_GOAL_STATES = (ACHIEVED, DROPPED)
GOAL_FIELDS = ("title", "description", "partner_need", "success_criteria")


def target_courses(user) -> list[Course]:
    """The courses a follow-up may go to: those the user teaches (every course for an admin)."""
    query = db.select(Course).order_by(Course.name, Course.term)
    if not user.is_admin:
        query = query.join(CourseStaff, CourseStaff.course_id == Course.id).where(CourseStaff.user_id == user.id)
    return list(db.session.scalars(query))


@cache
def _successors_statement():
    """Built once per process; the project is the bound parameter `project_id`; plain rows."""
    return PlainRead(db.select(Project.id, Project.title, Project.start_date, Project.end_date, Project.course_id,
                               Course.name.label("course_name"))
                     .join(Course, Course.id == Project.course_id)
                     .where(Project.predecessor_id == bindparam("project_id"))
                     .order_by(Project.start_date, Project.id))


class Successor:
    """What the board and the follow-up form show of a follow-up project, and what the policy's
    `project.view` reads of it (its id and course)."""

    __slots__ = ("id", "title", "start_date", "end_date", "course_id", "course")

    def __init__(self, row):
        self.id, self.title, self.start_date, self.end_date, self.course_id = row[:5]
        self.course = Named(row.course_name)


def successors(project) -> list[Successor]:
    """The follow-ups of a project, oldest first (one query, with their courses' names)."""
    return [Successor(row) for row in _successors_statement()({"project_id": project.id})]


def _field_refused(message, field: str) -> Refused:
    error = Refused(message, 422)
    error.field = field
    return error


def create_follow_up(actor, project, course, title: str, start_date, end_date) -> Project:
    """Make the follow-up of `project` in `course` and copy what carries over; flush, never commit."""
    if course not in target_courses(actor):
        raise _field_refused(_("Choose a course you teach."), "course_id")
    if course.id == project.course_id:
        raise _field_refused(_("A follow-up continues the project in another course."), "course_id")
    existing = db.session.scalar(
        db.select(Project).where(Project.predecessor_id == project.id, Project.course_id == course.id).limit(1))
    if existing is not None:
        raise _field_refused(_("This project already continues in that course as “%(title)s”.",
                                title=existing.title), "course_id")
    if end_date < start_date:
        raise _field_refused(_("The end date comes after the start date."), "end_date")
    follow_up = Project(course=course, organisation_id=project.organisation_id, title=title,
                        problem_statement=project.problem_statement, start_date=start_date, end_date=end_date,
                        predecessor_id=project.id)
    db.session.add(follow_up)
    db.session.flush()
    partners = list(db.session.scalars(
        db.select(ProjectMember.user_id).where(ProjectMember.project_id == project.id, ProjectMember.role == "partner")
        .order_by(ProjectMember.joined_at, ProjectMember.id)))
    db.session.add_all(ProjectMember(project_id=follow_up.id, user_id=user_id, role="partner") for user_id in partners)
    root_cause = current_root_cause(project)
    if root_cause is not None:
        db.session.add(RootCauseRevision(project_id=follow_up.id, number=1, text=root_cause.text,
                                         author_id=root_cause.author_id))
    goals = _carry_goals(actor, project, follow_up, partners)
    agreement = _copy_agreement(actor, project, follow_up, set(partners))
    record(actor, "continued", follow_up,
           _("%(name)s started this project as a follow-up of “%(title)s” (%(course)s): %(goals)s open goals "
             "carried over to agree again", name=actor.name, title=project.title, course=project.course.name,
             goals=goals), project=follow_up)
    record(actor, "continued", follow_up,
           _("%(name)s continued this project in %(course)s as the follow-up “%(title)s”", name=actor.name,
             course=course.name, title=title), project=project)
    if agreement is not None:
        record(actor, "created", agreement,
               _("%(name)s copied the agreement of “%(title)s” as version 1 of this project's agreement",
                 name=actor.name, title=project.title), project=follow_up)
    db.session.flush()
    return follow_up


def _carry_goals(actor, project, follow_up, partners: list[int]) -> int:
    """Open goals become fresh proposals (revision 1) with a note where they came from. Put on the
    table by the partner, whose needs carry over, so the new team agrees to them."""
    goals = db.session.scalars(
        db.select(Goal).where(Goal.project_id == project.id, Goal.state.not_in(CLOSED_GOAL_STATES))
        .order_by(Goal.position, Goal.id)
    ).all()
    for position, goal in enumerate(goals, start=1):
        if partners:
            side = "partner"
            proposer = goal.proposer_id if goal.proposer_side == "partner" and goal.proposer_id in partners \
                else partners[0]
        else:  # nobody of the partner is in the project: the proposal stays with its own side
            side, proposer = goal.proposer_side, goal.proposer_id
        fields = {key: getattr(goal, key) for key in GOAL_FIELDS}
        target = goal.target_date if goal.target_date and goal.target_date >= follow_up.start_date else None
        copy = Goal(project_id=follow_up.id, state=PROPOSED, proposer_side=side, proposer_id=proposer,
                    position=position, revision_number=1, target_date=target, **fields)
        db.session.add(copy)
        db.session.flush()
        db.session.add(GoalRevision(goal_id=copy.id, number=1, author_id=proposer, author_side=side,
                                    target_date=target, **fields))
        db.session.add(GoalComment(goal_id=copy.id, author_id=actor.id, kind="comment", body=_(
            "Carried over from “%(title)s” (%(course)s), where it was “%(state)s”. Both sides agree to it again "
            "for this project.", title=project.title, course=project.course.name, state=STATE_LABELS[goal.state])))
    return len(goals)


def _copy_agreement(actor, project, follow_up, partners: set[int]) -> Agreement | None:
    """The current agreement as version 1 of the follow-up's: roles held by partners who stay,
    the promises still open (dates already past cleared), consent asked again (it was given for
    the earlier project and its team)."""
    old = db.session.scalar(db.select(Agreement).where(Agreement.project_id == project.id))
    if old is None:
        return None
    agreement = Agreement(project_id=follow_up.id, cadence_days=old.cadence_days, checkup_channel=old.checkup_channel)
    agreement.consent_items = [ConsentItem(kind=item.kind, details=item.details) for item in old.consent_items]
    agreement.roles = [AgreementRole(name=role.name, description=role.description,
                                     holders=[u for u in role.holders if u.id in partners]) for role in old.roles]
    db.session.add(agreement)
    db.session.flush()
    copies = []
    for resp in _open_responsibilities(old):
        if resp.done_at is not None:
            continue
        due = resp.due_date if resp.due_date and resp.due_date >= follow_up.start_date else None
        person = resp.person_id if resp.side == "partner" and resp.person_id in partners else None
        copies.append(Responsibility(agreement_id=agreement.id, what=resp.what, side=resp.side, person_id=person,
                                     due_date=due, recurrence=resp.recurrence, every_n=resp.every_n,
                                     every_unit=resp.every_unit))
    db.session.add_all(copies)
    db.session.flush()
    for copy in copies:
        copy.series_id = copy.id
    db.session.flush()
    db.session.expire(agreement, ["roles", "consent_items"])
    db.session.add(AgreementVersion(agreement_id=agreement.id, number=1, snapshot=snapshot(agreement),
                                    created_by_id=actor.id))
    return agreement
