"""Enrolling a class: the course's students, the CSV import (preview, then import), leaving and
re-enrolling, and the join code (switched by the teacher, used by students at /join/<code>)."""
import base64
import binascii
import hashlib
import hmac
import json

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_
from sqlalchemy.orm import contains_eager

from ..database import get
from ..extensions import db
from ..forms import EmptyForm
from ..htmx import is_htmx, render
from ..i18n import N_
from ..models import Course, CourseEnrolment, Invitation, Project, ProjectMember, User
from ..models.base import utcnow
from ..policy import PUBLIC, permission
from ..rules import Refused
from . import sections  # registers the home section
from . import roster, services
from .forms import ImportForm, JoinByEmailForm, JoinCodeForm, JoinForm, UploadForm

bp = Blueprint("enrolment", __name__)
bp.add_app_template_global(sections.join_form, "home_join_form")
PER_PAGE = 50
SOURCE_LABELS = {"csv": N_("class list"), "join": N_("join code"), "lti": N_("learning platform"),
                 "invitation": N_("invitation"), "manual": N_("added by hand")}


def load_course(course_id, **_):
    return get(Course, course_id)


def load_enrolment(course_id, enrolment_id, **_):
    return db.session.scalar(db.select(CourseEnrolment).filter_by(id=enrolment_id, course_id=course_id))


def _students_url(course_id):
    return url_for("enrolment.students", course_id=course_id)


# ---- the students of a course ----------------------------------------------------------------

@bp.get("/courses/<int:course_id>/students")
@permission("course.enrol", load_course)
def students(course, course_id):
    """Enrolled (and departed) students with source and team, searchable, a page at a time."""
    return _students_page(course)


def _students_page(course, status=200):
    q = (request.args.get("q") or "").strip()[:100]
    query = (db.select(CourseEnrolment).join(User, User.id == CourseEnrolment.user_id)
             .where(CourseEnrolment.course_id == course.id).options(contains_eager(CourseEnrolment.user))
             .order_by(CourseEnrolment.status, User.name, User.id))
    if q:
        needle = q.lower()
        query = query.where(or_(func.lower(User.name).contains(needle, autoescape=True),
                                func.lower(User.email).contains(needle, autoescape=True),
                                func.lower(CourseEnrolment.student_number).contains(needle, autoescape=True)))
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    counts = dict(db.session.execute(
        db.select(CourseEnrolment.status, func.count()).where(CourseEnrolment.course_id == course.id)
        .group_by(CourseEnrolment.status)).all())
    ids = [e.user_id for e in page.items]
    teams = {}
    for user_id, title in db.session.execute(
        db.select(ProjectMember.user_id, Project.title).join(Project, Project.id == ProjectMember.project_id)
        .where(Project.course_id == course.id, ProjectMember.role == "student", ProjectMember.user_id.in_(ids))
        .order_by(Project.title)
    ) if ids else ():
        teams.setdefault(user_id, []).append(title)
    invited = db.session.scalar(db.select(func.count()).select_from(Invitation).where(
        Invitation.course_id == course.id, Invitation.role == "student", Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None), Invitation.expires_at > utcnow()))
    return render_template("enrolment/students.html", course=course, page=page, q=q, counts=counts, teams=teams,
                           invited=invited,
                           join_code=services.join_code_of(course), source_labels=SOURCE_LABELS), status


def _confirm_change(enrolment, course_id, change, template, message):
    """GET asks (a page of its own, so it works without JavaScript); POST changes, as a page or the row."""
    form = EmptyForm()
    if not form.validate_on_submit():
        return render_template(template, enrolment=enrolment, course=enrolment.course, form=form)
    try:
        change(current_user, enrolment)
    except Refused as refused:
        db.session.rollback()
        if is_htmx():
            return make_response(refused.message, refused.status)
        flash(refused.message, "error")
        return redirect(_students_url(course_id), code=303)
    db.session.commit()
    said = message % {"name": enrolment.user.name}
    if is_htmx():
        teams = [p.title for p in db.session.scalars(
            db.select(Project).join(ProjectMember, ProjectMember.project_id == Project.id)
            .where(Project.course_id == course_id, ProjectMember.user_id == enrolment.user_id,
                   ProjectMember.role == "student"))]
        response = render("enrolment/students.html", "enrolment/_row.html", enrolment=enrolment,
                          course=enrolment.course, teams={enrolment.user_id: teams}, focus=True,
                          source_labels=SOURCE_LABELS)
        response.headers["HX-Trigger"] = json.dumps({"announce": said})
        return response
    flash(said, "success")
    return redirect(_students_url(course_id), code=303)


@bp.route("/courses/<int:course_id>/students/<int:enrolment_id>/leave", methods=["GET", "POST"])
@permission("enrolment.edit", load_enrolment)
def leave(enrolment, course_id, enrolment_id):
    """Mark a student as having left the course; nothing of theirs is deleted."""
    return _confirm_change(enrolment, course_id, services.mark_left, "enrolment/leave.html",
                           _("%(name)s is marked as left."))


@bp.route("/courses/<int:course_id>/students/<int:enrolment_id>/reenrol", methods=["GET", "POST"])
@permission("enrolment.edit", load_enrolment)
def reenrol(enrolment, course_id, enrolment_id):
    """Enrol a student who left again."""
    return _confirm_change(enrolment, course_id, services.reenrol, "enrolment/reenrol.html",
                           _("%(name)s is enrolled again."))


# ---- importing a class list ------------------------------------------------------------------

def _sign(course_id: int, data: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"enrolment-import:{course_id}:{data}".encode(), hashlib.sha256).hexdigest()


@bp.route("/courses/<int:course_id>/students/import", methods=["GET", "POST"])
@permission("course.enrol", load_course)
def upload(course, course_id):
    """Upload a class list and see what importing it would do, row by row, before anything is written."""
    form = UploadForm()
    if form.validate_on_submit():
        data = form.file.data.read(current_app.config["MAX_CONTENT_LENGTH"])
        try:
            text = roster.decode(data)
            rows = roster.preview(course, roster.parse(text))
        except roster.UnreadableFile as problem:
            form.file.errors = [str(problem)]
        else:
            encoded = base64.b64encode(text.encode()).decode()
            return _preview(course, rows, ImportForm(formdata=None, csv_data=encoded,
                                                     signature=_sign(course.id, encoded)))
    return render_template("enrolment/upload.html", course=course, form=form, example=roster.EXAMPLE), (
        422 if form.errors else 200)


def _preview(course, rows, import_form, status=None):
    errors = [row for row in rows if row.outcome == roster.ERROR]
    counts = {outcome: sum(1 for row in rows if row.outcome == outcome) for outcome in roster.OUTCOME_LABELS}
    changes = counts[roster.INVITE] + counts[roster.ENROL] + counts[roster.UPDATE]
    return render_template("enrolment/preview.html", course=course, rows=rows, errors=errors, counts=counts,
                           changes=changes,
                           labels=roster.OUTCOME_LABELS, import_form=import_form,
                           upload_form=UploadForm(formdata=None)), status or (422 if errors else 200)


@bp.post("/courses/<int:course_id>/students/import/confirm")
@permission("course.enrol", load_course)
def confirm_import(course, course_id):
    """Import the previewed list all or nothing: every row is checked again, in one transaction."""
    form = ImportForm()
    if not form.validate_on_submit() or not hmac.compare_digest(
            form.signature.data.encode(), _sign(course.id, form.csv_data.data).encode()):
        flash(_("The previewed file could not be read back. Upload it again."), "error")
        return redirect(url_for("enrolment.upload", course_id=course.id), code=303)
    try:
        text = base64.b64decode(form.csv_data.data, validate=True).decode()
        rows = roster.preview(course, roster.parse(text))
        counts = services.import_rows(current_user, course, rows)
    except (binascii.Error, UnicodeDecodeError, roster.UnreadableFile):
        flash(_("The previewed file could not be read back. Upload it again."), "error")
        return redirect(url_for("enrolment.upload", course_id=course.id), code=303)
    except Refused as refused:
        db.session.rollback()
        return _preview(course, rows, form, refused.status)
    db.session.commit()
    if any(counts.values()):
        flash(_("The class list is imported: %(enrolled)s enrolled, %(invited)s invited by e-mail, %(updated)s "
                "updated.", **counts), "success")
    else:
        flash(_("Nothing changed: every student on the list is enrolled or invited already."), "success")
    return redirect(_students_url(course.id), code=303)


# ---- the join code -------------------------------------------------------------------------------

@bp.post("/courses/<int:course_id>/join-code")
@permission("course.enrol", load_course)
def join_code(course, course_id):
    """Switch the course's join code on or off, or renew it (the old code stops working)."""
    form = JoinCodeForm()
    if form.validate_on_submit():
        try:
            code = services.switch_join_code(current_user, course, form.action.data)
        except Refused as refused:
            db.session.rollback()
            if is_htmx():
                return make_response(refused.message, refused.status)
            flash(refused.message, "error")
        else:
            db.session.commit()
            message = _("The join code is switched off: nobody can join with it.") if not code.active \
                else _("Students can join with the code %(code)s.", code=code.code)
            if is_htmx():
                response = render("enrolment/students.html", "enrolment/_join_code.html", course=course,
                                  join_code=code, focus=True)
                response.headers["HX-Trigger"] = json.dumps({"announce": message})
                return response
            flash(message, "success")
        return redirect(_students_url(course.id) + "#join-code", code=303)
    problem = _("Choose to switch the join code on, renew it or switch it off.")
    if is_htmx():
        return make_response(problem, 422)
    flash(problem, "error")
    return _students_page(course, 422)


def _find(code):
    """(course, None), or (None, the answer): 429 after too many wrong codes, else 404 naming nothing.

    Every page with the code in its path sends `Referrer-Policy: no-referrer` (security.py, ops/redact.py)."""
    wait = services.join_wait()
    if wait:
        message = _("Too many wrong codes from your address. Try again in %(minutes)s minutes.",
                    minutes=max(1, wait // 60))
        return None, make_response(render_template("enrolment/no_code.html", message=message), 429)
    course = services.course_for_code(code)
    if course is None:
        return None, make_response(render_template("enrolment/no_code.html", message=_(
            "This join code does not work: it is mistyped, renewed or switched off. Ask your teacher for the "
            "current code.")), 404)
    return course, None


@bp.get("/join/<code>")
@permission(PUBLIC)
def join_page(code):
    """Confirm joining the course (signed in), or log in / ask for an account first."""
    course, refusal = _find(code)
    if refusal:
        return refusal
    return render_template("enrolment/join.html", course=course, code=code, form=EmptyForm(),
                           email_form=JoinByEmailForm(formdata=None))


def _join(course):
    try:
        enrolment = services.join(current_user, course)
    except Refused as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(url_for("main.home"), code=303)
    db.session.commit()
    flash(_("You are enrolled in %(course)s.", course=course.name) if enrolment
          else _("You are enrolled in %(course)s already.", course=course.name), "success")
    return redirect(url_for("main.home"), code=303)


@bp.post("/join/<code>")
@permission("course.join")
def join(code):
    """Become an enrolled student of the course the code belongs to."""
    course, refusal = _find(code)
    if refusal:
        return refusal
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("enrolment.join_page", code=code), code=303)
    return _join(course)


@bp.post("/join/<code>/email")
@permission(PUBLIC)
def join_by_email(code):
    """No account yet: an invitation link goes to the address, which proves it before the account is made."""
    course, refusal = _find(code)
    if refusal:
        return refusal
    form = JoinByEmailForm()
    if form.validate_on_submit():
        wait = services.email_request_wait()
        if wait:
            form.email.errors = [_("Too many requests from your address. Try again in %(minutes)s minutes.",
                                   minutes=max(1, wait // 60))]
        else:
            services.invite_by_code(course, form.email.data)
            db.session.commit()
            return render_template("enrolment/join_sent.html", course=course, email=form.email.data)
    return render_template("enrolment/join.html", course=course, code=code, form=EmptyForm(), email_form=form), 422


@bp.post("/join")
@permission("course.join")
def join_typed():
    """The "Join a course" form on the home page: the typed code, checked like a link's."""
    form = JoinForm()
    if form.validate_on_submit():
        course = None if services.join_wait() else services.course_for_code(form.code.data)
        if course is not None:
            return _join(course)
        wait = services.join_wait()
        form.code.errors = [_("Too many wrong codes from your address. Try again in %(minutes)s minutes.",
                              minutes=max(1, wait // 60)) if wait
                            else _("No course has this join code. Check it with your teacher.")]
    return render_template("enrolment/join_typed.html", form=form), 422
