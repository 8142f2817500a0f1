"""What goals add to other pages: the board section, the partner's home queue, the nav badge.
Each loader makes a fixed number of queries, whatever the number of goals."""
from flask import url_for
from sqlalchemy import and_
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Goal, GoalComment, ProjectMember, RootCauseRevision
from ..models.goal import PROPOSED
from ..sections import activity_link, board_section, home_section, waiting_counter
from .services import BOARD_ORDER, count_waiting, count_waiting_statement


def state_counts(project_id: int) -> dict[str, int]:
    rows = db.session.execute(
        db.select(Goal.state, db.func.count(Goal.id)).where(Goal.project_id == project_id).group_by(Goal.state)
    ).all()
    counts = {state: 0 for state in BOARD_ORDER}
    counts.update({state: n for state, n in rows})
    return counts


@board_section("goals", "goals/_board.html")
def board(project, user) -> dict:
    """Goals grouped by state in the team's order, with counts and the current root cause: 3 queries."""
    goals = db.session.scalars(
        db.select(Goal).where(Goal.project_id == project.id)
        .options(joinedload(Goal.proposer)).order_by(Goal.position, Goal.id)
    ).all()
    groups = {state: [] for state in BOARD_ORDER}
    for goal in goals:
        groups[goal.state].append(goal)
    comment_counts = dict(db.session.execute(
        db.select(GoalComment.goal_id, db.func.count(GoalComment.id))
        .join(Goal, Goal.id == GoalComment.goal_id).where(Goal.project_id == project.id)
        .group_by(GoalComment.goal_id)
    ).all())
    root_cause = db.session.scalar(
        db.select(RootCauseRevision).where(RootCauseRevision.project_id == project.id)
        .options(joinedload(RootCauseRevision.author)).order_by(RootCauseRevision.number.desc()).limit(1)
    )
    return {"project": project, "groups": groups, "counts": {s: len(g) for s, g in groups.items()},
            "total": len(goals), "comment_counts": comment_counts, "root_cause": root_cause}


def partner_queue(user) -> list[Goal]:
    """Student proposals waiting for this partner's agreement, across their projects."""
    return list(db.session.scalars(
        db.select(Goal)
        .join(ProjectMember, and_(ProjectMember.project_id == Goal.project_id, ProjectMember.user_id == user.id,
                                  ProjectMember.role == "partner"))
        .where(Goal.state == PROPOSED, Goal.proposer_side == "student")
        .options(joinedload(Goal.project), joinedload(Goal.proposer))
        .order_by(Goal.state_changed_at, Goal.id)
    ))


@home_section("goals", "goals/_home.html")
def home(user) -> dict | None:
    """A partner's queue of goals to agree; nothing for people who are nobody's partner."""
    is_partner = db.session.scalar(
        db.select(ProjectMember.id).where(ProjectMember.user_id == user.id, ProjectMember.role == "partner").limit(1)
    )
    if is_partner is None:
        return None
    return {"goals": partner_queue(user)}


@waiting_counter("goals", statement=count_waiting_statement)
def waiting(user) -> int:
    return count_waiting(user)


@activity_link("goal")
def _goal_link(project_id, subject_id):
    return url_for("goals.show", project_id=project_id, goal_id=subject_id)


@activity_link("rootcauserevision")
def _root_cause_link(project_id, subject_id):
    return url_for("goals.relevance", project_id=project_id)
