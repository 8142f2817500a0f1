"""Admin pages: users, courses and organisations of the whole installation."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_
from sqlalchemy.orm import selectinload

from ..activity import record
from ..courses.routes import dashboard_thresholds
from ..courses.services import create_course
from ..database import get
from ..extensions import db
from ..forms import choices
from ..models import Course, CourseStaff, User
from ..policy import ADMIN, permission
from ..sso.routes import sso_providers
from .forms import AdminCourseForm, UserForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


def load_user(user_id, **_):
    return get(User, user_id)


@bp.get("/users")
@permission(ADMIN)
def users():
    """Every account, searchable by name or e-mail, a page at a time."""
    q = (request.args.get("q") or "").strip()[:100]
    query = db.select(User).order_by(User.name, User.id)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(User.name).like(like), func.lower(User.email).like(like)))
    page = db.paginate(query, per_page=25, error_out=False)
    return render_template("admin/users.html", page=page, q=q)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@permission("user.edit", load_user)
def edit_user(user, user_id):
    """Change a person's name, teacher and admin rights, or deactivate the account."""
    form = UserForm(obj=user)
    if form.validate_on_submit():
        if user.id == current_user.id and (not form.is_admin.data or not form.active.data):
            form.is_admin.errors.append(_("You cannot remove your own admin rights or deactivate yourself."))
        elif form.sso_only.data and not user.sso_only and not sso_providers():
            form.sso_only.errors.append(_("No sign-in with an institution account is set up here, so this person "
                                          "could not sign in at all."))
        else:
            before = {"name": user.name, "is_teacher": user.is_teacher, "is_admin": user.is_admin, "active": user.active,
                      "sso_only": user.sso_only}
            form.populate_obj(user)
            if (before["active"] and not user.active) or (user.sso_only and not before["sso_only"]):
                user.end_sessions()  # a session opened with a password ends too
            record(current_user, "admin_edited_user", user,
                   _("%(name)s (admin) edited the account of %(user)s", name=current_user.name, user=user.email),
                   before=before)
            db.session.commit()
            flash(_("The account of %(email)s is saved.", email=user.email), "success")
            return redirect(url_for("admin.users"), code=303)
    return render_template("admin/user.html", form=form, user=user), 422 if form.errors else 200


@bp.route("/courses", methods=["GET", "POST"])
@permission(ADMIN)
def courses():
    """All courses with their teachers; an admin can start a course for a teacher."""
    form = AdminCourseForm()
    teachers = db.session.execute(
        db.select(User.id, User.name, User.email).where(User.is_teacher.is_(True)).order_by(User.name)
    ).all()
    form.teacher_id.choices = choices((t.id, f"{t.name} <{t.email}>") for t in teachers)
    if form.validate_on_submit():
        teacher = db.session.get(User, form.teacher_id.data)
        course = create_course(teacher, form.name.data, form.term.data or "", form.description.data or "",
                               **dashboard_thresholds(form))
        record(current_user, "admin_created_course", course,
               _("%(name)s (admin) created the course %(course)s for %(teacher)s",
                 name=current_user.name, course=course.name, teacher=teacher.name), course=course)
        db.session.commit()
        flash(_("The course %(name)s is created.", name=course.name), "success")
        return redirect(url_for("admin.courses"), code=303)
    all_courses = db.session.scalars(
        db.select(Course).options(selectinload(Course.staff).selectinload(CourseStaff.user),
                                  selectinload(Course.projects))
        .order_by(Course.created_at.desc())
    ).all()
    return render_template("admin/courses.html", courses=all_courses, form=form), 422 if form.errors else 200
