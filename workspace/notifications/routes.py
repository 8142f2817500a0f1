"""Notifications (the bell), e-mail settings, "my work", and sign-in by an e-mailed link."""
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from ..extensions import db
from ..forms import EmptyForm
from ..models import Notification, SignInToken
from ..models.base import utcnow
from ..policy import PUBLIC, SIGNED_IN, permission
from ..security import safe_next
from . import events, services  # noqa: F401  (events registers the activity listener)
from .forms import EmailPreferenceForm, SignInLinkForm
from .mywork import my_work
from .signin import SignInProblem, request_sign_in_link, use_sign_in_link

bp = Blueprint("notifications", __name__)
PER_PAGE = 30


@bp.get("/notifications")
@permission(SIGNED_IN)
def index():
    """Everything the workspace told you, unread first; opening the list does not mark it read."""
    page = db.paginate(
        db.select(Notification).where(Notification.user_id == current_user.id)
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc()),
        per_page=PER_PAGE, error_out=False)
    form = EmailPreferenceForm(email=services.email_preference(current_user))
    return render_template("notifications/index.html", page=page, form=form, action_form=EmptyForm())


@bp.get("/notifications/badge")
@permission(SIGNED_IN)
def badge():
    """Polled by the bell: 204 (nothing to swap) while the unread list is unchanged."""
    state = services.badge_state(current_user)
    if request.args.get("seen") == state:
        response = make_response("", 204)
    else:
        response = make_response(render_template("notifications/_bell.html", unread=int(state.split("-")[0]),
                                                 state=state))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/notifications/<int:notification_id>/open")
@permission(SIGNED_IN)
def open_one(notification_id):
    """Mark one notification read and go to what it is about."""
    note = db.session.scalar(db.select(Notification).filter_by(id=notification_id, user_id=current_user.id))
    if note is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        services.mark_read(current_user, [note.id])
        db.session.commit()
    return redirect(safe_next(note.url) or url_for("notifications.index"), code=303)


@bp.post("/notifications/read")
@permission(SIGNED_IN)
def read_all():
    """Mark every notification read."""
    if EmptyForm().validate_on_submit():
        count = services.mark_read(current_user)
        db.session.commit()
        flash(_("%(num)s notifications marked read.", num=count), "success")
    return redirect(url_for("notifications.index"), code=303)


@bp.post("/notifications/settings")
@permission(SIGNED_IN)
def settings():
    """Choose e-mail: each notification at once, a daily digest, or none."""
    form = EmailPreferenceForm()
    if form.validate_on_submit():
        services.set_email_preference(current_user, form.email.data)
        db.session.commit()
        flash(_("Your e-mail setting is saved."), "success")
        return redirect(url_for("notifications.index"), code=303)
    page = db.paginate(db.select(Notification).where(Notification.user_id == current_user.id), per_page=PER_PAGE,
                       error_out=False)
    return render_template("notifications/index.html", page=page, form=form, action_form=EmptyForm()), 422


@bp.get("/my-work")
@permission(SIGNED_IN)
def mywork():
    """Everything due from you across your projects, soonest first."""
    return render_template("notifications/mywork.html", items=my_work(current_user))


@bp.route("/login/link", methods=["GET", "POST"])
@permission(PUBLIC)
def sign_in_link():
    """Ask for a one-time sign-in link by e-mail instead of typing a password."""
    target = safe_next(request.values.get("next"))
    form = SignInLinkForm()
    if form.validate_on_submit():
        try:
            request_sign_in_link(form.email.data, target)
        except SignInProblem as problem:
            form.email.errors.append(str(problem))
            return render_template("notifications/signin_link.html", form=form, next=target), 429
        db.session.commit()
        flash(_("If an account exists for %(email)s, a sign-in link is on its way. It works once, for 20 minutes.",
                email=form.email.data), "success")
        return redirect(url_for("auth.login", next=target), code=303)
    return render_template("notifications/signin_link.html", form=form, next=target), 422 if form.errors else 200


@bp.route("/login/link/<token>", methods=["GET", "POST"])
@permission(PUBLIC)
def use_link(token):
    """Opening the link shows one button (mail scanners that fetch links do not sign anyone in)."""
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            user, target = use_sign_in_link(token)
        except SignInProblem as problem:
            db.session.rollback()
            return render_template("auth/link_problem.html", message=str(problem)), 410
        db.session.commit()
        session.clear()
        login_user(user)
        session.permanent = True
        return redirect(target or url_for("main.home"), code=303)
    row = db.session.scalar(db.select(SignInToken).where(SignInToken.token_hash == _hash(token)))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return render_template("auth/link_problem.html", message=_(
            "This sign-in link cannot be used: it was used already or it expired. Ask for a new one.")), 410
    return render_template("notifications/signin_confirm.html", form=form, email=row.user.email)


def _hash(token):
    from ..security import hash_token

    return hash_token(token)


