"""Request ids on every response and log line; plain or JSON logs (LOG_FORMAT=json), always redacted.

A sane incoming `X-Request-ID` (from nginx or a load balancer: letters, digits, `.-_:`, up to
128 characters) is kept so one id follows a request through every tier; otherwise one is made.
"""
import json
import logging
import re
import sys
import time
import uuid

from flask import has_request_context, request

from .redact import RedactFilter

HEADER = "X-Request-ID"
ENVIRON_KEY = "workspace.request_id"
SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def incoming_or_new(value: str | None) -> str:
    return value if value and SANE_ID.fullmatch(value) else uuid.uuid4().hex


class RequestIds:
    """WSGI middleware: the id is known before any other code runs and is on every response."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        request_id = incoming_or_new(environ.get("HTTP_X_REQUEST_ID"))
        environ[ENVIRON_KEY] = request_id
        environ["workspace.started"] = time.perf_counter()

        def start(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers if k.lower() != HEADER.lower()] + [(HEADER, request_id)]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def current_request_id() -> str:
    return request.environ.get(ENVIRON_KEY, "-") if has_request_context() else "-"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("-" outside a request: commands, start-up)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors (Loki, Elasticsearch, journald exports)."""

    converter = time.gmtime  # times in UTC, marked Z

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)



def make_handler(stream=None, fmt: str = "plain", exempt: tuple[str, ...] = ()) -> logging.Handler:
    """A stream handler that adds request ids, redacts secrets and writes plain or JSON lines."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactFilter(exempt))
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(PLAIN_FORMAT))
    handler._workspace = True
    return handler


def configure_root(fmt: str, level=logging.INFO, exempt: tuple[str, ...] = ()) -> None:
    """Our handler on the root logger, replacing an earlier one of ours (werkzeug's request log included)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_workspace", False):
            root.removeHandler(handler)
    root.addHandler(make_handler(fmt=fmt, exempt=exempt))
    root.setLevel(level)


def init_app(app) -> None:
    app.wsgi_app = RequestIds(app.wsgi_app)
    if not app.testing:  # the suite keeps pytest's own log capture
        configure_root(app.config.get("LOG_FORMAT", "plain"),
                       exempt=("workspace.mail",) if app.config.get("MAIL_LOG_BODY") else ())
        app.logger.setLevel(logging.INFO)
