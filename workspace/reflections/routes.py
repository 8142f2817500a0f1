"""Reflections: the project's journal (own and shared entries; all for the course's teachers),
writing, reading with its responses, editing, deleting, and responding."""
import json

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..database import get
from ..extensions import db
from ..forms import EmptyForm
from ..htmx import is_htmx, render
from ..models import Project
from ..models.reflection import Reflection
from ..policy import permission, project_role
from ..rules import Refused, StaleVersion
from . import events, sections  # noqa: F401  (registers the notification rules and the board section)
from . import services
from .forms import VISIBILITY_LABELS, ReflectionEditForm, ReflectionForm, ResponseForm
from .prompts import prompt_choices

bp = Blueprint("reflections", __name__, url_prefix="/projects/<int:project_id>/reflections")


def load_project(project_id, **_):
    return get(Project, project_id)


def load_reflection(project_id, reflection_id, **_):
    return db.session.scalar(db.select(Reflection).filter_by(id=reflection_id, project_id=project_id))


def _show(reflection_id, project_id):
    return url_for("reflections.show", project_id=project_id, reflection_id=reflection_id)


@bp.get("")
@permission("reflection.list", load_project)
def index(project, project_id):
    """The entries this person may read, newest first, a page at a time, each with its prompt and responses."""
    role = project_role(current_user, project)
    page = db.paginate(
        services.readable(current_user, project, role).options(selectinload(Reflection.author))
        .order_by(Reflection.created_at.desc(), Reflection.id.desc()),
        per_page=current_app.config["PAGE_SIZE"], error_out=False,
    )
    counts = services.response_counts([r.id for r in page.items])
    return render_template("reflections/index.html", project=project, page=page, reflections=page.items,
                           counts=counts, labels=VISIBILITY_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@permission("reflection.write", load_project)
def new(project, project_id):
    """A student answers a prompt (or writes freely) and chooses who may read it."""
    form = ReflectionForm()
    form.set_prompts(prompt_choices(project.course))
    if request.method == "GET" and request.args.get("prompt") in {c.value for c in form.prompt.choices}:
        form.prompt.data = request.args["prompt"]
    if form.validate_on_submit():
        try:
            reflection = services.write(current_user, project, form.prompt.data or "", form.body.data,
                                        form.visibility.data)
        except Refused as refused:
            db.session.rollback()
            form.prompt.errors = [refused.message]
            return render_template("reflections/form.html", form=form, project=project, reflection=None), 422
        db.session.commit()
        flash(_("Your reflection is saved.") if reflection.is_private
              else _("Your reflection is saved and shared with the team."), "success")
        return redirect(_show(reflection.id, project.id), code=303)
    return render_template("reflections/form.html", form=form, project=project, reflection=None), (
        422 if form.errors else 200)


@bp.get("/<int:reflection_id>")
@permission("reflection.view", load_reflection)
def show(reflection, project_id, reflection_id):
    """One entry with its prompt and the thread of responses under it."""
    return _page(reflection, ResponseForm(formdata=None))


def _page(reflection, response_form, status=200):
    return render("reflections/show.html", "reflections/_responses.html", status, project=reflection.project,
                  reflection=reflection, response_form=response_form,
                  labels=VISIBILITY_LABELS)


@bp.route("/<int:reflection_id>/edit", methods=["GET", "POST"])
@permission("reflection.edit", load_reflection)
def edit(reflection, project_id, reflection_id):
    """The author edits the text or who may read it; a stale form gets 409 with the input kept."""
    project = reflection.project
    form = ReflectionEditForm(obj=reflection)
    if request.method == "GET":
        form.version.data = reflection.version
    if form.validate_on_submit():
        try:
            services.edit(current_user, reflection, request.form.get("version"), form.body.data,
                          form.visibility.data)
            db.session.commit()
        except (StaleVersion, StaleDataError):
            db.session.rollback()
            db.session.refresh(reflection)
            return render_template("reflections/form.html", form=form, project=project, reflection=reflection,
                                   stale=True), 409
        except Refused as refused:
            db.session.rollback()
            form.visibility.errors = [refused.message]
            return render_template("reflections/form.html", form=form, project=project, reflection=reflection), 422
        flash(_("Your reflection is saved."), "success")
        return redirect(_show(reflection.id, project.id), code=303)
    return render_template("reflections/form.html", form=form, project=project, reflection=reflection), (
        422 if form.errors else 200)


@bp.route("/<int:reflection_id>/delete", methods=["GET", "POST"])
@permission("reflection.edit", load_reflection)
def delete(reflection, project_id, reflection_id):
    """Asks first (a page of its own, so it works without JavaScript), then deletes the entry and its responses."""
    form = EmptyForm()
    if form.validate_on_submit():
        services.delete(current_user, reflection)
        db.session.commit()
        flash(_("Your reflection is deleted."), "success")
        return redirect(url_for("reflections.index", project_id=project_id), code=303)
    return render_template("reflections/delete.html", form=form, project=reflection.project, reflection=reflection)


@bp.post("/<int:reflection_id>/responses")
@permission("reflection.respond", load_reflection)
def respond(reflection, project_id, reflection_id):
    """A teacher responds under the entry (the student is notified), or the student replies."""
    form = ResponseForm()
    if not form.validate_on_submit():
        return _page(reflection, form, 422)
    services.respond(current_user, reflection, form.body.data)
    db.session.commit()
    if is_htmx():
        response = _page(reflection, ResponseForm(formdata=None))
        response.headers["HX-Trigger"] = json.dumps({"announce": _("Your response is added.")})
        return response
    flash(_("Your response is added."), "success")
    return redirect(_show(reflection.id, project_id) + "#responses", code=303)

