"""A learning platform simulator for the LTI tests, on loopback over real HTTP.

It holds an RSA key (jwcrypto) and serves, from a werkzeug server in a thread on a free port:
  /jwks            the platform's public key set (the tool checks launches against it)
  /auth            the OIDC authorisation endpoint: answers the tool's login redirect with a signed id_token
  /token           OAuth2 client credentials: verifies the tool's client assertion against the tool's JWKS
  /nrps/<context>  Names and Role Provisioning: the members of a context, for a valid access token
  /deep-link-return  checks a deep-linking response against the tool's JWKS and says what it holds
"""
import html
import json
import re
import secrets
import threading
import time
from urllib.parse import parse_qs, urlsplit

import requests
from jwcrypto.jwk import JWK, JWKSet
from jwcrypto.jwt import JWT
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from workspace.extensions import db
from workspace.models import LtiDeployment, LtiPlatform

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
FIELD_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def new_key(kid: str) -> JWK:
    return JWK.generate(kty="RSA", size=2048, kid=kid, alg="RS256", use="sig")


def sign(claims: dict, key: JWK) -> str:
    token = JWT(header={"alg": "RS256", "kid": key.get("kid"), "typ": "JWT"}, claims=claims)
    token.make_signed_token(key)
    return token.serialize()


def verify(token: str, jwks: dict) -> dict:
    """The claims of a JWT signed by one of the keys in `jwks` (raises when the signature is wrong)."""
    checked = JWT(jwt=token, key=JWKSet.from_json(json.dumps(jwks)), expected_type="JWS")
    return json.loads(checked.claims)


class Platform:
    """One platform (issuer) with one client id for the tool; its people and classes are set by the tests."""

    client_id = "workspace-tool"
    deployment_id = "deployment-1"

    def __init__(self):
        self.key = new_key("platform-key-1")
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.base = f"http://127.0.0.1:{self._server.server_port}"
        self.issuer = self.base
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.reset()

    def reset(self):
        self.tool_jwks = None  # the tests hand over the tool's /lti/jwks.json
        self.members: dict[str, list] = {}
        self.hints: dict[str, dict] = {}
        self.tokens: set[str] = set()
        self.token_requests: list[dict] = []
        self.deep_link_answers: list[dict] = []

    def stop(self):
        self._server.shutdown()

    # ---- what the operator registers in the tool
    @property
    def auth_login_url(self):
        return f"{self.base}/auth"

    @property
    def auth_token_url(self):
        return f"{self.base}/token"

    @property
    def key_set_url(self):
        return f"{self.base}/jwks"

    def memberships_url(self, context_id):
        return f"{self.base}/nrps/{context_id}"

    def register(self, deployment_ids=(deployment_id,), name="Test platform") -> LtiPlatform:
        """The registration rows, as `flask lti-register` would write them."""
        platform = LtiPlatform(name=name, issuer=self.issuer, client_id=self.client_id, auth_login_url=self.auth_login_url,
                               auth_token_url=self.auth_token_url, key_set_url=self.key_set_url)
        platform.deployments = [LtiDeployment(deployment_id=d) for d in deployment_ids]
        db.session.add(platform)
        db.session.commit()
        return platform

    # ---- people and launches
    @staticmethod
    def person(sub, name, roles, email=None):
        return {"sub": sub, "name": name, "roles": roles, "email": email}

    def initiation(self, person, context=("course-101", "Community Lab 2026"), message="LtiResourceLinkRequest",
                   deployment_id=None, custom=None, key=None) -> dict:
        """The third-party login initiation the platform sends the tool; remembers the launch to sign."""
        hint = secrets.token_hex(8)
        self.hints[hint] = {"person": person, "context": context, "message": message, "custom": custom or {},
                            "deployment_id": deployment_id or self.deployment_id, "key": key or self.key}
        return {"iss": self.issuer, "login_hint": hint, "target_link_uri": "", "lti_message_hint": hint,
                "client_id": self.client_id, "lti_deployment_id": deployment_id or self.deployment_id}

    def claims(self, hint: dict, nonce: str, redirect_uri: str) -> dict:
        person, now = hint["person"], int(time.time())
        claims = {
            "iss": self.issuer, "aud": self.client_id, "sub": person["sub"], "iat": now, "exp": now + 300,
            "nonce": nonce, "name": person["name"],
            LTI + "version": "1.3.0", LTI + "message_type": hint["message"],
            LTI + "deployment_id": hint["deployment_id"], LTI + "target_link_uri": redirect_uri,
            LTI + "roles": person["roles"],
        }
        if person.get("email"):
            claims["email"] = person["email"]
        if hint["context"]:
            context_id, title = hint["context"]
            claims[LTI + "context"] = {"id": context_id, "title": title, "label": title[:12]}
            claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"] = {
                "context_memberships_url": self.memberships_url(context_id), "service_versions": ["2.0"]}
        if hint["custom"]:
            claims[LTI + "custom"] = hint["custom"]
        if hint["message"] == "LtiResourceLinkRequest":
            claims[LTI + "resource_link"] = {"id": "link-1", "title": "Co-creation workspace"}
        else:
            claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "deep_link_return_url": f"{self.base}/deep-link-return", "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"], "data": "platform-data-7"}
        return claims

    def authorize(self, location: str) -> dict:
        """Follow the tool's redirect to /auth over HTTP, like the browser; returns the form the platform posts back."""
        response = requests.get(location, timeout=10)
        assert response.status_code == 200, response.text
        return {name: html.unescape(value) for name, value in FIELD_RE.findall(response.text)}

    # ---- the HTTP side
    @Request.application
    def _wsgi(self, request: Request) -> Response:
        path = request.path
        if path == "/jwks":
            return self._json({"keys": [json.loads(self.key.export_public())]})
        if path == "/auth":
            return self._auth(request.args)
        if path == "/token" and request.method == "POST":
            return self._token(request.form)
        if path.startswith("/nrps/"):
            return self._nrps(request, path.removeprefix("/nrps/"))
        if path == "/deep-link-return" and request.method == "POST":
            claims = verify(request.form["JWT"], self.tool_jwks)
            self.deep_link_answers.append(claims)
            return self._json(claims)
        return Response("not found", status=404)

    @staticmethod
    def _json(body, status=200):
        return Response(json.dumps(body), status=status, mimetype="application/json")

    def _auth(self, args):
        hint = self.hints.get(args.get("login_hint", ""))
        if (hint is None or args.get("client_id") != self.client_id or args.get("response_type") != "id_token"
                or args.get("scope") != "openid" or not args.get("nonce") or not args.get("state")):
            return Response("bad authorisation request", status=400)
        token = sign(self.claims(hint, args["nonce"], args["redirect_uri"]), hint["key"])
        fields = "".join(f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
                         for name, value in (("id_token", token), ("state", args["state"])))
        return Response(f'<form method="post" action="{html.escape(args["redirect_uri"])}">{fields}</form>',
                        mimetype="text/html")

    def _token(self, form):
        self.token_requests.append(dict(form))
        if (form.get("grant_type") != "client_credentials"
                or form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"):
            return self._json({"error": "unsupported_grant_type"}, 400)
        try:
            claims = verify(form.get("client_assertion", ""), self.tool_jwks)
        except Exception:  # noqa: BLE001 -- any failure to verify is a refusal, as at a real platform
            return self._json({"error": "invalid_client"}, 401)
        if (claims.get("iss") != self.client_id or claims.get("sub") != self.client_id
                or claims.get("aud") != self.auth_token_url or claims.get("exp", 0) < time.time()):
            return self._json({"error": "invalid_client"}, 401)
        token = secrets.token_urlsafe(16)
        self.tokens.add(token)
        return self._json({"access_token": token, "token_type": "Bearer", "expires_in": 3600,
                           "scope": form.get("scope", "")})

    def _nrps(self, request, context_id):
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if bearer not in self.tokens:
            return self._json({"error": "invalid_token"}, 401)
        if context_id not in self.members:
            return Response("no such context", status=404)
        return self._json({"id": self.memberships_url(context_id), "context": {"id": context_id},
                           "members": self.members[context_id]})


def member(sub, name, roles, email=None, status="Active") -> dict:
    entry = {"user_id": sub, "name": name, "roles": roles, "status": status}
    if email:
        entry["email"] = email
    return entry


_running: list[Platform] = []
_lock = threading.Lock()


def running_platform() -> Platform:
    """The simulator of this test process, started on first use (also by the permission cases)."""
    with _lock:
        if not _running:
            _running.append(Platform())
        return _running[0]


def login_location_params(location: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
