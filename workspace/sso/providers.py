"""The configured OpenID Connect providers as Authlib clients, and the verified claims of a callback.

Authlib fetches a provider's discovery document once and keeps it in the client; the registry
is rebuilt whenever OIDC_PROVIDERS changes (a test, an operator's new settings on restart).
"""
import threading

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import current_app, request
from joserfc.errors import ExpiredTokenError, JoseError

TIMEOUT = 10  # seconds for every call to a provider: a slow provider must not hold a worker for long
_lock = threading.Lock()


class SignInFailed(Exception):
    """The provider's answer cannot be trusted or used; `reason` goes to the audit log."""

    def __init__(self, reason: str, error: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.error = error  # the provider's own error code (access_denied...), if it sent one


def configured() -> dict:
    return current_app.config.get("OIDC_PROVIDERS") or {}


def settings(name: str) -> dict | None:
    return configured().get(name)


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def client(name: str):
    """The Authlib client of a configured provider, or None for a name that is not configured."""
    providers = configured()
    if name not in providers:
        return None
    app = current_app._get_current_object()
    fingerprint = repr(sorted(providers.items()))
    with _lock:
        built, oauth = app.extensions.get("sso", (None, None))
        if built != fingerprint:
            oauth = OAuth(app)
            for key, conf in providers.items():
                oauth.register(
                    key, client_id=conf["client_id"], client_secret=conf["client_secret"] or None,
                    server_metadata_url=discovery_url(conf["issuer"]),
                    client_kwargs={
                        "scope": conf["scopes"], "code_challenge_method": "S256", "default_timeout": TIMEOUT,
                        # Without a secret the client is public: PKCE alone protects the code.
                        "token_endpoint_auth_method": "client_secret_basic" if conf["client_secret"] else "none",
                    },
                )
            app.extensions["sso"] = (fingerprint, oauth)
    return oauth.create_client(name)


def checked_metadata(remote, conf: dict) -> dict:
    """The discovery document, fetched once; it must name the configured issuer (OpenID Connect Discovery 4.3)."""
    try:
        metadata = remote.load_server_metadata()
    except (requests.RequestException, ValueError):
        raise SignInFailed("unreachable") from None
    if str(metadata.get("issuer", "")).rstrip("/") != conf["issuer"].rstrip("/"):
        raise SignInFailed("issuer_mismatch")
    return metadata


def verified_claims(remote, conf: dict) -> dict:
    """Exchange the callback's code: state, PKCE, and the ID token's signature, iss, aud, exp and nonce
    are checked; the userinfo endpoint's claims are added when it is for the same subject."""
    metadata = checked_metadata(remote, conf)
    try:
        # Authlib checks aud only through azp; name the audience so a token for another client never passes.
        token = remote.authorize_access_token(claims_options={
            "iss": {"essential": True, "values": [metadata["issuer"]]},
            "aud": {"essential": True, "values": [conf["client_id"]]},
        })
        claims = dict(token.get("userinfo") or {})
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject or len(subject) > 255:  # OpenID Connect Core 2
            raise SignInFailed("no_id_token")
        if metadata.get("userinfo_endpoint"):
            more = dict(remote.userinfo(token=token))
            if more.get("sub") != claims["sub"]:
                raise SignInFailed("userinfo_subject")
            claims = {**more, **claims}
        return claims
    except MismatchingStateError:
        raise SignInFailed("state") from None
    except OAuthError as error:
        # An error in the callback's query is the provider's (the person cancelled); else the token endpoint's.
        raise SignInFailed("provider_error" if request.args.get("error") else "token", error.error or "") from None
    except ExpiredTokenError:
        raise SignInFailed("id_token_expired") from None
    except (JoseError, ValueError) as error:
        raise SignInFailed("id_token", type(error).__name__) from None
    except requests.RequestException:
        raise SignInFailed("unreachable") from None
