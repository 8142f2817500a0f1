"""The teacher dashboard: every project of a course with its signals, and each member's contribution."""
import csv
import io

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _

from ..courses.routes import load_course
from ..csvcells import safe_cell as _cell
from ..fast_gettext import translations
from ..models.base import utcnow
from ..policy import permission
from ..evaluations.services import csv_cells as evaluation_cells
from .contributions import course_contributions
from .signals import course_signals, days_since
from .summary import rebuild_summaries_command
from .view import dashboard_rows

bp = Blueprint("dashboard", __name__)

# column key -> how rows sort by it (None sorts last)
SORT_KEYS = {
    "title": lambda r: r.title.lower(),
    "partner": lambda r: r.partner.lower(),
    "goals": lambda r: r.goals_waiting,
    "wait": lambda r: r.oldest_goal_wait and -r.oldest_goal_wait.timestamp(),
    "late": lambda r: r.late_total,
    "checkup": lambda r: r.last_checkup and r.last_checkup.timestamp(),
    "next": lambda r: r.next_checkup_due and r.next_checkup_due.timestamp(),
    "feedback": lambda r: r.open_feedback,
    "reviews": lambda r: (r.deliverables_late, r.reviews_waiting),
    "agreement": lambda r: (r.agreement_exists, r.accepted_by_all),
    "pulse": lambda r: r.pulse.get("partner", (None, None))[0],
    "activity": lambda r: r.last_activity and r.last_activity.timestamp(),
    "evaluation": lambda r: r.evaluation and r.evaluation.average,
    "attention": lambda r: len(r.reasons),
}


def _rows(course):
    now = utcnow()
    rows = course_signals(course, now, translations())
    q = (request.args.get("q") or "").strip().lower()[:100]
    if q:
        rows = [r for r in rows if q in r.title.lower() or q in r.partner.lower()]
    attention = request.args.get("attention") == "1"
    if attention:
        rows = [r for r in rows if r.needs_attention]
    sort = request.args.get("sort") if request.args.get("sort") in SORT_KEYS else "attention"
    descending = request.args.get("dir", "desc" if sort == "attention" else "asc") == "desc"
    key = SORT_KEYS[sort]
    present = [r for r in rows if key(r) is not None]
    missing = [r for r in rows if key(r) is None]
    rows = sorted(present, key=key, reverse=descending) + missing
    return rows, now, {"q": q, "attention": attention, "sort": sort, "dir": "desc" if descending else "asc"}


@bp.get("/courses/<int:course_id>/dashboard")
@permission("course.view", load_course)
def show(course, course_id):
    """One row per project with the signals that tell a teacher where to step in."""
    rows, now, state = _rows(course)
    return render_template("dashboard/show.html", course=course, rows=dashboard_rows(rows, now),
                           attention_count=sum(1 for r in rows if r.needs_attention), **state)


@bp.get("/courses/<int:course_id>/dashboard.csv")
@permission("course.view", load_course)
def export(course, course_id):
    """The dashboard table as CSV, with the same filter and order as on screen."""
    rows, now, _state = _rows(course)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([  # column names in the reader's language, like the page
        _("project"), _("partner"), _("goals agreed"), _("goals awaiting agreement"), _("oldest goal wait (days)"),
        _("late responsibilities (students)"), _("late responsibilities (partner)"),
        _("late responsibilities (teacher)"), _("last check-up"), _("next check-up due"), _("check-up overdue"),
        _("open feedback"), _("deliverables awaiting review"), _("oldest review wait (days)"),
        _("deliverables past their due date"),
        _("agreement accepted by everyone"), _("pulse partner"), _("pulse partner change"), _("pulse students"),
        _("pulse students change"), _("last activity"), _("partner's evaluation (average of 5)"),
        _("would work with us again"), _("needs attention")
    ])
    for r in rows:
        writer.writerow([_cell(v) for v in (
            r.title, r.partner, r.goals_agreed, r.goals_waiting, days_since(r.oldest_goal_wait, now),
            r.late["students"], r.late["partner"], r.late["teacher"], _date(r.last_checkup), _date(r.next_checkup_due),
            _("yes") if r.checkup_overdue else _("no"), r.open_feedback, r.reviews_waiting,
            days_since(r.review_wait_since, now), r.deliverables_late,
            (_("yes") if r.accepted_by_all else _("no")) if r.agreement_exists else _("no agreement"),
            *r.pulse.get("partner", ("", "")), *r.pulse.get("student", ("", "")),
            _date(r.last_activity), *evaluation_cells(r.evaluation), "; ".join(r.reasons),
        )])
    filename = f"dashboard-course-{course.id}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/courses/<int:course_id>/contributions")
@permission("course.view", load_course)
def contributions(course, course_id):
    """Per member, what they did: both sides' contributions, in total and recently."""
    people = course_contributions(course, utcnow())
    return render_template("dashboard/contributions.html", course=course, people=people)


def _date(moment):
    return moment.date().isoformat() if moment else ""


@bp.record_once
def _register_command(state):
    state.app.cli.add_command(rebuild_summaries_command)
