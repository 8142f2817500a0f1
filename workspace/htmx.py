"""Small htmx helpers: one URL answers with the whole page or only the fragment htmx asked for."""
from flask import make_response, redirect, render_template, request, url_for


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def render(page: str, fragment: str | None = None, status: int = 200, **context):
    """Render `fragment` for an htmx request (not a boosted navigation), else the whole `page`."""
    template = fragment if fragment and is_htmx() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def redirect_to(endpoint: str, **values):
    """After a successful POST: a normal redirect; htmx follows it the same way."""
    return redirect(url_for(endpoint, **values), code=303)


def hx_redirect(location: str, status: int = 200):
    """Tell htmx to load another page as a whole (used where a fragment would be wrong)."""
    response = make_response("", status)
    response.headers["HX-Redirect"] = location
    return response


def trigger(response, event: str):
    """Let the page react (e.g. refresh a counter) after a fragment swap."""
    existing = response.headers.get("HX-Trigger")
    response.headers["HX-Trigger"] = f"{existing}, {event}" if existing else event
    return response
