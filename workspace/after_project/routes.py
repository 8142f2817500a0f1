"""After the project: the partner's answer page (also answered in place on the home page), the
`flask ask-after-project` command, and the loaders the organisation page and dashboard call."""
import json

import click
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..htmx import is_htmx, render
from ..models import AfterProjectQuestion
from ..policy import permission
from ..rules import Refused, StaleVersion
from . import sections  # noqa: F401  (registers the home section)
from .forms import AfterProjectForm
from .services import ANSWER_ICONS, ANSWER_LABELS, answer, ask_due, questions_of_course, questions_of_organisation

bp = Blueprint("after_project", __name__)


def load_question(project_id, **_):
    return db.session.scalar(db.select(AfterProjectQuestion).filter_by(project_id=project_id))


def _answer_page(question, form, status=200, message=None):
    response = render("after_project/answer.html", "after_project/_item.html", status, question=question, form=form,
                      message=message, failed=status >= 400)
    if message and is_htmx():
        response.headers["HX-Trigger"] = json.dumps({"announce": message})
    return response


@bp.route("/projects/<int:project_id>/after-project", methods=["GET", "POST"])
@permission("after_project.answer", load_question)
def answer_questions(question, project_id):
    """The partner says whether the result is still in use and whether they carry on without the team."""
    form = AfterProjectForm(prefix=f"q{question.id}")  # the same names as on the home page, which lists several
    if request.method == "GET":
        form.version.data = question.version
        return _answer_page(question, form)
    if not form.validate_on_submit():
        return _answer_page(question, form, 422)
    try:
        answer(current_user, question, form.version.data, form.still_in_use.data, form.still_in_use_comment.data or "",
               form.carry_on.data, form.carry_on_comment.data or "")
        db.session.commit()
    except (StaleVersion, StaleDataError):
        db.session.rollback()
        db.session.refresh(question)
        return _answer_page(question, form, 409, _("Someone else answered these questions meanwhile."))
    except Refused as refused:
        db.session.rollback()
        return _answer_page(question, form, refused.status, refused.message)
    message = _("Thank you: your answers about “%(title)s” are saved.", title=question.project.title)
    if is_htmx():
        return _answer_page(question, form, message=message)
    flash(message, "success")
    return redirect(url_for("main.home"), code=303)


@bp.app_template_global("after_project_answers")
def after_project_answers(organisation):
    """For templates/organisations/_after_project.html: the organisation's questions (one query)."""
    return questions_of_organisation(organisation)


@bp.app_template_global("capacity_built")
def capacity_built(course):
    """For the teacher dashboard: the course's after-project questions and answers (one query)."""
    return questions_of_course(course)


@bp.app_template_global("after_project_answer")
def after_project_answer(value):
    """An answer as icon and word (never the icon alone)."""
    return f"{ANSWER_ICONS[value]} {_(ANSWER_LABELS[value])}" if value in ANSWER_LABELS else ""


@click.command("ask-after-project")
def ask_after_project_command():
    """Ask partners, months after their project ended, whether its result lasted; run daily."""
    asked = ask_due()
    db.session.commit()
    click.echo(f"after-project questions asked: {asked}")


@bp.record_once
def _register_command(state):
    state.app.cli.add_command(ask_after_project_command)
