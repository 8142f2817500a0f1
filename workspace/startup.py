"""Start-up checks for production: a setting that would lose data or security refuses to start with
one clear message; one that only degrades the service is a warning.

| check                                   | verdict | why                                                    |
| SECRET_KEY missing, short or a known    | refuse  | sessions and CSRF tokens could be forged               |
|   placeholder                           |         |                                                        |
| SQLite with more than one worker        | refuse  | writers queue on one file lock; a forgotten            |
|                                         |         | DATABASE_URL most likely                               |
| several workers without REDIS_URL       | warn    | login limits count per worker, live updates stay       |
|                                         |         | within one worker; everything else works               |
| MAIL_SERVER does not resolve            | refuse  | a misspelt host name never delivers anything           |
| MAIL_SERVER resolves, does not connect  | warn    | mail waits in the outbox and `flask send-mail` retries |
| no MAIL_SERVER                          | warn    | mail is only written to the log                        |

create_app runs the checks that need no network in the production configuration; gunicorn's
`on_starting` (deploy/gunicorn.conf.py) runs all of them once, knowing the number of workers.
"""
import logging
import socket
from dataclasses import dataclass

logger = logging.getLogger("workspace.startup")
MIN_SECRET_LENGTH = 32
PLACEHOLDERS = {"change-me", "changeme", "change-me-to-a-long-random-string", "secret", "secret-key",
                "dev", "development", "test", "test-secret-key", "replace-me", "your-secret-key", "xxx"}
MAIL_TIMEOUT = 3.0


class StartupRefused(SystemExit):
    """Raised with the whole message: the process ends without a traceback."""


@dataclass
class Problem:
    fatal: bool
    message: str


def secret_problems(key: str) -> list[Problem]:
    if not key:
        return [Problem(True, "SECRET_KEY is not set. Generate one with "
                              "`python -c 'import secrets; print(secrets.token_hex(32))'` and put it in the env file.")]
    if key.strip().lower() in PLACEHOLDERS:
        return [Problem(True, "SECRET_KEY is a placeholder. Generate a random one with "
                              "`python -c 'import secrets; print(secrets.token_hex(32))'`.")]
    if len(key) < MIN_SECRET_LENGTH:
        return [Problem(True, f"SECRET_KEY is {len(key)} characters; use at least {MIN_SECRET_LENGTH} random "
                              "characters (`python -c 'import secrets; print(secrets.token_hex(32))'`).")]
    return []


def worker_problems(database_url: str, redis_url: str, workers: int) -> list[Problem]:
    problems = []
    if workers > 1 and database_url.startswith("sqlite"):
        problems.append(Problem(True, f"SQLite with {workers} workers: set DATABASE_URL to PostgreSQL, "
                                      "or run one worker (WEB_CONCURRENCY=1)."))
    if workers > 1 and not redis_url:
        problems.append(Problem(False, f"{workers} workers without REDIS_URL: login limits are counted per worker "
                                       "and live updates do not cross workers. Set REDIS_URL."))
    return problems


def mail_problems(server: str, port: int, timeout: float = MAIL_TIMEOUT) -> list[Problem]:
    if not server:
        return [Problem(False, "MAIL_SERVER is not set: e-mail is written to the log, not sent.")]
    try:
        addresses = socket.getaddrinfo(server, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        return [Problem(True, f"MAIL_SERVER {server!r} does not resolve ({error}). Check the host name.")]
    for family, kind, proto, _name, address in addresses:
        try:
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(timeout)
                sock.connect(address)
                return []
        except OSError:
            continue
    return [Problem(False, f"MAIL_SERVER {server}:{port} does not accept connections now; "
                           "mail waits in the outbox and `flask send-mail` retries it.")]


def check(config, workers: int = 1, network: bool = False) -> list[Problem]:
    """Log warnings; raise StartupRefused with one message listing every fatal problem."""
    problems = secret_problems(config.get("SECRET_KEY") or "")
    problems += worker_problems(config.get("SQLALCHEMY_DATABASE_URI") or "", config.get("REDIS_URL") or "", workers)
    if network:
        problems += mail_problems(config.get("MAIL_SERVER") or "", int(config.get("MAIL_PORT") or 25))
    for problem in problems:
        if not problem.fatal:
            logger.warning("start-up check: %s", problem.message)
    fatal = [problem.message for problem in problems if problem.fatal]
    if fatal:
        raise StartupRefused("The workspace refuses to start:\n" + "\n".join(f"  - {m}" for m in fatal))
    return problems
