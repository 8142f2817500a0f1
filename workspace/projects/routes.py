"""Projects: the project page (the board grows here), creating, editing, inviting, the team."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from ..auth.services import invite
from ..courses.forms import InviteForm
from ..courses.routes import load_course
from ..database import Named, PlainRead, get
from ..extensions import db
from ..forms import EmptyForm, choices
from ..models import CourseStaff, Organisation, Project, ProjectMember, User
from ..policy import permission
from ..sections import load_board
from .forms import ProjectForm
from ..rules import StaleVersion
from .services import create_project, remove_member, update_project

bp = Blueprint("projects", __name__)


def load_project(project_id, **_):
    return get(Project, project_id)


def load_member(project_id, member_id, **_):
    return db.session.scalar(db.select(ProjectMember).filter_by(id=member_id, project_id=project_id))


def _organisation_choices():
    rows = db.session.execute(db.select(Organisation.id, Organisation.name).order_by(Organisation.name)).all()
    return choices((row.id, row.name) for row in rows)


def _project_fields(form):
    return dict(title=form.title.data, organisation_id=form.organisation_id.data,
                problem_statement=form.problem_statement.data or "",
                start_date=form.start_date.data, end_date=form.end_date.data)


@bp.route("/courses/<int:course_id>/projects/new", methods=["GET", "POST"])
@permission("course.add_project", load_course)
def new(course, course_id):
    """Add a project to a course with its partner organisation and the problem as first presented."""
    form = ProjectForm()
    form.organisation_id.choices = _organisation_choices()
    if request.method == "GET" and request.args.get("organisation_id", type=int):
        form.organisation_id.data = request.args.get("organisation_id", type=int)  # just registered
    if form.validate_on_submit():
        project = create_project(current_user, course, **_project_fields(form))
        db.session.commit()
        flash(_("The project %(title)s is created. Invite its students and partner next.", title=project.title), "success")
        return redirect(url_for("projects.show", project_id=project.id), code=303)
    return render_template("projects/form.html", form=form, course=course, project=None), 422 if form.errors else 200


# The board's project with its course and partner organisation (the page names both) in one statement.
_BOARD_PROJECT = (db.select(Project).where(Project.id == bindparam("project_id"))
                  .options(joinedload(Project.course), joinedload(Project.organisation)))


def load_board_project(project_id, **_):
    return db.session.scalar(_BOARD_PROJECT, {"project_id": project_id})


# The board's people, with their names, in one statement each, built once per process: plain rows.
_BOARD_MEMBERS = PlainRead(
    db.select(ProjectMember.id, ProjectMember.role, User.name).join(User, User.id == ProjectMember.user_id)
    .where(ProjectMember.project_id == bindparam("project_id"))
    .order_by(ProjectMember.role.desc(), ProjectMember.joined_at))
_BOARD_TEACHERS = PlainRead(
    db.select(User.name).join(CourseStaff, CourseStaff.user_id == User.id)
    .where(CourseStaff.course_id == bindparam("course_id")).order_by(CourseStaff.id))


class _BoardMember:
    """What the board's list of people shows of a member, and what the policy's `member.remove` reads."""

    __slots__ = ("id", "role", "user", "project", "project_id")

    def __init__(self, row, project):
        self.id, self.role, self.user = row.id, row.role, Named(row.name)
        self.project, self.project_id = project, project.id


@bp.get("/projects/<int:project_id>")
@permission("project.view", load_board_project)
def show(project, project_id):
    """The project board: course, partner, team and people with their roles."""
    bound = {"project_id": project.id, "course_id": project.course_id}
    members = [_BoardMember(row, project) for row in _BOARD_MEMBERS(bound)]
    teachers = _BOARD_TEACHERS(bound)
    return render_template("projects/show.html", project=project, members=members, teachers=teachers,
                           sections=load_board(project, current_user))


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@permission("project.edit", load_project)
def edit(project, project_id):
    """Change a project's details; a stale form gets 409 with the current values."""
    form = ProjectForm(obj=project)
    form.organisation_id.choices = _organisation_choices()
    if request.method == "GET":
        form.version.data = project.version
    if form.validate_on_submit():
        try:
            update_project(current_user, project, form.version.data, **_project_fields(form))
            db.session.commit()
        except (StaleVersion, StaleDataError):
            db.session.rollback()
            db.session.refresh(project)
            return render_template("projects/form.html", form=form, course=project.course, project=project,
                                   stale=True), 409
        flash(_("The project is saved."), "success")
        return redirect(url_for("projects.show", project_id=project.id), code=303)
    return render_template("projects/form.html", form=form, course=project.course, project=project), (
        422 if form.errors else 200
    )


@bp.route("/projects/<int:project_id>/invite", methods=["GET", "POST"])
@permission("project.invite", load_project)
def invite_member(project, project_id):
    """Invite a student or a partner to the project."""
    form = InviteForm()
    if request.method == "GET" and request.args.get("role") in ("student", "partner"):
        form.role.data = request.args["role"]
    if form.validate_on_submit():
        _invitation, link = invite(current_user, form.email.data, form.role.data, project.course, project)
        db.session.commit()
        return render_template("invitations/created.html", link=link, email=form.email.data,
                               back=url_for("projects.show", project_id=project.id))
    return render_template("projects/invite.html", form=form, project=project), 422 if form.errors else 200


@bp.route("/projects/<int:project_id>/members/<int:member_id>/remove", methods=["GET", "POST"])
@permission("member.remove", load_member)
def remove(member, project_id, member_id):
    """Remove someone from the project, after a confirmation page."""
    form = EmptyForm()
    if form.validate_on_submit():
        name = member.user.name
        remove_member(current_user, member)
        db.session.commit()
        flash(_("%(name)s is no longer in this project.", name=name), "success")
        return redirect(url_for("projects.show", project_id=project_id), code=303)
    return render_template("projects/remove_member.html", member=member, form=form)
