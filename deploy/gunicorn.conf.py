"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Environment (all optional): WEB_CONCURRENCY (workers; default 2 × cores + 1, at most
MAX_WORKERS, default 8), BIND (default 127.0.0.1:8000), GUNICORN_TIMEOUT (default 30 s),
GRACEFUL_TIMEOUT (default 30 s), ACCESS_LOG (default "-", stdout; "" turns it off), LOG_FORMAT
(plain | json), PROMETHEUS_MULTIPROC_DIR (default a fresh directory under /tmp).

Graceful reload: `kill -HUP <master pid>` (systemctl reload workspace) starts workers with the new
code and configuration, then lets the old ones finish their requests. Nothing is preloaded in
the master, so a reload always loads the new code.

The access log never holds a secret from a URL path (invitation, reset, sign-in link, calendar
feed, question links): the paths, query strings and Referer are redacted by
workspace.ops.redact, which knows every route with a `token`/`code`/`secret`/`key` argument.
"""
import json
import multiprocessing
import os
import sys
import tempfile

from gunicorn.glogging import Logger

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # the checkout, for `workspace`

# Before any worker imports prometheus_client: every worker then writes its samples to files here.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="workspace-metrics-")


def _workers() -> int:
    if os.environ.get("WEB_CONCURRENCY"):
        return int(os.environ["WEB_CONCURRENCY"])
    return min(2 * multiprocessing.cpu_count() + 1, int(os.environ.get("MAX_WORKERS", "8")))


bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = _workers()
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", "30"))
keepalive = 5
max_requests = 2000  # a slowly leaking worker is replaced, at a random moment per worker
max_requests_jitter = 200
forwarded_allow_ips = "127.0.0.1,::1"  # nginx on the same host
accesslog = os.environ.get("ACCESS_LOG", "-") or None
errorlog = "-"
control_socket_disable = True  # gunicorn 25+: no shared socket in $HOME; systemctl reload sends HUP
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s "%(a)s"'


class RedactingLogger(Logger):
    """gunicorn's logger with secrets in paths, query strings and Referer masked; JSON with LOG_FORMAT=json."""

    def setup(self, cfg):
        super().setup(cfg)
        from workspace.ops.redact import RedactFilter

        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not any(isinstance(f, RedactFilter) for f in handler.filters):
                    handler.addFilter(RedactFilter())

    def atoms(self, resp, req, environ, request_time):
        from workspace.ops.redact import redact

        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms

    def access(self, resp, req, environ, request_time):
        if os.environ.get("LOG_FORMAT") != "json" or not self.access_log_enabled:
            return super().access(resp, req, environ, request_time)
        atoms = self.atoms(resp, req, environ, request_time)
        self.access_log.info(json.dumps({
            "time": atoms["t"], "remote": atoms["h"], "method": atoms["m"], "path": atoms["U"],
            "query": atoms["q"], "status": atoms["s"], "bytes": atoms["B"], "ms": atoms["M"],
            "request_id": atoms.get("{x-request-id}o", "-"), "user_agent": atoms["a"],
        }))


logger_class = RedactingLogger


def on_starting(server):
    """Every start-up check once, with the real number of workers; refuse to start on a fatal one."""
    from prometheus_client import multiprocess  # noqa: F401  (fails early when the package is missing)

    from workspace.config import CONFIGS, _database_url
    from workspace.ops.logs import configure_root
    from workspace.startup import StartupRefused, check

    configure_root(os.environ.get("LOG_FORMAT", "plain"))  # the checks' warnings look like every other line

    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):  # samples of an earlier run are not this run's
        if name.endswith(".db"):
            os.remove(os.path.join(directory, name))
    config_name = os.environ.get("WORKSPACE_CONFIG", "production")
    if config_name != "production":
        return
    config = {key: getattr(CONFIGS[config_name], key) for key in dir(CONFIGS[config_name]) if key.isupper()}
    config["SQLALCHEMY_DATABASE_URI"] = _database_url(os.path.join(ROOT, "instance"))
    try:
        check(config, workers=server.cfg.workers, network=True)
    except StartupRefused as refused:
        server.log.error("%s", refused)
        sys.exit(3)
    os.environ["WORKSPACE_STARTUP_CHECKED"] = "1"  # the workers inherit it and skip the checks
    os.environ["WEB_CONCURRENCY"] = str(server.cfg.workers)


def child_exit(server, worker):
    """A finished worker's live gauges are dropped; its counters stay in the totals."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
