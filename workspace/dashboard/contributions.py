"""Who did what in each project of a course: counts per member, in total and in the last weeks."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func

from ..extensions import db
from ..models import Project, ProjectMember, User
from ..models.agreement import Agreement, Responsibility
from ..models.checkup import CheckUp, FeedbackItem
from ..models.deliverable import Deliverable, DeliverableVersion
from ..models.goal import Goal

RECENT_DAYS = 14
KINDS = ("goals_proposed", "responsibilities_on_time", "checkups_logged", "feedback_answered", "versions_uploaded")


@dataclass
class Contribution:
    project: str
    name: str
    role: str
    total: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    recent: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    reflections: int = 0  # how many a student wrote and when the last: never what they say
    last_reflection: datetime | None = None


def course_contributions(course, now: datetime) -> list[Contribution]:
    """Seven queries for the whole course, whatever its size."""
    members = db.session.execute(
        db.select(ProjectMember.project_id, ProjectMember.user_id, ProjectMember.role, Project.title, User.name)
        .join(Project, Project.id == ProjectMember.project_id).join(User, User.id == ProjectMember.user_id)
        .where(Project.course_id == course.id).order_by(Project.title, ProjectMember.role.desc(), User.name)
    ).all()
    people = {(m.project_id, m.user_id): Contribution(m.title, m.name, m.role) for m in members}
    recent_since = now - timedelta(days=RECENT_DAYS)
    in_course = db.select(Project.id).where(Project.course_id == course.id).scalar_subquery()
    # kind -> (project column, person column, time column, the query's joins and conditions)
    sources = {
        "goals_proposed": (Goal.project_id, Goal.proposer_id, Goal.created_at,
                           lambda q: q.where(Goal.project_id.in_(in_course))),
        "responsibilities_on_time": (
            Agreement.project_id, Responsibility.done_by_id, Responsibility.done_at,
            lambda q: q.select_from(Responsibility).join(Agreement, Agreement.id == Responsibility.agreement_id)
            .where(Agreement.project_id.in_(in_course), Responsibility.done_at.is_not(None),
                   Responsibility.due_date.is_not(None), func.date(Responsibility.done_at) <= Responsibility.due_date)),
        "checkups_logged": (CheckUp.project_id, CheckUp.logged_by_id, CheckUp.logged_at,
                            lambda q: q.where(CheckUp.project_id.in_(in_course), CheckUp.logged_at.is_not(None))),
        "feedback_answered": (FeedbackItem.project_id, FeedbackItem.responded_by_id, FeedbackItem.responded_at,
                              lambda q: q.where(FeedbackItem.project_id.in_(in_course),
                                                FeedbackItem.responded_at.is_not(None))),
        "versions_uploaded": (
            Deliverable.project_id, DeliverableVersion.created_by_id, DeliverableVersion.created_at,
            lambda q: q.select_from(DeliverableVersion)
            .join(Deliverable, Deliverable.id == DeliverableVersion.deliverable_id)
            .where(Deliverable.project_id.in_(in_course))),
    }
    for kind, (project_col, person_col, time_col, shape) in sources.items():
        query = shape(db.select(project_col, person_col, func.count(),
                                func.sum(case((time_col >= recent_since, 1), else_=0))))
        for project_id, user_id, total, recent in db.session.execute(query.group_by(project_col, person_col)):
            if (project_id, user_id) in people:
                people[(project_id, user_id)].total[kind] = total
                people[(project_id, user_id)].recent[kind] = int(recent or 0)
    from ..reflections.services import course_counts

    for key, (written, last) in course_counts(course).items():
        if key in people:
            people[key].reflections, people[key].last_reflection = written, last
    return list(people.values())
