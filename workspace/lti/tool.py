"""The glue to pylti1p3: registrations read from the database, the tool's key pair, and a launch
storage in the database whose nonces can be used once (the session storage would accept a replay)."""
import json
from datetime import timedelta
from functools import lru_cache

import requests
from flask import current_app
from jwcrypto.jwk import JWK
from pylti1p3.contrib.flask import FlaskCookieService, FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest, FlaskSessionService
from pylti1p3.deployment import Deployment
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import LtiDeployment, LtiLaunchValue, LtiPlatform, LtiToolKey
from ..models.base import utcnow

OUTBOUND_TIMEOUT = 10  # seconds for the platform's JWKS, token and roster endpoints
NONCE_MARK = "-nonce-"


# ---- the tool's key pair ---------------------------------------------------------------------

def _stored_key_pem() -> str:
    """Row 1 of lti_tool_key, made on first use (registering a platform) and stored with the request's commit."""
    query = db.select(LtiToolKey.private_key).where(LtiToolKey.id == 1)
    pem = db.session.scalar(query)
    if pem is not None:
        return pem
    fresh = JWK.generate(kty="RSA", size=2048).export_to_pem(private_key=True, password=None).decode()
    try:
        with db.session.begin_nested():
            db.session.add(LtiToolKey(id=1, private_key=fresh))
    except IntegrityError:
        pass  # another worker stored its key first: that one counts
    return db.session.scalar(query)


def private_key_pem() -> str:
    path = current_app.config.get("LTI_PRIVATE_KEY_FILE")
    if path:
        with open(path) as fh:
            return fh.read()
    return _stored_key_pem()


@lru_cache(maxsize=4)
def _public_parts(private_pem: str) -> tuple[str, dict]:
    key = JWK.from_pem(private_pem.encode())
    public = json.loads(key.export_public())
    public.update(kid=key.thumbprint(), alg="RS256", use="sig")
    return key.export_to_pem().decode(), public


def public_key_pem() -> str:
    return _public_parts(private_key_pem())[0]


def tool_jwks() -> dict:
    """The key set the platform checks our client assertions and deep-linking responses against."""
    return {"keys": [_public_parts(private_key_pem())[1]]}


# ---- registrations from the database ---------------------------------------------------------

def registration_of(platform: LtiPlatform) -> Registration:
    private_pem = private_key_pem()
    return (Registration().set_issuer(platform.issuer).set_client_id(platform.client_id)
            .set_key_set_url(platform.key_set_url).set_auth_login_url(platform.auth_login_url)
            .set_auth_token_url(platform.auth_token_url)
            .set_tool_private_key(private_pem).set_tool_public_key(_public_parts(private_pem)[0]))


def find_platform(issuer: str, client_id: str | None) -> LtiPlatform | None:
    """The registration of (issuer, client id); without a client id only when the issuer has one."""
    query = db.select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        return db.session.scalar(query.where(LtiPlatform.client_id == client_id))
    found = db.session.scalars(query.limit(2)).all()
    return found[0] if len(found) == 1 else None


class DatabaseToolConf(ToolConfAbstract):
    """Every issuer may have several client ids; registrations and deployments come from the tables."""

    def check_iss_has_one_client(self, iss):
        return False

    def check_iss_has_many_clients(self, iss):
        return True

    def find_registration_by_issuer(self, iss, *args, **kwargs):
        return self.find_registration_by_params(iss, None)

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        platform = find_platform(iss, client_id)
        return registration_of(platform) if platform is not None else None

    def find_deployment(self, iss, deployment_id):
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        platform = find_platform(iss, client_id)
        if platform is None:
            return None
        known = db.session.scalar(db.select(LtiDeployment.id).where(
            LtiDeployment.platform_id == platform.id, LtiDeployment.deployment_id == str(deployment_id)))
        return Deployment().set_deployment_id(deployment_id) if known else None


# ---- launch storage --------------------------------------------------------------------------

class DatabaseLaunchStorage(LaunchDataStorage):
    """State parameters, nonces and launch data in lti_launch_value, bound to the browser's
    lti1p3-session-id cookie. Checking a nonce deletes it: a replayed id_token is refused."""

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key):
        row = db.session.scalar(db.select(LtiLaunchValue.value).where(
            LtiLaunchValue.key == self._prepare_key(key)[:255], LtiLaunchValue.expires_at > utcnow()))
        return json.loads(row) if row is not None else None

    def set_value(self, key, value, exp=None):
        key = self._prepare_key(key)[:255]
        now = utcnow()
        db.session.execute(db.delete(LtiLaunchValue).where(
            (LtiLaunchValue.key == key) | (LtiLaunchValue.expires_at <= now)))
        db.session.add(LtiLaunchValue(key=key, value=json.dumps(value),
                                      expires_at=now + timedelta(seconds=exp or 86400)))
        db.session.flush()

    def check_value(self, key) -> bool:
        key = self._prepare_key(key)[:255]
        alive = (LtiLaunchValue.key == key) & (LtiLaunchValue.expires_at > utcnow())
        if NONCE_MARK in key:  # used up by the check: the same launch cannot be played again
            return db.session.execute(db.delete(LtiLaunchValue).where(alive)).rowcount == 1
        return db.session.scalar(db.select(LtiLaunchValue.id).where(alive)) is not None


class _PatientSession(requests.Session):
    """pylti1p3 calls the platform without a timeout; a silent platform must not hold a worker."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", OUTBOUND_TIMEOUT)
        return super().request(*args, **kwargs)


def outbound() -> requests.Session:
    session = _PatientSession()
    session.headers["User-Agent"] = "co-creation-workspace (LTI 1.3 tool)"
    return session


class _Services:
    """The request, cookie and session services pylti1p3 wants for one HTTP request."""

    def __init__(self):
        self.request = FlaskRequest()
        self.cookies = FlaskCookieService(self.request)
        self.sessions = FlaskSessionService(self.request)
        self.tool_conf = DatabaseToolConf()


def oidc_login() -> tuple[FlaskOIDCLogin, FlaskCookieService]:
    services = _Services()
    login = FlaskOIDCLogin(services.request, services.tool_conf, session_service=services.sessions,
                           cookie_service=services.cookies, launch_data_storage=DatabaseLaunchStorage())
    return login, services.cookies


def message_launch() -> tuple[FlaskMessageLaunch, FlaskCookieService]:
    services = _Services()
    launch = FlaskMessageLaunch(services.request, services.tool_conf, session_service=services.sessions,
                                cookie_service=services.cookies, launch_data_storage=DatabaseLaunchStorage(),
                                requests_session=outbound())
    return launch, services.cookies


def restored_launch(launch_id: str) -> FlaskMessageLaunch:
    """A launch verified earlier in this browser (LtiException when it is unknown or expired)."""
    services = _Services()
    return FlaskMessageLaunch.from_cache(launch_id, services.request, services.tool_conf,
                                         session_service=services.sessions, cookie_service=services.cookies,
                                         launch_data_storage=DatabaseLaunchStorage(), requests_session=outbound())
