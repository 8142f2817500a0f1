"""The home page's "Your courses" for enrolled students, and the "Join a course" form for everyone who is no teacher."""
from functools import cache

from flask import current_app, render_template, request
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from sqlalchemy import bindparam

from ..extensions import db
from ..models import Course, CourseEnrolment, Project, ProjectMember
from ..models.enrolment import ENROLLED
from ..policy import enrolled_courses
from ..sections import home_section
from .forms import JoinForm


@cache
def _courses_statement():
    """The courses the person is enrolled in, built once per process (the person is `user_id`)."""
    return (db.select(Course).join(CourseEnrolment, CourseEnrolment.course_id == Course.id)
            .where(CourseEnrolment.user_id == bindparam("user_id"), CourseEnrolment.status == ENROLLED)
            .order_by(Course.created_at.desc(), Course.id))


@home_section("enrolment", "enrolment/_home.html")
def home(user) -> dict | None:
    """Two queries: the courses the person is enrolled in, and which of them hold a team of theirs."""
    if user.is_teacher or user.is_admin:
        return None
    # the courses only when the policy's (once per request) enrolments hold one
    courses = db.session.scalars(_courses_statement(), {"user_id": user.id}).all() if enrolled_courses(user) else []
    in_team = set(db.session.scalars(
        db.select(Project.course_id).join(ProjectMember, ProjectMember.project_id == Project.id)
        .where(ProjectMember.user_id == user.id, ProjectMember.role == "student")
    )) if courses else set()
    return {"courses": courses, "in_team": in_team}  # the form: `join_form()`


def join_form() -> Markup:
    """The home's "Join a course" form, as `enrolment/_join_form.html` renders a fresh `JoinForm`.

    On home the form is always empty and without errors, so its markup depends only on the reader's
    language, where the app is mounted and the session's CSRF token. It is rendered by that template
    once per process for each language and mount, and each request puts its own token in: building
    and rendering the form was about a tenth of a partner's home (issue 19). Rendered every time
    while templates reload (development), or should the token not appear exactly once."""
    app = current_app._get_current_object()
    token = str(escape(generate_csrf()))
    key = (str(get_locale()), request.script_root)
    kept = app.extensions.setdefault("home_join_form", {})
    parts = kept.get(key)
    if parts is None:
        html = render_template("enrolment/_join_form.html", form=JoinForm(formdata=None))
        parts = html.split(token)
        if len(parts) != 2 or app.jinja_env.auto_reload:
            return Markup(html)  # nosec B704: the template's own output
        kept[key] = parts
    return Markup(f"{parts[0]}{token}{parts[1]}")  # nosec B704: the template's output, the escaped token
