"""Each role's home page and the health check."""
from functools import cache

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import bindparam
from sqlalchemy.orm import selectinload

from ..database import PlainRead
from ..extensions import db
from ..models import Course, CourseStaff, Organisation, Project, ProjectMember
from ..policy import PUBLIC, SIGNED_IN, permission, project_roles, staffed_courses
from ..sections import load_home

bp = Blueprint("main", __name__)


@bp.get("/")
@permission(PUBLIC)
def index():
    """The front door: home when signed in, the login page otherwise."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return redirect(url_for("auth.login"))


@cache
def _memberships():
    """The person's projects as plain rows of what the lists show (one query, no ORM objects),
    built once per process with the person as the bound parameter `user_id`."""
    return PlainRead(
        db.select(ProjectMember.role, Project.id, Project.title, Course.name.label("course_name"),
                  Organisation.name.label("organisation_name"))
        .join(Project, Project.id == ProjectMember.project_id)
        .join(Course, Course.id == Project.course_id)
        .join(Organisation, Organisation.id == Project.organisation_id)
        .where(ProjectMember.user_id == bindparam("user_id"))
        .order_by(Project.start_date.desc(), Project.title)
    )


@cache
def _courses():
    """The courses the person teaches with their projects and partners, built once per process."""
    return (db.select(Course).join(CourseStaff, CourseStaff.course_id == Course.id)
            .where(CourseStaff.user_id == bindparam("user_id"))
            .options(selectinload(Course.projects).selectinload(Project.organisation))
            .order_by(Course.created_at.desc()))


@bp.get("/home")
@permission(SIGNED_IN)
def home():
    """Students see their projects, partners their organisation's, teachers their courses."""
    memberships = _memberships()({"user_id": current_user.id}) if project_roles(current_user) else []
    student_projects = [row for row in memberships if row.role == "student"]
    partner_projects = [row for row in memberships if row.role == "partner"]
    # the courses' statement only for those who teach one (the policy's standing, read anyway, knows)
    courses = db.session.scalars(_courses(), {"user_id": current_user.id}).all() if staffed_courses(current_user) else []
    return render_template(
        "main/home.html", student_projects=student_projects, partner_projects=partner_projects, courses=courses,
        sections=load_home(current_user),
    )


@bp.get("/healthz")
@permission(PUBLIC)
def healthz():
    """A trivial answer: the framework's own ceiling in the benchmark."""
    return {"status": "ok"}
