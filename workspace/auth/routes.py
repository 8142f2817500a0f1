"""Sign in and out, reset a password, accept an invitation, edit one's profile."""
import json

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, refresh
from flask_login import current_user, login_user, logout_user

from ..audit import audit
from ..errors import _page
from ..extensions import db
from ..forms import EmptyForm
from ..htmx import is_htmx, render
from ..policy import PUBLIC, SIGNED_IN, permission
from ..rules import Refused
from ..security import safe_next
from ..sso.services import refuse_sso_only
from . import email_change, limits, services, sessions
from .forms import (
    ChangeEmailForm, ChangePasswordForm, ForgotPasswordForm, LoginForm, ProfileForm, ResetPasswordForm, SignUpForm,
)

bp = Blueprint("auth", __name__)


def _too_many(message: str, seconds: int):
    """429 in the layout (or the short fragment for htmx), with Retry-After."""
    response, status = _page(429, _("Too many attempts"), message)
    return response, status, {"Retry-After": str(seconds)}


def _minutes(seconds: int) -> int:
    return max(1, -(-seconds // 60))


@bp.route("/login", methods=["GET", "POST"])
@permission(PUBLIC)
def login():
    """Sign in with e-mail and password."""
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data
        blocked = limits.login_blocked(email)
        if blocked is not None:
            reason, seconds = blocked
            audit("login_blocked", email=email, reason=reason)
            if reason == "ip":
                return _too_many(_("Too many failed logins from your network. Wait a minute and try again."), seconds)
            return _too_many(_(
                "This account is locked for %(minutes)s minute(s) after repeated failed logins. "
                "Try again later, or reset your password.", minutes=_minutes(seconds)), seconds)
        user = services.authenticate(email, form.password.data)
        sso_only = refuse_sso_only(user, "password")
        if sso_only:
            form.password.errors.append(sso_only)
        elif user is not None:
            limits.login_succeeded(email)
            session.clear()
            login_user(user, remember=form.remember.data)
            session.permanent = not form.remember.data
            return redirect(target or url_for("main.home"), code=303)
        else:
            limits.login_failed(email)
            audit("login_failed", email=email)
            form.password.errors.append(_("That e-mail address and password do not match an account."))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form, next=target), status


@bp.post("/logout")
@permission(SIGNED_IN)
def logout():
    """End the session here and make every saved copy of its cookie useless."""
    if EmptyForm().validate_on_submit():
        audit("logout")
        current_user.end_sessions()
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You are logged out."), "success")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@permission(PUBLIC)
def forgot_password():
    """Ask for a password reset link by e-mail."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        allowed, seconds = limits.reset_request_allowed()
        if not allowed:
            audit("password_reset_limited", email=form.email.data)
            return _too_many(_("Too many reset requests from your network. Try again in %(minutes)s minute(s).",
                               minutes=_minutes(seconds)), seconds)
        audit("password_reset_requested", user=services.find_user(form.email.data), email=form.email.data)
        services.request_password_reset(form.email.data)
        db.session.commit()
        flash(_("If an account exists for %(email)s, a link to reset its password is on its way.",
                email=form.email.data), "success")
        return redirect(url_for("auth.login"), code=303)
    return render_template("auth/forgot.html", form=form), 422 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@permission(PUBLIC)
def reset_password(token):
    """Choose a new password through a single-use e-mailed link."""
    row = services.usable_reset_token(token)
    if row is None:
        return render_template("auth/link_problem.html", message=_(
            "This password reset link is not valid any more: it was used already or it expired. "
            "Ask for a new one."
        )), 410
    sso_only = refuse_sso_only(row.user, "password_reset")
    if sso_only:
        return render_template("auth/link_problem.html", message=sso_only), 403
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user = services.reset_password(row, form.password.data)
        db.session.commit()
        limits.login_succeeded(user.email)  # whoever holds the mailbox may log in again at once
        audit("password_reset", user=user)
        flash(_("Your password is changed. Log in with the new one."), "success")
        return redirect(url_for("auth.login"), code=303)
    return render_template("auth/reset.html", form=form), 422 if form.errors else 200


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@permission(PUBLIC)
def invitation(token):
    """Open an invitation: create an account, or attach it to the account you are logged into."""
    try:
        inv = services.invitation_for_token(token)
    except services.InvitationProblem as problem:
        return render_template("auth/link_problem.html", message=str(problem)), 410
    existing = services.find_user(inv.email)
    form = EmptyForm() if current_user.is_authenticated else SignUpForm()
    if form.validate_on_submit():
        try:
            if current_user.is_authenticated:
                services.accept_invitation(inv, current_user)
                user = current_user
            elif existing is not None:
                return redirect(url_for("auth.login", next=request.path), code=303)
            else:
                user = services.sign_up(inv, form.name.data, form.password.data)
                login_user(user)
                session.permanent = True
        except services.InvitationProblem as problem:
            db.session.rollback()
            return render_template("auth/link_problem.html", message=str(problem)), 410
        db.session.commit()
        audit("invitation_accepted", user=user, invitation_id=inv.id, role=inv.role)
        flash(_("Welcome, %(name)s. You have joined.", name=user.name), "success")
        if inv.project_id:
            return redirect(url_for("projects.show", project_id=inv.project_id), code=303)
        if inv.role == "student":  # enrolled in the course: its place is the home page until a team is formed
            return redirect(url_for("main.home"), code=303)
        return redirect(url_for("courses.show", course_id=inv.course_id), code=303)
    return render_template("auth/invitation.html", invitation=inv, form=form, existing=existing), (
        422 if form.errors else 200
    )


@bp.route("/profile", methods=["GET", "POST"])
@permission(SIGNED_IN)
def profile():
    """Name, time zone and language of the signed-in person."""
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        current_user.name = form.name.data
        current_user.timezone = form.timezone.data
        current_user.locale = form.locale.data
        db.session.commit()
        refresh()  # the confirmation already in the language just chosen
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("auth.profile"), code=303)
    return render_template("auth/profile.html", form=form, pending=email_change.pending(current_user)), (
        422 if form.errors else 200)


@bp.route("/profile/password", methods=["GET", "POST"])
@permission(SIGNED_IN)
def change_password():
    """Change the password; other sessions of this person end."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            audit("password_change_failed")
            form.current.errors.append(_("That is not your current password."))
        else:
            services.change_password(current_user, form.password.data)
            db.session.commit()
            audit("password_changed")
            login_user(current_user._get_current_object(), remember=session.get(sessions.REMEMBER, False))  # this session carries on
            flash(_("Your password is changed. You were signed out everywhere else."), "success")
            return redirect(url_for("auth.profile"), code=303)
    return render_template("auth/password.html", form=form), 422 if form.errors else 200


@bp.route("/profile/email", methods=["GET", "POST"])
@permission(SIGNED_IN)
def change_email():
    """Ask to change the e-mail address (with the password): a link to the new address confirms it."""
    form = ChangeEmailForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            audit("email_change_failed")
            form.current.errors.append(_("That is not your current password."))
        else:
            try:
                change = email_change.request_change(current_user, form.email.data)
            except Refused as refused:
                db.session.rollback()
                form.email.errors.append(refused.message)
            else:
                db.session.commit()
                audit("email_change_requested", old_email=change.old_email, new_email=change.new_email)
                flash(_("We sent a link to %(email)s. Your address changes when you open it; until then you log "
                        "in with %(old)s.", email=change.new_email, old=change.old_email), "success")
                return redirect(url_for("auth.profile"), code=303)
    return render_template("auth/email.html", form=form, pending=email_change.pending(current_user)), (
        422 if form.errors else 200)


@bp.post("/profile/email/cancel")
@permission(SIGNED_IN)
def withdraw_email_change():
    """The signed-in person drops the change still waiting for its confirmation."""
    change = email_change.pending(current_user)
    if change is None:
        message = _("No change of your e-mail address is waiting.")
    else:
        email_change.cancel(change, from_old_address=False)
        db.session.commit()
        audit("email_change_cancelled", new_email=change.new_email, by="profile")
        message = _("The change is cancelled: you keep logging in with %(email)s.", email=current_user.email)
    if is_htmx():
        response = render("auth/_email_pending.html", pending=None, done=message)
        response.headers["HX-Trigger"] = json.dumps({"announce": message})
        return response
    flash(message, "success" if change else "info")
    return redirect(url_for("auth.profile"), code=303)


def _email_link(change_id: int, token: str, kind: str):
    """The open change behind an e-mailed link, or the page saying it cannot be used (410)."""
    change = email_change.by_link(change_id, token, kind)
    if change is None:
        audit("email_change_link_refused", link=kind)
        return None, (render_template("auth/link_problem.html", message=_(
            "This link is not valid any more: the change was confirmed, cancelled or replaced, or it expired. "
            "Ask for the change again from your profile if you still want it.")), 410)
    return change, None


@bp.route("/profile/email/<int:change_id>/confirm/<token>", methods=["GET", "POST"])
@permission(PUBLIC)
def confirm_email(change_id, token):
    """Opened from the new mailbox: a button (never the GET, which mail scanners follow) makes the change."""
    change, problem = _email_link(change_id, token, email_change.CONFIRM)
    if problem:
        return problem
    form = EmptyForm()
    if form.validate_on_submit():
        user = change.user
        here = current_user.is_authenticated and current_user.id == user.id
        try:
            old = email_change.confirm(change)
        except Refused as refused:
            db.session.rollback()
            return render_template("auth/link_problem.html", message=refused.message), refused.status
        db.session.commit()
        audit("email_changed", user=user, old_email=old, new_email=user.email)
        if here:  # this session carries on; every other one ended
            login_user(user, remember=session.get(sessions.REMEMBER, False))
            flash(_("Your e-mail address is now %(email)s. You were signed out everywhere else.",
                    email=user.email), "success")
            return redirect(url_for("auth.profile"), code=303)
        flash(_("Your e-mail address is now %(email)s. Log in with it.", email=user.email), "success")
        return redirect(url_for("auth.login"), code=303)
    return render_template("auth/email_link.html", form=form, change=change, kind=email_change.CONFIRM)


@bp.route("/profile/email/<int:change_id>/cancel/<token>", methods=["GET", "POST"])
@permission(PUBLIC)
def cancel_email(change_id, token):
    """Opened from the old mailbox: a button cancels the change and signs the account out everywhere."""
    change, problem = _email_link(change_id, token, email_change.CANCEL)
    if problem:
        return problem
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            email_change.cancel(change, from_old_address=True)
        except Refused as refused:
            db.session.rollback()
            return render_template("auth/link_problem.html", message=refused.message), refused.status
        db.session.commit()
        audit("email_change_cancelled", user=change.user, new_email=change.new_email, by="old_address")
        flash(_("The change is cancelled: the account keeps %(email)s, and every device was signed out. "
                "If you did not ask for the change, choose a new password now.", email=change.old_email), "success")
        return redirect(url_for("auth.forgot_password"), code=303)
    return render_template("auth/email_link.html", form=form, change=change, kind=email_change.CANCEL)
