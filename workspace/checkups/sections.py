"""What check-ups add to the board, the home page and the waiting badge (fixed query counts)."""
from functools import cache

from flask import current_app
from flask_babel import format_datetime
from flask_wtf.csrf import generate_csrf
from jinja2.filters import do_truncate
from markupsafe import Markup, escape
from sqlalchemy import bindparam
from sqlalchemy.orm import selectinload

from ..database import BoundPerson, Named, PlainRead
from ..extensions import db
from ..fast_format import format_date
from ..fast_gettext import markup_gettext, markup_ngettext
from ..models import ActionItem, CheckUp, FeedbackItem, Project, ProjectMember, User
from ..models.checkup import LOGGED, OPEN, is_held, is_overdue
from ..sections import activity_link, board_section, home_section, waiting_counter
from ..ui import icon, template_url_for
from . import services

BOARD_ACTIONS_SHOWN = 5


class _CheckUpRow:
    """What the board's section and `services.schedule` read of a check-up."""

    __slots__ = ("id", "planned_at", "state")

    def __init__(self, id, planned_at, state):  # noqa: A002 (the column's name)
        self.id, self.planned_at, self.state = id, planned_at, state

    @property
    def held(self) -> bool:
        return is_held(self.state)


class _ActionRow:
    """What the board's list shows of an open action item."""

    __slots__ = ("id", "text", "due_date", "done", "owner")

    def __init__(self, id, text, due_date, done, owner_id, owner_name):  # noqa: A002
        self.id, self.text, self.due_date, self.done = id, text, due_date, done
        self.owner = Named(owner_name) if owner_id is not None else None

    @property
    def overdue(self) -> bool:
        return is_overdue(self.done, self.due_date)


_PROJECT = bindparam("project_id")
# The board's statements, built once per process with the project as a bound parameter: plain rows of
# the columns the section shows, nothing hydrated (issue 19).
_BOARD_CHECKUPS = PlainRead(db.select(CheckUp.id, CheckUp.planned_at, CheckUp.state)
                            .where(CheckUp.project_id == _PROJECT))
_BOARD_OPEN_FEEDBACK = PlainRead(db.select(FeedbackItem.id, FeedbackItem.checkup_id)
                                 .where(FeedbackItem.project_id == _PROJECT, FeedbackItem.state == OPEN))
_BOARD_ACTIONS = PlainRead(db.select(ActionItem.id, ActionItem.text, ActionItem.due_date, ActionItem.done, User.id,
                                     User.name)
                           .outerjoin(User, User.id == ActionItem.owner_id)
                           .where(ActionItem.project_id == _PROJECT, ActionItem.done.is_(False))
                           .order_by(ActionItem.due_date, ActionItem.id))


@board_section("checkups", "checkups/_board.html")
def board(project, user) -> dict:
    """Latest check-up, next due or overdue, open feedback (and how much is flagged), open actions."""
    bound = {"project_id": project.id}
    checkups = [_CheckUpRow(*row) for row in _BOARD_CHECKUPS(bound)]
    open_items = _BOARD_OPEN_FEEDBACK(bound)
    actions = [_ActionRow(*row) for row in _BOARD_ACTIONS(bound)]
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
    checkups = _to_confirm_statement()({"user_id": user.id})
    return {"checkups": checkups} if checkups else None


def _checkup_state(_, state: str) -> str:
    """The `checkup_state` macro of checkups/_macros.html."""
    if state == "planned":
        return f'<span class="status status-planned">{icon("clock")} {_("Planned")}</span>'
    if state == "logged":
        said = _("Logged, waiting for the partner's confirmation")
        return f'<span class="status status-waiting">{icon("more")} {said}</span>'
    if state == "confirmed":
        return f'<span class="status status-done">{icon("check")} {_("Confirmed by the partner")}</span>'
    return f'<span class="status status-problem">{icon("file")} {_("Correction waiting for the team")}</span>'


def _action_state(_, item) -> str:
    """The `action_state` macro of checkups/_macros.html."""
    if item.done:
        return f'<span class="status status-done">{icon("check")} {_("Done")}</span>'
    if item.overdue:
        return f'<span class="status status-problem">{icon("alert")} {_("Overdue")}</span>'
    return f'<span class="status status-waiting">{icon("circle")} {_("Open")}</span>'


def board_body(section: dict, may_plan: bool) -> Markup:
    """The board's check-up section below its heading, written in Python: what `checkups/_board.html`
    wrote with `checkups/_schedule.html` and the state macros, byte for byte (tests/test_checkups.py
    renders that template beside it). It was about a twelfth of the board's function calls.

    Escaping: the action items' texts and owners are escaped; the rest is catalogue text (as the
    template's `_()` and `ngettext()` give it), dates, numbers and addresses."""
    _ = markup_gettext()
    ngettext = markup_ngettext()
    project_id, schedule = section["project"].id, section["schedule"]
    index = escape(template_url_for("checkups.index", project_id=project_id))
    last = schedule["last"]
    said = _("Last check-up held on %(date)s.", date=format_date(last.planned_at)) if last else _("No check-up held yet.")
    upcoming = schedule["next_planned"]
    planned = (_("Next planned for %(date)s.", date=format_datetime(upcoming.planned_at, "short"))
               if upcoming else "")
    if schedule["overdue"]:
        due = (f'<strong class="status status-problem">{icon("alert")} '
               f'{_("Overdue: a check-up was due on %(date)s (every %(n)d days).", date=format_date(schedule["due"]), n=schedule["cadence"])}'
               f'</strong>\n  ')
    else:
        due = _("Next due by %(date)s (every %(n)d days).", date=format_date(schedule["due"]), n=schedule["cadence"])
    out = [f'\n\n<p class="checkup-schedule">\n  {said}\n  {planned}\n  {due}\n</p>\n']
    for c in schedule["unlogged"]:
        show = escape(template_url_for("checkups.show", project_id=project_id, checkup_id=c.id))
        out.append(f'\n<p class="status status-problem">{icon("alert")} '
                   f'{_("Planned for %(date)s but not logged yet.", date=format_date(c.planned_at))} '
                   f'<a href="{show}">{_("Open it")}</a></p>\n')
    out.append("\n  ")
    if last:
        show = escape(template_url_for("checkups.show", project_id=project_id, checkup_id=last.id))
        out.append(f'\n  <p>{_("Latest:")} <a href="{show}">{escape(format_date(last.planned_at))}</a> · '
                   f'{_checkup_state(_, last.state)}</p>\n  ')
    open_feedback, flagged = section["open_feedback"], section["flagged"]
    flag = (f' · <strong class="flag">{icon("flag")} '
            f'{ngettext("%(num)d open after two check-ups", "%(num)d open after two check-ups", flagged)}</strong>'
            if flagged else "")
    awaiting = section["awaiting"]
    waits = ngettext("%(num)d log waits for the partner's confirmation",
                     "%(num)d logs wait for the partner's confirmation", awaiting) if awaiting else ""
    waits = f"<li>{waits}</li>" if awaiting else ""
    out.append(f'\n  <ul class="plain">\n    <li><strong>{open_feedback}</strong> '
               f'{ngettext("feedback item still open", "feedback items still open", open_feedback)}{flag}</li>'
               f'\n    {waits}\n  </ul>'
               f'\n  <h3>{_("Open action items")} <span class="count">({section["action_count"]})</span></h3>\n  ')
    actions = section["actions"]
    if actions:
        out.append('\n  <ul class="plain">\n    ')
        nobody = _("nobody")
        for item in actions:
            owner = escape(item.owner.name) if item.owner else nobody
            out.append(f'\n    <li>{_action_state(_, item)} {escape(item.text)} <span class="meta">· {owner} · '
                       f'{_("due %(date)s", date=format_date(item.due_date))}</span></li>\n    ')
        out.append("\n  </ul>\n  ")
        if section["action_count"] > len(actions):
            out.append(f'<p><a href="{index}">{_("All check-ups and their action items")}</a></p>')
        out.append("\n  ")
    else:
        out.append(f'<p class="empty">{_("No open action items.")}</p>')
    plan = (f'<a href="{escape(template_url_for("checkups.plan", project_id=project_id))}">{_("Plan a check-up")}</a> · '
            if may_plan else "")
    out.append(f'\n  <p class="actions">{plan}<a href="{index}">{_("Values pulse")}</a></p>')
    return Markup("".join(out))  # nosec B704: escaped values and catalogue text


def confirm_items(checkups) -> Markup:
    """The home's list items of logs to confirm, written in Python: what the section's loop wrote,
    byte for byte (tests/test_home_render.py renders that loop beside it). A partner with logs of
    several projects to confirm paid most of the section's time in the loop's tags (issue 19).

    Escaping: the project's title and the summary are escaped (the summary shortened first, by Jinja's
    own `truncate` filter with the app's settings), the rest is catalogue text, numbers or addresses."""
    _ = markup_gettext()
    csrf, l_confirm, l_read = escape(generate_csrf()), _("Confirm this log"), _("Read it or add a correction")
    env = current_app.jinja_env
    out = []
    for c in checkups:
        cid, values = c.id, {"project_id": c.project_id, "checkup_id": c.id}
        show = escape(template_url_for("checkups.show", **values))
        confirm = escape(template_url_for("checkups.confirm", **values))
        out.append(
            f'\n    <li id="home-checkup-{cid}">'
            f'\n      <p><a href="{show}">{_("Check-up of %(date)s", date=format_date(c.planned_at))}</a>'
            f' · {escape(c.project_title)}</p>'
            f'\n      <p class="prose">{escape(do_truncate(env, c.summary, 300))}</p>'
            f'\n      <form method="post" action="{confirm}"'
            f'\n            hx-post="{confirm}" hx-target="#home-checkup-{cid}" hx-swap="outerHTML">'
            f'\n        <input type="hidden" name="csrf_token" value="{csrf}">'
            f'\n        <input type="hidden" name="version" value="{escape(c.version)}">'
            f'\n        <input type="hidden" name="from" value="home">'
            f'\n        <button type="submit" class="button">{l_confirm}</button>'
            f'\n        <a href="{show}">{l_read}</a>\n      </form>\n    </li>\n    ')
    return Markup("".join(out))  # nosec B704: escaped values and catalogue text


@cache
def _to_confirm_statement():
    """Built once per process; the person is the bound parameter `user_id`; plain rows."""
    return PlainRead(_logs_to_confirm(BoundPerson(), CheckUp.id, CheckUp.project_id, CheckUp.planned_at, CheckUp.summary,
                             CheckUp.version, Project.title.label("project_title"))
            .join(Project, Project.id == CheckUp.project_id).order_by(CheckUp.planned_at))


def _my_open_actions(user, *columns):
    return db.select(*columns).where(ActionItem.owner_id == user.id, ActionItem.done.is_(False))


@home_section("checkup_actions", "checkups/_home_actions.html",
              probe=lambda user: _my_open_actions(user, ActionItem.id))
def my_actions(user) -> dict | None:
    """Your action items: open ones from the check-ups of your projects."""
    items = list(db.session.scalars(_my_actions_statement(), {"user_id": user.id}))
    return {"actions": items} if items else None


@cache
def _my_actions_statement():
    """Built once per process; the person is the bound parameter `user_id`."""
    return (_my_open_actions(BoundPerson(), ActionItem)
            .options(selectinload(ActionItem.checkup).selectinload(CheckUp.project))
            .order_by(ActionItem.due_date, ActionItem.id))


@activity_link("checkup")
def _checkup_link(project_id, subject_id):
    return template_url_for("checkups.show", project_id=project_id, checkup_id=subject_id)


def _item_link(kind: str):
    def link(project_id, subject_id):
        return template_url_for("checkups.find_item", project_id=project_id, kind=kind, item_id=subject_id)
    return link


for _subject, _kind in (("feedbackitem", "feedback"), ("actionitem", "action"), ("correction", "correction")):
    activity_link(_subject)(_item_link(_kind))
