"""Sign in and out, reset a password, accept an invitation, edit one's profile."""
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..extensions import db
from ..forms import EmptyForm
from ..policy import PUBLIC, SIGNED_IN, permission
from ..security import safe_next
from . import services
from .forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, ProfileForm, ResetPasswordForm, SignUpForm

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@permission(PUBLIC)
def login():
    """Sign in with e-mail and password."""
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            session.clear()
            login_user(user, remember=form.remember.data)
            session.permanent = not form.remember.data
            return redirect(target or url_for("main.home"), code=303)
        form.password.errors.append(_("That e-mail address and password do not match an account."))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form, next=target), status


@bp.post("/logout")
@permission(SIGNED_IN)
def logout():
    """End the session here and make every saved copy of its cookie useless."""
    if EmptyForm().validate_on_submit():
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
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.reset_password(row, form.password.data)
        db.session.commit()
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
        flash(_("Welcome, %(name)s. You have joined.", name=user.name), "success")
        if inv.project_id:
            return redirect(url_for("projects.show", project_id=inv.project_id), code=303)
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
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("auth.profile"), code=303)
    return render_template("auth/profile.html", form=form), 422 if form.errors else 200


@bp.route("/profile/password", methods=["GET", "POST"])
@permission(SIGNED_IN)
def change_password():
    """Change the password; other sessions of this person end."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("That is not your current password."))
        else:
            services.change_password(current_user, form.password.data)
            db.session.commit()
            login_user(current_user)  # this session carries on with the new session version
            flash(_("Your password is changed. You were signed out everywhere else."), "success")
            return redirect(url_for("auth.profile"), code=303)
    return render_template("auth/password.html", form=form), 422 if form.errors else 200
