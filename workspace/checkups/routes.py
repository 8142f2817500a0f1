"""Check-ups: the list with the values pulse, planning, the check-up page with its log, feedback
and action items in place, confirmation and corrections, the pulse form, and a course's values."""
import json
from datetime import timezone
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..courses.routes import load_course
from ..database import get
from ..extensions import db
from ..fast_format import PageFormats
from ..forms import EmptyForm, choices
from ..htmx import hx_redirect, is_htmx, redirect_to, render
from ..models import (
    ActionItem, CheckUp, Correction, FeedbackItem, Project, ProjectMember, PulseRating,
)
from ..models.checkup import OPEN, VALUE_KEYS
from ..policy import permission
from ..rules import Refused, StaleVersion
from ..ui import id_link
from . import read, services
from .forms import (
    ActionForm, CorrectionForm, CourseValuesForm, FeedbackForm, LogForm, PlanForm, RespondForm, ResolveForm,
)

bp = Blueprint("checkups", __name__)


# ---- loaders: nested objects by every id in the URL ------------------------------------------

def load_project(project_id, **_):
    return get(Project, project_id)


def load_checkup(project_id, checkup_id, **_):
    """The check-up with its project (which every rule about it reads) in one statement."""
    return db.session.scalar(db.select(CheckUp).filter_by(id=checkup_id, project_id=project_id)
                             .options(joinedload(CheckUp.project)))


def load_feedback(project_id, checkup_id, item_id, **_):
    return db.session.scalar(db.select(FeedbackItem).filter_by(id=item_id, checkup_id=checkup_id,
                                                               project_id=project_id))


def load_action(project_id, checkup_id, item_id, **_):
    return db.session.scalar(db.select(ActionItem).filter_by(id=item_id, checkup_id=checkup_id,
                                                             project_id=project_id))


def load_correction(project_id, checkup_id, correction_id, **_):
    return db.session.scalar(
        db.select(Correction).join(CheckUp, CheckUp.id == Correction.checkup_id)
        .where(Correction.id == correction_id, Correction.checkup_id == checkup_id, CheckUp.project_id == project_id))


# ---- helpers ---------------------------------------------------------------------------------

def _announce(response, message: str):
    response.headers["HX-Trigger"] = json.dumps({"announce": message})
    return response


def _to_utc(local):
    """A naive date-time typed in the user's own time zone, as UTC."""
    zone = ZoneInfo(current_user.timezone or "UTC")
    return local.replace(tzinfo=zone).astimezone(timezone.utc)


def _to_local(value):
    zone = ZoneInfo(current_user.timezone or "UTC")
    return value.astimezone(zone).replace(tzinfo=None)


def _project_checkups(project) -> list[CheckUp]:
    return list(db.session.scalars(db.select(CheckUp).where(CheckUp.project_id == project.id)
                                   .order_by(CheckUp.planned_at.desc())))


def _members(project) -> list[ProjectMember]:
    return list(db.session.scalars(
        db.select(ProjectMember).where(ProjectMember.project_id == project.id)
        .options(selectinload(ProjectMember.user)).order_by(ProjectMember.role.desc(), ProjectMember.id)))


def _member_choices(members):
    return choices((m.user_id, f"{m.user.name} ({_(m.role)})") for m in members)


def _goal_choices(project):
    from ..models import Goal

    goals = db.session.execute(db.select(Goal.id, Goal.title).where(Goal.project_id == project.id)
                               .order_by(Goal.position, Goal.id)).all()
    return choices([(0, _("— no goal —")), *((goal.id, goal.title) for goal in goals)])


def _respond_form(item, goal_choices, bound=False):
    """The answer form of one feedback item; `bound` reads what was just posted."""
    form = RespondForm(formdata=None if not bound else request.form, prefix=f"fb{item.id}", meta={"csrf": False},
                       data={"state": item.state, "where": item.integrated_where, "reason": item.reason,
                             "goal_id": item.goal_id or 0, "version": item.version})
    form.goal_id.choices = goal_choices
    return form


def _page(checkup: CheckUp, **overrides) -> dict:
    """Everything the check-up page shows, in a fixed number of statements (read.py's plain rows)."""
    project = checkup.project
    viewer = current_user._get_current_object()
    view = read.checkup(checkup.id)
    may = read.permissions(viewer, checkup, project)
    open_items = read.open_items(view)
    rows, my_ratings = read.pulse_rows(project, view.id, viewer)
    pulse = services.pulse_view(project, viewer, [view], rows)
    context = dict(
        project=project, checkup=view, may=may, open_count=len(open_items), pulse=pulse,
        flagged=services.flagged_feedback(read.held_checkups(project), open_items) if open_items else set(),
        values=services.asked_values_of(project.course_id), my_ratings=my_ratings,
        comments=read.comments(view.id, pulse["visible"].get(view.id, set())),
        side=services.side_of(viewer, project), value_label=services.value_label,
        formats=PageFormats(),
    )
    # the addresses of the items' links and forms: url_for once per page, not per item
    ids = {"project_id": project.id}
    context["links"] = links = {}
    if any(item.goal_title is not None for item in view.feedback_items):
        links["goal"] = id_link("goals.show", "goal_id", **ids)
    if may["respond"] and view.feedback_items:
        links["respond"] = id_link("checkups.respond", "item_id", checkup_id=view.id, **ids)
    if may["mark_action"] and view.action_items:
        links["mark_action"] = id_link("checkups.mark_action", "item_id", checkup_id=view.id, **ids)
    adds = not view.closed and may["add_item"]
    if adds or "feedback_form" in overrides:
        context["feedback_form"] = FeedbackForm(formdata=None, prefix="feedback", meta={"csrf": False})
    if adds or "action_form" in overrides:
        context["action_form"] = action_form = ActionForm(formdata=None, prefix="action", meta={"csrf": False})
        action_form.owner_id.choices = choices((user_id, f"{name} ({_(role)})")
                                               for user_id, name, role in read.members(project))
    if (view.state != "planned" and may["correct"]) or "correction_form" in overrides:
        context["correction_form"] = CorrectionForm(formdata=None, prefix="correction", meta={"csrf": False})
    # the answer forms are written from the items (items.feedback_items); the goals to choose from are
    # read for those who may answer; a form posted in place comes in `respond_forms`, by item id
    context["respond_goals"] = read.goals(project) if may["respond"] and view.feedback_items else ()
    context.update(respond_forms={}, focus_item=None, stale_item=None, focus_action=None)
    context.update(overrides)
    return context


def _answer(checkup, fragment: str, message: str, *, status: int = 200, badge: bool = False, **overrides):
    """An in-place action's answer: the changed fragment for htmx, the page otherwise."""
    if status == 200 and not is_htmx():
        flash(message, "success")
        return redirect_to("checkups.show", project_id=checkup.project_id, checkup_id=checkup.id)
    context = _page(checkup, **overrides)
    response = render("checkups/show.html", fragment, status, oob_badge=badge, **context)
    if status == 200:
        _announce(response, message)
    return response


def _refused(checkup, fragment: str, error: Refused, **overrides):
    db.session.rollback()
    return _answer(checkup, fragment, error.message, status=error.status,
                   problem={"at": fragment, "message": error.message}, **overrides)


def _add_in_place(checkup, form, form_name: str, fragment: str, message: str, add, badge: bool = False):
    """Validate a form posted in place, let `add()` apply the rules, answer with the changed section."""
    if not form.validate():
        return _answer(checkup, fragment, "", status=422, **{form_name: form})
    try:
        add()
    except Refused as error:
        return _refused(checkup, fragment, error, **{form_name: form})
    db.session.commit()
    return _answer(checkup, fragment, message, badge=badge)


def _back_to_checkup(checkup, message: str):
    """A step from the home page that cannot go through: show the check-up itself."""
    flash(message, "error")
    location = url_for("checkups.show", project_id=checkup.project_id, checkup_id=checkup.id)
    return hx_redirect(location, 409) if is_htmx() else redirect(location, code=303)


# ---- the list and the pulse ------------------------------------------------------------------

@bp.get("/projects/<int:project_id>/checkups")
@permission("checkup.list", load_project)
def index(project, project_id):
    """Every check-up of the project, when the next is due, and the values pulse over time."""
    checkups = _project_checkups(project)
    counts = dict(db.session.execute(
        db.select(FeedbackItem.checkup_id, db.func.count(FeedbackItem.id))
        .where(FeedbackItem.project_id == project.id, FeedbackItem.state == OPEN)
        .group_by(FeedbackItem.checkup_id)).all())
    view = services.pulse_view(project, current_user, checkups, services.pulse_aggregates(project))
    return render("checkups/index.html", project=project, checkups=checkups, open_counts=counts, pulse=view,
                  values=services.asked_values(project.course), schedule=services.schedule(project, checkups),
                  series=services.pulse_series, value_label=services.value_label)


_ITEMS = {"feedback": (FeedbackItem, "feedback-{id}"), "action": (ActionItem, "action-{id}"),
          "correction": (Correction, "checkup-status")}


def load_item(project_id, kind, item_id, **_):
    model = _ITEMS[kind][0]
    return db.session.scalar(db.select(model).join(CheckUp, CheckUp.id == model.checkup_id)
                             .where(model.id == item_id, CheckUp.project_id == project_id))


@bp.get("/projects/<int:project_id>/checkups/<any(feedback, action, correction):kind>/<int:item_id>")
@permission("checkup.view", load_item)
def find_item(item, project_id, kind, item_id):
    """Where a timeline entry about a feedback item, action item or correction leads: its check-up."""
    return redirect(url_for("checkups.show", project_id=project_id, checkup_id=item.checkup_id,
                            _anchor=_ITEMS[kind][1].format(id=item.id)), code=303)


# ---- planning --------------------------------------------------------------------------------

def _plan_fields(form):
    return dict(planned_at=_to_utc(form.planned_at.data), channel=form.channel.data,
                location=form.location.data or "", agenda=form.agenda.data or "")


@bp.route("/projects/<int:project_id>/checkups/new", methods=["GET", "POST"])
@permission("checkup.plan", load_project)
def plan(project, project_id):
    """Plan a check-up: date and time, channel, location or link, agenda."""
    form = PlanForm()
    if form.validate_on_submit():
        checkup = services.plan_checkup(current_user, project, **_plan_fields(form))
        db.session.commit()
        flash(_("The check-up is planned."), "success")
        return redirect_to("checkups.show", project_id=project.id, checkup_id=checkup.id)
    return render("checkups/plan.html", project=project, form=form, checkup=None,
                  status=422 if form.errors else 200)


@bp.route("/projects/<int:project_id>/checkups/<int:checkup_id>/edit", methods=["GET", "POST"])
@permission("checkup.reschedule", load_checkup)
def reschedule(checkup, project_id, checkup_id):
    """Change the plan of a check-up not yet held; a stale form gets 409."""
    form = PlanForm(data={"planned_at": _to_local(checkup.planned_at), "channel": checkup.channel,
                          "location": checkup.location, "agenda": checkup.agenda, "version": checkup.version})
    if form.validate_on_submit():
        try:
            services.reschedule(current_user, checkup, form.version.data, **_plan_fields(form))
            db.session.commit()
        except (StaleVersion, StaleDataError):
            db.session.rollback()
            return render("checkups/plan.html", project=checkup.project, form=form, checkup=checkup, stale=True,
                          status=409)
        except Refused as error:
            db.session.rollback()
            return render("checkups/plan.html", project=checkup.project, form=form, checkup=checkup,
                          problem=error.message, status=error.status)
        flash(_("The check-up's plan is saved."), "success")
        return redirect_to("checkups.show", project_id=project_id, checkup_id=checkup.id)
    return render("checkups/plan.html", project=checkup.project, form=form, checkup=checkup,
                  status=422 if form.errors else 200)


# ---- the check-up page and its log -----------------------------------------------------------

@bp.get("/projects/<int:project_id>/checkups/<int:checkup_id>")
@permission("checkup.view", load_checkup)
def show(checkup, project_id, checkup_id):
    """One check-up: plan, log, feedback items and their answers, action items, confirmation, pulse."""
    return render("checkups/show.html", **_page(checkup))


@bp.route("/projects/<int:project_id>/checkups/<int:checkup_id>/log", methods=["GET", "POST"])
@permission("checkup.log", load_checkup)
def log(checkup, project_id, checkup_id):
    """Log a held check-up (or edit its log until it is confirmed): attendees, summary, decisions."""
    members = _members(checkup.project)
    form = LogForm(data={"attendees": [a.user_id for a in checkup.attendees if a.user_id],
                         "guests": "\n".join(a.guest_name for a in checkup.attendees if not a.user_id),
                         "summary": checkup.summary, "decisions": checkup.decisions, "version": checkup.version})
    form.attendees.choices = _member_choices(members)
    context = dict(project=checkup.project, checkup=checkup, form=form)
    if form.validate_on_submit():
        try:
            services.log_checkup(current_user, checkup, form.version.data, attendee_ids=form.attendees.data or [],
                                 guests=form.guest_names(), summary=form.summary.data,
                                 decisions=form.decisions.data or "")
            db.session.commit()
        except (StaleVersion, StaleDataError):
            db.session.rollback()
            return render("checkups/log.html", stale=True, status=409, **context)
        except Refused as error:
            db.session.rollback()
            return render("checkups/log.html", problem=error.message, status=error.status, **context)
        flash(_("The check-up is logged. The partner is asked to confirm it."), "success")
        return redirect_to("checkups.show", project_id=project_id, checkup_id=checkup.id)
    if request.method == "GET" and checkup.closed:
        context["problem"] = _("This log is confirmed and cannot change. The partner can add a correction.")
    return render("checkups/log.html", status=422 if form.errors else 200, **context)


@bp.post("/projects/<int:project_id>/checkups/<int:checkup_id>/feedback")
@permission("checkup.add_item", load_checkup)
def add_feedback(checkup, project_id, checkup_id):
    """Note a feedback item raised at the check-up, in place."""
    form = FeedbackForm(prefix="feedback", meta={"csrf": False})
    return _add_in_place(checkup, form, "feedback_form", "checkups/_feedback.html", _("Feedback item added."),
                         lambda: services.add_feedback(current_user, checkup, raised_by=form.raised_by.data,
                                                       text=form.text.data))


@bp.post("/projects/<int:project_id>/checkups/<int:checkup_id>/feedback/<int:item_id>/respond")
@permission("feedback.respond", load_feedback)
def respond(item, project_id, checkup_id, item_id):
    """The team's answer to a feedback item: integrated (where), not integrated (why) or open."""
    checkup = item.checkup
    form = _respond_form(item, _goal_choices(checkup.project), bound=True)
    if not form.validate():
        return _answer(checkup, "checkups/_feedback.html", "", status=422, respond_forms={item.id: form},
                       focus_item=item.id)
    try:
        services.respond_to_feedback(current_user, item, form.version.data, state=form.state.data,
                                     where=form.where.data or "", reason=form.reason.data or "",
                                     goal_id=form.goal_id.data or None)
        db.session.commit()
    except (StaleVersion, StaleDataError):
        db.session.rollback()
        return _answer(checkup, "checkups/_feedback.html", "", status=409, respond_forms={item.id: form},
                       stale_item=item.id, focus_item=item.id)
    except Refused as error:
        return _refused(checkup, "checkups/_feedback.html", error, respond_forms={item.id: form},
                        focus_item=item.id)
    return _answer(checkup, "checkups/_feedback.html", _("Response to the feedback item saved."), focus_item=item.id)


@bp.post("/projects/<int:project_id>/checkups/<int:checkup_id>/actions")
@permission("checkup.add_item", load_checkup)
def add_action(checkup, project_id, checkup_id):
    """Add an action item with an owner from the project and a due date, in place."""
    form = ActionForm(prefix="action", meta={"csrf": False})
    form.owner_id.choices = _member_choices(_members(checkup.project))
    return _add_in_place(checkup, form, "action_form", "checkups/_actions.html", _("Action item added."),
                         lambda: services.add_action(current_user, checkup, text=form.text.data,
                                                     owner_id=form.owner_id.data, due_date=form.due_date.data))


@bp.post("/projects/<int:project_id>/checkups/<int:checkup_id>/actions/<int:item_id>/done")
@permission("action.mark", load_action)
def mark_action(item, project_id, checkup_id, item_id):
    """Mark an action item done (done=1) or open again (done=0)."""
    checkup = item.checkup
    done = request.form.get("done") == "1"
    services.mark_action(current_user, item, done)
    db.session.commit()
    message = _("Action item marked as done.") if done else _("Action item open again.")
    if request.form.get("from") == "home":
        if not is_htmx():
            flash(message, "success")
            return redirect_to("main.home")
        response = render("main/home.html", "checkups/_home_action.html", item=item, focus=True)
        return _announce(response, message)
    return _answer(checkup, "checkups/_actions.html", message, focus_action=item.id)


# ---- confirmation and corrections ------------------------------------------------------------

@bp.post("/projects/<int:project_id>/checkups/<int:checkup_id>/confirm")
@permission("checkup.confirm", load_checkup)
def confirm(checkup, project_id, checkup_id):
    """The partner confirms the log as they saw it (the version they saw)."""
    from_home = request.form.get("from") == "home"
    try:
        services.confirm(current_user, checkup, request.form.get("version"))
        db.session.commit()
    except (StaleVersion, StaleDataError):
        db.session.rollback()
        if from_home:
            return _back_to_checkup(checkup, _("The log changed since you opened the page. Read it again first."))
        return _answer(checkup, "checkups/_status.html", "", status=409, stale_log=True)
    except Refused as error:
        if from_home:
            db.session.rollback()
            return _back_to_checkup(checkup, error.message)
        return _refused(checkup, "checkups/_status.html", error)
    message = _("The check-up's log is confirmed.")
    if from_home:
        if not is_htmx():
            flash(message, "success")
            return redirect_to("main.home")
        response = render("main/home.html", "checkups/_home_confirmed.html", checkup=checkup, oob_badge=True)
        return _announce(response, message)
    return _answer(checkup, "checkups/_status.html", message, badge=True)


@bp.post("/projects/<int:project_id>/checkups/<int:checkup_id>/corrections")
@permission("checkup.correct", load_checkup)
def correct(checkup, project_id, checkup_id):
    """The partner asks for a correction of the log; the team must resolve it."""
    form = CorrectionForm(prefix="correction", meta={"csrf": False})
    return _add_in_place(checkup, form, "correction_form", "checkups/_status.html",
                         _("Your correction is sent to the team."),
                         lambda: services.add_correction(current_user, checkup, form.text.data), badge=True)


@bp.route("/projects/<int:project_id>/checkups/<int:checkup_id>/corrections/<int:correction_id>/resolve",
          methods=["GET", "POST"])
@permission("checkup.resolve", load_correction)
def resolve(correction, project_id, checkup_id, correction_id):
    """The team applies the partner's correction to the log."""
    checkup = correction.checkup
    form = ResolveForm(data={"summary": checkup.summary, "decisions": checkup.decisions,
                             "version": checkup.version})
    context = dict(project=checkup.project, checkup=checkup, correction=correction, form=form)
    if form.validate_on_submit():
        try:
            services.resolve_correction(current_user, correction, form.version.data,
                                        resolution=form.resolution.data, summary=form.summary.data,
                                        decisions=form.decisions.data or "")
            db.session.commit()
        except (StaleVersion, StaleDataError):
            db.session.rollback()
            return render("checkups/resolve.html", stale=True, status=409, **context)
        except Refused as error:
            db.session.rollback()
            return render("checkups/resolve.html", problem=error.message, status=error.status, **context)
        flash(_("The correction is resolved."), "success")
        return redirect_to("checkups.show", project_id=project_id, checkup_id=checkup.id)
    return render("checkups/resolve.html", status=422 if form.errors else 200, **context)


# ---- the values pulse ------------------------------------------------------------------------

@bp.route("/projects/<int:project_id>/checkups/<int:checkup_id>/pulse", methods=["GET", "POST"])
@permission("checkup.rate", load_checkup)
def pulse(checkup, project_id, checkup_id):
    """Rate how the partnership lives up to each value, 1 to 5, with an optional comment."""
    values = services.asked_values(checkup.project.course)
    mine = {r.value_key: r for r in db.session.scalars(db.select(PulseRating).where(
        PulseRating.checkup_id == checkup.id, PulseRating.user_id == current_user.id))}
    entered = {key: (str(mine[key].score) if key in mine else "", mine[key].comment if key in mine else "")
               for key in values}
    errors: dict[str, str] = {}
    form = EmptyForm()
    context = dict(project=checkup.project, checkup=checkup, values=values, value_label=services.value_label)
    if request.method == "POST" and form.validate_on_submit():
        answers = {}
        for key in values:
            raw, comment = request.form.get(f"score-{key}", ""), request.form.get(f"comment-{key}", "").strip()
            entered[key] = (raw, comment)
            try:
                score = services.validate_score(raw)
            except Refused as error:
                errors[key] = error.message
                continue
            if len(comment) > 2000:
                errors[key] = _("Keep the comment under 2,000 characters.")
            elif comment and score is None:
                errors[key] = _("Choose a score to go with your comment.")
            answers[key] = (score, comment)
        if not errors:
            try:
                services.save_pulse(current_user, checkup, answers)
                db.session.commit()
            except Refused as error:
                db.session.rollback()
                return render("checkups/pulse.html", entered=entered, errors=errors, problem=error.message,
                              status=error.status, **context)
            flash(_("Your values pulse is saved. You can change it until the log is confirmed."), "success")
            return redirect_to("checkups.show", project_id=project_id, checkup_id=checkup.id)
    return render("checkups/pulse.html", entered=entered, errors=errors,
                  status=422 if errors else 200, **context)


# ---- the course's adaptation of the values ---------------------------------------------------

@bp.route("/courses/<int:course_id>/values", methods=["GET", "POST"])
@permission("course.values", load_course)
def course_values(course, course_id):
    """A course picks the values its pulse asks about and adds its own reflection prompts."""
    form = CourseValuesForm(data={"asked": services.asked_values(course),
                                  "prompts": "\n".join(p.text for p in services.course_prompts(course))})
    if form.validate_on_submit():
        services.save_course_values(current_user, course, [k for k in VALUE_KEYS if k in form.asked.data],
                                    form.prompt_lines())
        db.session.commit()
        flash(_("The course's values and prompts are saved."), "success")
        return redirect_to("checkups.course_values", course_id=course.id)
    return render("checkups/values.html", course=course, form=form, status=422 if form.errors else 200)


from . import items, sections  # noqa: E402  (registers the board and home sections)

bp.add_app_template_global(sections.confirm_items, "checkup_confirm_items")
bp.add_app_template_global(sections.board_body, "checkup_board_body")
bp.add_app_template_global(items.feedback_items, "checkup_feedback_items")
bp.add_app_template_global(items.action_items, "checkup_action_items")
