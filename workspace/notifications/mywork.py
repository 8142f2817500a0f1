""""My work": everything due from one person across their projects, soonest first.

A fixed number of queries (one per kind of work) whatever the number of projects and items.
"""
from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import and_, or_

from ..extensions import db
from ..models import Project, ProjectMember
from ..models.agreement import Agreement, AgreementAcceptance, AgreementVersion, Responsibility
from ..models.checkup import CORRECTION_PENDING, LOGGED, ActionItem, CheckUp
from ..models.deliverable import CHANGES_REQUESTED as DELIVERABLE_CHANGES_REQUESTED
from ..models.deliverable import DRAFT, IN_REVIEW, Deliverable
from ..models.goal import ACHIEVEMENT_CLAIMED, CHANGES_REQUESTED, DROP_PROPOSED, PROPOSED, Goal

RESPONSIBILITY_SIDE = {"student": "students", "partner": "partner"}


@dataclass
class WorkItem:
    due: date | None
    project: str
    text: str
    url: str

    @property
    def late(self) -> bool:
        return self.due is not None and self.due < date.today()


def my_work(user) -> list[WorkItem]:
    roles = dict(db.session.execute(
        db.select(ProjectMember.project_id, ProjectMember.role).where(ProjectMember.user_id == user.id)
    ).all())
    if not roles:
        return []
    titles = dict(db.session.execute(db.select(Project.id, Project.title).where(Project.id.in_(roles))).all())
    items: list[WorkItem] = []

    def add(due, project_id, text, url):
        items.append(WorkItem(due, titles[project_id], text, url))

    for goal in db.session.scalars(db.select(Goal).where(
        Goal.project_id.in_(roles), Goal.state.in_((PROPOSED, CHANGES_REQUESTED, ACHIEVEMENT_CLAIMED, DROP_PROPOSED))
    )):
        side = roles[goal.project_id]
        url = f"/projects/{goal.project_id}/goals/{goal.id}"
        if goal.state == PROPOSED and goal.proposer_side != side:
            add(goal.target_date, goal.project_id, _("Agree to the goal “%(title)s” or ask for changes", title=goal.title), url)
        elif goal.state == CHANGES_REQUESTED and goal.proposer_side == side:
            add(goal.target_date, goal.project_id, _("Revise the goal “%(title)s”", title=goal.title), url)
        elif goal.state == ACHIEVEMENT_CLAIMED and side == "partner":
            add(goal.target_date, goal.project_id, _("Confirm that the goal “%(title)s” is achieved", title=goal.title), url)
        elif goal.state == DROP_PROPOSED and goal.drop_side != side:
            add(goal.target_date, goal.project_id, _("Confirm dropping the goal “%(title)s”", title=goal.title), url)

    for project_id, number in db.session.execute(
        db.select(Agreement.project_id, AgreementVersion.number)
        .join(AgreementVersion, and_(AgreementVersion.agreement_id == Agreement.id,
                                     AgreementVersion.number == Agreement.number))
        .outerjoin(AgreementAcceptance, and_(AgreementAcceptance.agreement_version_id == AgreementVersion.id,
                                             AgreementAcceptance.user_id == user.id))
        .where(Agreement.project_id.in_(roles), AgreementAcceptance.id.is_(None))
    ):
        add(None, project_id, _("Accept version %(number)s of the partnership agreement", number=number),
            f"/projects/{project_id}/agreement")

    sides = [and_(Agreement.project_id == pid, Responsibility.side == RESPONSIBILITY_SIDE[role])
             for pid, role in roles.items() if role in RESPONSIBILITY_SIDE]
    if sides:
        for project_id, r in db.session.execute(
            db.select(Agreement.project_id, Responsibility)
            .join(Agreement, Agreement.id == Responsibility.agreement_id)
            .where(or_(*sides), Responsibility.done_at.is_(None), Responsibility.removed_at.is_(None),
                   or_(Responsibility.person_id.is_(None), Responsibility.person_id == user.id))
        ):
            add(r.due_date, project_id, _("Promise: %(what)s", what=r.what), f"/projects/{project_id}/agreement")

    for action in db.session.scalars(db.select(ActionItem).where(ActionItem.owner_id == user.id,
                                                                 ActionItem.done.is_(False))):
        add(action.due_date, action.project_id, _("Action item: %(text)s", text=action.text),
            f"/projects/{action.project_id}/checkups/{action.checkup_id}")

    partner_projects = [pid for pid, role in roles.items() if role == "partner"]
    student_projects = [pid for pid, role in roles.items() if role == "student"]
    for checkup in db.session.scalars(db.select(CheckUp).where(or_(
        and_(CheckUp.project_id.in_(partner_projects), CheckUp.state == LOGGED),
        and_(CheckUp.project_id.in_(student_projects), CheckUp.state == CORRECTION_PENDING),
    ))):
        text = (_("Confirm the log of the check-up of %(date)s", date=format_date(checkup.planned_at))
                if checkup.state == LOGGED else
                _("Resolve the partner's correction to the check-up of %(date)s", date=format_date(checkup.planned_at)))
        add(None, checkup.project_id, text, f"/projects/{checkup.project_id}/checkups/{checkup.id}")

    # The partner reviews what is in review; the team finishes, by its due date, what is in its hands.
    for deliverable in db.session.scalars(db.select(Deliverable).where(or_(
        and_(Deliverable.project_id.in_(partner_projects), Deliverable.state == IN_REVIEW),
        and_(Deliverable.project_id.in_(student_projects), Deliverable.due_date.is_not(None),
             Deliverable.state.in_((DRAFT, DELIVERABLE_CHANGES_REQUESTED))),
    ))):
        text = (_("Review the deliverable “%(title)s”", title=deliverable.title) if deliverable.state == IN_REVIEW
                else _("Finish the deliverable “%(title)s” and submit it for review", title=deliverable.title))
        add(deliverable.due_date, deliverable.project_id, text,
            f"/projects/{deliverable.project_id}/deliverables/{deliverable.id}")

    return sorted(items, key=lambda item: (item.due is None, item.due or date.max, item.project, item.text))
