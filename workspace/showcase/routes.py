"""The public showcase (no login: the list, a result, its public files, the Atom feed) and the
"Publish in the showcase" panel on a deliverable's page (draft, publish, withdraw)."""
import json

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.exc import StaleDataError

from ..deliverables.routes import load_deliverable, send_stored
from ..extensions import db
from ..forms import EmptyForm
from ..htmx import is_htmx, render
from ..models import Deliverable, Organisation, Project
from ..models.showcase import Publication
from ..policy import PUBLIC, permission
from ..rules import Refused, StaleVersion
from . import services
from .feed import atom_response
from .forms import PublicationForm

bp = Blueprint("showcase", __name__)


@bp.record_once
def _panel_helper(state):
    """The deliverable's page includes the panel through this helper (templates/deliverables/show.html)."""
    state.app.jinja_env.globals["showcase_panel"] = panel_context


# ---- the public pages -----------------------------------------------------------------------------

def _filters() -> dict:
    """The list's filters from the query string; anything malformed is ignored, never an error."""
    args = request.args
    year = args.get("year", type=int)
    return {"q": args.get("q", "").strip()[:200], "theme": args.get("theme", "").strip()[:100],
            "organisation_id": args.get("organisation", type=int), "course_id": args.get("course", type=int),
            "year": year if year and 1900 < year < 3000 else None}


def _eager(query):
    return query.options(
        contains_eager(Publication.deliverable).contains_eager(Deliverable.project)
        .contains_eager(Project.organisation).contains_eager(Organisation.profile),
        contains_eager(Publication.deliverable, Deliverable.project, Project.course),
    )


def _public(response):
    """Public answers are re-checked on every request, so a withdrawal takes effect at once."""
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Accept-Language")
    return response


@bp.get("/showcase")
@permission(PUBLIC)
def index():
    """Published results: browse by theme, organisation, course and year, or search title and summary."""
    filters = _filters()
    page = db.paginate(_eager(services.public_query(**filters)), per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)
    page_args = {key: value for key, value in (("theme", filters["theme"]), ("organisation", filters["organisation_id"]),
                                               ("course", filters["course_id"]), ("year", filters["year"])) if value}
    return _public(make_response(render_template(
        "showcase/index.html", page=page, facets=services.facets(), filters=filters, q=filters["q"],
        page_args=page_args, shown_themes=services.shown_themes)))


@bp.get("/showcase/feed.atom")
@permission(PUBLIC)
def feed():
    """The latest published results as an Atom feed."""
    entries = db.session.scalars(_eager(services.public_query()).limit(20)).unique().all()
    return _public(atom_response(entries))


@bp.get("/showcase/<int:publication_id>")
@permission(PUBLIC)
def show(publication_id):
    """One published result with its public files and links; 410 Gone once the partner withdrew it."""
    publication, status = services.public_publication(publication_id)
    if status == 410:
        return _public(make_response(render_template("showcase/gone.html"), 410))
    if publication is None:
        abort(404)
    deliverable = publication.deliverable
    return _public(make_response(render_template(
        "showcase/show.html", publication=publication, deliverable=deliverable,
        organisation=deliverable.project.organisation, course=deliverable.project.course,
        themes=services.shown_themes(deliverable.project.organisation))))


@bp.get("/showcase/<int:publication_id>/files/<int:file_id>")
@permission(PUBLIC)
def file(publication_id, file_id):
    """A file marked public, publication checked on every request; never the project's own download URL."""
    stored, status = services.public_file(publication_id, file_id)
    if stored is None:
        abort(status)
    return send_stored(stored, cache_control="no-cache")


# ---- the panel on the deliverable's page ----------------------------------------------------------

def panel_context(deliverable, form=None, **extra) -> dict:
    """What the panel shows: the draft, what may be made public, and why it cannot be published yet."""
    publication = services.publication_of(deliverable)
    version = services.approved_version(deliverable)
    consent = services.consent_state(deliverable.project)
    if form is None:
        form = PublicationForm(formdata=None, obj=publication)
        form.files.data = [f.id for f in publication.files] if publication else []
        form.links.data = [link.id for link in publication.links] if publication else []
        form.version.data = publication.version if publication else ""
    _choices(form, version)
    return {"deliverable": deliverable, "publication": publication, "approved": version, "consent": consent,
            "reasons": services.blockers(deliverable, consent), "form": form, "action_form": EmptyForm(), **extra}


def _choices(form, version) -> None:
    form.files.choices = [(f.id, f.original_name) for f in version.files] if version else []
    form.links.choices = [(link.id, link.label or link.url) for link in version.links] if version else []


def _panel(deliverable, status=200, announce=None, **extra):
    response = render("showcase/panel_page.html", "showcase/_panel.html", status=status,
                      panel=panel_context(deliverable, **extra), project=deliverable.project, is_fragment=is_htmx())
    if announce:
        response.headers["HX-Trigger"] = json.dumps({"announce": announce})
    return response


def _act(deliverable, action, form=None):
    """Run one step; success: the panel in place (htmx) or back to the deliverable's page with a flash."""
    kept = {"form": form} if form is not None else {}
    try:
        message = action()
        db.session.commit()
    except (StaleVersion, StaleDataError):
        db.session.rollback()
        return _panel(deliverable, 409, stale=True, **kept)
    except Refused as error:
        db.session.rollback()
        return _panel(deliverable, error.status, problem=error.message, **kept)
    if is_htmx():
        return _panel(deliverable, announce=message)
    flash(message, "success")
    return redirect(url_for("deliverables.show", project_id=deliverable.project_id, deliverable_id=deliverable.id)
                    + "#showcase", code=303)


@bp.post("/projects/<int:project_id>/deliverables/<int:deliverable_id>/showcase")
@permission("showcase.edit", load_deliverable)
def save(deliverable, project_id, deliverable_id):
    """Save the showcase draft: summary, the partner's word, and which files and links are public."""
    form = PublicationForm()
    _choices(form, services.approved_version(deliverable))
    if not form.validate_on_submit():
        return _panel(deliverable, 422, form=form)

    def action():
        services.save_draft(current_user, deliverable, form.version.data, form.summary.data,
                            form.partner_word.data, form.files.data, form.links.data)
        return _("The showcase text of %(title)s is saved.", title=deliverable.title)

    return _act(deliverable, action, form)


@bp.post("/projects/<int:project_id>/deliverables/<int:deliverable_id>/showcase/publish")
@permission("showcase.publish", load_deliverable)
def publish(deliverable, project_id, deliverable_id):
    """The partner publishes the result in the public showcase."""
    form = EmptyForm()
    if not form.validate_on_submit():
        return _panel(deliverable, 400, problem=_("Your form expired. Reload the page and try again."))

    def action():
        services.publish(current_user, deliverable, request.form.get("version"))
        return _("%(title)s is published in the showcase.", title=deliverable.title)

    return _act(deliverable, action)


@bp.route("/projects/<int:project_id>/deliverables/<int:deliverable_id>/showcase/withdraw", methods=["GET", "POST"])
@permission("showcase.withdraw", load_deliverable)
def withdraw(deliverable, project_id, deliverable_id):
    """The partner withdraws the result from the showcase, after confirming; its page then answers 410."""
    form = EmptyForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("showcase/withdraw.html", deliverable=deliverable, project=deliverable.project,
                               publication=services.publication_of(deliverable), form=form), (
            400 if request.method == "POST" else 200)

    def action():
        services.withdraw(current_user, deliverable)
        return _("%(title)s is withdrawn from the showcase; its public page now says it is gone.",
                 title=deliverable.title)

    return _act(deliverable, action)

