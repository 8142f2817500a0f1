"""Real gunicorn servers for the reliability tests: on the test's own database, on a free
loopback port, with stderr kept in a file the test can read (e.g. to grep for "database is locked")."""
import os
import socket
import socketserver
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
# Settings of the machine running the tests that must not reach the servers under test.
# Modules that start gunicorn mark themselves with this: under `make test` (pytest-xdist, --dist loadgroup)
# they run one after another on one worker, so two sets of servers never compete for the cores.
ONE_AT_A_TIME = pytest.mark.xdist_group("gunicorn")
UNSET = ("REDIS_URL", "MAIL_SERVER", "RATELIMIT_PREFIX", "WORKSPACE_CONFIG", "SECRET_KEY", "BENCH_QUERY_HEADER",
         "NOTIFICATION_MAIL_BY_SENDER")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str, **extra) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in UNSET}
    env.update(WORKSPACE_CONFIG="development", SECRET_KEY=uuid.uuid4().hex, DATABASE_URL=database_url)
    env.update({key: str(value) for key, value in extra.items()})
    return env


class Server:
    def __init__(self, process, base: str, stderr: Path, timeout: float = 60):
        self.process, self.base, self.stderr, self.timeout = process, base, stderr, timeout

    def log(self) -> str:
        return self.stderr.read_text(errors="replace")

    def wait_ready(self, timeout: float | None = None) -> None:
        """Until /healthz answers (up to `timeout` seconds, by default the one it was started with)."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=2).read()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn did not start within {timeout} s:\n{self.log()[-3000:]}")
                time.sleep(0.2)


@contextmanager
def gunicorn(env: dict, log_dir: Path, workers: int = 4, name: str = "server", timeout: float = 60,
             options: tuple = (), wait: bool = True):
    """Start `gunicorn wsgi:app` (with more gunicorn `options`), wait for /healthz (up to `timeout` seconds:
    four workers importing the app on a heavily loaded machine once took over 30), yield a
    Server; stop it afterwards. With `wait=False` it yields at once: servers started together
    boot side by side, and the caller calls `server.wait_ready()` on each."""
    port = free_port()
    stderr = Path(log_dir) / f"{name}.stderr.log"
    with open(stderr, "wb") as err:
        process = subprocess.Popen(
            [str(GUNICORN), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--timeout", "60",
             "--graceful-timeout", "5", *options, "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err,
        )
    server = Server(process, f"http://127.0.0.1:{port}", stderr, timeout)
    try:
        if wait:
            server.wait_ready()
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


class FakeSMTP(socketserver.ThreadingTCPServer):
    """Just enough SMTP: refuses every recipient (550) while `refuse` is true, or the recipients whose
    address contains one of `refuse`'s strings when it is a set; accepts the rest. `received` holds
    (recipients, message) per message taken, `conversations` counts the connections. `greeting` (e.g.
    "554 go away") turns every conversation away at once; with `hang_up_after` = n, every DATA after the
    first n messages taken ends the conversation; `one_message` ends each conversation after its message."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port):
        super().__init__(("127.0.0.1", port), _SMTPHandler)
        self.refuse, self.received, self.conversations = True, [], 0
        self.greeting, self.hang_up_after, self.one_message = "220 fake.example ESMTP", None, False

    def refuses(self, line: str) -> bool:
        if isinstance(self.refuse, (set, frozenset)):
            return any(address in line for address in self.refuse)
        return bool(self.refuse)


class _SMTPHandler(socketserver.StreamRequestHandler):
    def handle(self):
        def say(line):
            self.wfile.write(line.encode() + b"\r\n")

        self.server.conversations += 1
        say(self.server.greeting)
        if not self.server.greeting.startswith("220"):
            return
        recipients = []
        while line := self.rfile.readline().decode(errors="replace").strip():
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                say("250 fake.example")
            elif verb == "RCPT":
                if self.server.refuses(line):
                    say("550 5.1.1 mailbox unavailable")
                else:
                    recipients.append(line)
                    say("250 OK")
            elif verb == "DATA":
                if self.server.hang_up_after is not None and len(self.server.received) >= self.server.hang_up_after:
                    return
                say("354 go ahead")
                body = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    body.append(data)
                self.server.received.append((recipients, b"".join(body).decode(errors="replace")))
                recipients = []
                say("250 queued")
                if self.server.one_message:
                    return
            elif verb == "QUIT":
                say("221 bye")
                return
            else:  # MAIL, RSET, NOOP: a new message begins
                recipients = []
                say("250 OK")
