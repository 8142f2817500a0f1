"""The objects behind Flask's `g`, `request` and `current_app` proxies, read without the proxies.

Every attribute read through a werkzeug proxy (`g.get(...)`, `g.x`, `request.method`,
`current_app.config`) first fails on the proxy itself, an AttributeError raised and caught, before
it reaches the real object: `g.get(name)` took 0.9 µs through the proxy, 0.1 µs on `g` itself. A
board made some 500 such reads per request, most from helpers called per card, per icon and per
statement (issue 19). These give the same objects as the proxies do, or None outside their context,
where a proxy would raise: read from Flask's context variables, as the proxies themselves do, or
through the proxies' public `_get_current_object()` where a Flask release has no such variable (3.2
merges the request context into the app context).
"""
from types import SimpleNamespace

from flask import current_app, g, has_app_context, has_request_context, request
from werkzeug.local import LocalProxy

try:
    from flask.globals import _cv_app
except ImportError:  # pragma: no cover (a Flask without it)
    _cv_app = None
try:
    from flask.globals import _cv_request
except ImportError:  # pragma: no cover (Flask 3.2)
    _cv_request = None


def app_g():
    """`flask.g` itself, or None outside an app context."""
    if _cv_app is None:
        return g._get_current_object() if has_app_context() else None
    context = _cv_app.get(None)
    return None if context is None else context.g


def app_object():
    """`current_app` itself, or None outside an app context."""
    if _cv_app is None:
        return current_app._get_current_object() if has_app_context() else None
    context = _cv_app.get(None)
    return None if context is None else context.app


def request_object():
    """`flask.request` itself, or None outside a request."""
    if _cv_request is None:
        return request._get_current_object() if has_request_context() else None
    context = _cv_request.get(None)
    return None if context is None else context.request


def unproxied(value):
    """The object a proxy (such as `current_user`) stands for; anything else as it is."""
    return value._get_current_object() if type(value) is LocalProxy else value


# ---- two library helpers, read without the proxies ------------------------------------------------
# Flask-Babel finds its per-request state (locale, zone, domain) through `g` on every gettext, date and
# zone lookup, three proxy reads each; Flask-Login finds the person through `g` and `current_app` at every
# use of `current_user`. A goal decision made some 130 such reads, a board about as many (issue 19).
# The same functions written with the objects themselves replace the libraries' own (`install`), which
# they call by their module's name; tests/test_contextlocal.py compares them with the originals, kept
# in ORIGINALS.

ORIGINALS: dict = {}


def babel_context():
    """flask_babel's `_get_current_context`: `g._flask_babel`, made at its first use; None outside an app
    context."""
    g_ = app_g()
    if g_ is None:
        return None
    try:
        return g_._flask_babel
    except AttributeError:
        context = g_._flask_babel = SimpleNamespace()
        return context


def login_user_of_request():
    """flask_login's `_get_user`: the request's person (loaded at the first use), None outside a request."""
    if request_object() is None:
        return None
    g_ = app_g()
    if "_login_user" not in g_:
        app_object().login_manager._load_user()
    return g_._login_user


def install() -> None:
    """Put `babel_context` and `login_user_of_request` in the libraries' place (once; a release without
    the function keeps its own ways)."""
    import flask_babel
    import flask_login.utils

    for module, name, replacement in ((flask_babel, "_get_current_context", babel_context),
                                      (flask_login.utils, "_get_user", login_user_of_request)):
        original = getattr(module, name, None)
        if original is None or original is replacement:
            continue
        ORIGINALS[name] = original
        setattr(module, name, replacement)
