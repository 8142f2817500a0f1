"""The main navigation of every page, written once per process for each kind of page and person.

base.html's navigation depends on the reader's language, where the app is mounted, the page (which link
is the current one) and what the person may see (organisations, partner questions, administration);
beyond those, only on three things of the request: the waiting count, the bell and the CSRF token. Its
template (`_nav.html`) is rendered once per such key with markers where those three go, and each request
puts its own in: the links, words and permission checks were some twenty template calls on every page
(issue 19). Rendered every time while templates reload (development).
"""
from flask import current_app, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

from .policy import can

# markers from Unicode's private use area: no word or address of the navigation holds them
_BADGE, _BELL, _TOKEN = "\ue000badge\ue000", "\ue000bell\ue000", "\ue000token\ue000"
_LIMIT = 5_000  # keys: pages × languages × kinds of person; the memo starts again beyond this


def site_nav(badge: Markup, bell: Markup, token: str) -> Markup:
    """`_nav.html` for this request, with its waiting badge, bell and CSRF token."""
    from flask import render_template

    app = current_app._get_current_object()
    user = current_user._get_current_object()
    # everything of the person the navigation shows: the template is given these and reads nothing else
    shown = {"nav_organisations": can(user, "organisation.list"), "nav_questions": can(user, "question.queue"),
             "nav_admin": bool(user.is_admin)}
    if app.jinja_env.auto_reload:
        return Markup(render_template("_nav.html", nav_badge=badge, nav_bell=bell, nav_token=token,  # nosec B704
                                      **shown))  # (the template's own output)
    key = (str(get_locale()), request.script_root, request.endpoint, *shown.values())
    kept = app.extensions.setdefault("site_nav", {})
    html = kept.get(key)
    if html is None:
        markers = {"nav_badge": Markup(_BADGE), "nav_bell": Markup(_BELL)}  # nosec B704 (our own constants)
        html = render_template("_nav.html", nav_token=_TOKEN, **markers, **shown)
        if len(kept) >= _LIMIT:
            kept.clear()
        kept[key] = html
    # the template's output with the request's badge and bell (markup) and escaped token put in
    return Markup(html.replace(_BADGE, badge).replace(_BELL, bell).replace(_TOKEN, str(escape(token))))  # nosec B704
