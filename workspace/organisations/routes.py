"""Partner organisations: list, register, the page across courses and years, the profile its
partners keep and what it shares, introductions between organisations, and the themes page."""
import json

from urllib.parse import urlencode

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..activity import record
from ..database import get
from ..extensions import db
from ..forms import choices
from ..htmx import is_htmx, render
from ..models import Introduction, IntroductionSide, Organisation, OrganisationMember
from ..policy import SIGNED_IN, can, permission
from ..rules import Refused, StaleVersion
from ..security import safe_next
from . import events, sections  # noqa: F401  (tells both sides of an introduction; home and badge)
from .forms import AnswerForm, IntroductionForm, OrganisationForm, ProfileForm, SharingForm
from .services import (
    answer_introduction, introduce, introduction_candidates, introductions_of, page_context, profile_of,
    profile_version, set_sharing, themes_index, update_profile,
)

bp = Blueprint("organisations", __name__, url_prefix="/organisations")


def load_organisation(organisation_id, **_):
    return get(Organisation, organisation_id)


def load_side(organisation_id, introduction_id, **_):
    """An introduction by both ids: it must involve the organisation in the URL, whose side answers."""
    introduction = db.session.scalar(db.select(Introduction).where(
        Introduction.id == introduction_id,
        or_(Introduction.organisation_id == organisation_id, Introduction.other_id == organisation_id)))
    if introduction is None:
        return None
    side = introduction.organisation if introduction.organisation_id == organisation_id else introduction.other
    return IntroductionSide(introduction, side)


def _name_taken(name: str, exclude_id: int | None = None) -> bool:
    query = db.select(Organisation.id).where(func.lower(Organisation.name) == name.lower())
    if exclude_id:
        query = query.where(Organisation.id != exclude_id)
    return db.session.scalar(query) is not None


def _announce(response, message: str):
    response.headers["HX-Trigger"] = json.dumps({"announce": message})
    return response


@bp.get("/")
@permission("organisation.list")
def index():
    """Every partner organisation, searchable, a page at a time."""
    q = (request.args.get("q") or "").strip()[:100]
    query = db.select(Organisation).order_by(Organisation.name)
    if q:
        query = query.where(Organisation.name.ilike(f"%{q}%"))
    page = db.paginate(query, per_page=25, error_out=False)
    return render_template("organisations/index.html", page=page, q=q)


@bp.route("/new", methods=["GET", "POST"])
@permission("organisation.create")
def new():
    """Register a partner organisation."""
    form = OrganisationForm()
    if form.validate_on_submit():
        if _name_taken(form.name.data):
            form.name.errors.append(_("An organisation with this name exists already."))
        else:
            org = Organisation(name=form.name.data, description=form.description.data or "",
                               website=form.website.data or "", themes=form.themes.data or "")
            db.session.add(org)
            db.session.flush()
            record(current_user, "created", org, _("%(name)s registered the organisation %(org)s",
                                                   name=current_user.name, org=org.name))
            db.session.commit()
            flash(_("%(org)s is registered.", org=org.name), "success")
            back = safe_next(request.args.get("next"))  # the new-project form it was opened from
            if back:
                return redirect(f"{back}?{urlencode({'organisation_id': org.id})}", code=303)
            return redirect(url_for("organisations.show", organisation_id=org.id), code=303)
    return render_template("organisations/form.html", form=form, organisation=None), 422 if form.errors else 200


@bp.get("/themes")
@permission(SIGNED_IN)
def themes():
    """Learning communities: per theme, the organisations and projects the viewer may see."""
    mine = db.session.scalars(
        db.select(Organisation).join(OrganisationMember, OrganisationMember.organisation_id == Organisation.id)
        .where(OrganisationMember.user_id == current_user.id).order_by(Organisation.name)).all()
    return render_template("organisations/themes.html", themes=themes_index(current_user), mine=mine)


@bp.get("/<int:organisation_id>")
@permission("organisation.view", load_organisation)
def show(organisation, organisation_id):
    """The organisation with everything it did with the university, as far as the viewer may see."""
    context = page_context(current_user, organisation)
    if can(current_user, "organisation.share", organisation):
        context["sharing_form"] = SharingForm(obj=context["profile"], formdata=None)
    return render_template("organisations/show.html", answer_form=AnswerForm(formdata=None), **context)


@bp.route("/<int:organisation_id>/edit", methods=["GET", "POST"])
@permission("organisation.edit", load_organisation)
def edit(organisation, organisation_id):
    """Change the organisation's profile: its partners, teachers and admins."""
    profile = profile_of(organisation)
    form = ProfileForm(obj=organisation, contacts=profile.contacts)
    if request.method == "GET":
        form.version.data = profile_version(organisation)
    may_rename = can(current_user, "organisation.rename", organisation)
    if not may_rename:
        del form.name
    if form.validate_on_submit():
        if may_rename and _name_taken(form.name.data, organisation.id):
            form.name.errors.append(_("An organisation with this name exists already."))
        else:
            try:
                update_profile(current_user, organisation, form.version.data, description=form.description.data,
                               website=form.website.data, themes=form.themes.data, contacts=form.contacts.data,
                               name=form.name.data if may_rename else None)
                db.session.commit()
            except (StaleVersion, StaleDataError, IntegrityError):
                db.session.rollback()
                db.session.refresh(organisation)
                form.version.data = profile_version(organisation)
                return render_template("organisations/form.html", form=form, organisation=organisation,
                                       profile=profile_of(organisation), stale=True), 409
            flash(_("The organisation is saved."), "success")
            return redirect(url_for("organisations.show", organisation_id=organisation.id), code=303)
    return render_template("organisations/form.html", form=form, organisation=organisation), 422 if form.errors else 200


@bp.post("/<int:organisation_id>/sharing")
@permission("organisation.share", load_organisation)
def sharing(organisation, organisation_id):
    """Choose what other organisations' partners and students see; in place with htmx."""
    form = SharingForm()
    status, message = 200, None
    if form.validate_on_submit():
        set_sharing(current_user, organisation,
                    {name.removeprefix("share_") for name, field in form._fields.items()
                     if name.startswith("share_") and field.data})
        db.session.commit()
        message = _("What %(org)s shares is saved.", org=organisation.name)
        if not is_htmx():
            flash(message, "success")
            return redirect(url_for("organisations.show", organisation_id=organisation.id) + "#org-sharing", code=303)
        form = SharingForm(obj=profile_of(organisation), formdata=None)
    else:
        status = 400
        message = _("Your form expired. Reload the page and try again.")
        if not is_htmx():
            return render_template("organisations/show.html", answer_form=AnswerForm(formdata=None),
                                   sharing_problem=message, sharing_form=form,
                                   **page_context(current_user, organisation)), status
    response = render_template("organisations/_sharing.html", organisation=organisation, sharing_form=form,
                               sharing_problem=message if status != 200 else None, saved=status == 200)
    return _announce(make_response(response, status), message)


@bp.route("/<int:organisation_id>/introduce", methods=["GET", "POST"])
@permission("organisation.introduce", load_organisation)
def introduce_view(organisation, organisation_id):
    """A teacher introduces the organisation to another with a theme in common."""
    candidates = introduction_candidates(organisation)
    form = IntroductionForm()
    form.other_id.choices = choices(
        (other.id, _("%(name)s (shared: %(themes)s)", name=other.name, themes=", ".join(common)))
        for other, common in candidates)
    problem = None
    if form.validate_on_submit():
        other = next(other for other, _common in candidates if other.id == form.other_id.data)
        try:
            introduce(current_user, organisation, other, form.note.data)
            db.session.commit()
        except Refused as error:
            db.session.rollback()
            problem, status = error.message, error.status
        else:
            flash(_("%(a)s and %(b)s are introduced; both are asked to accept.", a=organisation.name, b=other.name),
                  "success")
            return redirect(url_for("organisations.show", organisation_id=organisation.id) + "#org-introductions",
                            code=303)
    else:
        status = 422 if form.errors else 200
    return render_template("organisations/introduce.html", organisation=organisation, form=form,
                           candidates=candidates, problem=problem), status


@bp.post("/<int:organisation_id>/introductions/<int:introduction_id>/answer")
@permission("introduction.answer", load_side)
def answer(side, organisation_id, introduction_id):
    """One side accepts or declines being introduced; in place with htmx."""
    organisation, introduction = side.organisation, side.introduction
    form = AnswerForm()
    problem, status, message = None, 200, None
    if form.validate_on_submit():
        try:
            answer_introduction(current_user, introduction, organisation, form.answer.data == "accept")
            db.session.commit()
        except (Refused, StaleDataError) as error:
            db.session.rollback()
            problem = getattr(error, "message", _("Someone answered at the same time. Here is the current state."))
            status = getattr(error, "status", 409)
        else:
            other = introduction.counterpart(organisation.id).name
            message = (_("You accepted the introduction to %(other)s.", other=other) if form.answer.data == "accept"
                       else _("You declined the introduction to %(other)s.", other=other))
    else:
        problem, status = _("Choose accept or decline."), 422
    if not is_htmx() and not problem:
        flash(message, "success")
        return redirect(url_for("organisations.show", organisation_id=organisation.id) + "#org-introductions",
                        code=303)
    if not is_htmx():
        return render_template("organisations/show.html", answer_form=AnswerForm(formdata=None),
                               introduction_problem=problem, **page_context(current_user, organisation)), status
    response = render("organisations/show.html", "organisations/_introductions.html", status=status,
                      organisation=organisation, introductions=introductions_of(organisation, current_user),
                      insider=True, may_answer=True, answer_form=AnswerForm(formdata=None),
                      introduction_problem=problem, is_fragment=True)
    return _announce(response, problem or message)
