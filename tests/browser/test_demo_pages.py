"""The demo data (`flask seed-demo`) through each role's eyes: every main page of every feature,
full of content in all its states, has 0 axe violations (WCAG 2.2 AA), reflows at 320 px, breaks
no word inside itself in a table cell at 1280 and 390 px (issue 21), and is photographed at
desktop and phone width for reviewers (test-artifacts/screenshots/demo-*).
"""
import pytest
from playwright.sync_api import expect

from workspace.extensions import db
from workspace.models import CheckUp, Deliverable, Goal, Reflection
from workspace.seed import DEMO_PASSWORD

from ..snapshots import demo_world

from .conftest import DESKTOP, axe_violations, describe_violations, log_in, screenshot, tab_through

pytestmark = pytest.mark.browser


def _first_id(model, project):
    return db.session.scalar(db.select(model.id).where(model.project_id == project.id).order_by(model.id))


def _pages(demo, role):
    project = demo["projects"][0]
    course = demo["courses"][0]
    p = f"/projects/{project.id}"
    pages = [("home", "/home"), ("project", p), ("timeline", f"{p}/timeline"), ("agreement", f"{p}/agreement"),
             ("checkups", f"{p}/checkups"), ("deliverables", f"{p}/deliverables"),
             ("exports", f"{p}/exports"), ("profile", "/profile"), ("calendar-renew", "/profile/calendar")]
    org = demo["organisations"][0]  # organisations: the page across the years, themes, profile, introduce
    pages += [("organisation", f"/organisations/{org.id}"), ("themes", "/organisations/themes")]
    if role == "partner":
        pages += [("organisation-edit", f"/organisations/{org.id}/edit"),
                  ("organisation-outside", f"/organisations/{demo['organisations'][2].id}")]
    if role == "teacher":
        pages.append(("introduce", f"/organisations/{org.id}/introduce"))
    followup = demo.get("followup")  # a follow-up project and after-project questions
    if followup:
        pages.append(("follow-up-board", f"/projects/{followup['follow_up'].id}"))
        if role == "partner":
            pages.append(("after-project", f"/projects/{demo['after_project']['waiting'].id}/after-project"))
        if role == "teacher":
            pages += [("follow-up-form", f"/projects/{followup['earlier'].id}/follow-up"),
                      ("capacity-built", f"/courses/{followup['past_course'].id}/dashboard")]
    peer = demo.get("peer_feedback")  # the partner's evaluation and peer feedback rounds
    if peer and role == "student":
        pages += [("peer-rate", f"{p}/peer-feedback/{peer['open'].id}"),
                  ("peer-released", f"{p}/peer-feedback/{peer['released'].id}")]
    if peer and role == "teacher":
        peers = f"/courses/{course.id}/peer-feedback"
        pages += [("peer-rounds", peers), ("peer-summary", f"{peers}/{peer['released'].id}"),
                  ("peer-new", f"{peers}/new")]
    if followup and role == "partner":
        pages.append(("evaluation", f"/projects/{demo['after_project']['waiting'].id}/evaluation"))
    for name, model, path in (("goal", Goal, "goals"), ("checkup", CheckUp, "checkups"),
                              ("deliverable", Deliverable, "deliverables")):
        found = _first_id(model, project)
        if found:
            pages.append((name, f"{p}/{path}/{found}"))
    if role in ("student", "teacher"):  # reflections: never the partner's, nor an admin's
        pages.append(("reflections", f"{p}/reflections"))
        found = _first_id(Reflection, project)
        if found:
            pages.append(("reflection", f"{p}/reflections/{found}"))
        if role == "student":
            pages += [("reflection-new", f"{p}/reflections/new"), ("reflection-edit", f"{p}/reflections/{found}/edit"),
                      ("reflection-delete", f"{p}/reflections/{found}/delete")]
    if role in ("student", "partner"):
        pages += [("my-work", "/my-work"), ("notifications", "/notifications")]
    if role == "teacher":
        pages += [("course", f"/courses/{course.id}"), ("dashboard", f"/courses/{course.id}/dashboard"),
                  ("contributions", f"/courses/{course.id}/contributions"), ("values", f"/courses/{course.id}/values")]
    if role == "admin":
        pages += [("admin-users", "/admin/users"), ("admin-courses", "/admin/courses"), ("organisations", "/organisations/")]
    return pages


ACCOUNTS = {"student": "student1@example.org", "partner": "partner1@example.org",
            "teacher": "teacher1@example.org", "admin": "admin@example.org"}


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_every_main_page_of_the_demo_is_accessible_and_reflows(page, app, role):
    demo = demo_world(app)
    pages = _pages(demo, role)
    log_in(page, ACCOUNTS[role], DEMO_PASSWORD)
    problems, tables = [], 0
    for name, path in pages:
        response = page.goto(path)
        if role == "admin" and response.status == 404:
            continue  # not every project page is for an admin; the page says so (checked elsewhere)
        if response.status != 200:
            problems.append(f"--- {role} {name} ({path}): status {response.status}")
            continue
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        violations = axe_violations(page)
        if violations:
            problems.append(f"--- {role} {name} ({path})\n" + describe_violations(violations))
        wordless = page.evaluate(WORDLESS_STATUS)
        if wordless:
            problems.append(f"--- {role} {name} ({path}): a status shown by colour or symbol alone: {wordless}")
        tables += page.locator("main table").count()
        broken = page.evaluate(BROKEN_WORDS)
        if broken:
            problems.append(f"--- {role} {name} ({path}): words broken inside themselves at 1280 px: {broken}")
        # 320: reflow (WCAG 1.4.10); 390: a phone, where no word in a table cell may break; 640: the 1280 px
        # layout zoomed to 200 %
        for width, height in ((320, 640), (390, 844), (640, 640)):
            page.set_viewport_size({"width": width, "height": height})
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                problems.append(f"--- {role} {name} ({path}): scrollWidth {scroll_width} > {width} at {width} px; "
                                f"too wide: {page.evaluate(WIDEST)}")
            if width == 390:
                broken = page.evaluate(BROKEN_WORDS)
                if broken:
                    problems.append(f"--- {role} {name} ({path}): words broken inside themselves at 390 px: {broken}")
        page.set_viewport_size(DESKTOP)
        screenshot(page, f"demo-{role}-{name}")
    assert not problems, "\n\n".join(problems)
    if role == "teacher":
        assert tables >= 3  # the word measure ran over real tables (dashboard, contributions, check-ups…)


@pytest.mark.parametrize("account", ["student1@example.org", "partner1@example.org"])
def test_the_keyboard_reaches_everything_on_the_demo_board(page, app, account):
    """The board full of goals, agreement, check-ups and deliverables: Tab reaches every control, skip link first."""
    demo = demo_world(app)
    log_in(page, account, DEMO_PASSWORD)
    page.goto(f"/projects/{demo['projects'][0].id}")
    names, order, missing = tab_through(page)
    assert order and names[order[0]] == "Skip to main content", f"first focus: {names[order[0]] if order else None}"
    assert not missing, f"not reachable by Tab on the board: {missing}"
    assert len(order) == len(set(order)) == len(names)


# Status marks (status-*, signal-*, state-*, badge…) must carry words, not only a colour or a symbol.
WORDLESS_STATUS = """() => Array.from(document.querySelectorAll(
    '[class*="status"], [class*="signal"], [class*="state-"], [class*="badge"]'))
  .filter(e => e.checkVisibility() && e.textContent.trim() && !/[\\p{L}\\p{N}]/u.test(e.textContent + (e.getAttribute('aria-label') || '')))
  .slice(0, 5).map(e => e.outerHTML.slice(0, 160))"""


# The innermost elements that stick out to the right: what to fix when a page does not reflow.
WIDEST = """() => Array.from(document.querySelectorAll('main *'))
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .filter(e => !Array.from(e.children).some(c => c.getBoundingClientRect().right > document.documentElement.clientWidth + 1))
  .slice(0, 5).map(e => e.outerHTML.slice(0, 160))"""


# Every word in a table cell (between spaces; a hyphen or dash ends a part, as a line may break after
# it), measured by its line boxes: a word whose boxes stand on more than one line was broken inside
# itself ("agree|d", "12/6/2|6").
BROKEN_WORDS = r"""() => {
  const broken = [];
  for (const cell of document.querySelectorAll('main td, main th')) {
    if (!cell.checkVisibility()) continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || !parent.checkVisibility() || parent.closest('.visually-hidden')) continue;
      for (const match of node.textContent.matchAll(/[^\s\-\u2010\u2013\u2014]+[\-\u2010\u2013\u2014]?/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken.slice(0, 10);
}"""
