"""Who is told what when something happens: the activity entry is the news, the rules here say
whose turn it is now. People are told of what waits for them and of replies to what they wrote."""
from flask import has_request_context
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam

from ..activity import LISTENERS
from ..database import PlainRead
from ..extensions import db
from ..models import EmailPreference, Notification, ProjectMember, User
from ..models.checkup import LOGGED
from ..models.goal import ACHIEVEMENT_CLAIMED, CHANGES_REQUESTED, DROP_PROPOSED, PROPOSED, GoalComment
from ..models.notification import IMMEDIATE
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


# A project's members with their role, their e-mail preference and whether they were told of the entry
# already (its key): one statement, built once per process, answers who is told, the actor's side and
# who wants the e-mail now. A person has at most one notification per key (unique), so one row each.
# Plain rows of what `notify` reads of a person (id, e-mail, whether active, language).
_PEOPLE = PlainRead(
    db.select(User.id, User.email, User.active, User.locale, ProjectMember.role,
              EmailPreference.email.label("preference"), Notification.id.label("noted"))
    .join(ProjectMember, ProjectMember.user_id == User.id)
    .outerjoin(EmailPreference, EmailPreference.user_id == User.id)
    .outerjoin(Notification, and_(Notification.user_id == User.id, Notification.key == bindparam("key")))
    .where(ProjectMember.project_id == bindparam("project_id")).order_by(ProjectMember.id), "Member")


def _people(project, entry) -> list:
    db.session.flush()  # the entry's id names its notifications
    return _PEOPLE({"project_id": project.id, "key": f"activity-{entry.id}"})


def on_activity(entry, subject, project, actor) -> None:
    # Notifications follow people's actions in the workspace; commands (demo data) make their own.
    if project is None or not has_request_context():
        return
    kind, verb = entry.subject_type, entry.verb
    roles, text, people = None, entry.summary, None
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
            people = _people(project, entry)
            acting = next((row.role for row in people if actor is not None and row.id == actor.id), None)
            other = OTHER.get(acting)
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
    if people is None:
        people = _people(project, entry)
    told = [row for row in people if row.role in roles]
    notify(told, kind, f"activity-{entry.id}", text, link_for(entry) or "", project=project,
           actor=actor, preferences={row.id: row.preference or IMMEDIATE for row in told},
           already={row.id for row in told if row.noted is not None})


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
