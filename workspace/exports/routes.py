"""Exports: a project's downloads page (JSON document, CSV tables, printable agreement) and each
person's calendar feed at a secret address, renewed from the profile."""
import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..csvcells import csv_response
from ..database import get
from ..extensions import db
from ..forms import EmptyForm
from ..htmx import is_htmx
from ..models import Agreement, Project
from ..policy import PUBLIC, SIGNED_IN, permission
from . import calendar
from .document import project_document
from .tables import TABLES

bp = Blueprint("exports", __name__)


def load_project(project_id, **_):
    return get(Project, project_id)


@bp.app_context_processor
def _calendar_helpers():
    """The profile page shows the person's calendar section (templates/exports/_calendar.html)."""
    return {"calendar_feed_of": calendar.feed_of, "calendar_feed_url": calendar.feed_url}


@bp.get("/projects/<int:project_id>/exports")
@permission("export.view", load_project)
def index(project, project_id):
    """What can be taken along from this project, and the printable agreement."""
    has_agreement = db.session.scalar(db.select(Agreement.id).where(Agreement.project_id == project.id)) is not None
    return render_template("exports/index.html", project=project, has_agreement=has_agreement, tables=TABLES)


@bp.get("/projects/<int:project_id>/exports/project.json")
@permission("export.view", load_project)
def project_json(project, project_id):
    """The whole project as one JSON document (data portability)."""
    body = json.dumps(project_document(project, current_user), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="project-{project.id}.json"'})


@bp.get("/projects/<int:project_id>/exports/<any(goals, responsibilities, feedback, deliverables):table>.csv")
@permission("export.view", load_project)
def table_csv(project, project_id, table):
    """One table of the project as CSV for a spreadsheet."""
    header, rows = TABLES[table](project)
    return csv_response(header, rows, f"project-{project.id}-{table}.csv")


@bp.get("/calendar/<int:user_id>/<token>.ics")
@permission(PUBLIC)
def calendar_feed(user_id, token):
    """The person's check-ups and due dates for a calendar app; no sign-in, the address is the key."""
    feed = calendar.find_feed(user_id, token)
    if feed is None:
        abort(404)
    response = Response(calendar.calendar_bytes(feed.user), mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="workspace.ics"'
    return response


@bp.route("/profile/calendar", methods=["GET", "POST"])
@permission(SIGNED_IN)
def renew_calendar():
    """Create the person's calendar address, or renew it after confirming: the old one stops working."""
    form = EmptyForm()
    feed = calendar.feed_of(current_user)
    if form.validate_on_submit():
        feed = calendar.renew_feed(current_user)
        db.session.commit()
        message = _("Your new calendar address is ready. The old address no longer works.") if feed.created_at != \
            feed.renewed_at else _("Your calendar address is ready. Add it to your calendar app.")
        if is_htmx():
            response = Response(render_template("exports/_calendar.html", focus=True))
            response.headers["HX-Trigger"] = json.dumps({"announce": message})
            return response
        flash(message, "success")
        return redirect(url_for("auth.profile", _anchor="calendar"), code=303)
    return render_template("exports/renew.html", form=form, feed=feed)
