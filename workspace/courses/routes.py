"""Courses: create, view with their projects and staff, edit, invite co-teachers."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.orm import selectinload

from ..auth.services import invite
from ..database import get
from ..extensions import db
from ..forms import EmptyForm
from ..models import ENROLLED, Course, CourseEnrolment, CourseStaff, Invitation, Project
from ..models.base import utcnow
from ..policy import permission
from .forms import CourseForm, InviteTeacherForm
from .services import create_course, update_course

bp = Blueprint("courses", __name__, url_prefix="/courses")


def load_course(course_id, **_):
    return get(Course, course_id)


def load_invitation(course_id, invitation_id, **_):
    return db.session.scalar(db.select(Invitation).filter_by(id=invitation_id, course_id=course_id))


def dashboard_thresholds(form) -> dict:
    """The dashboard thresholds the form filled in (left empty: unchanged, or the defaults)."""
    names = ("attention_checkup_days", "attention_wait_days", "attention_quiet_days", "after_project_months")
    return {name: getattr(form, name).data for name in names if getattr(form, name).data is not None}


@bp.route("/new", methods=["GET", "POST"])
@permission("course.create")
def new():
    """A teacher starts a new course and becomes its first teacher."""
    form = CourseForm()
    if form.validate_on_submit():
        course = create_course(current_user, form.name.data, form.term.data or "", form.description.data or "",
                               **dashboard_thresholds(form))
        db.session.commit()
        flash(_("The course %(name)s is created. Add its projects next.", name=course.name), "success")
        return redirect(url_for("courses.show", course_id=course.id), code=303)
    return render_template("courses/form.html", form=form, course=None), 422 if form.errors else 200


@bp.get("/<int:course_id>")
@permission("course.view", load_course)
def show(course, course_id):
    """The course with its projects, teachers and open invitations."""
    projects = db.session.scalars(
        db.select(Project).where(Project.course_id == course.id)
        .options(selectinload(Project.organisation), selectinload(Project.members))
        .order_by(Project.title)
    ).all()
    staff = db.session.scalars(
        db.select(CourseStaff).where(CourseStaff.course_id == course.id).options(selectinload(CourseStaff.user))
    ).all()
    invitations = db.session.scalars(
        db.select(Invitation)
        .where(Invitation.course_id == course.id, Invitation.accepted_at.is_(None),
               Invitation.revoked_at.is_(None), Invitation.expires_at > utcnow())
        .options(selectinload(Invitation.project))
        .order_by(Invitation.created_at.desc())
    ).all()
    enrolled = db.session.scalar(db.select(func.count()).select_from(CourseEnrolment).where(
        CourseEnrolment.course_id == course.id, CourseEnrolment.status == ENROLLED))
    return render_template("courses/show.html", course=course, projects=projects, staff=staff,
                           invitations=invitations, form=EmptyForm(), enrolled=enrolled)


@bp.route("/<int:course_id>/edit", methods=["GET", "POST"])
@permission("course.edit", load_course)
def edit(course, course_id):
    """Change the course's name, term and description."""
    form = CourseForm(obj=course)
    if form.validate_on_submit():
        update_course(current_user, course, name=form.name.data, term=form.term.data or "",
                      description=form.description.data or "", **dashboard_thresholds(form))
        db.session.commit()
        flash(_("The course is saved."), "success")
        return redirect(url_for("courses.show", course_id=course.id), code=303)
    return render_template("courses/form.html", form=form, course=course), 422 if form.errors else 200


@bp.route("/<int:course_id>/invite", methods=["GET", "POST"])
@permission("course.invite", load_course)
def invite_teacher(course, course_id):
    """Invite a co-teacher to the course; the link is shown to copy and e-mailed."""
    form = InviteTeacherForm()
    if form.validate_on_submit():
        _invitation, link = invite(current_user, form.email.data, "teacher", course)
        db.session.commit()
        return render_template("invitations/created.html", link=link, email=form.email.data,
                               back=url_for("courses.show", course_id=course.id))
    return render_template("courses/invite.html", form=form, course=course), 422 if form.errors else 200


@bp.post("/<int:course_id>/invitations/<int:invitation_id>/revoke")
@permission("invitation.revoke", load_invitation)
def revoke_invitation(invitation, course_id, invitation_id):
    """Withdraw an invitation that has not been used yet."""
    if EmptyForm().validate_on_submit() and invitation.accepted_at is None and invitation.revoked_at is None:
        from ..activity import record

        invitation.revoked_at = utcnow()
        record(current_user, "revoked", invitation,
               _("%(name)s withdrew the invitation of %(email)s", name=current_user.name, email=invitation.email),
               project=invitation.project, course=invitation.course)
        db.session.commit()
        flash(_("The invitation of %(email)s is withdrawn.", email=invitation.email), "success")
    return redirect(url_for("courses.show", course_id=course_id), code=303)
