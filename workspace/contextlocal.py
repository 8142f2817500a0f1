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
