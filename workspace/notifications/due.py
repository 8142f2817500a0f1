"""Reminders of promises and action items due within two days or late (run daily: `flask notify-due`)."""
from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from ..extensions import db
from ..models import ProjectMember, User
from ..models.agreement import Agreement, Responsibility
from ..models.checkup import ActionItem
from .services import notify

SOON = timedelta(days=2)
SIDE_ROLE = {"students": "student", "partner": "partner"}


def notify_due(today: date | None = None) -> int:
    """One notification per item and state (due soon / late); keys make a second run harmless."""
    today = today or date.today()
    created = 0
    for action, owner in db.session.execute(
        db.select(ActionItem, User).join(User, User.id == ActionItem.owner_id)
        .where(ActionItem.done.is_(False), ActionItem.due_date <= today + SOON)
    ):
        late = action.due_date < today
        text = (_("Your action item is late: %(text)s", text=action.text) if late
                else _("Your action item is due on %(date)s: %(text)s", date=format_date(action.due_date), text=action.text))
        created += notify([owner], "action_due", f"action-{action.id}-{'late' if late else 'soon'}", text,
                          f"/projects/{action.project_id}/checkups/{action.checkup_id}")
    rows = db.session.execute(
        db.select(Responsibility, Agreement.project_id)
        .join(Agreement, Agreement.id == Responsibility.agreement_id)
        .where(Responsibility.done_at.is_(None), Responsibility.removed_at.is_(None),
               Responsibility.due_date.is_not(None), Responsibility.due_date <= today + SOON,
               Responsibility.side.in_(SIDE_ROLE))
    ).all()
    if rows:
        members = db.session.execute(
            db.select(ProjectMember.project_id, ProjectMember.role, User)
            .join(User, User.id == ProjectMember.user_id)
            .where(ProjectMember.project_id.in_({project_id for _r, project_id in rows}))
        ).all()
        for responsibility, project_id in rows:
            role = SIDE_ROLE[responsibility.side]
            people = [u for pid, r, u in members if pid == project_id and r == role
                      and (responsibility.person_id is None or u.id == responsibility.person_id)]
            late = responsibility.due_date < today
            text = (_("A promise of your side is late: %(what)s", what=responsibility.what) if late else
                    _("A promise of your side is due on %(date)s: %(what)s", date=format_date(responsibility.due_date),
                      what=responsibility.what))
            created += notify(people, "responsibility_due",
                              f"responsibility-{responsibility.id}-{'late' if late else 'soon'}", text,
                              f"/projects/{project_id}/agreement")
    return created
