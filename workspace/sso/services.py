"""Who an OpenID Connect sign-in is: the linked account, an account with the same verified e-mail
address, or a new one made just in time; and the refusals for people limited to SSO."""
from flask_babel import gettext as _
from sqlalchemy import func

from ..activity import record
from ..audit import audit
from ..auth import services as accounts
from ..extensions import db
from ..mail import send_mail
from ..models import ExternalIdentity, Invitation, User
from ..models.base import utcnow
from . import providers

NAME_MAX, EMAIL_MAX = 120, 254


class SignInRefused(Exception):
    """The provider vouched for the person, but the workspace will not let them in this way."""

    def __init__(self, reason: str, message: str):
        super().__init__(reason)
        self.reason = reason
        self.message = message


def sign_in(provider: str, conf: dict, claims: dict) -> tuple[User, str]:
    """The account for these verified claims and how it was found: "returning", "linked" or "created"."""
    identity = db.session.scalar(db.select(ExternalIdentity).filter_by(provider=provider, subject=claims["sub"]))
    email = email_of(conf, claims)
    if identity is not None:
        user, how = identity.user, "returning"
        _check_active(user)
    else:
        user, how = _link_or_create(provider, conf, claims, email)
        identity = ExternalIdentity(provider=provider, subject=claims["sub"], user=user)
        db.session.add(identity)
    identity.last_used_at = utcnow()
    if email and _verified(conf, claims):
        identity.email = email
        if email == user.email.lower():
            _apply_open_invitations(user)
    _make_teacher(conf, claims, user)
    return user, how


def email_of(conf: dict, claims: dict) -> str:
    value = claims.get(conf["email_claim"])
    return value.strip().lower() if isinstance(value, str) else ""


def _verified(conf: dict, claims: dict) -> bool:
    """The provider says it checked the address (or the operator trusts every address it sends)."""
    return conf["trust_email"] or claims.get("email_verified") in (True, "true")


def _check_active(user: User) -> None:
    if not user.active:
        raise SignInRefused("inactive", _("This account is deactivated. Ask the administrator if you need it again."))


def _link_or_create(provider: str, conf: dict, claims: dict, email: str) -> tuple[User, str]:
    """A first sign-in: only a verified address may reach an existing account, or become a new one's."""
    if not email or len(email) > EMAIL_MAX or "@" not in email:
        raise SignInRefused("no_email", _(
            "%(provider)s did not share your e-mail address, so no account could be found or made for you. "
            "Ask your institution's helpdesk to release it to the co-creation workspace.", provider=conf["label"]))
    if not _verified(conf, claims):
        raise SignInRefused("unverified_email", _(
            "%(provider)s says your e-mail address %(email)s is not verified, so it cannot be used to sign you "
            "in here. Verify the address with %(provider)s, or ask the administrator of the workspace for help.",
            provider=conf["label"], email=email))
    user = accounts.find_user(email)
    if user is not None:
        _check_active(user)
        record(user, "linked_sso", user, _("%(name)s linked their account to %(provider)s",
                                           name=user.name, provider=conf["label"]))
        return user, "linked"
    user = User(email=email, name=_name(claims, email))
    db.session.add(user)
    db.session.flush()
    record(user, "joined_sso", user, _("%(name)s signed in for the first time with %(provider)s",
                                       name=user.name, provider=conf["label"]))
    return user, "created"


def _name(claims: dict, email: str) -> str:
    parts = [claims.get(key) for key in ("given_name", "family_name")]
    name = claims.get("name") or " ".join(part for part in parts if isinstance(part, str) and part)
    if not isinstance(name, str) or not name.strip():
        name = email.split("@")[0]
    return " ".join(name.split())[:NAME_MAX]


def _apply_open_invitations(user: User) -> None:
    """Invitations waiting for this address are accepted: the person arrives where they were invited."""
    now = utcnow()
    waiting = db.session.scalars(db.select(Invitation).where(
        func.lower(Invitation.email) == user.email.lower(), Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None), Invitation.expires_at > now,
    ).order_by(Invitation.id)).all()
    for invitation in waiting:
        try:
            accounts.accept_invitation(invitation, user)
        except accounts.InvitationProblem:  # taken by a parallel request a moment ago
            continue
        audit("invitation_accepted", user=user, invitation_id=invitation.id, role=invitation.role, via="sso")


def _affiliations(value) -> set[str]:
    """eduPerson affiliations as a string or a list; "staff@uni.nl" (scoped) counts as "staff"."""
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    found = set()
    for item in values:
        if isinstance(item, str) and item.strip():
            item = item.strip().lower()
            found.update({item, item.split("@")[0]})
    return found


def _make_teacher(conf: dict, claims: dict, user: User) -> None:
    """An affiliation the operator listed makes the person a teacher; nothing here ever takes it away."""
    if user.is_teacher or not conf["teacher_affiliations"] or not conf["affiliation_claim"]:
        return
    if _affiliations(claims.get(conf["affiliation_claim"])) & set(conf["teacher_affiliations"]):
        user.is_teacher = True
        record(user, "became_teacher", user, _("%(name)s became a teacher through their affiliation at %(provider)s",
                                               name=user.name, provider=conf["label"]))


# ---- people limited to SSO -------------------------------------------------------------------

def sso_only_message() -> str:
    labels = ", ".join(conf["label"] for conf in providers.configured().values())
    if labels:
        return _("This account signs in only with the institution account (%(providers)s). Use the "
                 "“Sign in with” button on the login page.", providers=labels)
    return _("This account signs in only with the institution account. Ask the administrator for help.")


def refuse_sso_only(user, via: str) -> str | None:
    """For a person limited to SSO: record the refused way in and return the message; None for others."""
    if user is None or not user.sso_only:
        return None
    audit("sso_only_refused", user=user, via=via)
    return sso_only_message()


def tell_sso_only(user: User, via: str) -> bool:
    """A reset or sign-in link asked for an SSO-only account: e-mail why none comes. True when refused."""
    message = refuse_sso_only(user, via)
    if message is None:
        return False
    send_mail(user.email, _("Sign in with your institution account"), _(
        "Someone asked for a password reset or a sign-in link for your co-creation workspace account.\n\n"
        "%(message)s\n\nIf it was not you, ignore this message.", message=message))
    return True
