"""What goals add to other pages: the board section, the partner's home queue, the nav badge.
Each loader makes a fixed number of queries, whatever the number of goals."""
from functools import cache

from sqlalchemy import and_, bindparam
from sqlalchemy.orm import joinedload

from ..database import Named, PlainRead
from ..extensions import db
from ..models import Goal, GoalComment, Project, ProjectMember, RootCauseRevision, User
from ..models.goal import PROPOSED
from ..policy import project_roles
from ..sections import activity_link, board_section, home_section, waiting_counter
from ..ui import template_url_for
from .services import (
    BOARD_ORDER, allowed_steps, count_waiting, count_waiting_statement,
    side_of, waits_for,
)


def state_counts(project_id: int) -> dict[str, int]:
    rows = db.session.execute(
        db.select(Goal.state, db.func.count(Goal.id)).where(Goal.project_id == project_id).group_by(Goal.state)
    ).all()
    counts = {state: 0 for state in BOARD_ORDER}
    counts.update({state: n for state, n in rows})
    return counts


_PROJECT = bindparam("project_id")
# The board's statements, built once per process with the project as a bound parameter (building a
# SELECT and its cache key cost more than SQLite's answer), read as plain rows (issue 19: loading
# fifteen goals with their proposers as ORM objects cost more than the rest of the section's reads).
_BOARD_GOALS = PlainRead(
    db.select(Goal.id, Goal.project_id, Goal.title, Goal.description, Goal.partner_need, Goal.success_criteria,
              Goal.target_date, Goal.state, Goal.proposer_side, Goal.drop_side, Goal.revision_number, Goal.version,
              Goal.evidence, Goal.drop_reason, Goal.proposer_id, User.name.label("proposer_name"))
    .outerjoin(User, User.id == Goal.proposer_id)
    .where(Goal.project_id == _PROJECT).order_by(Goal.position, Goal.id))
_BOARD_COMMENTS = PlainRead(db.select(GoalComment.goal_id, db.func.count(GoalComment.id))
                            .join(Goal, Goal.id == GoalComment.goal_id).where(Goal.project_id == _PROJECT)
                            .group_by(GoalComment.goal_id))
_BOARD_ROOT_CAUSE = PlainRead(
    db.select(RootCauseRevision.number, RootCauseRevision.text, RootCauseRevision.created_at,
              RootCauseRevision.author_id, User.name.label("author_name"))
    .outerjoin(User, User.id == RootCauseRevision.author_id)
    .where(RootCauseRevision.project_id == _PROJECT).order_by(RootCauseRevision.number.desc()).limit(1))


class BoardGoal:
    """What the board's card (`cards.BoardCards.card`), the state machine and the policy's goal rules
    read of a goal: its columns, its proposer's name and its project (the board's own)."""

    __slots__ = ("id", "project_id", "title", "description", "partner_need", "success_criteria", "target_date",
                 "state", "proposer_side", "drop_side", "revision_number", "version", "evidence", "drop_reason",
                 "proposer", "project")

    def __init__(self, row, project):
        (self.id, self.project_id, self.title, self.description, self.partner_need, self.success_criteria,
         self.target_date, self.state, self.proposer_side, self.drop_side, self.revision_number, self.version,
         self.evidence, self.drop_reason, proposer_id, proposer_name) = row
        self.proposer = Named(proposer_name) if proposer_id is not None else None
        self.project = project


class _RootCause:
    __slots__ = ("number", "text", "created_at", "author")

    def __init__(self, number, text, created_at, author_id, author_name):
        self.number, self.text, self.created_at = number, text, created_at
        self.author = Named(author_name) if author_id is not None else None


@board_section("goals", "goals/_board.html")
def board(project, user) -> dict:
    """Goals grouped by state in the team's order, with counts and the current root cause: 3 queries."""
    bound = {"project_id": project.id}
    goals = [BoardGoal(row, project) for row in _BOARD_GOALS(bound)]
    groups = {state: [] for state in BOARD_ORDER}
    for goal in goals:
        groups[goal.state].append(goal)
    comment_counts = dict(_BOARD_COMMENTS(bound))
    root_cause = next((_RootCause(*row) for row in _BOARD_ROOT_CAUSE(bound)), None)
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


class _Facts:
    """What the policy and the state machine read of a goal and its project, for one kind of card."""

    __slots__ = ("state", "proposer_side", "drop_side", "project_id", "project")

    def __init__(self, state, proposer_side, drop_side, project_id, course_id):
        self.state, self.proposer_side, self.drop_side, self.project_id = state, proposer_side, drop_side, project_id
        self.project = _ProjectFacts(project_id, course_id)


class _ProjectFacts:
    __slots__ = ("id", "course_id")

    def __init__(self, project_id, course_id):
        self.id, self.course_id = project_id, course_id


_QUEUE_COLUMNS = (Goal.id, Goal.project_id, Goal.title, Goal.description, Goal.partner_need, Goal.success_criteria,
                  Goal.target_date, Goal.state, Goal.proposer_side, Goal.drop_side, Goal.revision_number,
                  Goal.version, Goal.evidence, Goal.drop_reason, Project.title.label("project_title"),
                  Project.course_id, User.id.label("proposer_user_id"), User.name.label("proposer_name"))


@cache
def _partner_queue_rows_statement():
    """Built once per process; the person is the bound parameter `user_id`; plain rows."""
    return PlainRead(
        db.select(*_QUEUE_COLUMNS)
        .join(ProjectMember, and_(ProjectMember.project_id == Goal.project_id,
                                  ProjectMember.user_id == bindparam("user_id"), ProjectMember.role == "partner"))
        .join(Project, Project.id == Goal.project_id)
        .outerjoin(User, User.id == Goal.proposer_id)
        .where(Goal.state == PROPOSED, Goal.proposer_side == "student")
        .order_by(Goal.state_changed_at, Goal.id)
    )


def partner_queue_rows(user) -> list:
    """`partner_queue` as plain rows of what the home's card shows (one query, nothing hydrated), as
    named tuples: a template reading a field of SQLAlchemy's Row pays ten times a named tuple's."""
    return _partner_queue_rows_statement()({"user_id": user.id})


@home_section("goals", "goals/_home.html")
def home(user) -> dict | None:
    """A partner's queue of goals to agree; nothing for people who are nobody's partner.

    One query (the person's roles come from the policy's standing, read once per request). The cards are plain rows; what each card offers (its steps, whether it waits for
    this person) is asked of the state machine and the policy once per kind of card (project,
    state, proposing and dropping side), not once per goal: those are all they read."""
    if "partner" not in project_roles(user).values():
        return None
    decided: dict[tuple, dict] = {}
    cards = []
    for row in partner_queue_rows(user):
        key = (row.project_id, row.course_id, row.state, row.proposer_side, row.drop_side)
        if key not in decided:
            facts = _Facts(row.state, row.proposer_side, row.drop_side, row.project_id, row.course_id)
            side = side_of(user, facts.project)
            decided[key] = {"steps": allowed_steps(user, facts, side), "waits": waits_for(facts, side),
                            "side": side}
        cards.append((row, decided[key]))
    return {"goals": cards}  # written by goals/cards.py `HomeCards`


@waiting_counter("goals", statement=count_waiting_statement)
def waiting(user) -> int:
    return count_waiting(user)


@activity_link("goal")
def _goal_link(project_id, subject_id):
    return template_url_for("goals.show", project_id=project_id, goal_id=subject_id)


@activity_link("rootcauserevision")
def _root_cause_link(project_id, subject_id):
    return template_url_for("goals.relevance", project_id=project_id)
