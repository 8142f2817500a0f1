"""Every foundation page of every role, in a real browser: axe-core finds no WCAG 2.2 AA
violation, the page reflows at 320 px without horizontal scrolling, and the main pages are
photographed at desktop and phone width. The keyboard reaches everything, skip link first.

Problems are collected page by page and reported together, so one run shows all of them.
"""
import re

import pytest
from playwright.sync_api import expect

from workspace.auth.services import invite

from .conftest import (
    DESKTOP, assert_accessible, axe_violations, commit, describe_violations, log_in, screenshot, tab_through,
)

pytestmark = pytest.mark.browser


def _check(page, name, problems, shoot=False, reflow=True):
    """axe and reflow on the page as it is now; a screenshot of the main pages."""
    violations = axe_violations(page)
    if violations:
        problems.append(f"--- {name} ({page.url})\n" + describe_violations(violations))
    if reflow:
        page.set_viewport_size({"width": 320, "height": 640})
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            problems.append(f"--- {name} ({page.url}): scrollWidth {width} > 320, horizontal scrolling at 320 px")
        page.set_viewport_size(DESKTOP)
    if shoot:
        screenshot(page, name)


def _visit(page, path, name, problems, heading=None, **kwargs):
    page.goto(path)
    if heading:
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    _check(page, name, problems, **kwargs)


def _submit_empty(page, button, name, problems):
    """Send a form empty: the page with its error messages must be accessible too."""
    page.get_by_role("button", name=button).click()
    expect(page.locator(".error-summary")).to_be_visible()
    _check(page, name, problems, reflow=False)


def _invitation_path(app, world):
    with app.test_request_context():
        _inv, link = invite(world.teacher, "newcomer@example.org", "student", world.course, world.project)
    commit()
    return "/invitations/" + link.rsplit("/invitations/", 1)[1]


def _no_problems(problems):
    assert not problems, "\n\n".join(problems)


def test_pages_without_an_account(page, app, world):
    problems = []
    invitation = _invitation_path(app, world)
    _visit(page, "/login", "login", problems, heading="Log in", shoot=True)
    _submit_empty(page, "Log in", "login-errors", problems)
    _visit(page, "/password/forgot", "forgot-password", problems, heading="Forgot your password")
    _submit_empty(page, "Send the link", "forgot-password-errors", problems)
    _visit(page, "/password/reset/not-a-real-token", "reset-link-problem", problems)
    _visit(page, invitation, "invitation", problems, heading="You are invited", shoot=True)
    _submit_empty(page, "Create the account and join", "invitation-errors", problems)
    _visit(page, "/no-such-page", "404-anonymous", problems)
    expect(page.get_by_text("We could not find that page.")).to_be_visible()
    _no_problems(problems)


def test_pages_of_a_student(page, world):
    problems = []
    log_in(page, world.student)
    _check(page, "student-home", problems, shoot=True)
    _visit(page, f"/projects/{world.project.id}", "student-project", problems, heading=world.project.title, shoot=True)
    _visit(page, "/profile", "student-profile", problems, heading="Your profile")
    page.get_by_label("Name", exact=True).fill("")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".error-summary")).to_be_visible()
    _check(page, "profile-errors", problems, reflow=False)
    _visit(page, "/profile/password", "student-password", problems, heading="Change your password")
    _submit_empty(page, "Change the password", "password-errors", problems)
    _visit(page, f"/projects/{world.other_project.id}", "404-signed-in", problems)
    expect(page.get_by_text("We could not find that page.")).to_be_visible()
    _no_problems(problems)


def test_pages_of_a_partner(page, world):
    problems = []
    log_in(page, world.partner)
    _check(page, "partner-home", problems, shoot=True)
    _visit(page, f"/projects/{world.project.id}", "partner-project", problems, heading=world.project.title)
    _visit(page, f"/organisations/{world.project.organisation_id}", "partner-organisation", problems,
           heading=world.project.organisation.name, shoot=True)
    _no_problems(problems)


def test_pages_of_a_teacher(page, world):
    problems = []
    project, course = world.project, world.course
    log_in(page, world.teacher)
    _check(page, "teacher-home", problems, shoot=True)
    _visit(page, f"/courses/{course.id}", "teacher-course", problems, heading=course.name, shoot=True)
    _visit(page, f"/courses/{course.id}/edit", "course-edit", problems, heading="Edit course")
    _visit(page, "/courses/new", "course-new", problems, heading="New course")
    _submit_empty(page, "Create the course", "course-errors", problems)
    _visit(page, f"/courses/{course.id}/invite", "course-invite", problems)
    _visit(page, f"/projects/{project.id}", "teacher-project", problems, heading=project.title, shoot=True)
    _visit(page, f"/projects/{project.id}/edit", "project-edit", problems, heading="Edit project")
    page.get_by_label("Project title").fill("")
    page.get_by_role("button", name="Save the project").click()
    expect(page.locator(".error-summary")).to_be_visible()
    _check(page, "project-errors", problems, reflow=False)
    _visit(page, f"/projects/{project.id}/invite", "project-invite", problems, heading="Invite people")
    _submit_empty(page, "Create the invitation", "invite-errors", problems)
    page.get_by_label("E-mail address of the person to invite").fill("someone@example.org")
    page.get_by_role("button", name="Create the invitation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitation created")
    _check(page, "invitation-created", problems)
    _visit(page, "/organisations/", "organisations", problems, heading="Partner organisations", shoot=True)
    _visit(page, f"/organisations/{project.organisation_id}", "organisation", problems, heading=project.organisation.name)
    _visit(page, "/organisations/new", "organisation-new", problems)
    _submit_empty(page, "Save", "organisation-errors", problems)
    _no_problems(problems)


def test_pages_of_an_admin(page, world):
    problems = []
    log_in(page, world.admin)
    _check(page, "admin-home", problems)
    _visit(page, "/admin/users", "admin-users", problems, heading="Users", shoot=True)
    _visit(page, f"/admin/users/{world.student.id}", "admin-user", problems, heading=world.student.name)
    _visit(page, "/admin/courses", "admin-courses", problems, heading="Courses", shoot=True)
    _submit_empty(page, "Create the course", "admin-course-errors", problems)
    _no_problems(problems)


# ---- keyboard ----------------------------------------------------------------------------------

def _skip_link_first(page):
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()  # shown when focused, not left off-screen
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_the_keyboard_reaches_everything_on_the_login_form(new_context, world, js):
    page = new_context(js=js).new_page()
    page.goto("/login")
    _skip_link_first(page)
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-mail address")).to_be_focused()
    page.keyboard.type(world.student.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type("correct-horse-battery")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")

    page.goto("/login?next=/profile")  # signed in: straight on
    expect(page).to_have_url(re.compile(r"/profile$"))


def test_the_keyboard_reaches_every_link_and_button(page, world):
    page.goto("/login")
    page.locator("body").focus()
    names, order, missing = tab_through(page)
    assert not missing, f"not reachable by Tab on the login page: {missing}"
    assert names[order[0]] == "Skip to main content"

    log_in(page, world.teacher)
    page.goto(f"/projects/{world.project.id}")
    _skip_link_first(page)
    page.goto(f"/projects/{world.project.id}")
    names, order, missing = tab_through(page)
    assert names[order[0]] == "Skip to main content", f"first focus: {names[order[0]]}"
    assert not missing, f"not reachable by Tab on the project page: {missing}"
    assert len(order) == len(set(order)) == len(names)
    assert_accessible(page, "project page after tabbing")


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_the_axe_check_finds_and_names_violations(new_context, js):
    """The check the other tests rely on: axe runs lean on a clean page, and names the elements of a faulty one."""
    page = new_context(js=js).new_page()
    page.route("**/faulty", lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=(
        '<!doctype html><html lang="en"><head><title>Faulty</title></head><body><main><h1>Faulty</h1>'
        '<img src="data:," id="no-alt"><button id="no-name"></button>'
        '<p style="color:#bbb;background:#fff">Pale words</p></main></body></html>')))
    page.goto("/faulty")
    violations = {v["id"]: [t for node in v["nodes"] for t in node["target"]] for v in axe_violations(page)}
    assert violations.get("image-alt") == ["#no-alt"] and violations.get("button-name") == ["#no-name"]
    assert "color-contrast" in violations, violations
    page.goto("/login")
    assert axe_violations(page) == []
