"""Follow-up projects: the form a teacher uses to continue a project in a later course."""
from datetime import date, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..forms import choices
from ..policy import permission
from ..projects.routes import load_project
from ..rules import Refused
from . import sections  # noqa: F401  (registers the board section)
from .forms import FollowUpForm
from .services import create_follow_up, successors, target_courses

bp = Blueprint("followup", __name__)


@bp.route("/projects/<int:project_id>/follow-up", methods=["GET", "POST"])
@permission("project.follow_up", load_project)
def new(project, project_id):
    """Continue the project in another course: same partner, open goals and agreement to agree again."""
    courses = [c for c in target_courses(current_user) if c.id != project.course_id]
    form = FollowUpForm()
    form.course_id.choices = choices((c.id, f"{c.name} · {c.term}" if c.term else c.name) for c in courses)
    if request.method == "GET":
        form.title.data = project.title
        form.start_date.data = max(date.today(), project.end_date + timedelta(days=1))
        form.end_date.data = form.start_date.data + timedelta(days=120)
    if form.validate_on_submit():
        course = next(c for c in courses if c.id == form.course_id.data)
        try:
            follow_up = create_follow_up(current_user, project, course, form.title.data, form.start_date.data,
                                         form.end_date.data)
            db.session.commit()
        except Refused as refused:
            db.session.rollback()
            getattr(form, getattr(refused, "field", "course_id")).errors.append(refused.message)
        except IntegrityError:  # another teacher made the same follow-up at the same moment
            db.session.rollback()
            form.course_id.errors.append(_("This project already continues in that course."))
        else:
            flash(_("The follow-up project %(title)s is created with the partner, the open goals and the agreement "
                    "to agree on again. Invite its students next.", title=follow_up.title), "success")
            return redirect(url_for("projects.show", project_id=follow_up.id), code=303)
    return render_template("followup/new.html", form=form, project=project, courses=courses,
                           existing=successors(project)), 422 if form.errors else 200
