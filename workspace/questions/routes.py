"""Partner questions: the public form and the contact's secret link (no account), and the
coordinators' queue with the four steps on each question, in place with htmx."""
import json
import os

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..audit import audit
from ..auth import limits
from ..auth.routes import _minutes
from ..extensions import db
from ..forms import EmptyForm
from ..htmx import is_htmx, render
from ..models import Course
from ..models.question import UNCONFIRMED, PartnerQuestion, QuestionEvent
from ..policy import PUBLIC, permission
from ..rules import Refused
from . import sections  # noqa: F401  (registers the home section)
from . import services
from .forms import (
    EVENT_LABELS, STATUS_LABELS, AnswerForm, AskForm, DeclineForm, FilterForm, MatchForm, ParkForm, QuestionForm,
)

bp = Blueprint("questions", __name__, url_prefix="/questions")


@bp.record_once
def _defaults(state):
    """Submissions per IP in a window, from the environment; create_app(**overrides) wins."""
    state.app.config.setdefault("QUESTIONS_PER_IP", int(os.environ.get("QUESTIONS_PER_IP", "5")))
    state.app.config.setdefault("QUESTIONS_WINDOW_SECONDS", int(os.environ.get("QUESTIONS_WINDOW_SECONDS", "3600")))


@bp.after_request
def _no_referrer(response):
    """A page whose address holds the secret token never sends that address to another site."""
    if request.view_args and "token" in request.view_args:
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def load_question(question_id, **_):
    """Confirmed questions only: before its contact confirms, a question does not exist for staff."""
    return db.session.scalar(db.select(PartnerQuestion).where(
        PartnerQuestion.id == question_id, PartnerQuestion.status != UNCONFIRMED))


def _by_token(token):
    question = services.by_token(token)
    if question is None:
        abort(404)
    return question


# ---- the public side ---------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@permission(PUBLIC)
def new():
    """An organisation asks its question; it reaches the coordinators once the contact confirms by e-mail."""
    form = QuestionForm()
    if request.method == "POST" and form.homepage.data:
        audit("question_honeypot")  # software filled the field people never see: drop it, say the same
        return redirect(url_for("questions.sent"), code=303)
    if form.validate_on_submit():
        config = current_app.config
        allowed, seconds = limits.ip_allowed("question-ip", config["QUESTIONS_PER_IP"],
                                             config["QUESTIONS_WINDOW_SECONDS"])
        if not allowed:
            audit("question_limited")
            limited = _("Too many questions from your network. Try again in %(minutes)s minute(s); your text is "
                        "still here.", minutes=_minutes(seconds))
            return render_template("questions/new.html", form=form, limited=limited), 429, {
                "Retry-After": str(seconds)}
        services.submit(form.data)
        db.session.commit()
        return redirect(url_for("questions.sent"), code=303)
    return render_template("questions/new.html", form=form), 422 if form.errors else 200


@bp.get("/sent")
@permission(PUBLIC)
def sent():
    """Check your e-mail: the same answer whatever happened to the submission."""
    return render_template("questions/sent.html")


def _follow_page(question, answer_form=None, status=200):
    events = db.session.scalars(db.select(QuestionEvent).where(
        QuestionEvent.question_id == question.id, QuestionEvent.public.is_(True)).order_by(QuestionEvent.id)).all()
    request_event = next((e for e in reversed(events) if e.kind == "info_requested"), None)
    return render_template(
        "questions/follow.html", question=question, events=events, request_event=request_event,
        answer_form=answer_form or AnswerForm(formdata=None), form=EmptyForm(), labels=STATUS_LABELS,
        event_labels=EVENT_LABELS, token=request.view_args["token"]), status


@bp.get("/t/<token>")
@permission(PUBLIC)
def follow(token):
    """The contact's secret link: the question, its status and public timeline, and what they can do."""
    return _follow_page(_by_token(token))


@bp.post("/t/<token>/confirm")
@permission(PUBLIC)
def confirm(token):
    """The contact confirms the address: only now does the question reach the coordinators."""
    question = _by_token(token)
    if EmptyForm().validate_on_submit() and services.confirm(question):
        db.session.commit()
        flash(_("Thank you: your question is confirmed and reaches our coordinators."), "success")
    return redirect(url_for("questions.follow", token=token), code=303)


@bp.post("/t/<token>/answer")
@permission(PUBLIC)
def answer(token):
    """The contact answers a coordinator's request for more information."""
    question = _by_token(token)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _follow_page(question, form, 422)
    try:
        services.answer(question, form.message.data)
    except Refused as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return _follow_page(question, form, refused.status)
    db.session.commit()
    flash(_("Thank you: your answer is sent to our coordinators."), "success")
    return redirect(url_for("questions.follow", token=token), code=303)


@bp.route("/t/<token>/withdraw", methods=["GET", "POST"])
@permission(PUBLIC)
def withdraw(token):
    """Asks first (a page of its own), then withdraws the question."""
    question = _by_token(token)
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            services.withdraw(question)
        except Refused as refused:
            db.session.rollback()
            flash(refused.message, "error")
            return _follow_page(question, status=refused.status)
        db.session.commit()
        flash(_("Your question is withdrawn."), "success")
        return redirect(url_for("questions.follow", token=token), code=303)
    return render_template("questions/withdraw.html", question=question, form=form, token=token)


# ---- the coordinators --------------------------------------------------------------------------

@bp.get("")
@permission("question.queue")
def queue():
    """The confirmed questions, filtered by status, theme and term, the longest waiting first."""
    filters = FilterForm(formdata=request.args)
    known_terms = services.terms()
    filters.term.choices = [("", _("any term"))] + [(t, t) for t in known_terms]
    status = filters.status.data if filters.status.data in STATUS_LABELS else ""
    term = filters.term.data if filters.term.data in known_terms else ""
    theme = (filters.theme.data or "")[:100]
    page = db.paginate(services.queue(status, theme, term), per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)
    return render_template("questions/queue.html", page=page, filters=filters, counts=services.counts(),
                           labels=STATUS_LABELS, page_args={"status": status, "theme": theme or None,
                                                            "term": term or None})


def _forms(question, **given):
    match = given.get("match") or MatchForm(formdata=None)
    match.offer(services.courses_for(current_user), services.organisations(), question)
    if "match" not in given:
        match.prefill(question)
    return {"ask_form": given.get("ask") or AskForm(formdata=None), "match_form": match,
            "park_form": given.get("park") or ParkForm(formdata=None),
            "decline_form": given.get("decline") or DeclineForm(formdata=None)}


def _panel(question, status=200, refused=None, **forms):
    events = db.session.scalars(db.select(QuestionEvent).options(selectinload(QuestionEvent.actor))
                                .where(QuestionEvent.question_id == question.id).order_by(QuestionEvent.id)).all()
    return render("questions/show.html", "questions/_panel.html", status, question=question, events=events,
                  refused=refused, labels=STATUS_LABELS, event_labels=EVENT_LABELS, **_forms(question, **forms))


@bp.get("/<int:question_id>")
@permission("question.queue", load_question)
def show(question, question_id):
    """One question with its timeline and the coordinator's four steps."""
    return _panel(question)


def _act(question, name, form, step, done):
    """Validate, take the step, commit; the panel again (htmx) or a redirect with a flash."""
    if not form.validate_on_submit():
        return _panel(question, 422, **{name: form})
    try:
        step()
        db.session.commit()
    except Refused as refused:
        db.session.rollback()
        return _panel(question, refused.status, refused=refused.message, **{name: form})
    except StaleDataError:
        db.session.rollback()
        return _panel(question, 409, refused=_("Someone else acted on this question just now: see its timeline."),
                      **{name: form})
    if is_htmx():
        response = _panel(question)
        response.headers["HX-Trigger"] = json.dumps({"announce": done})
        return response
    flash(done, "success")
    return redirect(url_for("questions.show", question_id=question.id), code=303)


@bp.post("/<int:question_id>/ask")
@permission("question.act", load_question)
def ask(question, question_id):
    """Ask the contact for more information; they answer through their link."""
    form = AskForm()
    return _act(question, "ask", form, lambda: services.ask(current_user, question, form.message.data),
                _("Your question is sent to the contact."))


@bp.post("/<int:question_id>/park")
@permission("question.act", load_question)
def park(question, question_id):
    """Park the question for a later term; the contact is told which."""
    form = ParkForm()
    return _act(question, "park", form,
                lambda: services.park(current_user, question, form.term.data, form.message.data or ""),
                _("The question is parked."))


@bp.post("/<int:question_id>/decline")
@permission("question.act", load_question)
def decline(question, question_id):
    """Decline with a reason the contact sees."""
    form = DeclineForm()
    return _act(question, "decline", form, lambda: services.decline(current_user, question, form.message.data),
                _("The question is declined and the contact is told why."))


@bp.post("/<int:question_id>/match")
@permission("question.act", load_question)
def match(question, question_id):
    """Create the project in a course and invite the contact as its partner."""
    form = MatchForm()
    form.offer(services.courses_for(current_user), services.organisations(), question)

    def step():
        course = db.session.get(Course, form.course_id.data)
        services.match(current_user, question, course, form.organisation_id.data, form.title.data,
                       form.start_date.data, form.end_date.data)

    return _act(question, "match", form, step,
                _("The project is created and the contact is invited as its partner."))
