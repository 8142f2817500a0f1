"""The project timeline: every recorded activity, newest first, readable by every member."""
from flask import Blueprint, render_template, request
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import bindparam
from sqlalchemy.orm import selectinload

from ..database import PlainRead
from ..extensions import db
from ..i18n import localized, subject_label
from ..models import Activity, ProjectMember, User
from ..policy import permission
from ..projects.routes import load_project
from ..sections import activity_link, board_section, links_for
from ..ui import ago, template_url_for

bp = Blueprint("timeline", __name__)

PER_PAGE = 30
BOARD_ENTRIES = 5


def timeline_items(entries, link_for) -> Markup:
    """The timeline's lines (the board's recent activity, the timeline page), written in Python: what
    the `timeline_entry` macro wrote for each, byte for byte (tests/test_timeline.py calls that macro
    beside it). A page of thirty lines paid a macro call, a filter walk and an `ago` each.

    Escaping: the summary (in the reader's language where it can be made again) and the link are
    escaped; the time is `ago`'s own Markup."""
    out = []
    for entry in entries:
        summary = escape(localized(entry.summary, entry.summary_made))
        href = link_for(entry)
        if href:
            summary = f'<a href="{escape(href)}">{summary}</a>'
        out.append(f'<li class="timeline-entry">\n  {ago(entry.created_at)}\n  \n'
                   f'  <span class="timeline-summary">{summary}</span>\n</li>')
    return Markup("".join(out))  # nosec B704: escaped values and ago's Markup


bp.add_app_template_global(timeline_items)


@activity_link("project")
def _project_link(project_id, subject_id):
    return template_url_for("projects.show", project_id=project_id)


def _newest(project_id):
    return (
        db.select(Activity).where(Activity.project_id == project_id)
        .options(selectinload(Activity.actor)).order_by(Activity.created_at.desc(), Activity.id.desc())
    )


# The board's five newest entries in one statement, built once per process with the project as a
# bound parameter: plain rows of what an entry shows and links to (`timeline_items`, `links_for`).
_BOARD_NEWEST = PlainRead(
    db.select(Activity.id, Activity.project_id, Activity.subject_type, Activity.subject_id, Activity.summary,
              Activity.summary_made, Activity.created_at)
    .where(Activity.project_id == bindparam("project_id"))
    .order_by(Activity.created_at.desc(), Activity.id.desc()).limit(BOARD_ENTRIES), "Entry")


@board_section("timeline", "timeline/_board.html")
def board(project, user):
    entries = _BOARD_NEWEST({"project_id": project.id})
    return {"entries": entries, "link_for": links_for(entries, user)}


@bp.get("/projects/<int:project_id>/timeline")
@permission("project.view", load_project)
def show(project, project_id):
    """All activity of the project, filterable by kind and person, a page at a time."""
    kind = (request.args.get("kind") or "").strip()[:40]
    person = request.args.get("person", type=int)
    query = _newest(project.id)
    if kind:
        query = query.where(Activity.subject_type == kind)
    if person:
        query = query.where(Activity.actor_id == person)
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    kinds = db.session.scalars(
        db.select(Activity.subject_type).where(Activity.project_id == project.id).distinct().order_by(Activity.subject_type)
    ).all()
    people = db.session.execute(
        db.select(User.id, User.name, ProjectMember.role)
        .join(ProjectMember, ProjectMember.user_id == User.id)
        .where(ProjectMember.project_id == project.id).order_by(User.name)
    ).all()
    return render_template("timeline/show.html", project=project, page=page, kinds=kinds, people=people,
                           kind=kind, person=person, link_for=links_for(page.items, current_user),
                           subject_label=subject_label)
