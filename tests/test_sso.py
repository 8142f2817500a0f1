"""Sign in with the university account: the whole OpenID Connect code flow against a real provider
(tests/oidc_provider.py) on loopback; the app's calls to it are real HTTP, the browser's steps too."""
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from workspace.auth import sessions
from workspace.config import oidc_providers
from workspace.extensions import db
from workspace.models import AuditEvent, ExternalIdentity, Invitation, ProjectMember, User
from workspace.models.base import utcnow
from workspace.security import new_token

from . import factories
from .factories import PASSWORD
from .oidc_provider import CLIENT_ID, CLIENT_SECRET, OIDCProvider, expired

CALLBACK = "http://localhost/sso/uni/callback"
LABEL = "University of Testing"


@pytest.fixture(scope="module")
def idp():
    """The provider, and its certificate trusted by requests (the app's calls and the browser's)."""
    with OIDCProvider([CALLBACK]) as provider, pytest.MonkeyPatch.context() as patch:
        patch.setenv("REQUESTS_CA_BUNDLE", provider.ca_bundle)
        yield provider


def _environment(idp, **more):
    env = {
        "OIDC_PROVIDERS": "uni", "OIDC_UNI_ISSUER": idp.issuer, "OIDC_UNI_CLIENT_ID": CLIENT_ID,
        "OIDC_UNI_CLIENT_SECRET": CLIENT_SECRET, "OIDC_UNI_AFFILIATION_CLAIM": "eduperson_affiliation",
        "OIDC_UNI_TEACHER_AFFILIATIONS": "staff, faculty", "OIDC_UNI_LABEL": LABEL,
    }
    env.update(more)
    return env


@pytest.fixture
def configure(app, idp, monkeypatch):
    """Set the app's providers as the operator's environment would."""
    def apply(**env):
        monkeypatch.setitem(app.config, "OIDC_PROVIDERS", oidc_providers(_environment(idp, **env)))
    return apply


@pytest.fixture
def sso(configure, idp):
    idp.reset()
    configure()
    return idp


def _to_provider(client, idp, start="/sso/uni/login"):
    """The browser follows the app's redirect to the provider (real HTTP) and comes back with a code:
    returns the callback path on the app."""
    response = client.get(start)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(idp.issuer + "/authorize?")
    answer = requests.get(location, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = answer.headers["Location"]
    assert back.startswith(CALLBACK + "?")
    return back[len("http://localhost"):]


def sign_in(client, idp, start="/sso/uni/login"):
    return client.get(_to_provider(client, idp, start))


def _events(name):
    return db.session.scalars(db.select(AuditEvent).filter_by(event=name).order_by(AuditEvent.id)).all()


def _signed_in_as(client):
    page = client.get("/profile")
    if page.status_code != 200:
        return None
    return page.get_data(as_text=True)


# ---- the whole flow ---------------------------------------------------------------------------

def test_first_sign_in_makes_an_account_and_a_session(client, sso):
    login_page = client.get("/login").get_data(as_text=True)
    button = re.search(r'<a [^>]*href="/sso/uni/login"[^>]*>([^<]*)</a>', login_page)
    assert button and button.group(1) == f"Sign in with {LABEL}"
    assert 'hx-boost="false"' in button.group(0)  # a full page visit: htmx cannot follow a redirect to the provider

    response = sign_in(client, sso)
    assert response.status_code == 303 and response.headers["Location"] == "/home"
    home = client.get("/home").get_data(as_text=True)
    assert "Nina Newcomer" in home and f"signed in with {LABEL}" in home

    user = db.session.scalar(db.select(User).filter_by(email="nina@uni.example"))
    assert user.name == "Nina Newcomer" and not user.is_teacher and not user.sso_only
    assert user.password_hash == ""  # no password: this person signs in through the university
    identity = db.session.scalar(db.select(ExternalIdentity).filter_by(provider="uni"))
    assert (identity.subject, identity.user_id, identity.email) == ("nina-0001", user.id, "nina@uni.example")
    event = _events("sso_login")[-1]
    assert event.user_id == user.id and event.detail["how"] == "created" and event.detail["provider"] == "uni"
    assert _events("login")[-1].user_id == user.id  # the same session start as a password login

    # What went over the wire: state, nonce and an S256 PKCE challenge, then the verifier with the code.
    asked = sso.seen("/authorize")[-1]
    assert asked["code_challenge_method"] == "S256" and asked["code_challenge"] and asked["nonce"]
    assert asked["state"] and asked["client_id"] == CLIENT_ID and asked["scope"] == "openid email profile"
    exchanged = sso.seen("/token")[-1]
    assert exchanged["code_verifier"] and exchanged["grant_type"] == "authorization_code"
    assert sso.seen("/userinfo")


def test_a_second_sign_in_finds_the_same_account_by_subject(client, sso):
    sign_in(client, sso)
    client.logout()
    sso.people["nina"]["email"] = "n.newcomer@uni.example"  # the address changed at the university
    assert sign_in(client, sso).status_code == 303
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 1
    assert _events("sso_login")[-1].detail["how"] == "returning"
    identity = db.session.scalar(db.select(ExternalIdentity))
    assert identity.email == "n.newcomer@uni.example" and identity.user.email == "nina@uni.example"


def test_the_page_asked_for_before_signing_in_opens_afterwards(client, sso, world):
    response = sign_in(client, sso, start="/sso/uni/login?next=/profile")
    assert response.headers["Location"] == "/profile"


def test_links_to_an_existing_account_with_the_same_verified_address(client, sso):
    existing = factories.create_user("Nina Oldname", email="Nina@uni.example")
    db.session.commit()
    assert sign_in(client, sso).status_code == 303
    assert "Nina Oldname" in _signed_in_as(client)
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 1
    identity = db.session.scalar(db.select(ExternalIdentity))
    assert identity.user_id == existing.id
    assert _events("sso_login")[-1].detail["how"] == "linked"
    client.logout()
    client.login(existing)  # the password still works for a person not limited to SSO


def test_an_unverified_address_never_reaches_an_existing_account(client, sso):
    factories.create_user("Nina Oldname", email="nina@uni.example")
    db.session.commit()
    sso.people["nina"]["email_verified"] = False
    response = sign_in(client, sso)
    assert response.status_code == 403
    assert "is not verified" in response.get_data(as_text=True)
    assert _signed_in_as(client) is None
    assert db.session.scalar(db.select(ExternalIdentity)) is None
    event = _events("sso_refused")[-1]
    assert event.detail["reason"] == "unverified_email" and event.detail["email"] == "nina@uni.example"


def test_an_unverified_address_makes_no_account_either(client, sso):
    sso.people["nina"].pop("email_verified")
    assert sign_in(client, sso).status_code == 403
    assert db.session.scalar(db.select(User)) is None


def test_an_operator_may_trust_the_addresses_of_a_provider(client, sso, configure):
    configure(OIDC_UNI_TRUST_EMAIL="1")
    sso.people["nina"].pop("email_verified")
    assert sign_in(client, sso).status_code == 303
    assert db.session.scalar(db.select(User)).email == "nina@uni.example"


def test_without_an_address_nobody_is_signed_in(client, sso):
    sso.people["nina"].pop("email")
    response = sign_in(client, sso)
    assert response.status_code == 403 and "did not share your e-mail address" in response.get_data(as_text=True)
    assert _events("sso_refused")[-1].detail["reason"] == "no_email"


def test_a_deactivated_account_stays_out(client, sso):
    factories.create_user("Nina", email="nina@uni.example", active=False)
    db.session.commit()
    response = sign_in(client, sso)
    assert response.status_code == 403 and "deactivated" in response.get_data(as_text=True)


# ---- what is refused --------------------------------------------------------------------------

def test_a_wrong_state_is_refused(client, sso):
    path = _to_provider(client, sso)
    query = parse_qs(urlsplit(path).query)
    response = client.get(f"/sso/uni/callback?code={query['code'][0]}&state=forged-state")
    assert response.status_code == 400
    assert "Please start again" in response.get_data(as_text=True)
    assert _signed_in_as(client) is None
    assert _events("sso_refused")[-1].detail["reason"] == "state"
    assert not sso.seen("/token")  # the code never left the app


def test_a_callback_from_another_browser_is_refused(client, app, sso):
    path = _to_provider(client, sso)
    other = app.test_client()  # no state in this browser's session: a code pushed into someone else's login
    assert other.get(path).status_code == 400
    assert _events("sso_refused")[-1].detail["reason"] == "state"


def test_a_replayed_code_is_refused_by_the_provider(client, sso):
    path = _to_provider(client, sso)
    cookie = client.get_cookie("session").value  # the session holding state, nonce and PKCE verifier
    assert client.get(path).status_code == 303
    client.logout()
    client.set_cookie("session", cookie)  # replay the whole request, cookie and all
    response = client.get(path)
    assert response.status_code == 400
    assert _signed_in_as(client) is None
    assert _events("sso_refused")[-1].detail["reason"] == "token"
    assert len(sso.seen("/token")) == 2  # the provider was asked twice and refused the second time


def test_an_expired_id_token_is_refused(client, sso):
    sso.id_token_changes = {"exp": expired, "iat": lambda claims: claims["iat"] - 7200}
    response = sign_in(client, sso)
    assert response.status_code == 400
    assert _signed_in_as(client) is None
    assert _events("sso_refused")[-1].detail["reason"] == "id_token_expired"


def test_an_id_token_for_another_client_is_refused(client, sso):
    # A token issued to another application; azp names us, which Authlib alone would accept.
    sso.id_token_changes = {"aud": ["another-application"], "azp": CLIENT_ID}
    response = sign_in(client, sso)
    assert response.status_code == 400
    assert _signed_in_as(client) is None
    assert _events("sso_refused")[-1].detail["reason"] == "id_token"


def test_an_id_token_from_another_issuer_is_refused(client, sso):
    sso.id_token_changes = {"iss": "https://evil.example"}
    assert sign_in(client, sso).status_code == 400
    assert _events("sso_refused")[-1].detail["reason"] == "id_token"


def test_a_nonce_from_another_request_is_refused(client, sso):
    sso.id_token_changes = {"nonce": "someone-elses-nonce"}
    assert sign_in(client, sso).status_code == 400
    assert _events("sso_refused")[-1].detail["reason"] == "id_token"


def test_a_signature_by_another_key_is_refused(client, sso):
    from Cryptodome.PublicKey import RSA
    from jwkest.jwk import RSAKey

    real_key = sso.key
    sso.key = RSAKey(key=RSA.generate(2048), alg="RS256", kid=real_key.kid)  # signs, but is not in the JWKS
    sso.id_token_changes = {"name": "Mallory"}
    try:
        assert sign_in(client, sso).status_code == 400
    finally:
        sso.key = real_key
    assert _events("sso_refused")[-1].detail["reason"] == "id_token"


def test_cancelled_at_the_provider(client, sso):
    path = _to_provider(client, sso)
    state = parse_qs(urlsplit(path).query)["state"][0]
    response = client.get(f"/sso/uni/callback?error=access_denied&state={state}")
    assert response.status_code == 400 and "cancelled" in response.get_data(as_text=True)
    event = _events("sso_refused")[-1]
    assert event.detail["reason"] == "provider_error" and event.detail["error"] == "access_denied"


def test_an_unreachable_provider_gives_a_clear_page(client, app, monkeypatch):
    from .servers import free_port

    nobody = f"https://127.0.0.1:{free_port()}"  # a port nothing listens on
    monkeypatch.setitem(app.config, "OIDC_PROVIDERS", oidc_providers(
        {"OIDC_PROVIDERS": "uni", "OIDC_UNI_ISSUER": nobody, "OIDC_UNI_CLIENT_ID": CLIENT_ID}))
    response = client.get("/sso/uni/login")
    assert response.status_code == 502 and "could not be reached" in response.get_data(as_text=True)
    assert _events("sso_refused")[-1].detail["reason"] == "unreachable"


def test_a_discovery_document_for_another_issuer_is_refused(client, sso, configure):
    configure(OIDC_UNI_ISSUER=sso.issuer.replace("127.0.0.1", "localhost"))  # the same server, another name
    response = client.get("/sso/uni/login")
    assert response.status_code == 502 and "could not be trusted" in response.get_data(as_text=True)
    assert _events("sso_refused")[-1].detail["reason"] == "issuer_mismatch"


def test_a_provider_that_is_not_configured(client):
    assert "Sign in with" not in client.get("/login").get_data(as_text=True)
    response = client.get("/sso/uni/login", follow_redirects=True)
    assert "not set up here" in response.get_data(as_text=True)
    assert client.get("/sso/uni/callback?code=x&state=y").status_code == 302


# ---- invitations and teachers -----------------------------------------------------------------

def test_an_open_invitation_for_the_address_is_applied(client, sso, world):
    _token, digest = new_token()
    invitation = Invitation(token_hash=digest, email="NINA@uni.example", role="student", course=world.course,
                            project=world.project, invited_by=world.teacher, expires_at=utcnow() + timedelta(days=3))
    db.session.add(invitation)
    db.session.commit()
    assert sign_in(client, sso).status_code == 303
    user = db.session.scalar(db.select(User).filter_by(email="nina@uni.example"))
    member = db.session.scalar(db.select(ProjectMember).filter_by(project_id=world.project.id, user_id=user.id))
    assert member is not None and member.role == "student"
    db.session.refresh(invitation)
    assert invitation.accepted_by_id == user.id
    assert client.get(f"/projects/{world.project.id}").status_code == 200
    assert _events("invitation_accepted")[-1].detail["via"] == "sso"


def test_an_expired_invitation_is_not_applied(client, sso, world):
    _token, digest = new_token()
    db.session.add(Invitation(token_hash=digest, email="nina@uni.example", role="student", course=world.course,
                              project=world.project, expires_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    sign_in(client, sso)
    user = db.session.scalar(db.select(User).filter_by(email="nina@uni.example"))
    assert db.session.scalar(db.select(ProjectMember).filter_by(user_id=user.id)) is None


@pytest.mark.parametrize("affiliation", [["staff"], "faculty", ["member", "staff@uni.example"]])
def test_a_staff_affiliation_makes_a_teacher(client, sso, affiliation):
    sso.people["nina"]["eduperson_affiliation"] = affiliation
    sign_in(client, sso)
    assert db.session.scalar(db.select(User)).is_teacher
    assert client.get("/courses/new").status_code == 200


def test_without_teacher_affiliations_configured_nobody_becomes_a_teacher(client, sso, configure):
    configure(OIDC_UNI_TEACHER_AFFILIATIONS="")
    sso.people["nina"]["eduperson_affiliation"] = ["staff"]
    sign_in(client, sso)
    assert not db.session.scalar(db.select(User)).is_teacher


# ---- sessions as with a password; SSO only ----------------------------------------------------

def test_logout_ends_the_sso_session_everywhere(client, sso):
    sign_in(client, sso)
    cookie = client.get_cookie("session").value
    client.logout()
    assert _signed_in_as(client) is None
    client.set_cookie("session", cookie)  # a copy of the cookie saved before the logout
    response = client.get("/profile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_sso_session_ends_after_the_idle_time(client, sso, monkeypatch):
    moment = {"t": 1_800_000_000.0}
    monkeypatch.setattr(sessions, "now", lambda: moment["t"])
    sign_in(client, sso)
    assert _signed_in_as(client)
    moment["t"] += 31 * 60
    response = client.get("/profile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _events("session_idle")


@pytest.fixture
def sso_only_user(sso):
    user = factories.create_user("Sol Only", email="sol@uni.example", sso_only=True)
    db.session.commit()
    return user


def test_sso_only_refuses_the_password(client, sso_only_user):
    response = client.post("/login", data={"email": "sol@uni.example", "password": PASSWORD,
                                           "csrf_token": client.csrf_token("/login")})
    assert response.status_code == 422
    assert f"signs in only with the institution account ({LABEL})" in response.get_data(as_text=True)
    assert _signed_in_as(client) is None
    assert _events("sso_only_refused")[-1].detail["via"] == "password"
    assert _events("sso_only_refused")[-1].user_id == sso_only_user.id


def test_sso_only_a_wrong_password_says_nothing_more(client, sso_only_user):
    response = client.post("/login", data={"email": "sol@uni.example", "password": "wrong-password-1",
                                           "csrf_token": client.csrf_token("/login")})
    page = response.get_data(as_text=True)
    assert "do not match" in page and "signs in only" not in page
    assert not _events("sso_only_refused")


def test_sso_only_gets_no_reset_link_but_an_explanation(client, sso_only_user, sent_mail):
    response = client.post_form("/password/forgot", {"email": "sol@uni.example"}, token_from="/password/forgot")
    assert response.status_code == 303
    assert "/password/reset/" not in sent_mail[-1]["body"]
    assert "signs in only with the institution account" in sent_mail[-1]["body"]
    assert _events("sso_only_refused")[-1].detail["via"] == "password_reset"


def test_sso_only_gets_no_sign_in_link(client, sso_only_user, sent_mail):
    client.post_form("/login/link", {"email": "sol@uni.example"}, token_from="/login/link")
    assert "/login/link/" not in sent_mail[-1]["body"]
    assert _events("sso_only_refused")[-1].detail["via"] == "sign_in_link"


def test_links_sent_before_the_switch_stop_working(client, sso_only_user, sent_mail):
    sso_only_user.sso_only = False
    db.session.commit()
    client.post_form("/password/forgot", {"email": "sol@uni.example"}, token_from="/password/forgot")
    client.post_form("/login/link", {"email": "sol@uni.example"}, token_from="/login/link")
    reset, link = (mail["body"].split("http://localhost")[1].split()[0] for mail in sent_mail[-2:])
    sso_only_user.sso_only = True
    db.session.commit()
    response = client.get(reset)
    assert response.status_code == 403 and "institution account" in response.get_data(as_text=True)
    response = client.post_form(link, {}, token_from=link)
    assert response.status_code == 410 and "institution account" in response.get_data(as_text=True)
    assert [e.detail["via"] for e in _events("sso_only_refused")] == ["password_reset", "sign_in_link"]


def test_sso_only_signs_in_with_the_university(client, sso, sso_only_user):
    sso.people["nina"]["email"] = "sol@uni.example"
    assert sign_in(client, sso).status_code == 303
    assert "Sol Only" in _signed_in_as(client)


def test_the_admin_limits_a_person_to_sso(client, sso, world):
    sign_in(client, sso)  # Nina, linked to the university
    nina = db.session.scalar(db.select(User).filter_by(email="nina@uni.example"))
    client.login(world.admin)
    linked = " ".join(client.get(f"/admin/users/{nina.id}").get_data(as_text=True).split())
    assert f"Signs in with an institution account: {LABEL} (last used" in linked
    page = client.get(f"/admin/users/{world.student.id}").get_data(as_text=True)
    assert "Sign in only with the institution account" in page
    assert "Has not signed in with an institution account" in page
    response = client.post_form(f"/admin/users/{world.student.id}", {
        "name": world.student.name, "active": "y", "sso_only": "y"}, token_from=f"/admin/users/{world.student.id}")
    assert response.status_code == 303
    db.session.refresh(world.student)
    assert world.student.sso_only
    client.delete_cookie("session")
    response = client.post("/login", data={"email": world.student.email, "password": PASSWORD,
                                           "csrf_token": client.csrf_token("/login")})
    assert response.status_code == 422


def test_the_admin_cannot_limit_to_sso_without_a_provider(client, world):
    client.login(world.admin)
    page = client.get(f"/admin/users/{world.student.id}").get_data(as_text=True)
    assert "Sign in only with the institution account" not in page
    response = client.post_form(f"/admin/users/{world.student.id}", {
        "name": world.student.name, "active": "y", "sso_only": "y"}, token_from=f"/admin/users/{world.student.id}")
    assert response.status_code == 422
    db.session.refresh(world.student)
    assert not world.student.sso_only


# ---- configuration ----------------------------------------------------------------------------

def test_providers_come_from_the_environment():
    providers = oidc_providers({
        "OIDC_PROVIDERS": "surf, entra", "OIDC_SURF_ISSUER": "https://connect.surfconext.nl",
        "OIDC_SURF_CLIENT_ID": "ws", "OIDC_SURF_TEACHER_AFFILIATIONS": "staff,faculty",
        "OIDC_SURF_AFFILIATION_CLAIM": "eduperson_affiliation", "OIDC_SURF_LABEL": "University of X",
        "OIDC_ENTRA_ISSUER": "https://login.microsoftonline.com/t/v2.0", "OIDC_ENTRA_CLIENT_ID": "e",
        "OIDC_ENTRA_CLIENT_SECRET": "s", "OIDC_ENTRA_SCOPES": "openid email",
    })
    assert list(providers) == ["surf", "entra"]
    surf, entra = providers["surf"], providers["entra"]
    assert surf["scopes"] == "openid email profile" and surf["email_claim"] == "email"
    assert surf["teacher_affiliations"] == ("staff", "faculty") and surf["label"] == "University of X"
    assert entra["scopes"] == "openid email" and entra["teacher_affiliations"] == () and entra["label"] == "entra"
    assert oidc_providers({}) == {}
    with pytest.raises(RuntimeError):
        oidc_providers({"OIDC_PROVIDERS": "surf"})
    with pytest.raises(RuntimeError):
        oidc_providers({"OIDC_PROVIDERS": "a/b", "OIDC_A/B_ISSUER": "x", "OIDC_A/B_CLIENT_ID": "y"})
