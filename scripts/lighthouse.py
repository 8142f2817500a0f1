"""`make audit`: Lighthouse scores for three signed-in pages of the demo, against `make run`'s server.

Installs Lighthouse with npm into .tools/ (ignored by git), starts the development server on a free
port with a throw-away SQLite database and the demo data, signs in each demo account with a plain
HTTP login (GET /login for the CSRF token, POST /login) and hands the session cookie to Lighthouse
as an extra header. Runs the system Chromium headless. Prints performance, accessibility and best
practices per page, the audits that cost points, and exits 1 when a page scores below performance
95, accessibility 100 or best practices 100. Reports (HTML and JSON) go to test-artifacts/lighthouse/.

Environment: LIGHTHOUSE_VERSION (default 12.8.2, the last release that runs on Node 20),
CHROME_PATH (default /usr/bin/chromium), LIGHTHOUSE_PRESET=desktop for the desktop profile
(default: Lighthouse's mobile profile with simulated throttling), LIGHTHOUSE_RUNS (default 3: each
page is measured that many times and the run with the median performance score counts, as
Lighthouse's own docs advise, because one run on a busy machine swings by several points).
"""
import html.parser
import http.client
import json
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, ".tools", "lighthouse")
REPORTS = os.path.join(ROOT, "test-artifacts", "lighthouse")
VERSION = os.environ.get("LIGHTHOUSE_VERSION", "12.8.2")
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run --disable-quic")
PASSWORD = "demo-password"
RUNS = max(1, int(os.environ.get("LIGHTHOUSE_RUNS", "3")))
THRESHOLDS = {"performance": 95, "accessibility": 100, "best-practices": 100}
FLASK = os.path.join(ROOT, ".venv", "bin", "flask")


def install_lighthouse() -> str:
    """npm install into .tools/lighthouse once per version; returns the CLI's path."""
    cli = os.path.join(TOOLS, "node_modules", "lighthouse", "cli", "index.js")
    package = os.path.join(TOOLS, "node_modules", "lighthouse", "package.json")
    if os.path.exists(package):
        with open(package) as fh:
            if json.load(fh).get("version") == VERSION:
                return cli
    os.makedirs(TOOLS, exist_ok=True)
    print(f"Installing lighthouse@{VERSION} into {os.path.relpath(TOOLS, ROOT)} …", flush=True)
    subprocess.run(["npm", "install", "--prefix", TOOLS, "--no-audit", "--no-fund", "--loglevel=error",
                    f"lighthouse@{VERSION}"], check=True)
    return cli


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(workdir: str, port: int) -> tuple[subprocess.Popen, dict]:
    """The same commands as `make run`, on a temporary database, in the background."""
    env = dict(os.environ, FLASK_APP="wsgi", WORKSPACE_CONFIG="development",
               DATABASE_URL="sqlite:///" + os.path.join(workdir, "audit.db"),
               SECRET_KEY=secrets.token_hex(32))
    for args in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run([FLASK, *args], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    log = open(os.path.join(workdir, "server.log"), "w")
    server = subprocess.Popen([FLASK, "run", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"The server stopped; see {log.name}")
        try:
            status, _, _ = request(port, "GET", "/healthz")
            if status == 200:
                return server, env
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("The server did not answer /healthz within 30 s")


def request(port: int, method: str, path: str, body: dict | None = None, cookie: str = ""):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    data = None
    if body is not None:
        data = urllib.parse.urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    text = response.read().decode("utf-8", "replace")
    cookies = [h.split(";", 1)[0] for k, h in response.getheaders() if k.lower() == "set-cookie"]
    conn.close()
    return response.status, cookies, text


class _CsrfField(html.parser.HTMLParser):
    token = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") == "csrf_token" and not self.token:
            self.token = attrs.get("value") or ""


def login(port: int, email: str) -> str:
    """A session cookie for the account, by the same two requests a browser makes."""
    status, cookies, page = request(port, "GET", "/login")
    parser = _CsrfField()
    parser.feed(page)
    if status != 200 or not parser.token or not cookies:
        raise SystemExit(f"GET /login answered {status} without a CSRF token or cookie")
    status, new_cookies, _ = request(port, "POST", "/login", cookie="; ".join(cookies),
                                     body={"email": email, "password": PASSWORD, "csrf_token": parser.token})
    if status != 303 or not new_cookies:
        raise SystemExit(f"Login as {email} failed (HTTP {status})")
    return "; ".join(new_cookies)


def demo_ids(database: str) -> tuple[int, int]:
    with sqlite3.connect(database) as conn:
        project = conn.execute("SELECT id FROM project WHERE title = ?", ("Digital skills café for seniors",)).fetchone()
        course = conn.execute("SELECT id FROM course WHERE name = ?", ("Community Impact Lab",)).fetchone()
    if not project or not course:
        raise SystemExit("The demo project or course is missing: did `flask seed-demo` change?")
    return project[0], course[0]


def run_lighthouse(cli: str, url: str, cookie: str, name: str) -> dict:
    os.makedirs(REPORTS, exist_ok=True)
    base = os.path.join(REPORTS, name)
    args = ["node", cli, url, "--quiet", "--output=json", "--output=html", f"--output-path={base}",
            "--only-categories=performance,accessibility,best-practices",
            f"--chrome-flags={CHROME_FLAGS}", "--extra-headers=" + json.dumps({"Cookie": cookie})]
    if os.environ.get("LIGHTHOUSE_PRESET") == "desktop":
        args.append("--preset=desktop")
    subprocess.run(args, check=True, env=dict(os.environ, CHROME_PATH=CHROME), timeout=300)
    with open(base + ".report.json") as fh:
        return json.load(fh)


def lost_points(report: dict, category: str) -> list[str]:
    """The audits that count towards the category's score and did not pass fully."""
    lines = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = report["audits"][ref["id"]]
        if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
            value = f" ({audit['displayValue']})" if audit.get("displayValue") else ""
            lines.append(f"    {category}: {ref['id']} score {audit['score']:.2f}{value}: {audit['title']}")
    return lines


def main() -> int:
    if not os.path.exists(CHROME):
        raise SystemExit(f"No Chromium at {CHROME}; set CHROME_PATH")
    cli = install_lighthouse()
    workdir = tempfile.mkdtemp(prefix="ws-lighthouse-")
    port = free_port()
    server, _ = start_server(workdir, port)
    failed = False
    rows = []
    try:
        project_id, course_id = demo_ids(os.path.join(workdir, "audit.db"))
        pages = [("Project board (student)", "student1@example.org", f"/projects/{project_id}", "board"),
                 ("Partner home", "partner1@example.org", "/home", "partner-home"),
                 ("Teacher dashboard", "teacher1@example.org", f"/courses/{course_id}/dashboard", "dashboard")]
        for title, email, path, name in pages:
            cookie = login(port, email)
            print(f"Lighthouse: {title} {path} as {email}, {RUNS} run(s) …", flush=True)
            runs = []
            for number in range(1, RUNS + 1):
                report = run_lighthouse(cli, f"http://127.0.0.1:{port}{path}", cookie, f"{name}-{number}")
                if report.get("finalDisplayedUrl", "").split("?")[0].endswith("/login"):
                    raise SystemExit(f"Lighthouse was sent to the login page for {path}: the cookie did not work")
                runs.append(report)
            runs.sort(key=lambda r: r["categories"]["performance"]["score"] or 0)
            report = runs[len(runs) // 2]
            print("    performance per run: " + ", ".join(
                str(round((r["categories"]["performance"]["score"] or 0) * 100)) for r in runs), flush=True)
            scores = {key: round((report["categories"][key]["score"] or 0) * 100) for key in THRESHOLDS}
            rows.append((title, path, scores))
            for key, minimum in THRESHOLDS.items():
                if scores[key] < minimum:
                    failed = True
                    print("\n".join(lost_points(report, key)))
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    profile = "desktop" if os.environ.get("LIGHTHOUSE_PRESET") == "desktop" else "mobile, simulated throttling"
    print(f"\nLighthouse {VERSION}, {stamp}, {profile}, median of {RUNS} run(s); reports in {os.path.relpath(REPORTS, ROOT)}/\n")
    print("| Page | Path | Performance | Accessibility | Best practices |")
    print("| --- | --- | ---: | ---: | ---: |")
    for title, path, s in rows:
        print(f"| {title} | `{path}` | {s['performance']} | {s['accessibility']} | {s['best-practices']} |")
    if failed:
        print("\nBelow the bar (performance 95, accessibility 100, best practices 100): see the audits above.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
