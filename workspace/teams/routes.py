"""Forming teams: the teacher opens a project choice round, reminds, proposes teams with the
optimiser, moves students and publishes; enrolled students rank the course's projects."""
import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ..database import get
from ..extensions import db
from ..forms import EmptyForm, choices
from ..htmx import is_htmx, render
from ..models import Course, Project, User
from ..models.team_formation import OPEN, PROPOSED, ChoiceRound, Placement, ProjectChoice
from ..policy import permission
from ..rules import Refused
from . import sections  # noqa: F401  (registers the home section)
from . import services
from .forms import MoveForm, OpenRoundForm, ranking_form

bp = Blueprint("teams", __name__, url_prefix="/courses/<int:course_id>/teams")
PER_PAGE = 25
TEAMS_PER_PAGE = 10


def load_course(course_id, **_):
    return get(Course, course_id)


def load_round(course_id, round_id, **_):
    return db.session.scalar(db.select(ChoiceRound).filter_by(id=round_id, course_id=course_id))


def load_placement(course_id, round_id, user_id, **_):
    return db.session.scalar(db.select(Placement).join(ChoiceRound, ChoiceRound.id == Placement.round_id).where(
        Placement.round_id == round_id, Placement.user_id == user_id, ChoiceRound.course_id == course_id))


def _announce(response, message: str):
    response.headers["HX-Trigger"] = json.dumps({"announce": message})
    return response


def _page_number() -> int:
    value = request.values.get("page", "1")
    return int(value) if value.isdigit() and 0 < int(value) < 10_000 else 1


# ---- the teacher's overview ------------------------------------------------------------------------

def _overview(course, status=200, error="", **extra):
    """The round's state: who has not chosen (open) or the proposed teams with their sizes (proposed)."""
    choice_round = services.latest_round(course)
    context = {"course": course, "round": choice_round, "error": error, "form": EmptyForm(), **extra}
    if choice_round is not None and choice_round.state == OPEN:
        context["progress"] = services.progress(choice_round)
        context["listing"] = db.paginate(services.not_chosen_query(choice_round), page=_page_number(),
                                      per_page=PER_PAGE, error_out=False)
        context["closed"] = services.is_closed(choice_round)
    elif choice_round is not None and choice_round.state == PROPOSED:
        context.update(_proposal(choice_round))
    fragment = "teams/_proposal.html" if choice_round is not None and choice_round.state == PROPOSED \
        else "teams/_round.html"
    return render("teams/index.html", fragment, status, **context)


def _proposal(choice_round) -> dict:
    """A page of proposed teams with their members, sizes and warnings: a fixed number of queries."""
    projects = services.course_projects(choice_round.course)
    listing = db.paginate(db.select(Project).where(Project.course_id == choice_round.course_id)
                       .options(selectinload(Project.organisation)).order_by(Project.title, Project.id),
                       page=_page_number(), per_page=TEAMS_PER_PAGE, error_out=False)
    shown = [project.id for project in listing.items]
    placements = db.session.scalars(
        db.select(Placement).join(User, User.id == Placement.user_id)
        .where(Placement.round_id == choice_round.id, Placement.project_id.in_(shown))
        .options(selectinload(Placement.user)).order_by(User.name, User.id)).all()
    members: dict[int, list[Placement]] = {}
    for placement in placements:
        members.setdefault(placement.project_id, []).append(placement)
    ranked: dict[int, list] = {}  # the choices (and motivations) of the students shown, for the teacher moving them
    for choice in db.session.scalars(
            db.select(ProjectChoice).where(ProjectChoice.round_id == choice_round.id,
                                           ProjectChoice.user_id.in_([p.user_id for p in placements]))
            .options(selectinload(ProjectChoice.project)).order_by(ProjectChoice.rank)):
        ranked.setdefault(choice.user_id, []).append(choice)
    sizes = services.team_sizes(choice_round)
    existing = services.existing_sizes(choice_round.course)
    warnings = {p.id: services.size_warning(choice_round, sizes.get(p.id, 0)) for p in projects}
    return {"projects": projects, "listing": listing, "members": members, "ranked": ranked, "sizes": sizes,
            "existing": existing, "warnings": warnings, "outside": sum(1 for w in warnings.values() if w),
            "summary": services.summary(choice_round)}


@bp.get("")
@permission("course.teams", load_course)
def index(course, course_id):
    """The teacher's page for forming the course's teams, whatever phase it is in."""
    return _overview(course)


@bp.route("/open", methods=["GET", "POST"])
@permission("course.teams", load_course)
def open_round(course, course_id):
    """The teacher sets the deadline (in their own time zone), the team sizes and how many choices."""
    form = OpenRoundForm()
    if form.validate_on_submit():
        zone = ZoneInfo(current_user.timezone or "UTC")
        deadline = datetime.combine(form.deadline_date.data, form.deadline_time.data, tzinfo=zone)
        try:
            services.open_round(current_user, course, deadline.astimezone(timezone.utc), form.min_size.data,
                                form.max_size.data, form.choices_count.data, form.allow_unfilled.data)
        except Refused as refused:
            db.session.rollback()
            form.deadline_date.errors = [refused.message]
            return render("teams/open.html", None, refused.status, course=course, form=form)
        db.session.commit()
        flash(_("The choice round is open: enrolled students can rank the projects now."), "success")
        return redirect(url_for("teams.index", course_id=course.id), code=303)
    return render("teams/open.html", None, 422 if form.errors else 200, course=course, form=form)


@bp.post("/<int:round_id>/remind")
@permission("course.teams", load_round)
def remind(choice_round, course_id, round_id):
    """One reminder (notification and e-mail) to every student who has not chosen yet."""
    try:
        count = services.remind(current_user, choice_round)
    except Refused as refused:
        db.session.rollback()
        if is_htmx():
            return _overview(choice_round.course, refused.status, refused.message)
        flash(refused.message, "error")
        return redirect(url_for("teams.index", course_id=course_id), code=303)
    db.session.commit()
    message = ngettext("%(num)s student is reminded.", "%(num)s students are reminded.", count)
    if is_htmx():
        return _announce(_overview(choice_round.course, notice=message), message)
    flash(message, "success")
    return redirect(url_for("teams.index", course_id=course_id), code=303)


@bp.route("/<int:round_id>/propose", methods=["GET", "POST"])
@permission("course.teams", load_round)
def propose(choice_round, course_id, round_id):
    """Asks first (choosing ends; a new proposal replaces the moves), then runs the optimiser."""
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            count = services.propose(current_user, choice_round)
        except Refused as refused:
            db.session.rollback()
            return render("teams/propose.html", None, refused.status, course=choice_round.course,
                          round=choice_round, form=form, error=refused.message)
        db.session.commit()
        flash(ngettext("Teams are proposed for %(num)s student. Only the course's teachers see them until you "
                       "publish.", "Teams are proposed for %(num)s students. Only the course's teachers see them "
                       "until you publish.", count), "success")
        return redirect(url_for("teams.index", course_id=course_id), code=303)
    return render("teams/propose.html", None, 200, course=choice_round.course, round=choice_round, form=form,
                  error="")


@bp.post("/<int:round_id>/placements/<int:user_id>")
@permission("course.teams", load_placement)
def move(placement, course_id, round_id, user_id):
    """Move one student to another team; the page warns about teams outside the sizes."""
    choice_round = placement.round
    form = MoveForm()
    form.project_id.choices = choices((p.id, p.title) for p in services.course_projects(choice_round.course))
    if not form.validate_on_submit():
        return _overview(choice_round.course, 422, _("Choose a team of this course."))
    try:
        services.move(current_user, placement, form.project_id.data)
    except Refused as refused:
        db.session.rollback()
        return _overview(choice_round.course, refused.status, refused.message)
    db.session.commit()
    message = _("%(student)s moved to %(project)s.", student=placement.user.name, project=placement.project.title)
    if is_htmx():
        return _announce(_overview(choice_round.course, moved=placement.user_id), message)
    flash(message, "success")
    return redirect(url_for("teams.index", course_id=course_id, page=_page_number()) + f"#student-{user_id}",
                    code=303)


@bp.route("/<int:round_id>/publish", methods=["GET", "POST"])
@permission("course.teams", load_round)
def publish(choice_round, course_id, round_id):
    """Asks first (naming teams outside the sizes), then makes the placements project memberships."""
    form = EmptyForm()
    course = choice_round.course
    if form.validate_on_submit():
        try:
            count = services.publish(current_user, choice_round)
        except Refused as refused:
            db.session.rollback()
            return render("teams/publish.html", None, refused.status, course=course, round=choice_round,
                          form=form, error=refused.message, outside=0)
        db.session.commit()
        flash(ngettext("%(num)s team is published: its students and partners are told.",
                       "%(num)s teams are published: their students and partners are told.", count), "success")
        return redirect(url_for("teams.index", course_id=course_id), code=303)
    sizes = services.team_sizes(choice_round)
    outside = sum(1 for p in services.course_projects(course)
                  if services.size_warning(choice_round, sizes.get(p.id, 0)))
    return render("teams/publish.html", None, 200, course=course, round=choice_round, form=form, error="",
                  outside=outside)


# ---- the student ranks ---------------------------------------------------------------------------

@bp.route("/<int:round_id>/choose", methods=["GET", "POST"])
@permission("course.choose", load_round)
def choose(choice_round, course_id, round_id):
    """The course's projects (title, partner, problem, themes) and the student's ranking."""
    course = choice_round.course
    projects = services.course_projects(course)
    mine = services.choices_of(choice_round, current_user)
    data = {}
    for choice in mine:
        data[f"choice_{choice.rank}"], data[f"motivation_{choice.rank}"] = str(choice.project_id), choice.motivation
    form = ranking_form(choice_round, projects, data=data if request.method == "GET" else None)
    context = {"course": course, "round": choice_round, "projects": projects, "form": form,
               "team": services.team_of(course, current_user), "closed": services.is_closed(choice_round),
               "error": "", "saved": False}
    if request.method == "POST":
        if not form.validate_on_submit():
            return render("teams/choose.html", "teams/_ranking.html", 422, **context)
        try:
            services.save_ranking(current_user, choice_round, form.ranked())
        except Refused as refused:
            db.session.rollback()
            return render("teams/choose.html", "teams/_ranking.html", refused.status, **dict(context,
                          error=refused.message))
        db.session.commit()
        message = _("Your choices are saved. You can change them until the deadline.")
        if is_htmx():
            return _announce(render("teams/choose.html", "teams/_ranking.html", 200, **dict(context, saved=True)),
                             message)
        flash(message, "success")
        return redirect(url_for("teams.choose", course_id=course_id, round_id=round_id), code=303)
    return render("teams/choose.html", None, 200, **context)
