"""The visual system's helpers for templates: unambiguous dates, relative times, icons, sparklines."""
from datetime import datetime, timedelta, timezone

from babel.dates import format_timedelta
from flask_babel import format_date, format_datetime, get_locale, get_timezone
from flask_babel import gettext as _
from markupsafe import Markup, escape

from .contextlocal import app_g, app_object, babel_context, request_object
from .fast_format import PageFormats

# Day before month, the month as a word, never month-first digits: "6 Dec 2026", "6 dec. 2026".
# Every format_date/format_datetime call (templates and Python) goes through these patterns.
DATE_FORMATS = {
    "date.short": "d MMM y", "date.medium": "d MMM y", "date.long": "d MMMM y",
    "datetime.short": "d MMM y, HH:mm", "datetime.medium": "d MMM y, HH:mm", "datetime.long": "d MMMM y, HH:mm",
}


def setup_ui(app, babel) -> None:
    """Date patterns for every locale, the `ago` and `day` filters, the `icon_href` and `sparkline` globals."""
    babel.date_formats.update(DATE_FORMATS)
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.filters["day"] = lambda value: format_date(value, "d MMM") if value else ""  # "6 Dec": tight cells
    app.jinja_env.globals["icon_href"] = icon_href
    app.jinja_env.globals["ui_icon"] = icon
    app.jinja_env.globals["ui_badge"] = badge
    app.jinja_env.globals["sparkline"] = sparkline


def _aware(value):
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)


def ago(value, now=None) -> Markup:
    """`<time>` saying "3 days ago" (or "in 2 days"), with the exact date in its title and datetime."""
    if not value:
        return Markup("")
    now = _aware(now or datetime.now(timezone.utc))
    if isinstance(value, datetime):
        formats = page_formats()
        if formats is None:
            exact = format_datetime(value)
            words = format_timedelta(_aware(value) - now, threshold=1.5, add_direction=True, locale=get_locale())
        else:  # the same texts (tests/test_dashboard.py compares them with Flask-Babel's), a tenth of the work
            exact, words = formats.date_time(value), formats.words(_aware(value) - now)
        machine = _aware(value).isoformat(timespec="minutes")
    else:
        exact, machine = format_date(value), value.isoformat()
        days = (value - now.date()).days
        words = _("today") if days == 0 else format_timedelta(timedelta(days=days), granularity="day", threshold=1.5,
                                                              add_direction=True, locale=get_locale())
    return Markup('<time datetime="{}" title="{}">{}</time>').format(machine, exact, words)


def page_formats(html: bool = False):
    """The request's `PageFormats` for its current locale and time zone, one for plain text (`ago`'s
    title and words, escaped by Markup.format) and one for HTML (`html=True`: the board's goal cards);
    None outside an app context. A timeline or board shows a dozen relative times, each of which cost
    a walk through Flask-Babel."""
    globals_ = app_g()
    if globals_ is None:
        return None
    # The locale and zone Flask-Babel chose for this request, as its get_locale() and get_timezone()
    # keep them (each of those reads `g` through its proxy several times: a timeline asks per line)
    chosen = babel_context().__dict__
    locale, zone = chosen.get("babel_locale"), chosen.get("babel_tzinfo")
    if locale is None or zone is None:
        locale, zone = get_locale(), get_timezone()
    if locale is None:
        return None
    memo = globals_.get("_page_formats")
    if memo is None or memo[0] is not locale or memo[1] is not zone:
        memo = globals_._page_formats = (locale, zone, {})
    formats = memo[2].get(html)
    if formats is None:
        formats = memo[2][html] = PageFormats(html=html)
    return formats


def icon_href(name: str) -> str:
    """The address of one icon in the sprite (static/icons.svg, versioned like every static file);
    the sprite's address is built once per request (a board shows some 60 icons)."""
    globals_ = app_g()
    sprite = globals_.get("_icon_sprite")
    if sprite is None:
        sprite = globals_._icon_sprite = template_url_for("static", filename="icons.svg")
    return sprite + "#" + name


_URLS_LIMIT = 20_000  # ids make many keys: the memo starts again beyond this many addresses
_KEY_TEXT = 64  # longer text (a `next` address, a search) is never a key: strangers' input must not fill the memo


def template_url_for(endpoint: str, **values) -> str:
    """The templates' `url_for`: the same address as Flask's, each address built once per process.

    A page's navigation alone builds some twenty addresses that never change (its stylesheets, scripts,
    menu), and werkzeug's routing map takes about as long for each as a small template does for a
    card. An address depends on the endpoint, its values and where the app is mounted (the request's
    script root). Kept per app (in `app.extensions`) only when every value is a number, a short text or
    None (a value left out, as Flask leaves it out);
    an address relative to the request's blueprint (".name"), with options (`_external`, `_scheme`,
    `_anchor`, `_method`), with other values (a list, a long text) or from the debug server (whose
    static versions change with the files) goes to Flask every time."""
    app, request_ = app_object(), request_object()
    if endpoint[:1] == "." or app.debug or request_ is None:
        return app.url_for(endpoint, **values)
    for name, value in values.items():
        if name[:1] == "_" or not (value is None or isinstance(value, int)
                                   or (isinstance(value, str) and len(value) <= _KEY_TEXT)):
            return app.url_for(endpoint, **values)
    key = (request_.script_root, endpoint, *sorted((k, type(v), v) for k, v in values.items()))
    memo = app.extensions.get("workspace.urls")
    if memo is None:
        memo = app.extensions["workspace.urls"] = {}
    address = memo.get(key)
    if address is None:
        if len(memo) >= _URLS_LIMIT:
            memo.clear()
        address = memo[key] = app.url_for(endpoint, **values)
    return address


def id_link(endpoint: str, key: str, **values) -> tuple[str, str]:
    """The address of `endpoint` for any value of the id `key`, as (before, after) the id: a list's
    links cost one url_for per page instead of one per item (`before + str(id) + after`), and the
    address with the marker is kept once per process like the templates' (`template_url_for`)."""
    marker = 987654321
    # The id is the last one in the path; an earlier id whose digits hold the marker stays in `before`.
    before, after = template_url_for(endpoint, **values, **{key: marker}).rsplit(str(marker), 1)
    return before, after


def escaped_link(parts: tuple[str, str]) -> tuple[str, str]:
    """An `id_link`'s two parts escaped for an attribute, for markup written in Python (the id between
    them is a number)."""
    return str(escape(parts[0])), str(escape(parts[1]))


_ICON = Markup('<svg class="icon" aria-hidden="true" focusable="false"><use href="{}"></use></svg>')
_BADGE = Markup('<span class="badge badge-{}"{}>{}{}</span>')
_TITLE = Markup(' title="{}"')


def icon(name: str) -> Markup:
    """An icon from the sprite, hidden from assistive technology: the words beside it say the same.
    (`_ui.html` exports it as `icon`; Python rather than a macro, as it is called per card and row.)
    Written once per request and name: a board shows some 50 icons of a dozen kinds, and Markup.format
    walks string.Formatter for each."""
    globals_ = app_g()
    icons = globals_.get("_icons")
    if icons is None:
        icons = globals_._icons = {}
    markup = icons.get(name)
    if markup is None:
        markup = icons[name] = _ICON.format(icon_href(name))
    return markup


def badge(kind: str, text, icon_name: str | None = None, title=None) -> Markup:
    """A signal: a word with an icon, coloured by kind (ok, warn, bad, info, brand, neutral); never colour
    alone. (`_ui.html` exports it as `badge`.)"""
    return _BADGE.format(kind, _TITLE.format(title) if title else Markup(""),
                         icon(icon_name) if icon_name else Markup(""), text)


def sparkline(points, low: float = 1, high: float = 5, width: int = 96, height: int = 24) -> Markup:
    """A small line of (date, value) points between `low` and `high`, as inline SVG (no script).

    Hidden from assistive technology: the caller writes the first and last values and dates beside it."""
    points = [(when, value) for when, value in points if value is not None]
    if not points:
        return Markup("")
    span = max(len(points) - 1, 1)
    coords = []
    for i, (_when, value) in enumerate(points):
        x = 2 + (width - 4) * i / span
        y = height - 2 - (height - 4) * (float(value) - low) / ((high - low) or 1)
        coords.append(f"{x:.1f},{y:.1f}")
    last = coords[-1].split(",")
    return Markup('<svg class="sparkline" viewBox="0 0 {w} {h}" aria-hidden="true" focusable="false">'
                  '<polyline points="{pts}"/><circle cx="{cx}" cy="{cy}" r="2.5"/></svg>').format(
        w=width, h=height, pts=escape(" ".join(coords)), cx=last[0], cy=last[1])
