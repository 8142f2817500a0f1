"""What check-ups add to the board, the home page and the waiting badge (fixed query counts)."""
from functools import cache

from flask import url_for
from sqlalchemy import bindparam
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import ActionItem, CheckUp, FeedbackItem, Project, ProjectMember
from ..models.checkup import LOGGED, OPEN
from ..sections import activity_link, board_section, home_section, waiting_counter
from . import services

BOARD_ACTIONS_SHOWN = 5


@board_section("checkups", "checkups/_board.html")
def board(project, user) -> dict:
    """Latest check-up, next due or overdue, open feedback (and how much is flagged), open actions."""
    checkups = list(db.session.scalars(db.select(CheckUp).where(CheckUp.project_id == project.id)))
    open_items = db.session.execute(
        db.select(FeedbackItem.id, FeedbackItem.checkup_id)
        .where(FeedbackItem.project_id == project.id, FeedbackItem.state == OPEN)).all()
    actions = list(db.session.scalars(
        db.select(ActionItem).where(ActionItem.project_id == project.id, ActionItem.done.is_(False))
        .options(selectinload(ActionItem.owner)).order_by(ActionItem.due_date, ActionItem.id)))
    held = [c for c in checkups if c.held]
    return {
        "project": project, "schedule": services.schedule(project, checkups),
        "open_feedback": len(open_items), "flagged": len(services.flagged_feedback(held, open_items)),
        "actions": actions[:BOARD_ACTIONS_SHOWN], "action_count": len(actions),
        "awaiting": sum(1 for c in checkups if c.state == LOGGED),
    }


def _logs_to_confirm(user, *columns):
    return (db.select(*columns or (CheckUp,))
            .join(ProjectMember, (ProjectMember.project_id == CheckUp.project_id) & (ProjectMember.user_id == user.id))
            .where(ProjectMember.role == "partner", CheckUp.state == LOGGED))


def _count_to_confirm(user):
    return db.select(db.func.count()).select_from(_logs_to_confirm(user).subquery())


@waiting_counter("checkups", statement=_count_to_confirm)
def waiting(user) -> int:
    """Check-up logs waiting for this partner's confirmation."""
    return db.session.scalar(_count_to_confirm(user))


@home_section("checkups_to_confirm", "checkups/_home_confirm.html")
def to_confirm(user) -> dict | None:
    """Check-up logs waiting for this partner's confirmation, as plain rows of what the list shows."""
    checkups = db.session.execute(_to_confirm_statement(), {"user_id": user.id}).all()
    return {"checkups": checkups} if checkups else None


@cache
def _to_confirm_statement():
    """Built once per process; the person is the bound parameter `user_id`."""
    return (_logs_to_confirm(_BoundUser(), CheckUp.id, CheckUp.project_id, CheckUp.planned_at, CheckUp.summary,
                             CheckUp.version, Project.title.label("project_title"))
            .join(Project, Project.id == CheckUp.project_id).order_by(CheckUp.planned_at))


class _BoundUser:
    id = bindparam("user_id")


@home_section("checkup_actions", "checkups/_home_actions.html")
def my_actions(user) -> dict | None:
    """Your action items: open ones from the check-ups of your projects."""
    items = list(db.session.scalars(_my_actions_statement(), {"user_id": user.id}))
    return {"actions": items} if items else None


@cache
def _my_actions_statement():
    """Built once per process; the person is the bound parameter `user_id`."""
    return (db.select(ActionItem).where(ActionItem.owner_id == bindparam("user_id"), ActionItem.done.is_(False))
            .options(selectinload(ActionItem.checkup).selectinload(CheckUp.project))
            .order_by(ActionItem.due_date, ActionItem.id))


@activity_link("checkup")
def _checkup_link(project_id, subject_id):
    return url_for("checkups.show", project_id=project_id, checkup_id=subject_id)


def _item_link(kind: str):
    def link(project_id, subject_id):
        return url_for("checkups.find_item", project_id=project_id, kind=kind, item_id=subject_id)
    return link


for _subject, _kind in (("feedbackitem", "feedback"), ("actionitem", "action"), ("correction", "correction")):
    activity_link(_subject)(_item_link(_kind))
