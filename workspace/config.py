"""Configuration read from the environment; SQLite under instance/ when DATABASE_URL is unset."""
import os
from datetime import timedelta

from . import jsonvalues


def _database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "workspace.db")
    # Accept the common short forms and always talk to PostgreSQL through psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def oidc_providers(env=os.environ) -> dict:
    """OpenID Connect providers: OIDC_PROVIDERS=surf,entra and OIDC_<NAME>_ISSUER, _CLIENT_ID, ... per provider."""
    providers = {}
    for name in (part.strip().lower() for part in env.get("OIDC_PROVIDERS", "").split(",")):
        if not name:
            continue
        if not name.replace("_", "").isalnum() or not name.isascii():
            raise RuntimeError(f"OIDC_PROVIDERS: {name!r} is not a name of letters, digits and _")

        def setting(key, default="", prefix=f"OIDC_{name.upper()}_"):
            return env.get(prefix + key, default).strip() or default

        issuer, client_id = setting("ISSUER"), setting("CLIENT_ID")
        if not issuer or not client_id:
            raise RuntimeError(f"OIDC_{name.upper()}_ISSUER and OIDC_{name.upper()}_CLIENT_ID must be set")
        providers[name] = {
            "issuer": issuer,
            "client_id": client_id,
            "client_secret": setting("CLIENT_SECRET"),
            "scopes": setting("SCOPES", "openid email profile"),
            "email_claim": setting("EMAIL_CLAIM", "email"),
            "trust_email": setting("TRUST_EMAIL", "0").lower() in ("1", "true", "yes"),
            "affiliation_claim": setting("AFFILIATION_CLAIM"),
            "teacher_affiliations": tuple(
                value.strip().lower() for value in setting("TEACHER_AFFILIATIONS").split(",") if value.strip()),
            "label": setting("LABEL", name),
        }
    return providers


class Config:
    """Production-leaning defaults; every secret and address comes from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SQLALCHEMY_DATABASE_URI = None  # set in create_app from DATABASE_URL
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "json_serializer": jsonvalues.dumps,
                                 "json_deserializer": jsonvalues.loads}
    WTF_CSRF_TIME_LIMIT = None  # open pages keep working; the token is bound to the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # The cookie is written when the session changes (signing in, a flash, the last-seen time at most once a
    # minute: auth/sessions.py), not on every answer: an unchanged copy sent back by a slow answer (an icon, a
    # poll) could land after a logout's and put the old session back in the browser, losing the logout's message.
    SESSION_REFRESH_EACH_REQUEST = False
    MAX_CONTENT_LENGTH = 30 * 1024 * 1024
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"
    BABEL_TRANSLATION_DIRECTORIES = os.path.join(os.path.dirname(__file__), "translations")
    INVITATION_DAYS = int(os.environ.get("INVITATION_DAYS", "14"))
    PASSWORD_RESET_MINUTES = int(os.environ.get("PASSWORD_RESET_MINUTES", "60"))
    # How long the links of an e-mail change (confirm at the new address, cancel at the old one) work.
    EMAIL_CHANGE_HOURS = int(os.environ.get("EMAIL_CHANGE_HOURS", "24"))
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "1") not in ("0", "false", "no")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "workspace@localhost")
    MAIL_BACKEND = "smtp" if os.environ.get("MAIL_SERVER") else "log"
    # Notification e-mails are delivered by the mail sender (`flask send-mail --watch 5`, a service of its
    # own in deploy/), not by the worker that answered the action; without the sender, the five-minute
    # `flask send-mail` takes them. Mail a person waits for (sign-in links, resets) still goes at once.
    NOTIFICATION_MAIL_BY_SENDER = os.environ.get("NOTIFICATION_MAIL_BY_SENDER", "1") not in ("0", "false", "no")
    PAGE_SIZE = 25
    # Where people reach the workspace: used for links in e-mails sent outside a request (cron).
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    # Running it in production (README "Running it in production", workspace/ops, workspace/startup.py).
    REDIS_URL = os.environ.get("REDIS_URL", "")
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))  # reverse proxies in front (nginx: 1)
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")  # or "json"
    METRICS_ALLOWED_IPS = os.environ.get("METRICS_ALLOWED_IPS", "127.0.0.1,::1")
    # Sign-in with the university account (OpenID Connect): {name: settings}, see oidc_providers().
    OIDC_PROVIDERS = oidc_providers()


class DevelopmentConfig(Config):
    """`make run` on a laptop: plain HTTP, so cookies may not be Secure."""

    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    MAIL_LOG_BODY = True  # without MAIL_SERVER, mail bodies (with their links) go to the log
    # No mail sender runs beside `make run`: notifications go right after the request.
    NOTIFICATION_MAIL_BY_SENDER = os.environ.get("NOTIFICATION_MAIL_BY_SENDER", "0") not in ("0", "false", "no")


class TestConfig(DevelopmentConfig):
    """The test suite: mail captured in memory, a fixed key."""

    TESTING = True
    SECRET_KEY = "test-secret-key"
    MAIL_BACKEND = "memory"
    NOTIFICATION_MAIL_BY_SENDER = False  # a test that wants the sender turns it on
    SERVER_NAME = None
    OIDC_PROVIDERS = {}  # a test configures the provider it starts


CONFIGS = {"production": Config, "development": DevelopmentConfig, "testing": TestConfig}
