"""Peer feedback: the course's rounds for its teachers (set, change, read the summary, release) and a
student's page for rating the teammates of their project and, once released, reading the averages."""
import json
from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from ..courses.routes import load_course
from ..database import get
from ..extensions import db
from ..htmx import is_htmx, render
from ..models import PeerRound, Project
from ..models.peer_feedback import DEFAULT_DIMENSIONS, TeamRound
from ..policy import permission
from ..rules import Refused, StaleVersion
from . import sections  # noqa: F401  (registers the board section)
from . import services
from .forms import RoundForm, rating_form

bp = Blueprint("peer_feedback", __name__)


def load_round(course_id, round_id, **_):
    return db.session.scalar(db.select(PeerRound).filter_by(id=round_id, course_id=course_id))


def load_team_round(project_id, round_id, **_):
    """The round as the project's team meets it: both must belong to the same course (else 404)."""
    project = get(Project, project_id)
    peer_round = project and db.session.scalar(
        db.select(PeerRound).filter_by(id=round_id, course_id=project.course_id))
    return TeamRound(project, peer_round) if peer_round else None


def _announce(response, message):
    response.headers["HX-Trigger"] = json.dumps({"announce": message})
    return response


@bp.get("/courses/<int:course_id>/peer-feedback")
@permission("peer.manage", load_course)
def index(course, course_id):
    """The course's rounds, newest first."""
    rounds = db.paginate(db.select(PeerRound).filter_by(course_id=course.id)
                         .order_by(PeerRound.opens_on.desc(), PeerRound.id.desc()),
                         per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("peer_feedback/index.html", course=course, page=rounds, today=date.today())


def _round_form_page(course, form, peer_round=None, status=200, message=None):
    return render("peer_feedback/round_form.html", None, status, course=course, form=form, peer_round=peer_round,
                  message=message)


@bp.route("/courses/<int:course_id>/peer-feedback/new", methods=["GET", "POST"])
@permission("peer.manage", load_course)
def new(course, course_id):
    """A teacher sets a round: when it is open and on which dimensions students rate each other."""
    form = RoundForm()
    if request.method == "GET":
        form.dimensions.data = "\n".join(_(d) for d in DEFAULT_DIMENSIONS)
        return _round_form_page(course, form)
    return _save_round(course, form, None)


@bp.route("/courses/<int:course_id>/peer-feedback/<int:round_id>/edit", methods=["GET", "POST"])
@permission("peer.manage", load_round)
def edit(peer_round, course_id, round_id):
    """Change a round's title, dates or (before anyone rated) dimensions."""
    form = RoundForm(obj=peer_round) if request.method == "GET" else RoundForm()
    if request.method == "GET":
        form.dimensions.data = "\n".join(peer_round.dimensions)
        form.version.data = peer_round.version
        return _round_form_page(peer_round.course, form, peer_round)
    return _save_round(peer_round.course, form, peer_round)


def _save_round(course, form, peer_round):
    if not form.validate_on_submit():
        return _round_form_page(course, form, peer_round, 422)
    try:
        saved = services.save_round(current_user, course, peer_round, form.title.data, form.opens_on.data,
                                    form.closes_on.data, form.dimension_list(), form.version.data)
        db.session.commit()
    except (StaleVersion, StaleDataError):
        db.session.rollback()
        return _round_form_page(course, form, peer_round, 409, _("Another teacher changed this round meanwhile."))
    except Refused as refused:
        db.session.rollback()
        return _round_form_page(course, form, peer_round, refused.status, refused.message)
    flash(_("The peer feedback round “%(title)s” is saved.", title=saved.title), "success")
    return redirect(url_for("peer_feedback.summary", course_id=course.id, round_id=saved.id), code=303)


@bp.get("/courses/<int:course_id>/peer-feedback/<int:round_id>")
@permission("peer.manage", load_round)
def summary(peer_round, course_id, round_id):
    """Per team and student: the averages received, who submitted, and the flags; a page of teams at a time."""
    page = db.paginate(db.select(Project.id).where(Project.course_id == course_id).order_by(Project.title, Project.id),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    teams = services.summarise(peer_round, list(page.items))
    return render_template("peer_feedback/summary.html", course=peer_round.course, peer_round=peer_round, teams=teams,
                           page=page)


@bp.post("/courses/<int:course_id>/peer-feedback/<int:round_id>/release")
@permission("peer.manage", load_round)
def release(peer_round, course_id, round_id):
    """Students may read the averages about themselves; ratings can no longer change."""
    try:
        services.release(current_user, peer_round)
        db.session.commit()
        status, message = 200, _("The round is released: each student can read the averages about themselves.")
    except Refused as refused:
        db.session.rollback()
        status, message = refused.status, refused.message
    if is_htmx():
        return _announce(render("peer_feedback/_release.html", "peer_feedback/_release.html", status,
                                peer_round=peer_round, message=message, failed=status >= 400), message)
    flash(message, "success" if status < 400 else "error")
    return redirect(url_for("peer_feedback.summary", course_id=course_id, round_id=round_id), code=303)


def _rate_page(team_round, form, mates, status=200, message=None):
    peer_round, project = team_round.round, team_round.project
    averages, raters = (services.own_averages(peer_round, project, current_user) if peer_round.released_at
                        else (None, 0))
    response = render("peer_feedback/rate.html", "peer_feedback/_rate_form.html", status, project=project,
                      peer_round=peer_round, form=form, mates=mates, averages=averages, raters=raters,
                      is_open=peer_round.is_open(date.today()), submitted=bool(services.given_by(
                          peer_round, project, current_user)), message=message, failed=status >= 400,
                      min_raters=services.MIN_RATERS)
    return _announce(response, message) if message and is_htmx() else response


@bp.route("/projects/<int:project_id>/peer-feedback/<int:round_id>", methods=["GET", "POST"])
@permission("peer.rate", load_team_round)
def rate(team_round, project_id, round_id):
    """A student rates each teammate; once the round is released, reads the averages about themselves."""
    peer_round, project = team_round.round, team_round.project
    mates = services.teammates(project, current_user)
    form = rating_form(peer_round, mates, services.given_by(peer_round, project, current_user))
    if request.method == "GET":
        return _rate_page(team_round, form, mates)
    if not form.validate_on_submit():
        return _rate_page(team_round, form, mates, 422)
    try:
        services.submit(current_user, peer_round, project, form.ratings())
        db.session.commit()
    except Refused as refused:
        db.session.rollback()
        return _rate_page(team_round, form, mates, refused.status, refused.message)
    message = _("Thank you: your peer feedback is saved. Only the course's teachers read it.")
    if is_htmx():
        return _rate_page(team_round, form, mates, message=message)
    flash(message, "success")
    return redirect(url_for("projects.show", project_id=project.id), code=303)
