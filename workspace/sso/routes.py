"""Sign in with the university account: start at the provider, come back to the callback, get a session."""
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from ..audit import audit
from ..extensions import db
from ..models import ExternalIdentity
from ..policy import PUBLIC, permission
from ..security import safe_next
from . import providers, services

bp = Blueprint("sso", __name__, url_prefix="/sso")
NEXT = "sso_next"

# What a person is told when a provider's answer is refused; the audit log keeps the exact reason.
PROBLEMS = {
    "state": lambda: _("The sign-in took too long, was started in another window, or was already completed. "
                       "Please start again."),
    "provider_error": lambda: _("The sign-in was cancelled or refused at the institution. Please start again if "
                                "you want to sign in."),
    "unreachable": lambda: _("The institution's sign-in service could not be reached. Try again in a few minutes."),
}


@bp.app_template_global()
def sso_providers() -> list[tuple[str, str]]:
    """(name, label) of every configured provider, for the buttons on the login page."""
    return [(name, conf["label"]) for name, conf in providers.configured().items()]


@bp.app_template_global()
def sso_identities(user) -> list[ExternalIdentity]:
    """The institution accounts linked to a person, for the admin's user page."""
    return db.session.scalars(
        db.select(ExternalIdentity).filter_by(user_id=user.id).order_by(ExternalIdentity.provider)).all()


def _not_configured():
    flash(_("That way of signing in is not set up here. Log in with your e-mail address instead."), "error")
    return redirect(url_for("auth.login"))


@bp.get("/<provider>/login")
@permission(PUBLIC)
def start(provider):
    """Send the person to their institution to sign in (state, nonce and a PKCE challenge go along)."""
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("main.home"))
    remote = providers.client(provider)
    if remote is None:
        return _not_configured()
    try:
        providers.checked_metadata(remote, providers.settings(provider))
    except providers.SignInFailed as failed:
        audit("sso_refused", provider=provider, reason=failed.reason)
        return _problem(provider, failed.reason, 502)
    session[NEXT] = target or ""
    return remote.authorize_redirect(url_for("sso.callback", provider=provider, _external=True))


@bp.get("/<provider>/callback")
@permission(PUBLIC)
def callback(provider):
    """The provider sends the person back with a code: exchange it, check the ID token, sign in."""
    remote, conf = providers.client(provider), providers.settings(provider)
    if remote is None:
        return _not_configured()
    try:
        claims = providers.verified_claims(remote, conf)
    except providers.SignInFailed as failed:
        audit("sso_refused", provider=provider, reason=failed.reason, error=failed.error[:60])
        status = 502 if failed.reason == "unreachable" else 400
        return _problem(provider, failed.reason, status)
    try:
        user, how = services.sign_in(provider, conf, claims)
    except services.SignInRefused as refused:
        db.session.rollback()
        audit("sso_refused", provider=provider, reason=refused.reason, subject=claims["sub"][:80],
              email=services.email_of(conf, claims))
        return render_template("sso/problem.html", label=conf["label"], provider=provider,
                               message=refused.message, retry=False), 403
    db.session.commit()
    target = safe_next(session.get(NEXT))
    session.clear()  # a fresh session for the signed-in person, exactly as after a password
    login_user(user)
    session.permanent = True
    audit("sso_login", user=user, provider=provider, how=how)
    flash(_("Welcome, %(name)s. You are signed in with %(provider)s.", name=user.name, provider=conf["label"]),
          "success")
    return redirect(target or url_for("main.home"), code=303)


def _problem(provider, reason, status):
    conf = providers.settings(provider)
    message = PROBLEMS.get(reason, lambda: _(
        "The answer from %(provider)s could not be trusted, so you were not signed in. Please start again; "
        "if it keeps happening, tell the administrator.", provider=conf["label"]))()
    return render_template("sso/problem.html", label=conf["label"], provider=provider, message=message,
                           retry=True), status
