"""Partner organisations: list, create, view with their projects, edit."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.orm import selectinload

from ..activity import record
from ..extensions import db
from ..models import Organisation, Project
from ..policy import permission
from .forms import OrganisationForm

bp = Blueprint("organisations", __name__, url_prefix="/organisations")


def load_organisation(organisation_id, **_):
    return db.session.get(Organisation, organisation_id)


def _name_taken(name: str, exclude_id: int | None = None) -> bool:
    query = db.select(Organisation.id).where(func.lower(Organisation.name) == name.lower())
    if exclude_id:
        query = query.where(Organisation.id != exclude_id)
    return db.session.scalar(query) is not None


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
            return redirect(url_for("organisations.show", organisation_id=org.id), code=303)
    return render_template("organisations/form.html", form=form, organisation=None), 422 if form.errors else 200


@bp.get("/<int:organisation_id>")
@permission("organisation.view", load_organisation)
def show(organisation, organisation_id):
    """The organisation with every project it had, across courses and years."""
    projects = db.session.scalars(
        db.select(Project).where(Project.organisation_id == organisation.id)
        .options(selectinload(Project.course)).order_by(Project.start_date.desc())
    ).all()
    return render_template("organisations/show.html", organisation=organisation, projects=projects)


@bp.route("/<int:organisation_id>/edit", methods=["GET", "POST"])
@permission("organisation.edit", load_organisation)
def edit(organisation, organisation_id):
    """Change an organisation's profile."""
    form = OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        if _name_taken(form.name.data, organisation.id):
            form.name.errors.append(_("An organisation with this name exists already."))
        else:
            before = {"name": organisation.name, "description": organisation.description,
                      "website": organisation.website, "themes": organisation.themes}
            form.populate_obj(organisation)
            record(current_user, "edited", organisation, _("%(name)s edited the organisation %(org)s",
                                                           name=current_user.name, org=organisation.name), before=before)
            db.session.commit()
            flash(_("The organisation is saved."), "success")
            return redirect(url_for("organisations.show", organisation_id=organisation.id), code=303)
    return render_template("organisations/form.html", form=form, organisation=organisation), 422 if form.errors else 200
