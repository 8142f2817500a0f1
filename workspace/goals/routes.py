"""Goals: propose, revise, agree or ask for changes, claim and confirm, drop, discuss, reorder;
the goal page at a stable URL and the project's root cause (relevance) with its history."""
import json
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..database import commit_keeping_loaded, get, reading, reads_first, writing
from ..extensions import db
from ..htmx import is_htmx, trigger
from ..models import Goal, GoalComment, GoalRevision, Project, RootCauseRevision
from ..policy import permission
from ..rules import Refused, StaleVersion
from . import sections, services
from .cards import BoardCards, HomeCards
from .forms import (
    ChangesForm, ClaimForm, CommentForm, DropForm, GoalForm, KeepForm, MoveForm, RootCauseForm, SendBackForm,
    StepForm,
)
from .text import changes, render_markdown

bp = Blueprint("goals", __name__)


def load_project(project_id, **_):
    return get(Project, project_id)


def load_goal(project_id, goal_id, **_):
    """By both ids: a goal id from another project is simply not found. With its project, which every
    goal route reads (the permission, the answer): one statement, not two."""
    return db.session.scalar(_GOAL_WITH_PROJECT, {"project_id": project_id, "goal_id": goal_id})


_GOAL_WITH_PROJECT = (db.select(Goal).options(joinedload(Goal.project))
                      .where(Goal.id == bindparam("goal_id"), Goal.project_id == bindparam("project_id")))


@bp.app_context_processor
def goal_helpers():
    # The viewer and their side per project are looked up once per render, not once per card.
    # What a card offers depends only on the goal's project, state, proposing and dropping side (all the
    # state machine and the policy's goal rules read), so it is asked once per kind of card.
    user = current_user._get_current_object()
    sides = {}
    steps = {}

    def side(goal):
        if goal.project_id not in sides:
            sides[goal.project_id] = services.side_of(user, goal.project)
        return sides[goal.project_id]

    def goal_steps(goal):
        key = (goal.project_id, goal.state, goal.proposer_side, goal.drop_side)
        if key not in steps:
            steps[key] = services.allowed_steps(user, goal, side(goal))
        return steps[key]

    def board_cards(focus_card=None, focus_goal=None, focus_direction=None):
        return BoardCards(user, focus_card, focus_goal, focus_direction)

    return {
        "goal_board_cards": board_cards,
        "goal_home_cards": lambda cards: HomeCards(user).items(cards),
        "goal_steps": goal_steps,
        "goal_waits_for_me": lambda goal: services.waits_for(goal, side(goal)),
        "goal_side": side,
        "goal_state_label": lambda state: services.STATE_LABELS[state],
        "goal_board_order": services.BOARD_ORDER,
        "goal_columns": services.BOARD_COLUMNS,
        "goal_state_icon_name": lambda state: services.STATE_ICON_NAMES[state],
        "goal_state_kind": lambda state: services.STATE_KINDS[state],
    }


@bp.app_template_filter("markdown")
def markdown_filter(text):
    return render_markdown(text)


def _announce(response, message: str):
    return trigger(response, json.dumps({"announce": message}))


def _back(project, goal, origin: str):
    """Without JavaScript, after an action: the page the person acted from."""
    if origin == "home":
        return redirect(url_for("main.home") + f"#goal-{goal.id}", code=303)
    if origin == "board":
        return redirect(url_for("projects.show", project_id=project.id) + f"#goal-{goal.id}", code=303)
    return redirect(url_for("goals.show", project_id=project.id, goal_id=goal.id), code=303)


def _card(project, goal, origin: str, status: int = 200, **extra):
    """The goal's card (htmx), with the counters elsewhere on the page refreshed out of band."""
    context = {"goal": goal, "project": project, "view": origin, **extra}
    if origin == "board":
        context["counts"] = sections.state_counts(project.id)
    if origin == "home":
        context["home_count"] = len(sections.partner_queue(current_user))
    response = make_response(render_template("goals/_card_response.html", **context), status)
    response.vary.add("HX-Request")
    return response


def _board(project, goal):
    """On the board a decision may move the card to another column: the whole goals section answers,
    in place of the card's own target, with focus on the card where it now stands."""
    context = sections.board(project, current_user)
    # (the decision was committed without expiring the goal: naming it reads nothing)
    response = make_response(render_template("goals/_board_response.html", section=context, focus_card=goal.id))
    response.headers["HX-Retarget"] = "#goals"
    response.headers["HX-Reswap"] = "outerHTML"
    response.vary.add("HX-Request")
    return response


def _goal_page(project, goal, status: int = 200, **extra):
    goal = db.session.scalar(
        db.select(Goal).where(Goal.id == goal.id)
        .options(joinedload(Goal.proposer), selectinload(Goal.revisions).joinedload(GoalRevision.author),
                 selectinload(Goal.comments).joinedload(GoalComment.author))
    )
    history = [(revision, changes(previous, revision, services.TEXT_FIELDS) if previous else None)
               for previous, revision in zip([None, *goal.revisions[:-1]], goal.revisions)]
    extra.setdefault("comment_form", CommentForm(formdata=None))
    return render_template("goals/show.html", project=project, goal=goal, history=list(reversed(history)),
                           view="page", **extra), status


@bp.get("/projects/<int:project_id>/goals/<int:goal_id>")
@permission("goal.view", load_goal)
def show(goal, project_id, goal_id):
    """The goal's own page: its state and actions, every revision with what changed, the discussion."""
    return _goal_page(goal.project, goal)


@bp.route("/projects/<int:project_id>/goals/new", methods=["GET", "POST"])
@permission("goal.propose", load_project)
def new(project, project_id):
    """Propose a goal; the other side of the partnership is asked to agree to it."""
    form = GoalForm(project=project)
    if form.validate_on_submit():
        goal = services.propose_goal(current_user, project, **form.fields())
        db.session.commit()
        flash(_("Your goal “%(title)s” is proposed. The other side is asked to agree to it.", title=goal.title),
              "success")
        return redirect(url_for("goals.show", project_id=project.id, goal_id=goal.id), code=303)
    return render_template("goals/form.html", form=form, project=project, goal=None), 422 if form.errors else 200


@bp.route("/projects/<int:project_id>/goals/<int:goal_id>/edit", methods=["GET", "POST"])
@permission("goal.revise", load_goal)
def edit(goal, project_id, goal_id):
    """Revise a goal: a new revision that goes back to the other side for agreement."""
    project = goal.project
    form = GoalForm(obj=goal, project=project)
    if request.method == "GET":
        if goal.state not in services.STEPS["revise"].sources:
            flash(_("A goal that is “%(state)s” cannot be revised.", state=services.STATE_LABELS[goal.state]), "error")
            return redirect(url_for("goals.show", project_id=project.id, goal_id=goal.id), code=303)
        form.version.data = goal.version
    problem, status = None, 200
    if form.validate_on_submit():
        try:
            services.revise_goal(current_user, project, goal, form.version.data, **form.fields())
            db.session.commit()
        except (StaleVersion, StaleDataError):
            db.session.rollback()
            return render_template("goals/form.html", form=form, project=project, goal=goal, stale=True), 409
        except Refused as refusal:
            db.session.rollback()
            problem, status = refusal.message, refusal.status
        else:
            flash(_("Revision %(number)s of “%(title)s” is saved and waits for agreement.",
                    number=goal.revision_number, title=goal.title), "success")
            return redirect(url_for("goals.show", project_id=project.id, goal_id=goal.id), code=303)
    elif form.errors:
        status = 422
    return render_template("goals/form.html", form=form, project=project, goal=goal, problem=problem), status


def _act(goal, form, step: str, run, done: str):
    """Every decision on a goal: validate, apply through the state machine, answer.

    htmx gets the card (409/422 keep the person's input in it); a plain form post gets a 303
    back to where it came from, or the goal page with the problem and the input kept."""
    project = goal.project
    project_id, goal_id = project.id, goal.id  # (a rollback expires the loaded objects)
    origin = form.origin()
    failure = None
    if not form.validate_on_submit():
        failure = (422, None, False)
    else:
        try:
            writing()  # under the write lock from here; the goal's version catches a change since it was read
            run(project, goal, form)
            commit_keeping_loaded()  # the answer reads the project and the person this request loaded
        except (StaleVersion, StaleDataError):
            db.session.rollback()
            failure = (409, None, True)
        except Refused as refusal:
            db.session.rollback()
            failure = (refusal.status, refusal.message, True)
    if failure:
        status, problem, rolled_back = failure
        with reading():  # nothing was written: the answer only reads, without the write lock
            if rolled_back:  # the goal as it is now (gone with its project: not found)
                goal = load_goal(project_id, goal_id)
                if goal is None:
                    abort(404)
                project = goal.project
            if status == 409 and problem is None:  # stale: what the goal is now
                problem = _("Someone else acted on this goal first: it is now “%(state)s”. Your text is kept "
                            "below; check the goal and try again if it still applies.",
                            state=services.STATE_LABELS[goal.state])
            kept = {"step": step, "form": form, "problem": problem}
            if is_htmx():
                if status in (409, 422):
                    return _card(project, goal, origin, status, kept=kept)
                return render_template("errors/_error.html", status=status, title=_("Not possible"),
                                       message=problem), status
            return _goal_page(project, goal, status, kept=kept)
    if is_htmx():
        with reading():  # the decision is committed; its answer only reads
            return _announce(_board(project, goal) if origin == "board" else _card(project, goal, origin), done)
    flash(done, "success")
    return _back(project, goal, origin)


def _goal_action(path: str, rule: str, endpoint: str):
    """A POST on a goal: the person, the goal and the permission are read before the write lock is
    taken (`reads_first`); the view calls `writing()` before it changes anything."""
    reads_first(f"{bp.name}.{endpoint}")
    return lambda view: bp.post(f"/projects/<int:project_id>/goals/<int:goal_id>/{path}", endpoint=endpoint)(
        permission(rule, load_goal)(view))


@dataclass(frozen=True)
class Decision:
    """One decision route: URL path, permission rule, state-machine step, form, service call."""

    path: str
    rule: str
    step: str
    form: type
    service: Callable
    note: str | None  # the form field passed on to the service (comment, evidence, reason)
    done: Callable  # goal title -> what changed, for the flash and the screen reader
    doc: str


DECISIONS = {
    "approve": Decision(
        "approve", "goal.respond", "approve", StepForm, services.approve, None,
        lambda title: _("You agreed to the goal “%(title)s”. It is agreed by both sides.", title=title),
        "Agree to a goal the other side proposed: it is then agreed by both sides."),
    "request_changes": Decision(
        "request-changes", "goal.respond", "request_changes", ChangesForm, services.request_changes, "comment",
        lambda title: _("You asked for changes to “%(title)s”.", title=title),
        "Ask the proposing side to change the goal, saying what should change."),
    "claim": Decision(
        "claim", "goal.claim", "claim", ClaimForm, services.claim_achieved, "evidence",
        lambda title: _("You claimed “%(title)s” achieved. The partner is asked to confirm.", title=title),
        "Students claim an agreed goal achieved, with an account of the evidence."),
    "confirm": Decision(
        "confirm", "goal.confirm", "confirm_achieved", StepForm, services.confirm_achieved, None,
        lambda title: _("You confirmed “%(title)s” is achieved.", title=title),
        "The partner confirms a claimed goal is achieved."),
    "send_back": Decision(
        "send-back", "goal.confirm", "send_back", SendBackForm, services.send_back, "comment",
        lambda title: _("You sent “%(title)s” back to the team: not achieved yet.", title=title),
        "The partner sends a claimed goal back (not met yet), saying what is missing."),
    "propose_drop": Decision(
        "drop", "goal.drop", "propose_drop", DropForm, services.propose_drop, "reason",
        lambda title: _("You proposed to drop “%(title)s”. The other side is asked to confirm.", title=title),
        "Propose to drop a goal, with a reason; the other side confirms."),
    "confirm_drop": Decision(
        "confirm-drop", "goal.drop", "confirm_drop", StepForm, services.confirm_drop, None,
        lambda title: _("The goal “%(title)s” is dropped.", title=title),
        "Confirm the other side's proposal to drop a goal."),
    "keep": Decision(
        "keep", "goal.drop", "keep", KeepForm, services.keep_goal, "comment",
        lambda title: _("The goal “%(title)s” is kept.", title=title),
        "Decline (or withdraw) a proposal to drop: the goal goes back to where it was."),
}


def _decision_view(endpoint: str, decision: Decision):
    def view(goal, project_id, goal_id):
        def run(project, goal, form):
            notes = [form[decision.note].data or ""] if decision.note else []
            decision.service(current_user, project, goal, form.version.data, *notes)
        return _act(goal, decision.form(), decision.step, run, decision.done(goal.title))

    view.__name__, view.__doc__ = endpoint, decision.doc
    return _goal_action(decision.path, decision.rule, endpoint)(view)


for _endpoint, _decision in DECISIONS.items():
    _decision_view(_endpoint, _decision)


@_goal_action("move", "goal.reorder", "move")
def move(goal, project_id, goal_id):
    """The team orders its goals: move one up or down within its group on the board."""
    project = goal.project
    form = MoveForm()
    if not form.validate_on_submit():
        return _goal_page(project, goal, 422)
    writing()
    moved = services.move(current_user, project, goal, form.direction.data)
    db.session.commit()
    with reading():  # the move is committed; its answer only reads
        message = (_("“%(title)s” moved %(direction)s.", title=goal.title,
                     direction=_("up") if form.direction.data == "up" else _("down"))
                   if moved else _("“%(title)s” is already at the edge of its group.", title=goal.title))
        if is_htmx():
            context = sections.board(project, current_user)
            response = make_response(render_template("goals/_board.html", section=context, focus_goal=goal.id,
                                                     focus_direction=form.direction.data))
            return _announce(response, message)
        flash(message, "success" if moved else "info")
        return _back(project, goal, "board")


@_goal_action("comments", "goal.comment", "comment")
def comment(goal, project_id, goal_id):
    """Add to the goal's discussion (students, partners and teachers)."""
    project = goal.project
    form = CommentForm()
    if not form.validate_on_submit():
        if is_htmx():
            return _discussion(project, goal, form, 422)
        return _goal_page(project, goal, 422, comment_form=form)
    writing()
    added = services.add_comment(current_user, project, goal, form.body.data)
    db.session.commit()
    if is_htmx():
        with reading():  # the comment is committed; its answer only reads
            return _announce(_discussion(project, goal, CommentForm(formdata=None)), _("Your comment is added."))
    flash(_("Your comment is added."), "success")
    return redirect(url_for("goals.show", project_id=project.id, goal_id=goal.id) + f"#comment-{added.id}", code=303)


def _discussion(project, goal, form, status: int = 200):
    comments = db.session.scalars(
        db.select(GoalComment).where(GoalComment.goal_id == goal.id)
        .options(joinedload(GoalComment.author)).order_by(GoalComment.created_at, GoalComment.id)
    ).all()
    response = make_response(render_template("goals/_discussion.html", project=project, goal=goal,
                                             comments=comments, comment_form=form, respond=True), status)
    response.vary.add("HX-Request")
    return response


# ---- relevance --------------------------------------------------------------------------------

def _relevance_page(project, form, status: int = 200, **extra):
    revisions = db.session.scalars(
        db.select(RootCauseRevision).where(RootCauseRevision.project_id == project.id)
        .options(joinedload(RootCauseRevision.author)).order_by(RootCauseRevision.number)
    ).all()
    history = [(revision, changes(previous, revision, ("text",)) if previous else None)
               for previous, revision in zip([None, *revisions[:-1]], revisions)]
    current = revisions[-1] if revisions else None
    return render_template("goals/relevance.html", project=project, form=form, current=current,
                           history=list(reversed(history)), **extra), status


@bp.get("/projects/<int:project_id>/relevance")
@permission("relevance.view", load_project)
def relevance(project, project_id):
    """The problem as first presented and the root cause / underlying need, with its history."""
    form = RootCauseForm(formdata=None)
    current = services.current_root_cause(project)
    form.text.data = current.text if current else ""
    form.based_on.data = current.number if current else 0
    return _relevance_page(project, form)


@bp.post("/projects/<int:project_id>/relevance")
@permission("relevance.edit", load_project)
def save_relevance(project, project_id):
    """Refine the root cause together: a new revision, unless someone else saved one first."""
    form = RootCauseForm()
    if not form.validate_on_submit():
        return _relevance_page(project, form, 422)
    try:
        revision = services.revise_root_cause(current_user, project, form.text.data, form.based_on.data)
        db.session.commit()
    except (StaleVersion, IntegrityError):
        db.session.rollback()
        return _relevance_page(project, form, 409, stale=True)
    except Refused as refusal:
        db.session.rollback()
        return _relevance_page(project, form, refusal.status, problem=refusal.message)
    flash(_("Revision %(number)s of the root cause is saved.", number=revision.number), "success")
    return redirect(url_for("projects.show", project_id=project.id) + "#relevance", code=303)
