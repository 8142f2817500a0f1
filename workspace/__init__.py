"""The co-creation workspace: create_app() builds the Flask application."""
import os
from datetime import datetime

from flask import Flask, g, has_request_context, request
from flask_babel import format_datetime, get_locale, gettext
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from .config import CONFIGS, _database_url
from .extensions import babel, csrf, db, login_manager, migrate


def _select_locale():
    if not has_request_context():  # commands (seed-demo) and tests outside a request
        return "en"
    if current_user.is_authenticated and current_user.locale:
        return current_user.locale
    return request.accept_languages.best_match(["en", "nl"]) or "en"


def _select_timezone():
    if not has_request_context():
        return None
    if current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    return None


class _DatabaseId(IntegerConverter):
    """`<int:...>` in a URL: a number beyond a 64-bit integer is no id (404), never a database overflow (500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(config_name: str | None = None, **overrides) -> Flask:
    app = Flask(__name__, template_folder="../templates", static_folder="../static", instance_relative_config=True)
    from .templating import WorkspaceEnvironment

    from . import contextlocal

    contextlocal.install()  # Flask-Babel's and Flask-Login's lookups without the proxies
    app.jinja_environment = WorkspaceEnvironment  # before the environment is first made
    app.url_map.converters["int"] = _DatabaseId  # before any route is added
    config_name = config_name or os.environ.get("WORKSPACE_CONFIG", "production")
    app.config.from_object(CONFIGS[config_name])
    os.makedirs(app.instance_path, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = _database_url(app.instance_path)
    app.config.update(overrides)
    if config_name == "production":
        from .startup import check

        # gunicorn's on_starting ran every check once, knowing the workers (deploy/gunicorn.conf.py).
        if os.environ.get("WORKSPACE_STARTUP_CHECKED"):
            check({"SECRET_KEY": app.config["SECRET_KEY"]})
        else:
            check(app.config, workers=int(os.environ.get("WEB_CONCURRENCY") or 1))
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _dev_secret(app.instance_path)

    db.init_app(app)
    migrate.init_app(app, db)
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    from .fast_gettext import setup_i18n

    setup_i18n(app, babel)  # the request's catalogue looked up once, not per string
    from .i18n import remember_messages

    remember_messages(babel)  # activity and notifications can be shown again in each reader's language
    from .ui import setup_ui

    setup_ui(app, babel)  # unambiguous dates ("6 Dec 2026"), relative times, icons, sparklines

    from . import models  # noqa: F401  (registers every table)
    from .auth import setup_login

    setup_login(app)
    with app.app_context():
        from .database import configure_engine

        configure_engine(app)

    from .assets import setup_assets
    from .security import refuse_nul_bytes, set_security_headers

    setup_assets(app)
    app.before_request(refuse_nul_bytes)
    app.after_request(set_security_headers)

    from .mail import deliver_queued

    app.teardown_request(deliver_queued)

    from .errors import register_error_handlers

    register_error_handlers(app)
    _register_blueprints(app)
    _register_template_helpers(app)
    from .benchhooks import setup_bench_hooks

    setup_bench_hooks(app)  # opt-in X-Query-Count header for make bench

    from .cli import register_cli

    register_cli(app)
    from .ops import setup_ops

    setup_ops(app)  # request ids, redacted (JSON) logs, metrics; after the blueprints: it reads the routes
    return app


def _dev_secret(instance_path: str) -> str:
    """A per-checkout key for development, kept in instance/ so sessions survive restarts."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        import secrets

        with open(path, "w") as fh:
            fh.write(secrets.token_hex(32))
    with open(path) as fh:
        return fh.read().strip()


# One blueprint package per feature; the order is the order of the sections on the board.
FEATURES = (
    "main",
    "auth",
    "sso",
    "courses",
    "enrolment",
    "projects",
    "organisations",
    "admin",
    "followup",
    "goals",
    "agreement",
    "checkups",
    "deliverables",
    "showcase",
    "reflections",
    "timeline",
    "dashboard",
    "notifications",
    "exports",
    "after_project",
    "evaluations",
    "peer_feedback",
    "live",
    "ops",
    "questions",
    "teams",
    "lti",
    "styleguide",
)


def _register_blueprints(app: Flask) -> None:
    import importlib

    for name in FEATURES:
        app.register_blueprint(importlib.import_module(f".{name}.routes", __name__).bp)


def _navigation(user, memo: dict, part: int):
    """What the navigation shows (waiting counts, the bell's state) from one statement per render."""
    from .sections import navigation

    if "nav" not in memo:
        memo["nav"] = navigation(user)
    if part == 0:
        return memo["nav"][0]
    state = memo["nav"][1]
    return int(state.split("-")[0]), state


def _register_template_helpers(app: Flask) -> None:
    from .policy import can, project_role
    @app.context_processor
    def inject():
        user = current_user._get_current_object()  # once per render, not through the proxy per call
        memo = {}
        return {
            "can": lambda action, obj=None: can(user, action, obj),
            "role_in": lambda project: project_role(user, project),
            "current_locale": lambda: str(get_locale() or "en"),
            "waiting_for": lambda: _navigation(user, memo, 0),
            "bell_state": lambda: _navigation(user, memo, 1),
        }

    from .ui import DATE_FORMATS, page_formats

    # "short" and "medium" are one pattern here: a datetime in either goes through the page's formats (each
    # day's fields written once, no walk through Flask-Babel per value), which say what format_datetime
    # says (tests/test_dashboard.py, test_page_formats_say_what_the_filters_say)
    paged = {name for name in ("short", "medium")
             if DATE_FORMATS[f"datetime.{name}"] == DATE_FORMATS["datetime.medium"]}

    def datetime_filter(value, fmt="medium"):
        if not value:
            return ""
        if fmt in paged and isinstance(value, datetime):
            formats = page_formats()
            if formats is not None:
                return formats.date_time(value)
        return format_datetime(value, fmt)

    app.jinja_env.filters["datetime"] = datetime_filter
    from .fast_format import format_date as fast_date, format_number

    app.jinja_env.filters["date"] = fast_date  # babel's patterns parsed once per process
    # Numbers in the reader's locale (3.5 → "3,5" in Dutch); text such as a "—" placeholder passes through.
    app.jinja_env.filters["number"] = format_number
    # Stored text that may be one of our own English messages (a default checklist item, a value prompt):
    # translated when it is, as it is otherwise, and escaped like any text (unlike `_()` in a template).
    app.jinja_env.filters["translated"] = lambda text: gettext(text) if text else text
    from .i18n import localized

    app.jinja_env.filters["localized"] = localized  # {{ entry.summary|localized(entry.summary_made) }}
    app.jinja_env.globals["g"] = g
    from .ui import template_url_for

    app.jinja_env.globals["url_for"] = template_url_for  # each address built once per process
    from .navigation import site_nav

    app.jinja_env.globals["site_nav"] = site_nav  # base.html's navigation, written once per kind of page
