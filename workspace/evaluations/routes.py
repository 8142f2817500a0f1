"""The partner's evaluation: the partner's answer page (also answered in place on the home page),
the teacher's ask / close / release buttons on the project board, and `flask ask-evaluations`."""
import json

import click
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..htmx import is_htmx, render
from ..models import PartnerEvaluation
from ..models.checkup import VALUE_LABELS
from ..projects.routes import load_project
from ..policy import permission
from ..projects.services import partners_by_project
from ..rules import Refused, StaleVersion
from . import sections, services
from .forms import evaluation_form

bp = Blueprint("evaluations", __name__, url_prefix="/projects/<int:project_id>/evaluation")


def load_evaluation(project_id, **_):
    return db.session.scalar(db.select(PartnerEvaluation).filter_by(project_id=project_id))


def _announce(response, message):
    response.headers["HX-Trigger"] = json.dumps({"announce": message})
    return response


def _answer_page(evaluation, form, status=200, message=None):
    response = render("evaluations/answer.html", "evaluations/_item.html", status, evaluation=evaluation, form=form,
                      answer=services.answer_of(evaluation, current_user), message=message, failed=status >= 400)
    return _announce(response, message) if message and is_htmx() else response


@bp.route("", methods=["GET", "POST"])
@permission("evaluation.answer", load_evaluation)
def answer(evaluation, project_id):
    """A partner scores the collaboration per value, says what changed and whether they would work with us again."""
    given = services.answer_of(evaluation, current_user)
    form = evaluation_form(evaluation, given)
    if request.method == "GET":
        return _answer_page(evaluation, form)
    if not form.validate_on_submit():
        return _answer_page(evaluation, form, 422)
    try:
        services.save_answer(current_user, evaluation, form.version.data, form.scores(), form.changed.data,
                             form.work_again.data, form.work_again_why.data or "")
        db.session.commit()
    except (StaleVersion, StaleDataError):
        db.session.rollback()
        db.session.refresh(evaluation)
        return _answer_page(evaluation, form, 409, _("Your answer was changed meanwhile, in another window."))
    except Refused as refused:
        db.session.rollback()
        return _answer_page(evaluation, form, refused.status, refused.message)
    message = _("Thank you: your evaluation of “%(title)s” is saved. You can change it until the teacher closes it.",
                title=evaluation.project.title)
    if is_htmx():
        db.session.expire_all()
        evaluation = load_evaluation(project_id)
        return _answer_page(evaluation, evaluation_form(evaluation, services.answer_of(evaluation, current_user),
                                                        formdata=None), message=message)
    flash(message, "success")
    return redirect(url_for("main.home"), code=303)


def _teacher_step(project, step, message):
    """Ask, close or release: the board section again in place, or back to the project page."""
    try:
        step()
        db.session.commit()
    except Refused as refused:
        db.session.rollback()
        return _board(project, refused.status, refused.message)
    if is_htmx():
        return _board(project, 200, message)
    flash(message, "success")
    return redirect(url_for("projects.show", project_id=project.id) + "#evaluation-section", code=303)


def _board(project, status, message):
    if not is_htmx():
        flash(message, "error")
        return redirect(url_for("projects.show", project_id=project.id) + "#evaluation-section", code=303)
    response = render("evaluations/_board.html", "evaluations/_board.html", status,
                      section=sections.board(project, current_user), message=message, failed=status >= 400)
    return _announce(response, message)


@bp.post("/ask")
@permission("evaluation.manage", load_project)
def ask(project, project_id):
    """The teacher asks the partners now, without waiting for the end date."""
    partners = partners_by_project([project.id]).get(project.id, [])
    return _teacher_step(project, lambda: services.ask(current_user, project, partners),
                         _("The partner is asked to evaluate the collaboration."))


@bp.post("/close")
@permission("evaluation.manage", load_evaluation)
def close(evaluation, project_id):
    """No more answers or edits."""
    return _teacher_step(evaluation.project, lambda: services.close(current_user, evaluation),
                         _("The evaluation is closed: answers can no longer change."))


@bp.post("/release")
@permission("evaluation.manage", load_evaluation)
def release(evaluation, project_id):
    """The team may read the partner's answers from now on."""
    return _teacher_step(evaluation.project, lambda: services.release(current_user, evaluation),
                         _("The partner's evaluation is released to the team."))


@bp.app_template_global("evaluations_of_organisation")
def evaluations_of_organisation(organisation):
    """For the organisation page: its answered evaluations (two queries)."""
    return services.of_organisation(organisation)


@bp.app_template_global("evaluation_value_label")
def evaluation_value_label(key):
    return _(VALUE_LABELS[key]) if key in VALUE_LABELS else key


@bp.app_template_global("work_again_label")
def work_again_label(value):
    return _(services.WORK_AGAIN_LABELS[value]) if value in services.WORK_AGAIN_LABELS else ""


@click.command("ask-evaluations")
def ask_evaluations_command():
    """Ask the partners of projects that ended to evaluate the collaboration; run daily."""
    asked = services.ask_due()
    db.session.commit()
    click.echo(f"evaluations asked: {asked}")


@bp.record_once
def _register_command(state):
    state.app.cli.add_command(ask_evaluations_command)
