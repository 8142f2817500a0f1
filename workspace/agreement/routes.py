"""Agreement pages: the agreement edited in place, acceptance, versions and a printable view.

Every action is a plain form post answered with a 303 redirect; htmx posts the same form and
gets the agreement section back (or the form again with its messages, 422/409).
"""
import json
from datetime import date

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..database import get
from ..extensions import db
from ..forms import choices
from ..htmx import is_htmx
from ..models import CourseStaff, Project, User
from ..models.agreement import (
    Agreement, AgreementAcceptance, AgreementRole, AgreementVersion, ConsentItem, Responsibility,
)
from ..policy import permission, project_role
from ..rules import Refused, StaleVersion
from . import items, read, services
from . import sections  # noqa: F401  (registers the board and home sections)
from .forms import (
    AcceptForm, ConsentDecisionForm, ConsentDetailsForm, DoneForm, MeetingsForm, ResponsibilityForm, RoleForm,
    VersionForm,
)

bp = Blueprint("agreement", __name__)
bp.add_app_template_global(items.reciprocity_table, "agreement_reciprocity_table")


# ---- loaders: nested objects by both ids ---------------------------------------------------------

def load_project(project_id, **_):
    return get(Project, project_id)


def load_agreement(project_id, **_):
    return db.session.scalar(db.select(Agreement).where(Agreement.project_id == project_id))


def load_role(project_id, role_id, **_):
    return db.session.scalar(db.select(AgreementRole).join(Agreement)
                             .where(AgreementRole.id == role_id, Agreement.project_id == project_id))


def load_responsibility(project_id, responsibility_id, **_):
    return db.session.scalar(db.select(Responsibility).join(Agreement).where(
        Responsibility.id == responsibility_id, Agreement.project_id == project_id,
        Responsibility.removed_at.is_(None)))


def load_consent(project_id, consent_id, **_):
    return db.session.scalar(db.select(ConsentItem).join(Agreement)
                             .where(ConsentItem.id == consent_id, Agreement.project_id == project_id))


def load_version(project_id, number, **_):
    return db.session.scalar(db.select(AgreementVersion).join(Agreement)
                             .where(AgreementVersion.number == number, Agreement.project_id == project_id))


# ---- what the agreement page shows (a fixed number of queries) -------------------------------

def page_context(project) -> dict:
    return read.agreement_page(project, current_user._get_current_object())


def _respond(project, message: str, anchor: str = "agreement"):
    """Success: the agreement section (htmx) or a redirect to the page (plain form)."""
    if is_htmx():
        response = make_response(render_template("agreement/_agreement.html", **page_context(project),
                                                 oob_badge=True, focus=anchor))
        response.headers["HX-Trigger"] = json.dumps({"announce": message})
        return response
    flash(message, "success")
    return redirect(url_for("agreement.show", project_id=project.id, _anchor=anchor), code=303)


def _form_response(fragment: str, status: int, form_id: str, **context):
    """The form again (422 invalid, 409 stale): in place for htmx, as a page of its own otherwise."""
    if is_htmx():
        response = make_response(render_template(fragment, form_id=form_id, **context), status)
        if status != 200:  # a form sent back: it replaces itself (the GET swaps in where the link asked)
            response.headers["HX-Retarget"] = f"#{form_id}"
            response.headers["HX-Reswap"] = "outerHTML"
        return response
    return render_template("agreement/form_page.html", fragment=fragment, form_id=form_id, **context), status


def _refused(project, error: Refused):
    """A step the rules refuse: the message, the status, nothing changed."""
    db.session.rollback()
    if is_htmx() and error.status in (409, 422):
        response = make_response(render_template("agreement/_agreement.html", **page_context(project),
                                                 problem=error.message), error.status)
        response.headers["HX-Retarget"] = "#agreement"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    if is_htmx():
        return render_template("errors/_error.html", status=error.status, title=_("Not possible"),
                               message=error.message), error.status
    return render_template("agreement/page.html", **page_context(project), problem=error.message), error.status


def _stale(project):
    db.session.rollback()
    return _refused(project, Refused(_("Someone changed this meanwhile. The current version is shown; "
                                       "check it and try again."), 409))


def _member_choices(project):
    return choices((m.user_id, f"{m.user.name} ({_(m.role)})") for m in services.members_of(project))


def _person_choices(project):
    staff = db.session.execute(
        db.select(User.id, User.name).join(CourseStaff, CourseStaff.user_id == User.id)
        .where(CourseStaff.course_id == project.course_id).order_by(User.name)).all()
    people = [("", _("Nobody in particular"))] + [(m.user_id, f"{m.user.name} ({_(m.role)})")
                                                   for m in services.members_of(project)]
    return choices(people + [(row.id, f"{row.name} ({_('teacher')})") for row in staff])


# ---- the page ---------------------------------------------------------------------------------

@bp.get("/projects/<int:project_id>/agreement")
@permission("agreement.view", load_project)
def show(project, project_id):
    """The agreement: roles, responsibilities, meetings, consent, who accepted, promises kept."""
    return render_template("agreement/page.html", **page_context(project))


@bp.post("/projects/<int:project_id>/agreement/start")
@permission("agreement.edit", load_project)
def start(project, project_id):
    """Open the project's agreement (version 1)."""
    if not VersionForm().validate_on_submit():
        abort(400)
    try:
        services.start_agreement(current_user, project)
        db.session.commit()
    except Refused as error:
        return _refused(project, error)
    return _respond(project, _("The agreement is started. Add the roles and responsibilities next."))


@bp.route("/projects/<int:project_id>/agreement/meetings", methods=["GET", "POST"])
@permission("agreement.edit", load_agreement)
def meetings(agreement, project_id):
    """How often and how team and partner meet."""
    form = MeetingsForm(obj=agreement)
    ctx = {"form": form, "agreement": agreement, "project": agreement.project, "form_id": "meetings-form"}
    if request.method == "GET":
        form.version.data = agreement.version
        return _form_response("agreement/_meetings_form.html", 200, **ctx)
    if not form.validate_on_submit():
        return _form_response("agreement/_meetings_form.html", 422, **ctx)
    try:
        services.set_meetings(current_user, agreement, form.version.data, form.cadence_days.data,
                              form.checkup_channel.data or "")
        db.session.commit()
    except (StaleVersion, StaleDataError):
        db.session.rollback()
        agreement = load_agreement(project_id)
        ctx.update(agreement=agreement, stale=True)
        return _form_response("agreement/_meetings_form.html", 409, **ctx)
    except Refused as error:
        return _refused(agreement.project, error)
    return _respond(agreement.project, _("How you meet is saved."), "meetings")


# ---- roles ------------------------------------------------------------------------------------

def _role_values(form):
    return dict(name=form.name.data, description=form.description.data or "", holder_ids=form.holders.data or [])


@bp.route("/projects/<int:project_id>/agreement/roles/new", methods=["GET", "POST"])
@permission("agreement.edit", load_agreement)
def new_role(agreement, project_id):
    """Add a role and who holds it."""
    form = RoleForm()
    form.holders.choices = _member_choices(agreement.project)
    ctx = {"form": form, "agreement": agreement, "project": agreement.project, "role": None, "form_id": "role-new-form"}
    if request.method == "GET":
        return _form_response("agreement/_role_form.html", 200, **ctx)
    if not form.validate_on_submit():
        return _form_response("agreement/_role_form.html", 422, **ctx)
    try:
        role = services.add_role(current_user, agreement, **_role_values(form))
        db.session.commit()
    except (StaleVersion, StaleDataError):
        return _stale(agreement.project)
    except Refused as error:
        return _refused(agreement.project, error)
    return _respond(agreement.project, _("The role %(name)s is added.", name=form.name.data), f"role-{role.id}")


@bp.route("/projects/<int:project_id>/agreement/roles/<int:role_id>/edit", methods=["GET", "POST"])
@permission("agreement.edit", load_role)
def edit_role(role, project_id, role_id):
    """Change a role: its name, description or holders."""
    form = RoleForm(obj=role)
    form.holders.choices = _member_choices(role.project)
    ctx = {"form": form, "agreement": role.agreement, "project": role.project, "role": role,
           "form_id": f"role-{role.id}-form"}
    if request.method == "GET":
        form.version.data = role.version
        form.holders.data = [u.id for u in role.holders]
        return _form_response("agreement/_role_form.html", 200, **ctx)
    if not form.validate_on_submit():
        return _form_response("agreement/_role_form.html", 422, **ctx)
    try:
        services.edit_role(current_user, role, form.version.data, **_role_values(form))
        db.session.commit()
    except (StaleVersion, StaleDataError):
        db.session.rollback()
        role = load_role(project_id, role_id)
        if role is None:
            return _stale(load_project(project_id))
        ctx.update(role=role, stale=True)
        return _form_response("agreement/_role_form.html", 409, **ctx)
    except Refused as error:
        return _refused(role.project, error)
    return _respond(role.project, _("The role %(name)s is saved.", name=form.name.data), f"role-{role_id}")


@bp.post("/projects/<int:project_id>/agreement/roles/<int:role_id>/remove")
@permission("agreement.edit", load_role)
def remove_role(role, project_id, role_id):
    """Remove a role from the agreement."""
    form = VersionForm()
    project, name = role.project, role.name
    if not form.validate_on_submit():
        abort(400)
    try:
        services.remove_role(current_user, role, form.version.data)
        db.session.commit()
    except (StaleVersion, StaleDataError):
        return _stale(project)
    except Refused as error:
        return _refused(project, error)
    return _respond(project, _("The role %(name)s is removed.", name=name), "roles")


# ---- responsibilities -------------------------------------------------------------------------

def _responsibility_values(form):
    timing = form.timing.data
    return dict(what=form.what.data, side=form.side.data, person_id=form.person_id.data,
                due_date=form.due_date.data, recurrence=None if timing == "once" else timing,
                every_n=form.every_n.data if timing == "every" else None,
                every_unit=form.every_unit.data if timing == "every" else None)


def _responsibility_form(project, obj=None):
    form = ResponsibilityForm(obj=obj)
    form.person_id.choices = _person_choices(project)
    return form


def _fill_timing(form, resp):
    form.timing.data = resp.recurrence or "once"
    form.version.data = resp.version
    form.every_unit.data = resp.every_unit or "weeks"


def _with_field_error(form, exc: Refused) -> bool:
    """Put a rule's refusal (e.g. a person of the other side) next to the field it is about."""
    name = getattr(exc, "field", None)
    if name is None or name not in form:
        return False
    form[name].errors = list(form[name].errors) + [exc.message]
    return True


@bp.route("/projects/<int:project_id>/agreement/responsibilities/new", methods=["GET", "POST"])
@permission("agreement.edit", load_agreement)
def new_responsibility(agreement, project_id):
    """Add a responsibility: what, which side, optionally who, and by when or how often."""
    form = _responsibility_form(agreement.project)
    ctx = {"form": form, "agreement": agreement, "project": agreement.project, "resp": None,
           "form_id": "responsibility-new-form"}
    if request.method == "GET":
        if request.args.get("side") in ("students", "partner", "teacher"):
            form.side.data = request.args["side"]
        return _form_response("agreement/_responsibility_form.html", 200, **ctx)
    if not form.validate_on_submit():
        return _form_response("agreement/_responsibility_form.html", 422, **ctx)
    try:
        resp = services.add_responsibility(current_user, agreement, **_responsibility_values(form))
        db.session.commit()
    except (StaleVersion, StaleDataError):
        return _stale(agreement.project)
    except Refused as error:
        db.session.rollback()
        if _with_field_error(form, error):
            return _form_response("agreement/_responsibility_form.html", 422, **ctx)
        return _refused(agreement.project, error)
    return _respond(agreement.project, _("The responsibility is added."), f"responsibility-{resp.id}")


@bp.route("/projects/<int:project_id>/agreement/responsibilities/<int:responsibility_id>/edit",
          methods=["GET", "POST"])
@permission("agreement.edit", load_responsibility)
def edit_responsibility(resp, project_id, responsibility_id):
    """Change a responsibility that is not kept yet."""
    form = _responsibility_form(resp.project, resp)
    ctx = {"form": form, "agreement": resp.agreement, "project": resp.project, "resp": resp,
           "form_id": f"responsibility-{resp.id}-form"}
    if request.method == "GET":
        _fill_timing(form, resp)
        return _form_response("agreement/_responsibility_form.html", 200, **ctx)
    if not form.validate_on_submit():
        return _form_response("agreement/_responsibility_form.html", 422, **ctx)
    try:
        services.edit_responsibility(current_user, resp, form.version.data, **_responsibility_values(form))
        db.session.commit()
    except (StaleVersion, StaleDataError):
        db.session.rollback()
        resp = load_responsibility(project_id, responsibility_id)
        if resp is None:
            return _stale(load_project(project_id))
        ctx.update(resp=resp, stale=True)
        return _form_response("agreement/_responsibility_form.html", 409, **ctx)
    except Refused as error:
        db.session.rollback()
        if _with_field_error(form, error):
            return _form_response("agreement/_responsibility_form.html", 422, **ctx)
        return _refused(load_project(project_id), error)
    return _respond(resp.project, _("The responsibility is saved."), f"responsibility-{responsibility_id}")


@bp.post("/projects/<int:project_id>/agreement/responsibilities/<int:responsibility_id>/remove")
@permission("agreement.edit", load_responsibility)
def remove_responsibility(resp, project_id, responsibility_id):
    """Take a responsibility out of the agreement (its history stays)."""
    form = VersionForm()
    project = resp.project
    if not form.validate_on_submit():
        abort(400)
    try:
        services.remove_responsibility(current_user, resp, form.version.data)
        db.session.commit()
    except (StaleVersion, StaleDataError):
        return _stale(project)
    except Refused as error:
        return _refused(project, error)
    return _respond(project, _("The responsibility is removed."), "responsibilities")


@bp.post("/projects/<int:project_id>/agreement/responsibilities/<int:responsibility_id>/done")
@permission("responsibility.mark_done", load_responsibility)
def mark_done(resp, project_id, responsibility_id):
    """The side that holds a promise marks it kept, with an optional note."""
    form = DoneForm()
    project = resp.project
    if not form.validate_on_submit():
        return _refused(project, Refused(" ".join(sum(form.errors.values(), [])), 422))
    try:
        following = services.mark_done(current_user, resp, form.version.data, form.note.data or "",
                                       side_of_actor=project_role(current_user, project))
        db.session.commit()
    except (StaleVersion, StaleDataError):
        return _stale(project)
    except Refused as error:
        return _refused(project, error)
    return _respond(project, _("“%(what)s” is marked as kept.", what=resp.what),
                    f"responsibility-{following.id if following else responsibility_id}")


# ---- consent ----------------------------------------------------------------------------------

@bp.route("/projects/<int:project_id>/agreement/consent/<int:consent_id>/edit", methods=["GET", "POST"])
@permission("agreement.edit", load_consent)
def edit_consent(item, project_id, consent_id):
    """Describe what a consent item covers (e.g. which data is shared and how it is handled)."""
    form = ConsentDetailsForm(obj=item)
    ctx = {"form": form, "item": item, "project": item.project, "form_id": f"consent-{item.id}-form",
           "consent_label": services.consent_label}
    if request.method == "GET":
        form.version.data = item.version
        return _form_response("agreement/_consent_form.html", 200, **ctx)
    if not form.validate_on_submit():
        return _form_response("agreement/_consent_form.html", 422, **ctx)
    try:
        services.edit_consent_details(current_user, item, form.version.data, form.details.data or "")
        db.session.commit()
    except (StaleVersion, StaleDataError):
        db.session.rollback()
        ctx.update(item=load_consent(project_id, consent_id), stale=True)
        return _form_response("agreement/_consent_form.html", 409, **ctx)
    except Refused as error:
        return _refused(item.project, error)
    return _respond(item.project, _("The consent item is described."), f"consent-{consent_id}")


@bp.post("/projects/<int:project_id>/agreement/consent/<int:consent_id>/decide")
@permission("agreement.consent", load_consent)
def decide_consent(item, project_id, consent_id):
    """A partner gives, withholds or withdraws consent."""
    form = ConsentDecisionForm()
    project = item.project
    if not form.validate_on_submit():
        abort(400)
    try:
        services.decide_consent(current_user, item, form.version.data, form.state.data)
        db.session.commit()
    except (StaleVersion, StaleDataError):
        return _stale(project)
    except Refused as error:
        return _refused(project, error)
    message = {"given": _("Consent given: %(item)s"), "withheld": _("Consent withheld: %(item)s")}[form.state.data]
    return _respond(project, message % {"item": services.consent_label(item.kind)}, f"consent-{consent_id}")


# ---- acceptance -------------------------------------------------------------------------------

@bp.post("/projects/<int:project_id>/agreement/accept")
@permission("agreement.accept", load_agreement)
def accept(agreement, project_id):
    """Accept the current version of the agreement (from its page or in place on the home page)."""
    form = AcceptForm()
    project = agreement.project
    from_home = form.next.data == "home"
    if not form.validate_on_submit():
        abort(400)
    try:
        services.accept(current_user, agreement, form.number.data)
        db.session.commit()
    except Refused as error:
        if from_home:
            db.session.rollback()
            if is_htmx():
                return render_template("errors/_error.html", status=error.status, title=_("Not possible"),
                                       message=error.message), error.status
            flash(error.message, "error")
            return redirect(url_for("agreement.show", project_id=project.id), code=303)
        return _refused(project, error)
    message = _("You accepted version %(number)s of the agreement of %(title)s.", number=agreement.number,
                title=project.title)
    if from_home:
        if is_htmx():
            response = make_response(render_template("agreement/_home_accepted.html", project=project,
                                                     message=message))
            response.headers["HX-Trigger"] = json.dumps({"announce": message})
            return response
        flash(message, "success")
        return redirect(url_for("main.home"), code=303)
    return _respond(project, message, "acceptance")


# ---- versions and print -----------------------------------------------------------------------

@bp.get("/projects/<int:project_id>/agreement/versions")
@permission("agreement.view", load_agreement)
def versions(agreement, project_id):
    """Every version of the agreement, with when it was made and who accepted it."""
    rows = db.session.scalars(
        db.select(AgreementVersion).where(AgreementVersion.agreement_id == agreement.id)
        .options(selectinload(AgreementVersion.acceptances).selectinload(AgreementAcceptance.user),
                 selectinload(AgreementVersion.created_by))
        .order_by(AgreementVersion.number.desc())
    ).all()
    return render_template("agreement/versions.html", agreement=agreement, project=agreement.project,
                           versions=rows, members=services.members_of(agreement.project))


@bp.get("/projects/<int:project_id>/agreement/versions/<int:number>")
@permission("agreement.view", load_version)
def version(version, project_id, number):
    """One version as it was, and what changed since the one before."""
    previous = db.session.scalar(db.select(AgreementVersion).where(
        AgreementVersion.agreement_id == version.agreement_id, AgreementVersion.number == number - 1))
    return render_template("agreement/version.html", version=version, agreement=version.agreement,
                           project=version.project, snapshot=version.snapshot,
                           changes=services.diff(previous.snapshot, version.snapshot) if previous else None,
                           consent_label=services.consent_label, as_date=date.fromisoformat,
                           recurrence_text=services.recurrence_text)


@bp.get("/projects/<int:project_id>/agreement/print")
@permission("agreement.view", load_agreement)
def print_view(agreement, project_id):
    """The current agreement on paper, with who accepted it and when."""
    return render_template("agreement/print.html", **page_context(agreement.project))
