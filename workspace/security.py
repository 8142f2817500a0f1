"""Response headers, safe `next=` handling and token helpers shared by every blueprint."""
import hashlib
import secrets
from urllib.parse import urlsplit

from flask import abort, request

from .ops.redact import secret_in_path

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def set_security_headers(response):
    """Applied to every response, including error pages and fragments."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    # A page whose address holds a secret (invitation, reset, sign-in link, feed, question link) sends no Referer.
    response.headers.setdefault("Referrer-Policy", "no-referrer" if secret_in_path(request) else "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    # Pages hold private data: a browser must not show a cached copy after logout or on Back.
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


def safe_next(target: str | None) -> str | None:
    """Only local paths: '/projects/3' yes; '//evil.example', 'https://…', '\\\\x' no."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return None
    return target


def new_token() -> tuple[str, str]:
    """A URL-safe secret and the hash that is stored in its place."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def refuse_nul_bytes():
    """before_request: a NUL character cannot be stored (PostgreSQL refuses it) and no form sends one."""
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
        "application/x-www-form-urlencoded", "multipart/form-data",
    ):
        if any("\x00" in value for values in request.form.listvalues() for value in values):
            abort(400)
    if any("\x00" in value for values in request.args.listvalues() for value in values):
        abort(400)
