"""A real OpenID Connect provider for the SSO tests: pyop behind werkzeug on a free loopback port.

It serves discovery, JWKS, authorize, token and userinfo over HTTPS (a certificate made for the run;
`ca_bundle` is the file to trust, e.g. as REQUESTS_CA_BUNDLE) and signs ID tokens with RS256.
There is no login form: `provider.person` says who is signed in at the provider, and the authorize
endpoint answers at once with a code, as an identity provider does for someone with a session.
`provider.id_token_changes` alters the next ID tokens' claims (re-signed with the same key) to act a
provider that is wrong or attacked: an expired token, another audience.
"""
import base64
import datetime
import ipaddress
import json
import os
import ssl
import tempfile
import threading
import time
from urllib.parse import parse_qsl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from Cryptodome.PublicKey import RSA
from jwkest.jwk import RSAKey
from jwkest.jws import JWS
from pyop.authz_state import AuthorizationState
from pyop.exceptions import BearerTokenError, InvalidAuthenticationRequest, OAuthError
from pyop.provider import Provider
from pyop.subject_identifier import HashBasedSubjectIdentifierFactory
from pyop.userinfo import Userinfo
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from .servers import free_port

CLIENT_ID, CLIENT_SECRET = "workspace-test", "client-secret-for-tests"
PEOPLE = {
    "nina": {"sub": "nina-0001", "name": "Nina Newcomer", "given_name": "Nina", "family_name": "Newcomer",
             "email": "nina@uni.example", "email_verified": True, "eduperson_affiliation": ["student", "member"]},
}


class OIDCProvider:
    def __init__(self, redirect_uris):
        self.port = free_port()
        self.issuer = f"https://127.0.0.1:{self.port}"  # OpenID Connect wants HTTPS, and so does pyop
        self.key = RSAKey(key=RSA.generate(2048), alg="RS256", kid="test-key-1")
        self.people = {name: dict(claims) for name, claims in PEOPLE.items()}
        self.person = "nina"
        self.id_token_changes = {}
        self.requests = []  # (path, query or form) of every request, to see what the app sent
        self.provider = Provider(
            self.key,
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "jwks_uri": f"{self.issuer}/jwks",
                "scopes_supported": ["openid", "email", "profile"],
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                "code_challenge_methods_supported": ["S256"],
            },
            AuthorizationState(HashBasedSubjectIdentifierFactory("salt")),
            {CLIENT_ID: {"client_secret": CLIENT_SECRET, "redirect_uris": list(redirect_uris),
                         "response_types": ["code"], "token_endpoint_auth_method": "client_secret_basic"}},
            Userinfo(self.people),
        )
        self.directory = tempfile.TemporaryDirectory()
        self.ca_bundle, tls = _certificate(self.directory.name)
        self.server = make_server("127.0.0.1", self.port, self.wsgi, threaded=True, ssl_context=tls)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
        self.directory.cleanup()

    # ---- the endpoints -----------------------------------------------------------------------

    def wsgi(self, environ, start_response):
        request = Request(environ)
        body = request.get_data(as_text=True)  # read once here: the handlers give pyop the raw body
        self.requests.append((request.path, dict(parse_qsl(body)) if body else request.args.to_dict()))
        handler = {
            "/.well-known/openid-configuration": lambda r: _json(self.provider.provider_configuration.to_dict()),
            "/jwks": lambda r: _json(self.provider.jwks),
            "/authorize": self.authorize,
            "/token": self.token,
            "/userinfo": self.userinfo,
        }.get(request.path)
        response = handler(request) if handler else Response("not found", 404)
        return response(environ, start_response)

    def authorize(self, request):
        try:
            auth_request = self.provider.parse_authentication_request(request.query_string.decode())
        except InvalidAuthenticationRequest as error:
            return Response(str(error), 400)
        answer = self.provider.authorize(auth_request, self.person)
        return Response(status=302, headers={"Location": answer.request(auth_request["redirect_uri"])})

    def token(self, request):
        try:
            answer = self.provider.handle_token_request(
                request.get_data(as_text=True), dict(request.headers),
                extra_id_token_claims=lambda user, client: {
                    "eduperson_affiliation": self.people[user].get("eduperson_affiliation", [])},
            )
        except OAuthError as error:
            return _json({"error": error.oauth_error, "error_description": str(error)}, 400)
        body = answer.to_dict()
        if self.id_token_changes:
            body["id_token"] = self._altered(body["id_token"])
        return _json(body)

    def userinfo(self, request):
        try:
            answer = self.provider.handle_userinfo_request(request.get_data(as_text=True), dict(request.headers))
        except (BearerTokenError, OAuthError) as error:
            return _json({"error": "invalid_token", "error_description": str(error)}, 401)
        return _json(answer.to_dict())

    def _altered(self, id_token: str) -> str:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims.update({key: value(claims) if callable(value) else value for key, value in self.id_token_changes.items()})
        return JWS(json.dumps(claims), alg="RS256").sign_compact([self.key])

    # ---- what the tests read and set -----------------------------------------------------------

    def reset(self):
        """Everyone as in PEOPLE, Nina signed in, tokens as pyop makes them (pyop holds `people`)."""
        self.people.clear()
        self.people.update({name: dict(claims) for name, claims in PEOPLE.items()})
        self.person, self.id_token_changes = "nina", {}
        self.requests.clear()

    def seen(self, path: str) -> list[dict]:
        return [params for seen_path, params in self.requests if seen_path == path]


def expired(claims):
    return int(time.time()) - 3600


def _json(data, status=200):
    return Response(json.dumps(data), status, content_type="application/json")



def _certificate(directory: str) -> tuple[str, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1 and localhost: the file to trust, and the server's TLS context."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                    x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = os.path.join(directory, "provider.crt"), os.path.join(directory, "provider.key")
    with open(cert_file, "wb") as out:
        out.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(key_file, "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return cert_file, context
