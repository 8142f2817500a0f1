"""Secrets in URL paths (invitation, reset, sign-in link, calendar feed, join codes) never reach a log.

Every route with a path argument named like a secret (`token`, `code`, `secret`, `key`) is turned
into a pattern when the app is built; `redact(text)` replaces that argument in any path found in a
log line with `***`. A long random-looking path segment is masked too, as a safety net for a log
written before the app knows its routes (gunicorn's master) or a route named otherwise.
"""
import logging
import re

SECRET_ARGS = re.compile(r"token|code|secret|key", re.I)
MASK = "***"
_SEGMENT = r"[^/?#&%\s\"'<>]+"
_SLASH = "(?:/|%2[Ff])"  # a path inside a query (`/login?next=%2Finvitations%2F…`) is masked too
_PLACEHOLDER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_LONG_SEGMENT = re.compile(r"(?:(?<=/)|(?<=%2F)|(?<=%2f))[A-Za-z0-9_-]{32,}(?=[/?#.&%\s\"']|$)")
_QUERY = re.compile(r"([?&](?:token|code|secret|key)=)[^&#\s\"']*", re.I)

_routes: dict[str, tuple[re.Pattern, tuple[bool, ...]]] = {}  # rule → (pattern, which groups are secret)


def carries_secret(rule) -> bool:
    """True for a werkzeug Rule with a secret in its path."""
    return rule is not None and any(SECRET_ARGS.search(name) for name in rule.arguments)


def secret_in_path(request) -> bool:
    """True when this request's address holds a secret (also on a 404 or 405, which match no rule)."""
    return carries_secret(request.url_rule) or redact(request.path) != request.path


def _pattern(rule: str) -> tuple[re.Pattern, tuple[bool, ...]]:
    # Where a path starts: the beginning, after a space, quote or `=`, or after a scheme and host.
    parts, secret, position = [r"(^|[\s\"'=(]|[a-z]+://[^/\s\"']+)"], [False], 0
    for match in _PLACEHOLDER.finditer(rule):
        parts.append("(" + re.escape(rule[position:match.start()]).replace("/", _SLASH) + ")")
        secret.append(False)
        parts.append(f"({_SEGMENT}?)")
        secret.append(bool(SECRET_ARGS.search(match.group(1))))
        position = match.end()
    parts.append("(" + re.escape(rule[position:]).replace("/", _SLASH) + ")")
    secret.append(False)
    return re.compile("".join(parts) + r"(?=[/?#&%\s\"'<>]|$)"), tuple(secret)


def learn_routes(app) -> None:
    """Remember the app's secret-carrying routes (process-wide: log handlers have no app)."""
    for rule in app.url_map.iter_rules():
        if carries_secret(rule) and rule.rule not in _routes:
            _routes[rule.rule] = _pattern(rule.rule)


def secret_routes() -> list[str]:
    return sorted(_routes)


def redact(text: str) -> str:
    """The text with every secret in a URL path or query replaced by ***."""
    if not text or "/" not in text and "=" not in text:
        return text
    for pattern, secret in _routes.values():
        text = pattern.sub(lambda m: "".join(MASK if s else g for g, s in zip(m.groups(), secret)), text)
    text = _LONG_SEGMENT.sub(MASK, text)
    return _QUERY.sub(lambda m: m.group(1) + MASK, text)


class RedactFilter(logging.Filter):
    """On a handler: the formatted message and exception text of every record, redacted.

    `exempt` names loggers left alone: only development's mail log (MAIL_LOG_BODY), whose links a
    developer without a mail server follows.
    """

    def __init__(self, exempt: tuple[str, ...] = ()):
        super().__init__()
        self.exempt = exempt

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name in self.exempt:
            return True
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
