"""Deliverables: the list, a deliverable with its versions, reviews and handover checklist,
new/edit, new version (upload), submit, review, handover, and file downloads."""
import io
import json
import os

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..database import get
from ..extensions import db
from ..forms import EmptyForm, choices
from ..htmx import is_htmx, render
from ..models import Deliverable, DeliverableVersion, Goal, HandoverItem, Project, Review, StoredFile
from ..models.deliverable import APPROVED
from ..policy import permission
from ..rules import Refused, StaleVersion
from . import sections  # registers the board, home and waiting sections
from .files import DEFAULTS, UploadRefused, check_file, human_size, limit, read_limited
from .forms import KIND_LABELS, STATE_LABELS, DeliverableForm, HandoverItemForm, ReviewForm, VersionForm
from .services import (FIELDS, add_handover_item, add_version, create_deliverable, review_version, submit_version,
                       tick_handover_item, update_deliverable)

bp = Blueprint("deliverables", __name__, url_prefix="/projects/<int:project_id>")
# The kinds' and states' words, translated when shown: one lookup per label, not a dictionary of
# every label built and translated at each use of the macro.
bp.add_app_template_global(KIND_LABELS, "deliverable_kind_labels")
bp.add_app_template_global(STATE_LABELS, "deliverable_state_labels")
bp.add_app_template_global(sections.board_items, "deliverable_board_items")
bp.add_app_template_global(sections.review_item, "deliverable_review_item")


@bp.record_once
def _limits(state):
    """Upload limits default here and can be set in the config or the environment."""
    for name, default in DEFAULTS.items():
        state.app.config.setdefault(name, int(os.environ.get(name, default)))


# ---- loaders: nested objects always by both ids -------------------------------------------------

def load_project(project_id, **_):
    return get(Project, project_id)


def load_deliverable(project_id, deliverable_id, **_):
    return db.session.scalar(db.select(Deliverable).filter_by(id=deliverable_id, project_id=project_id))


def load_version(project_id, deliverable_id, version_id, **_):
    return db.session.scalar(
        db.select(DeliverableVersion).join(Deliverable)
        .where(DeliverableVersion.id == version_id, DeliverableVersion.deliverable_id == deliverable_id,
               Deliverable.project_id == project_id)
    )


def load_item(project_id, deliverable_id, item_id, **_):
    return db.session.scalar(
        db.select(HandoverItem).join(Deliverable)
        .where(HandoverItem.id == item_id, HandoverItem.deliverable_id == deliverable_id,
               Deliverable.project_id == project_id)
    )


def load_file(project_id, file_id, **_):
    return db.session.scalar(db.select(StoredFile).filter_by(id=file_id, project_id=project_id))


# ---- pages ----------------------------------------------------------------------------------------

@bp.get("/deliverables")
@permission("deliverable.list", load_project)
def index(project, project_id):
    """Every deliverable of the project with its state, latest version and the goals it serves."""
    deliverables = db.session.scalars(
        db.select(Deliverable).where(Deliverable.project_id == project.id)
        .options(selectinload(Deliverable.goals), selectinload(Deliverable.versions))
        .order_by(Deliverable.created_at, Deliverable.id)
    ).all()
    return render_template("deliverables/index.html", project=project, deliverables=deliverables)


def _goal_choices(project):
    rows = db.session.execute(
        db.select(Goal.id, Goal.title).where(Goal.project_id == project.id, Goal.state != "dropped")
        .order_by(Goal.position, Goal.id)
    ).all()
    return choices((row.id, row.title) for row in rows)


def _chosen_goals(project, ids):
    if not ids:
        return []
    return db.session.scalars(db.select(Goal).where(Goal.project_id == project.id, Goal.id.in_(ids))).all()


def _fields(form):
    return {key: getattr(form, key).data for key in (*FIELDS, "due_date")}


@bp.route("/deliverables/new", methods=["GET", "POST"])
@permission("deliverable.create", load_project)
def new(project, project_id):
    """A student describes a new deliverable: what, for whom, in which language, through which channel."""
    form = DeliverableForm(project=project)
    form.goals.choices = _goal_choices(project)
    if form.validate_on_submit():
        deliverable = create_deliverable(current_user, project, goals=_chosen_goals(project, form.goals.data),
                                         **_fields(form))
        db.session.commit()
        flash(_("The deliverable %(title)s is started. Add its first version when you have something to show.",
                title=deliverable.title), "success")
        return redirect(url_for("deliverables.show", project_id=project.id, deliverable_id=deliverable.id), code=303)
    return render_template("deliverables/form.html", form=form, project=project, deliverable=None), (
        422 if form.errors else 200)


@bp.route("/deliverables/<int:deliverable_id>/edit", methods=["GET", "POST"])
@permission("deliverable.edit", load_deliverable)
def edit(deliverable, project_id, deliverable_id):
    """Change a deliverable's description; a stale form gets 409 with the current text and the input kept."""
    project = deliverable.project
    form = DeliverableForm(obj=deliverable, project=project)
    form.goals.choices = _goal_choices(project)
    if request.method == "GET":
        form.version.data = deliverable.version
        form.goals.data = [goal.id for goal in deliverable.goals]
    if form.validate_on_submit():
        try:
            update_deliverable(current_user, deliverable, form.version.data,
                               goals=_chosen_goals(project, form.goals.data), **_fields(form))
            db.session.commit()
        except (StaleVersion, StaleDataError):
            db.session.rollback()
            db.session.refresh(deliverable)
            return render_template("deliverables/form.html", form=form, project=project, deliverable=deliverable,
                                   stale=True), 409
        flash(_("The deliverable is saved."), "success")
        return redirect(url_for("deliverables.show", project_id=project.id, deliverable_id=deliverable.id), code=303)
    return render_template("deliverables/form.html", form=form, project=project, deliverable=deliverable), (
        422 if form.errors else 200)


def _detail(deliverable) -> dict:
    """Everything the deliverable's page shows, in a fixed number of queries."""
    versions = db.session.scalars(
        db.select(DeliverableVersion).where(DeliverableVersion.deliverable_id == deliverable.id)
        .options(selectinload(DeliverableVersion.files), selectinload(DeliverableVersion.links),
                 selectinload(DeliverableVersion.reviews).selectinload(Review.reviewer),
                 selectinload(DeliverableVersion.created_by), selectinload(DeliverableVersion.submitted_by))
        .order_by(DeliverableVersion.number.desc())
    ).all()
    items = db.session.scalars(
        db.select(HandoverItem).where(HandoverItem.deliverable_id == deliverable.id)
        .options(selectinload(HandoverItem.ticked_by)).order_by(HandoverItem.position, HandoverItem.id)
    ).all()
    submitted = [v for v in versions if v.submitted_at is not None]
    return {
        "deliverable": deliverable, "project": deliverable.project, "versions": versions, "items": items,
        "latest": versions[0] if versions else None, "latest_submitted": submitted[0] if submitted else None,
        "goals": deliverable.goals, "action_form": EmptyForm(),
        "review_form": ReviewForm(formdata=None), "item_form": HandoverItemForm(formdata=None),
    }


@bp.get("/deliverables/<int:deliverable_id>")
@permission("deliverable.view", load_deliverable)
def show(deliverable, project_id, deliverable_id):
    """A deliverable: what it is, its versions with files, links and reviews, and the handover checklist."""
    return render_template("deliverables/show.html", **_detail(deliverable))


# ---- answers of in-place actions ------------------------------------------------------------------

def _in_place(deliverable, status=200, announce=None, **context):
    """The deliverable's detail: the fragment (plus the waiting badge) for htmx, else the page."""
    response = render("deliverables/show.html", "deliverables/_detail.html", status=status,
                      **{**_detail(deliverable), "is_fragment": is_htmx(), **context})
    if announce:
        response.headers["HX-Trigger"] = json.dumps({"announce": announce})
    return response


def _done(deliverable, message, anchor=""):
    """Success: htmx gets the changed fragment; without JavaScript, a redirect to the page."""
    if request.form.get("next") == "home":
        if is_htmx():
            response = make_response(render_template("deliverables/_home_done.html", deliverable=deliverable,
                                                     message=message))
            response.headers["HX-Trigger"] = json.dumps({"announce": message})
            return response
        flash(message, "success")
        return redirect(url_for("main.home"), code=303)
    if is_htmx():
        return _in_place(deliverable, announce=message)
    flash(message, "success")
    return redirect(url_for("deliverables.show", project_id=deliverable.project_id,
                            deliverable_id=deliverable.id) + anchor, code=303)


def _refused(deliverable, error, **context):
    db.session.rollback()
    db.session.refresh(deliverable)
    if isinstance(error, (StaleVersion, StaleDataError)):
        return _in_place(deliverable, 409, stale=True, **context)
    if request.form.get("next") == "home":
        if is_htmx():
            return render_template("deliverables/_home_done.html", deliverable=deliverable, message=error.message,
                                   problem=True), error.status
        flash(error.message, "error")
        return redirect(url_for("main.home"), code=303)
    return _in_place(deliverable, error.status, problem=error.message, **context)


# ---- actions ------------------------------------------------------------------------------------

@bp.route("/deliverables/<int:deliverable_id>/versions/new", methods=["GET", "POST"])
@permission("deliverable.add_version", load_deliverable)
def new_version(deliverable, project_id, deliverable_id):
    """Upload the next version: several files and links, and a note on what changed."""
    form = VersionForm()
    status = 200
    if form.validate_on_submit():
        try:
            checked = [check_file(storage.filename, read_limited(storage))
                       for storage in request.files.getlist(form.files.name) if storage and storage.filename]
            if len(checked) > 20:
                raise UploadRefused(_("Upload at most 20 files per version; put the rest in a zip."))
            version = add_version(current_user, deliverable, form.note.data, checked, form.parsed_links)
            db.session.commit()
            flash(_("Version %(number)s is saved as a draft. Submit it when the partner can review it.",
                    number=version.number), "success")
            return redirect(url_for("deliverables.show", project_id=project_id, deliverable_id=deliverable.id)
                            + f"#version-{version.number}", code=303)
        except UploadRefused as error:
            db.session.rollback()
            form.files.errors = [error.message]
            status = 413 if error.too_large else 422
        except Refused as error:
            db.session.rollback()
            form.files.errors = [error.message]
            status = error.status
        except StaleDataError:
            db.session.rollback()
            form.files.errors = [_("Someone changed this deliverable at the same moment. Please upload again.")]
            status = 409
    elif form.errors:
        status = 422
    return render_template("deliverables/version_form.html", form=form, deliverable=deliverable,
                           project=deliverable.project, max_file=limit("MAX_FILE_BYTES"),
                           max_file_text=human_size(limit("MAX_FILE_BYTES")),
                           max_request=_request_room(), max_request_text=human_size(_request_room())), status


def _request_room() -> int:
    """What one upload request may carry: the app's MAX_CONTENT_LENGTH less room for the other fields."""
    return max(0, (current_app.config.get("MAX_CONTENT_LENGTH") or 0) - 64 * 1024)


def _act(deliverable, form, action, anchor="", form_name=None):
    """One in-place action: check the form, let `action()` apply the rule and word the result, commit once."""
    kept = {form_name: form} if form_name else {}
    if not form.validate_on_submit():
        if form_name is None:  # a bare button: only its CSRF token can be wrong
            return _in_place(deliverable, 400, problem=_("Your form expired. Reload the page and try again."))
        return _in_place(deliverable, 422, **kept)
    try:
        message = action()
        db.session.commit()
    except (Refused, StaleDataError) as error:
        return _refused(deliverable, error, **kept)
    return _done(deliverable, message, anchor)


@bp.post("/deliverables/<int:deliverable_id>/versions/<int:version_id>/submit")
@permission("deliverable.submit", load_version)
def submit(version, project_id, deliverable_id, version_id):
    """Send the latest version to the partner for review."""
    def action():
        submit_version(current_user, version)
        return _("Version %(number)s is submitted; the partner is asked to review it.", number=version.number)

    return _act(version.deliverable, EmptyForm(), action, f"#version-{version.number}")


@bp.post("/deliverables/<int:deliverable_id>/versions/<int:version_id>/review")
@permission("deliverable.review", load_version)
def review(version, project_id, deliverable_id, version_id):
    """The partner approves the version or requests changes with a comment, in place (also from home)."""
    deliverable = version.deliverable
    form = ReviewForm()
    if request.form.get("next") == "home" and is_htmx() and not form.validate_on_submit():
        return render_template("deliverables/_home_item.html", deliverable=deliverable, version=version,
                               review_form=form), 422

    def action():
        review_version(current_user, version, form.decision.data, form.comment.data)
        if form.decision.data == APPROVED:
            return _("You approved version %(number)s of %(title)s.", number=version.number, title=deliverable.title)
        return _("You asked the team for changes to version %(number)s of %(title)s.",
                 number=version.number, title=deliverable.title)

    return _act(deliverable, form, action, f"#version-{version.number}", "review_form")


@bp.post("/deliverables/<int:deliverable_id>/handover")
@permission("deliverable.add_handover_item", load_deliverable)
def add_item(deliverable, project_id, deliverable_id):
    """Add a point to the handover checklist."""
    form = HandoverItemForm()

    def action():
        add_handover_item(current_user, deliverable, form.label.data)
        return _("“%(label)s” is added to the handover checklist.", label=form.label.data)

    return _act(deliverable, form, action, "#handover", "item_form")


@bp.post("/deliverables/<int:deliverable_id>/handover/<int:item_id>/tick")
@permission("deliverable.tick_handover", load_item)
def tick(item, project_id, deliverable_id, item_id):
    """The partner ticks one point of the handover checklist; the last tick hands the deliverable over."""
    deliverable = item.deliverable

    def action():
        if tick_handover_item(current_user, item):
            return _("Everything is ticked: %(title)s is handed over.", title=deliverable.title)
        return _("“%(label)s” is ticked.", label=item.label)

    return _act(deliverable, EmptyForm(), action, "#handover")


# ---- files ----------------------------------------------------------------------------------------

SANDBOX = "default-src 'none'; sandbox"


@bp.get("/files/<int:file_id>")
@permission("file.download", load_file)
def download(stored, project_id, file_id):
    """A stored file, permission checked on every request."""
    return send_stored(stored)


def send_stored(stored, cache_control="private, no-cache"):
    """An attachment with its original name, or inline (`?preview=1`) for images and PDF only;
    never interpreted as a page. Also the showcase's public downloads (workspace/showcase)."""
    data = db.session.scalar(db.select(StoredFile.data).where(StoredFile.id == stored.id))
    inline = request.args.get("preview") == "1" and stored.previewable
    content_type = stored.content_type if "html" not in stored.content_type.lower() else "application/octet-stream"
    response = send_file(io.BytesIO(data), mimetype=content_type, as_attachment=not inline,
                         download_name=stored.original_name, etag=stored.sha256, conditional=True,
                         last_modified=stored.created_at, max_age=0)
    response.headers["Content-Security-Policy"] = SANDBOX
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = cache_control
    return response

