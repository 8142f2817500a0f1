"""The home page's "Your courses" for enrolled students, and the "Join a course" form for everyone who is no teacher."""
from functools import cache

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
    return {"courses": courses, "in_team": in_team, "join_form": JoinForm(formdata=None)}
