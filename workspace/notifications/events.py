"""Who is told what when something happens: the activity entry is the news, the rules here say
whose turn it is now. People are told of what waits for them and of replies to what they wrote."""
from flask import has_request_context
from flask_babel import gettext as _

from ..activity import LISTENERS
from ..extensions import db
from ..models import ProjectMember, User
from ..models.checkup import LOGGED
from ..models.goal import ACHIEVEMENT_CLAIMED, CHANGES_REQUESTED, DROP_PROPOSED, PROPOSED, GoalComment
from ..sections import link_for
from .services import notify

OTHER = {"student": "partner", "partner": "student"}


def _goal_turn(goal) -> str | None:
    """The side whose move it is on a goal, or None when nobody must act."""
    if goal.state == PROPOSED:
        return OTHER[goal.proposer_side]
    if goal.state == CHANGES_REQUESTED:
        return goal.proposer_side
    if goal.state == ACHIEVEMENT_CLAIMED:
        return "partner"
    if goal.state == DROP_PROPOSED:
        return OTHER.get(goal.drop_side)
    return None


def _members(project, roles):
    return db.session.scalars(
        db.select(User).join(ProjectMember, ProjectMember.user_id == User.id)
        .where(ProjectMember.project_id == project.id, ProjectMember.role.in_(roles))
    ).all()


def on_activity(entry, subject, project, actor) -> None:
    # Notifications follow people's actions in the workspace; commands (demo data) make their own.
    if project is None or not has_request_context():
        return
    kind, verb = entry.subject_type, entry.verb
    roles, text = None, entry.summary
    if kind == "goal":
        if verb == "commented":
            _tell_discussion(entry, subject, project, actor)
            return
        if verb == "reordered":
            return
        turn = _goal_turn(subject)
        if turn:
            roles, text = [turn], _("%(news)s — your side's turn", news=entry.summary)
        else:  # agreed, achieved, dropped: news for the other side of whoever acted
            other = OTHER.get(_role(project, actor))
            roles = [other] if other else None
    elif kind == "agreement" and verb in ("created", "new_version"):
        roles, text = ["student", "partner"], _("%(news)s — please read and accept it", news=entry.summary)
    elif kind == "checkup" and verb == "logged" and subject.state == LOGGED:
        roles, text = ["partner"], _("%(news)s — please confirm the log", news=entry.summary)
    elif kind == "correction" and verb == "corrected":
        roles = ["student"]
    elif kind == "deliverable" and verb == "submitted":
        roles, text = ["partner"], _("%(news)s — please review it", news=entry.summary)
    elif kind == "deliverable" and verb == "reviewed":
        roles = ["student"]
    elif kind == "feedbackitem" and verb == "responded":
        roles = ["partner"]
    if not roles:
        return
    db.session.flush()
    notify(_members(project, roles), kind, f"activity-{entry.id}", text, link_for(entry) or "", project=project,
           actor=actor)


def _role(project, actor):
    if actor is None:
        return None
    return db.session.scalar(db.select(ProjectMember.role).filter_by(project_id=project.id, user_id=actor.id))


def _tell_discussion(entry, goal, project, actor) -> None:
    """Replies: everyone who wrote in the goal's discussion, and its proposer, hears of a new comment."""
    writers = set(db.session.scalars(db.select(GoalComment.author_id).where(GoalComment.goal_id == goal.id)))
    writers.add(goal.proposer_id)
    writers.discard(None)
    if not writers:
        return
    users = db.session.scalars(db.select(User).where(User.id.in_(writers))).all()
    db.session.flush()
    notify(users, "reply", f"activity-{entry.id}", entry.summary, link_for(entry) or "", project=project, actor=actor)


LISTENERS.append(on_activity)
