"""Two gunicorn servers sharing one PostgreSQL database and one Redis (issue 8, figure 8).

Starts server A and server B on two loopback ports with the same SECRET_KEY, DATABASE_URL and
REDIS_URL (each with 2 workers), makes a project with a student and a partner in the database,
then checks over HTTP that:

1. a session started on A (log in there) is valid on B, and logging out on B ends it on A too
   (the session version in the user row, not just the cookie);
2. a change on A is visible on B at once, and back: the student revises a goal on A and the
   partner reads the new revision on B in the next request; the partner agrees on B and the
   student sees "Agreed" on A;
3. a file uploaded through A (a deliverable version) downloads byte-identical from B;
4. the login limit counts across both: failed logins alternated between A and B get 422 up to
   LOGIN_FAILURES_PER_IP_PER_MINUTE (default 10) in all, then 429 from either server.

    createdb -h 127.0.0.1 -U postgres ws_two_servers
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/ws_two_servers \\
        REDIS_URL=redis://127.0.0.1:6379/2 .venv/bin/python scripts/two_servers.py

The tables are created if missing; the rows it adds are named after the run and stay (use a
throw-away database). The Redis keys of the run (their own prefix) are deleted at the end.
Exit status: 0 all checks passed, 1 a check failed, 2 not runnable here (no PostgreSQL, no Redis).
"""
import hashlib
import http.cookiejar
import os
import re
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import gunicorn, server_env  # noqa: E402  (one way to start gunicorn, shared with the tests)

TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')
PASSWORD = "two-servers-password-1"
DEFAULT_REDIS = "redis://127.0.0.1:6379/2"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person's browser: cookies (sent to both servers: a cookie's domain has no port)."""

    def __init__(self, jar=None):
        self.jar = jar or http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def copy(self) -> "Browser":
        """Another browser holding a copy of this one's cookies now (a saved cookie)."""
        jar = http.cookiejar.CookieJar()
        for cookie in self.jar:
            jar.set_cookie(cookie)
        return Browser(jar)

    def request(self, url, data=None, headers=None):
        if isinstance(data, dict):
            data = urllib.parse.urlencode(data).encode()
        req = urllib.request.Request(url, data=data, headers=headers or {})
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def get(self, url):
        return self.request(url)

    def token(self, url) -> str:
        _status, _headers, body = self.get(url)
        match = TOKEN_RE.search(body.decode())
        if not match:
            raise Check.Failed(f"no CSRF token on {url}")
        return match.group(1) or match.group(2)

    def post(self, url, data, token_from):
        return self.request(url, {**data, "csrf_token": self.token(token_from)})

    def login(self, base, email, password=PASSWORD):
        return self.post(base + "/login", {"email": email, "password": password}, base + "/login")[0]


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    for name, (filename, data, content_type) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Check:
    class Failed(Exception):
        pass

    def __init__(self):
        self.results = []

    def __call__(self, name, condition, detail=""):
        self.results.append((name, bool(condition), detail))
        print(f"{'PASS' if condition else 'FAIL'}  {name}" + (f"  ({detail})" if detail and not condition else ""))
        if not condition:
            raise Check.Failed(name)


def _text(body: bytes) -> str:
    return body.decode(errors="replace")


def seed(run: str) -> dict:
    """A course, organisation and project with one student and one partner (rows only)."""
    from workspace import create_app
    from workspace.extensions import db
    from workspace.models import Course, Organisation, OrganisationMember, Project, ProjectMember, User

    app = create_app("development")
    with app.app_context():
        db.create_all()
        course = Course(name=f"Two servers {run}")
        organisation = Organisation(name=f"Two servers organisation {run}")
        project = Project(course=course, organisation=organisation, title=f"Two servers {run}",
                          start_date=date.today() - timedelta(days=7), end_date=date.today() + timedelta(days=60))
        people = {}
        for role in ("student", "partner"):
            user = User(email=f"two-servers-{role}-{run}@example.org", name=f"{role.title()} {run}")
            user.set_password(PASSWORD)
            people[role] = user
        db.session.add_all([course, organisation, project, *people.values()])
        db.session.flush()
        for role, user in people.items():
            db.session.add(ProjectMember(project_id=project.id, user_id=user.id, role=role))
        db.session.add(OrganisationMember(organisation_id=organisation.id, user_id=people["partner"].id))
        db.session.commit()
        seeded = {"project": project.id, **{role: (user.email, user.name) for role, user in people.items()}}
        db.session.remove()
        db.engine.dispose()
    return seeded


def _location_id(headers, pattern) -> int:
    match = re.search(pattern, headers.get("Location", ""))
    if not match:
        raise Check.Failed(f"unexpected redirect {headers.get('Location')!r}")
    return int(match.group(1))


def checks(a: str, b: str, seeded: dict, limit: int, check: Check) -> None:
    p = seeded["project"]
    student_email, student_name = seeded["student"]
    partner_email, _partner_name = seeded["partner"]

    # 1. A session started on A is valid on B; logging out on B ends it on A too.
    student = Browser()
    check("student logs in on A", student.login(a, student_email) == 303)
    status, _h, body = student.get(f"{b}/projects/{p}")
    check("the session from A opens the project page on B", status == 200 and student_name in _text(body), status)
    saved = student.copy()
    status, _h, body = saved.get(f"{b}/home")
    check("a saved copy of the session cookie works on B too", status == 200 and student_name in _text(body), status)

    # 2. A change on A is visible on B at once, and back.
    partner = Browser()
    check("partner logs in on B", partner.login(b, partner_email) == 303)
    status, headers, _ = student.post(f"{a}/projects/{p}/goals/new", {
        "title": "Shorter food bank routes", "description": "First text", "partner_need": "", "success_criteria": "",
        "target_date": ""}, f"{a}/projects/{p}/goals/new")
    check("student proposes a goal on A", status == 303, status)
    goal = _location_id(headers, rf"/projects/{p}/goals/(\d+)")
    status, _h, body = student.get(f"{a}/projects/{p}/goals/{goal}/edit")
    version = re.search(r'name="version" value="(\d+)"', _text(body)).group(1)
    status, _h, _ = student.post(f"{a}/projects/{p}/goals/{goal}/edit", {
        "title": "Routes that save an hour a day", "description": "Second text", "partner_need": "",
        "success_criteria": "", "target_date": "", "version": version}, f"{a}/projects/{p}/goals/{goal}/edit")
    check("student revises the goal on A", status == 303, status)
    status, _h, body = partner.get(f"{b}/projects/{p}/goals/{goal}")
    html = _text(body)
    check("B shows the revision from A in the next request",
          status == 200 and "Routes that save an hour a day" in html and "Second text" in html, status)
    version = re.search(r'/goals/\d+/approve".*?name="version" value="(\d+)"', html, re.S).group(1)
    status, _h, _ = partner.post(f"{b}/projects/{p}/goals/{goal}/approve", {"version": version, "view": "page"},
                                 f"{b}/projects/{p}/goals/{goal}")
    check("partner agrees to it on B", status == 303, status)
    status, _h, body = student.get(f"{a}/projects/{p}/goals/{goal}")
    check("A shows it agreed at once", status == 200 and "goal-card-agreed" in _text(body), status)

    # 3. A file uploaded through A downloads byte-identical from B.
    status, headers, _ = student.post(f"{a}/projects/{p}/deliverables/new", {
        "title": "Route planner", "kind": "toolkit", "audience": "Drivers", "language": "English",
        "channel": "Training", "description": ""}, f"{a}/projects/{p}/deliverables/new")
    check("student starts a deliverable on A", status == 303, status)
    deliverable = _location_id(headers, rf"/projects/{p}/deliverables/(\d+)")
    data = b"\x89PNG\r\n\x1a\n" + os.urandom(300_000)  # binary: every byte value, no text transformation
    body, content_type = multipart(
        {"csrf_token": student.token(f"{a}/projects/{p}/deliverables/{deliverable}/versions/new"),
         "note": "First draft of the planner", "links": ""},
        {"files": ("route-map.png", data, "image/png")})
    status, _h, _ = student.request(f"{a}/projects/{p}/deliverables/{deliverable}/versions/new", body,
                                    {"Content-Type": content_type})
    check("student uploads a 300 KB file as version 1 through A", status == 303, status)
    status, _h, body = partner.get(f"{b}/projects/{p}/deliverables/{deliverable}")
    match = re.search(rf"/projects/{p}/files/(\d+)", _text(body))
    check("B lists the uploaded file", status == 200 and match, status)
    status, headers, downloaded = partner.get(f"{b}/projects/{p}/files/{match.group(1)}")
    check("the file downloads from B byte-identical",
          status == 200 and hashlib.sha256(downloaded).hexdigest() == hashlib.sha256(data).hexdigest(),
          f"{status}, {len(downloaded)} of {len(data)} bytes")

    # The logout on B ends the saved session on A (server-side, through the session version).
    status, _h, _ = student.post(f"{b}/logout", {}, f"{b}/home")
    check("student logs out on B", status in (302, 303), status)
    status, headers, _ = saved.get(f"{a}/home")
    check("the saved session cookie no longer works on A",
          status in (302, 303) and "/login" in headers.get("Location", ""), status)

    # 4. The login limit counts across both servers (last: it blocks this address for a minute).
    answers = []
    for n in range(limit + 2):
        base = (a, b)[n % 2]
        answers.append((("A", "B")[n % 2], Browser().login(base, f"nobody-{n}@example.org", "wrong-password")))
    statuses = [status for _server, status in answers]
    check(f"failed logins alternated A, B, A, …: {limit} refused with 422, then 429 from both",
          statuses == [422] * limit + [429, 429], answers)


def _redis_or_none(url: str):
    try:
        import redis
    except ImportError:
        return None
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        return None
    return client


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS
    if not database_url.startswith(("postgresql", "postgres:")):
        print("two_servers: set DATABASE_URL to a PostgreSQL database (the servers share it)", file=sys.stderr)
        return 2
    redis = _redis_or_none(redis_url)
    if redis is None:
        print(f"two_servers: no Redis at {redis_url} (start it with `redis-server --daemonize yes`)", file=sys.stderr)
        return 2
    run = uuid.uuid4().hex[:8]
    prefix = f"two-servers:{run}:"
    limit = int(os.environ.get("LOGIN_FAILURES_PER_IP_PER_MINUTE", "10"))
    seeded = seed(run)
    env = server_env(database_url, SECRET_KEY=uuid.uuid4().hex, REDIS_URL=redis_url, RATELIMIT_PREFIX=prefix,
                     LOGIN_FAILURES_PER_IP_PER_MINUTE=limit)
    check = Check()
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as logs:
        try:
            with gunicorn(env, Path(logs), workers=2, name="A") as a, \
                    gunicorn(env, Path(logs), workers=2, name="B") as b:
                print(f"server A {a.base}, server B {b.base}: one database, Redis {redis_url}, prefix {prefix}")
                try:
                    checks(a.base, b.base, seeded, limit, check)
                except Check.Failed:
                    for server in (a, b):
                        print(f"--- end of server {server.stderr.name}:\n{server.log()[-3000:]}", file=sys.stderr)
        finally:
            for key in redis.scan_iter(prefix + "*"):
                redis.delete(key)
    passed = sum(ok for _name, ok, _detail in check.results)
    failed = len(check.results) - passed
    print(f"two_servers: {passed} checks passed, {failed} failed in {time.monotonic() - began:.1f} s")
    return 0 if failed == 0 and check.results else 1


if __name__ == "__main__":
    sys.exit(main())
