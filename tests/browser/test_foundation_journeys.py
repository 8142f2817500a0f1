"""Journeys of the foundation in a real browser, each with JavaScript (htmx) and without it.

Every step asserts what the person sees: headings, messages, names and roles.
"""
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from workspace.extensions import db
from workspace.models import User

from .. import factories
from .conftest import assert_accessible, commit, log_in, log_out, screenshot

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a-brand-new-password"


def _flash(page, text):
    expect(page.locator("#flashes")).to_contain_text(text)


def _invite(page, role_link, email, sent_mail):
    """From the project page: invite someone, check the link shown equals the one e-mailed."""
    page.get_by_role("link", name=role_link).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invite people to")
    page.get_by_label("E-mail address of the person to invite").fill(email)
    page.get_by_role("button", name="Create the invitation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitation created")
    expect(page.get_by_role("status")).to_contain_text(email)
    link = page.get_by_label("Invitation link (single use)").input_value()
    assert "/invitations/" in link
    mails = [m for m in sent_mail if m["to"] == email]
    assert len(mails) == 1 and link in mails[0]["body"], mails
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_text("You are here as teacher")).to_be_visible()
    return link


def _sign_up(context, link, name, role, project_title):
    page = context.new_page()
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("You are invited")
    expect(page.get_by_text(f"to the project {project_title}")).to_contain_text(f"as {role}")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Choose a password").fill(factories.PASSWORD)
    page.get_by_label("Repeat the password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Create the account and join").click()
    expect(page).to_have_url(re.compile(r"/projects/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(project_title)
    _flash(page, f"Welcome, {name}. You have joined.")
    expect(page.get_by_text(f"You are here as {role}")).to_be_visible()
    return page


def _people(page):
    return page.locator("section[aria-labelledby=people-heading]")


def test_teacher_sets_up_a_project_and_the_invitees_join(new_context, js, sent_mail):
    teacher = factories.create_user("Tina Teacher", email="tina@example.org", is_teacher=True)
    factories.create_organisation("Harbour Food Bank")
    commit()
    page = new_context(js=js).new_page()
    log_in(page, teacher)
    expect(page.get_by_text("You do not teach a course yet.")).to_be_visible()

    # A course.
    page.get_by_role("link", name="Create a course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New course")
    page.get_by_label("Course name").fill("Community Lab")
    page.get_by_label("Term").fill("2026 spring")
    page.get_by_role("button", name="Create the course").click()
    expect(page).to_have_url(re.compile(r"/courses/\d+$"))
    _flash(page, "The course Community Lab is created.")
    expect(page.get_by_text("This course has no projects yet.")).to_be_visible()

    # The partner organisation: registered on the way (with JS), or an existing one (without).
    page.get_by_role("link", name="Add a project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New project in Community Lab")
    organisation = "Harbour Food Bank"
    if js:
        organisation = "Neighbourhood Repair Café"
        page.get_by_role("link", name="Register a new partner organisation").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Register a partner organisation")
        page.get_by_label("Name", exact=True).fill(organisation)
        page.get_by_role("button", name="Save").click()
        # Back on the project form, the new organisation already chosen.
        expect(page.get_by_role("heading", level=1)).to_have_text("New project in Community Lab")
        _flash(page, f"{organisation} is registered.")
        expect(page.get_by_label("Partner organisation").locator("option:checked")).to_have_text(organisation)

    # The project.
    page.get_by_label("Project title").fill("Food bank routes")
    page.get_by_label("Partner organisation").select_option(label=organisation)
    page.get_by_label("The problem as the partner first presented it").fill("Volunteers drive too far.")
    page.get_by_label("Start date").fill(date.today().isoformat())
    page.get_by_label("End date").fill((date.today() + timedelta(days=90)).isoformat())
    page.get_by_role("button", name="Create the project").click()
    expect(page).to_have_url(re.compile(r"/projects/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Food bank routes")
    _flash(page, "The project Food bank routes is created.")
    expect(page.locator(".meta")).to_contain_text(organisation)
    expect(page.get_by_text("Volunteers drive too far.")).to_be_visible()
    expect(page.get_by_text("No students yet.")).to_be_visible()
    expect(page.get_by_text("No partner members yet.")).to_be_visible()

    # Invitations: the link is shown to copy and e-mailed.
    student_link = _invite(page, "Invite the team", "sam@example.org", sent_mail)
    partner_link = _invite(page, "Invite the partner", "pat@example.org", sent_mail)

    # The invitees sign up through their links, each in a browser of their own.
    student = _sign_up(new_context(js=js), student_link, "Sam Student", "student", "Food bank routes")
    partner = _sign_up(new_context(js=js), partner_link, "Pat Partner", "partner", "Food bank routes")
    for viewer in (student, partner):
        viewer.reload()
        people = _people(viewer)
        expect(people.get_by_role("heading", name="Student team (1)")).to_be_visible()
        expect(people.get_by_role("heading", name=f"Partner · {organisation} (1)")).to_be_visible()
        expect(people.get_by_role("listitem").filter(has_text="Sam Student")).to_have_count(1)
        expect(people.get_by_role("listitem").filter(has_text="Pat Partner")).to_have_count(1)
        expect(people.get_by_role("listitem").filter(has_text="Tina Teacher")).to_have_count(1)
        expect(viewer.get_by_role("link", name="Invite people")).to_have_count(0)

    page.reload()
    expect(_people(page).get_by_role("heading", name="Student team (1)")).to_be_visible()
    if js:
        screenshot(page, "teacher-project")
        screenshot(student, "student-project")
        screenshot(partner, "partner-project")

    # The student's home lists the project; logging out ends access, also through the back button.
    student.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    expect(student.get_by_role("heading", name="Your projects")).to_be_visible()
    expect(student.get_by_role("link", name="Food bank routes")).to_be_visible()
    partner_url = partner.url
    log_out(partner)
    partner.go_back()
    partner.reload()
    expect(partner.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(partner.get_by_text("Food bank routes")).to_have_count(0)
    expect(partner.get_by_text("Sam Student")).to_have_count(0)
    partner.goto(partner_url)
    expect(partner.get_by_role("heading", level=1)).to_have_text("Log in")


def test_wrong_password_then_reset_through_the_emailed_link(new_context, js, sent_mail):
    user = factories.create_user("Sam Student", email="sam@example.org")
    commit()
    page = new_context(js=js).new_page()
    page.goto("/login")
    page.get_by_label("E-mail address").fill("sam@example.org")
    page.get_by_label("Password", exact=True).fill("not-my-password")
    page.get_by_role("button", name="Log in").click()

    # The message is next to the password field, tied to it, and the e-mail is kept.
    error = page.locator("#password-error")
    expect(error).to_contain_text("That e-mail address and password do not match an account.")
    expect(page.get_by_label("Password", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Password", exact=True)).to_have_attribute("aria-describedby", re.compile("password-error"))
    expect(page.get_by_label("E-mail address")).to_have_value("sam@example.org")
    expect(page.get_by_role("alert")).to_contain_text("Please correct the marked fields")
    assert_accessible(page, "login with an error")

    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgot your password")
    page.get_by_label("E-mail address").fill("sam@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    _flash(page, "If an account exists for sam@example.org")
    assert len(sent_mail) == 1 and sent_mail[0]["to"] == "sam@example.org"
    link = re.search(r"https?://\S+/password/reset/\S+", sent_mail[0]["body"]).group(0)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill("something-else-entirely")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.locator("#confirm-error")).to_contain_text("The two passwords differ.")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    _flash(page, "Your password is changed. Log in with the new one.")

    log_in(page, "sam@example.org", NEW_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Sam Student")

    # The link was single use.
    page.goto(link)
    expect(page.get_by_text("This password reset link is not valid any more")).to_be_visible()
    commit()
    assert db.session.get(User, user.id).check_password(NEW_PASSWORD)


def test_admin_edits_a_user(new_context, js):
    admin = factories.create_user("Ada Admin", email="ada@example.org", is_admin=True)
    factories.create_user("Lou Loner", email="lou@example.org")
    commit()
    page = new_context(js=js).new_page()
    log_in(page, admin)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    page.get_by_label("Search by name or e-mail").fill("lou@")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Lou Loner")
    page.get_by_role("link", name="Lou Loner").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lou Loner")

    page.get_by_label("Name", exact=True).fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the marked fields")
    expect(page.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Name", exact=True).fill("Lou Learner")
    page.get_by_label("Teacher: may create courses and organisations").check()
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    _flash(page, "The account of lou@example.org is saved.")
    row = page.locator("tbody tr").filter(has_text="lou@example.org")
    expect(row).to_contain_text("Lou Learner")
    expect(row).to_contain_text("teacher")
    commit()
    edited = db.session.scalar(db.select(User).filter_by(email="lou@example.org"))
    assert edited.name == "Lou Learner" and edited.is_teacher
