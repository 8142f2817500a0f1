"""Browser fixtures: the system Chromium driven by Playwright against a live server of the test app.

One browser per session, a fresh context (cookies, storage) per test, with or without JavaScript.
The live server serves the same `app` (and so the same database) as the rest of the suite, so
factories make the data and the autouse `ctx` fixture of tests/conftest.py empties it afterwards.
Data made by factories must be committed (`db.session.commit()`) before the browser asks for it.

Chromium is the Debian package (`apt-get install chromium`); CHROMIUM_PATH points elsewhere.
Without it the browser tests are skipped, except in CI (CI=true), where they fail.
"""
import os
import re
import threading
import weakref
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from workspace.extensions import db

from .. import factories
from ..sampling import THOROUGH

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
HERE = Path(__file__).parent
SCREENSHOTS = HERE.parent.parent / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 800}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
TIMEOUT_MS = 10_000


def _chromium_missing() -> bool:
    return not (os.path.isfile(CHROMIUM_PATH) and os.access(CHROMIUM_PATH, os.X_OK))


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def pytest_collection_modifyitems(config, items):
    """Mark every test in this folder `browser`; skip them without Chromium, unless in CI."""
    skip = pytest.mark.skip(reason=f"Chromium not installed: browser tests skipped (looked for {CHROMIUM_PATH})")
    for item in items:
        if HERE not in Path(str(item.path)).parents:
            continue
        item.add_marker(pytest.mark.browser)
        if _chromium_missing() and not _in_ci():
            item.add_marker(skip)


# ---- the live server ---------------------------------------------------------------------------

RESPONSE_KEY = "tests.live_server.response"


class _CloseOnce:
    """A response's iterable whose close() runs once, however often it is called."""

    def __init__(self, iterable):
        self._iterable = iterable
        self._closed = False

    def __iter__(self):
        return iter(self._iterable)

    def close(self):
        if self._closed:
            return
        self._closed = True
        close = getattr(self._iterable, "close", None)
        if close is not None:
            close()


def _closable(app):
    """`app` with each response remembered in its environ, so a dropped connection can close it."""
    def serve(environ, start_response):
        response = _CloseOnce(app(environ, start_response))
        environ[RESPONSE_KEY] = response
        return response
    return serve


class _QuietHandler(WSGIRequestHandler):
    """No access log: it would bury a failing assertion under hundreds of request lines.

    A browser that leaves a page may drop the connection while a file is still being sent. Werkzeug's
    server then reads what is left on the socket before it closes the response, and when that read
    fails too the response is never closed: the open static file becomes a ResourceWarning, which
    this suite makes an error, in whichever test runs then. The response is closed here once the
    request is done, however it ended (closing it twice does nothing).
    """

    def log_request(self, *args, **kwargs):
        pass

    def run_wsgi(self):
        try:
            super().run_wsgi()
        finally:
            response = getattr(self, "environ", {}).get(RESPONSE_KEY)
            if response is not None:
                response.close()


@pytest.fixture(scope="session")
def live_server(app):
    """The test app served over HTTP on a free port, in a daemon thread, for the whole session."""
    server = make_server("127.0.0.1", 0, _closable(app), threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


# ---- the browser -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session; in CI a missing Chromium fails every browser test."""
    if _chromium_missing():
        pytest.fail(f"Chromium not found at {CHROMIUM_PATH} and CI=true: the browser tests must run in CI. "
                    "Install it (apt-get install chromium) or set CHROMIUM_PATH.", pytrace=False)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def new_context(browser, live_server):
    """Opens fresh browser contexts (separate people); `new_context(js=False)` for no-JS journeys."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    contexts = []

    def make(js=True, viewport=None):
        context = browser.new_context(base_url=live_server, java_script_enabled=js,
                                      viewport=viewport or DESKTOP, locale="en-GB", timezone_id="Europe/Amsterdam")
        context.set_default_timeout(TIMEOUT_MS)
        if not js:
            _WITHOUT_JS.add(context)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    """A page in a fresh JavaScript-enabled context."""
    return new_context().new_page()


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def js(request):
    """Run a journey twice: with JavaScript (htmx) and with plain forms and redirects."""
    return request.param


# ---- helpers the journeys share ----------------------------------------------------------------

def commit():
    """End the test's own transaction: what factories made becomes visible to the live server.

    Call it also before asserting on the database: on SQLite (WAL) a transaction sees the data as
    of its first read, so without it the test would not see what the browser changed since.
    """
    db.session.commit()


def log_in(page, user_or_email, password=factories.PASSWORD):
    """Log in through the login form and wait for the home page."""
    from playwright.sync_api import expect

    email = getattr(user_or_email, "email", user_or_email)
    commit()  # reading the e-mail may have begun a transaction; a later read must see new data
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def log_out(page):
    from playwright.sync_api import expect

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text("You are logged out.")).to_be_visible()


def screenshot(page, name):
    """Save the page at desktop and phone width into test-artifacts/screenshots/ (ignored by git), for
    reviewers: under `make test-thorough` and in CI (tests/sampling.py), or with TEST_SCREENSHOTS=1.
    `make test` leaves them out (two full-page pictures and two viewport changes for each of some 150
    pages); no test asserts on them."""
    if not (THOROUGH or os.environ.get("TEST_SCREENSHOTS", "").strip() == "1"):
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(original)


def describe_violations(violations) -> str:
    lines = [f"{len(violations)} accessibility violation(s):"]
    for v in violations:
        lines.append(f"\n* {v['id']} ({v.get('impact')}): {v['help']}\n  {v['helpUrl']}")
        for node in v["nodes"][:10]:
            lines.append(f"    - {', '.join(map(str, node['target']))}: {node.get('html', '')[:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n        ")
            if summary:
                lines.append(f"        {summary}")
    return "\n".join(lines)


_AXE = None
_WITHOUT_JS: "weakref.WeakSet" = weakref.WeakSet()  # contexts opened with java_script_enabled=False


def _run_axe(page) -> list:
    global _AXE
    if _AXE is None:
        from axe_playwright_python.sync_playwright import Axe

        _AXE = Axe()
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"], "iframes": False}
    # The pages have no frames, and a clean page needs no CSS selectors of its elements: about a third of
    # axe's time here. Only when there are violations does axe run again to name the elements for the report.
    lean = _AXE.run(page, options={**options, "selectors": False, "ancestry": False})
    if not lean.response["violations"]:
        return []
    return _AXE.run(page, options=options).response["violations"]


def axe_violations(page) -> list:
    """axe-core's WCAG 2.x A/AA and 2.2 AA violations on the page as it is now.

    axe answers through a promise, which never settles where scripts are disabled; a no-JS page
    is checked as a copy: the same markup, served at the same address (so its stylesheet and
    colours apply), in a scratch context where axe may run.

    A click on a link returns once the next page's document has begun, still empty: the check waits
    for it to load (a copy taken earlier would be `<html><head></head><body></body></html>`).
    """
    page.wait_for_load_state("load")
    if page.context not in _WITHOUT_JS:
        return _run_axe(page)
    copy, served = _scratch_page(page.context.browser)
    served["html"] = page.content()
    copy.set_viewport_size(page.viewport_size)
    copy.goto(page.url.partition("#")[0])  # without a fragment: always a new document, never a scroll
    return _run_axe(copy)


_SCRATCH: dict = {}  # one JavaScript page per browser where no-JS pages are copied for axe


def _scratch_page(browser):
    """A page whose every document request is answered with the markup last put in `served["html"]`
    (stylesheets, icons and scripts come from the live server as usual)."""
    if browser not in _SCRATCH:
        served = {}
        copy = browser.new_context(java_script_enabled=True).new_page()

        def serve(route):
            if route.request.resource_type == "document":
                route.fulfill(status=200, content_type="text/html; charset=utf-8", body=served["html"])
            else:
                route.continue_()

        copy.route("**/*", serve)
        _SCRATCH[browser] = (copy, served)
    return _SCRATCH[browser]


def assert_accessible(page, where=""):
    """0 axe violations, or a readable list of them."""
    violations = axe_violations(page)
    assert not violations, f"{where or page.url}\n" + describe_violations(violations)


def expect_focus_within(page, selector):
    """Wait until keyboard focus is on or inside `selector` (after an htmx swap: not lost to <body>)."""
    try:
        page.wait_for_function("s => !!(document.activeElement && document.activeElement.closest(s))", arg=selector)
    except Exception:
        focused = page.evaluate("document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : null")
        raise AssertionError(f"focus is not within {selector}; it is on: {focused}") from None


def assert_reflows(page, width=320):
    """At `width` CSS pixels the page needs no horizontal scrolling (WCAG 1.4.10)."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url}: scrollWidth {scroll_width} > {width}: horizontal scrolling at {width} px"


MARK_FOCUSABLE = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])';
  const items = Array.from(document.querySelectorAll(selector))
    .filter(el => !el.disabled && el.checkVisibility({visibilityProperty: true}))
    .filter(el => !(el.type === 'radio' && el.name) || el === (  // a radio group is one tab stop
      document.querySelector(`input[type=radio][name="${el.name}"]:checked`)
      || document.querySelector(`input[type=radio][name="${el.name}"]`)));
  items.forEach((el, i) => { el.dataset.kbd = String(i); });
  return items.map(el => (el.textContent || el.getAttribute('aria-label') || el.name || el.id || el.tagName).trim().slice(0, 60));
}"""


def tab_through(page):
    """Tab from the top of the page through every link, button and field.

    Returns the names of the focusable elements, the order Tab visited them in (indexes), and the
    names of those Tab never reached.
    """
    names = page.evaluate(MARK_FOCUSABLE)
    order = []
    for _ in range(len(names) + 3):
        page.keyboard.press("Tab")
        index = page.evaluate("document.activeElement && document.activeElement.dataset.kbd")
        if index is None or (order and int(index) == order[0]):
            break
        order.append(int(index))
    missing = [names[i] for i in range(len(names)) if i not in order]
    return names, order, missing
