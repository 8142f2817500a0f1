"""`make screenshots`: the main page of every role, at 1280 and 390 px, into docs/screenshots/.

Starts the development server on a free port with a throw-away SQLite database holding the demo data
(`flask seed-demo`), signs in each demo account through the login form in the system Chromium
(Playwright) and saves what the screen shows (1280 × 800 and 390 × 844), in English.
Environment: CHROMIUM_PATH (default /usr/bin/chromium).
"""
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "docs", "screenshots")
PYTHON = os.path.join(ROOT, ".venv", "bin", "python")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SIZES = {"1280": {"width": 1280, "height": 800}, "390": {"width": 390, "height": 844}}
# (file name, account, page: a path, or a link to follow from the home page)
SHOTS = [
    ("student-board", "student1@example.org", "first-project"),
    ("partner-home", "partner1@example.org", "/home"),
    ("teacher-dashboard", "teacher1@example.org", "first-dashboard"),
    ("teacher-home", "teacher1@example.org", "/home"),
    ("admin-users", "admin@example.org", "/admin/users"),
]
PASSWORD = "demo-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(workdir: str, port: int) -> subprocess.Popen:
    """The demo on a fresh database: tables from the models, `flask seed-demo`, `flask run`."""
    env = dict(os.environ, FLASK_APP="wsgi", WORKSPACE_CONFIG="development",
               DATABASE_URL="sqlite:///" + os.path.join(workdir, "demo.db"), SECRET_KEY=secrets.token_hex(32))
    subprocess.run([PYTHON, "-c", "from workspace import create_app\nfrom workspace.extensions import db\n"
                    "app = create_app()\nwith app.app_context(): db.create_all()"], cwd=ROOT, env=env, check=True)
    subprocess.run([PYTHON, "-m", "flask", "seed-demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    log = open(os.path.join(workdir, "server.log"), "w")
    server = subprocess.Popen([PYTHON, "-m", "flask", "run", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"The server did not start; see {log.name}")


def shoot(base: str) -> list[str]:
    from playwright.sync_api import sync_playwright

    os.makedirs(OUT, exist_ok=True)
    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox"])
        for name, account, where in SHOTS:
            context = browser.new_context(base_url=base, locale="en-GB", timezone_id="Europe/Amsterdam",
                                          viewport=SIZES["1280"])
            page = context.new_page()
            page.goto("/login")
            page.get_by_label("E-mail address").fill(account)
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(re.compile(r"/home$"))
            if where == "first-project":  # the first of "Your projects": the demo café
                page.goto(page.locator("section[aria-labelledby=student-heading] .cards a").first.get_attribute("href"))
            elif where == "first-dashboard":  # the course with the demo's six projects
                course = page.locator("article.course-block").filter(has_text="Community Impact Lab")
                page.goto(course.locator("a[href$='/dashboard']").first.get_attribute("href"))
            else:
                page.goto(where)
            for label, size in SIZES.items():
                page.set_viewport_size(size)
                path = os.path.join(OUT, f"{name}-{label}.png")
                page.screenshot(path=path)
                saved.append(os.path.relpath(path, ROOT))
            context.close()
        browser.close()
    return saved


def main() -> None:
    if not os.access(CHROMIUM, os.X_OK):
        raise SystemExit(f"Chromium not found at {CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH")
    with tempfile.TemporaryDirectory() as workdir:
        port = free_port()
        server = start_server(workdir, port)
        try:
            for path in shoot(f"http://127.0.0.1:{port}"):
                print(path)
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
