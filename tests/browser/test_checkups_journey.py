"""A check-up in a real browser, with JavaScript (feedback added, confirmed and answered in place,
announced in the live region) and without it (plain forms and redirects): planned, logged,
given a feedback item, rated in a values pulse by both sides, confirmed by the partner, and its
feedback answered by the team."""
import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible, commit, expect_focus_within, log_in, screenshot

pytestmark = pytest.mark.browser


def _rate_values(page, checkup_url, comment=""):
    """Rate the first value 4 (the others skipped), with an optional comment; back on the check-up."""
    page.get_by_role("link", name="Rate the values").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Values pulse of the check-up")
    first = page.locator("fieldset.pulse-value").first
    first.get_by_label("4", exact=True).check()
    if comment:
        first.get_by_label("Comment (optional)").fill(comment)
    page.get_by_role("button", name="Save my ratings").click()
    expect(page).to_have_url(checkup_url)
    expect(page.locator("#flashes")).to_contain_text("Your values pulse is saved.")
    expect(page.get_by_text("You rated 1 of")).to_be_visible()


def test_a_checkup_is_planned_logged_confirmed_and_its_feedback_answered(new_context, world, js):
    commit()
    project = world.project
    student = new_context(js=js).new_page()
    log_in(student, world.student)

    # Plan: an error first (no date), then the plan.
    student.goto(f"/projects/{project.id}/checkups")
    student.get_by_role("link", name="Plan a check-up").click()
    expect(student.get_by_role("heading", level=1)).to_have_text("Plan a check-up")
    student.get_by_role("button", name="Plan the check-up").click()
    expect(student.locator("#planned_at-error")).to_contain_text("Enter a date and time")
    assert_accessible(student, "check-up plan with an error")
    held = (datetime.now() - timedelta(days=1)).replace(hour=14, minute=0)
    student.get_by_label("Date and time").fill(held.strftime("%Y-%m-%dT%H:%M"))
    student.get_by_label("Channel").select_option(label="Video call")
    student.get_by_label("Agenda").fill("Route planning\nVolunteer rota")
    student.get_by_role("button", name="Plan the check-up").click()
    expect(student).to_have_url(re.compile(rf"/projects/{project.id}/checkups/\d+$"))
    expect(student.locator("#flashes")).to_contain_text("The check-up is planned.")
    expect(student.get_by_role("heading", level=1)).to_contain_text("Check-up of")
    expect(student.get_by_text("Volunteer rota")).to_be_visible()
    checkup_url = student.url

    # Log it: who attended, what was said and decided.
    student.get_by_role("link", name="Log this check-up").click()
    student.get_by_label(world.student.name).check()
    student.get_by_label(world.partner.name).check()
    student.get_by_label("Summary").fill("We walked through the routes of March.")
    student.get_by_label("Decisions").fill("Try the north loop first")
    student.get_by_role("button", name="Save the log").click()
    expect(student).to_have_url(checkup_url)
    expect(student.locator("#flashes")).to_contain_text("The check-up is logged.")
    status = student.locator("#checkup-status")
    expect(status).to_contain_text("We walked through the routes of March.")
    expect(status.get_by_role("listitem").filter(has_text=world.partner.name)).to_have_count(1)

    # A feedback item raised by the partner: the open count follows.
    feedback = student.locator("#checkup-feedback")
    expect(feedback.get_by_role("heading", name=re.compile("Feedback items"))).to_contain_text("(0 open)")
    feedback.get_by_label("Raised by").select_option(label="The partner")
    feedback.get_by_label("Feedback", exact=True).fill("Add the Saturday shift to the rota")
    feedback.get_by_role("button", name="Add the feedback item").click()
    feedback = student.locator("#checkup-feedback")
    expect(feedback.get_by_role("heading", name=re.compile("Feedback items"))).to_contain_text("(1 open)")
    expect(feedback.get_by_role("listitem").filter(has_text="Add the Saturday shift to the rota")).to_have_count(1)
    if js:
        expect(student).to_have_url(checkup_url)  # changed in place, the address still names the check-up
        expect(student.locator("#announcer")).not_to_be_empty()
        expect_focus_within(student, "#checkup-feedback")  # not lost with the swapped-away button
    assert_accessible(student, "check-up with a feedback item")

    # Both sides rate the values; each sees the other's ratings only once both have rated.
    _rate_values(student, checkup_url, comment="We learn a lot")
    expect(student.get_by_text("Partner side: not rated yet")).to_be_visible()
    partner = new_context(js=js).new_page()
    log_in(partner, world.partner)
    partner.goto(checkup_url)
    expect(partner.get_by_text("Student side: has rated")).to_be_visible()
    _rate_values(partner, checkup_url)
    pulse = partner.locator("section[aria-labelledby=pulse-heading]")
    expect(pulse.get_by_text("hidden until both sides rated")).to_have_count(0)
    expect(pulse).to_contain_text("We learn a lot")

    # The partner confirms the log.
    partner.get_by_role("button", name="Confirm this log").click()
    expect(partner.locator("#checkup-status")).to_contain_text(f"confirmed by {world.partner.name}")
    expect(partner.get_by_role("button", name="Confirm this log")).to_have_count(0)
    if js:
        expect(partner.locator("#announcer")).not_to_be_empty()
        expect(partner).to_have_url(checkup_url)
        expect(partner.locator("#announcer")).to_have_text("The check-up's log is confirmed.")
        expect_focus_within(partner, "#checkup-status")
    assert_accessible(partner, "confirmed check-up")
    if js:
        screenshot(partner, "checkup-partner")
        # Back: the previous page (the pulse form), fetched afresh: it now says the pulse is closed.
        partner.go_back()
        expect(partner).to_have_url(re.compile(r"/pulse$"))
        expect(partner.get_by_text("This check-up is closed; its pulse can no longer change.")).to_be_visible()
        partner.go_forward()
        expect(partner).to_have_url(checkup_url)
        expect(partner.locator("#checkup-status")).to_contain_text(f"confirmed by {world.partner.name}")

    # The team answers the feedback: integrated, and where.
    student.reload()
    item = student.locator("#checkup-feedback li").filter(has_text="Add the Saturday shift to the rota")
    item.locator("summary").click()
    item.get_by_label("Response").select_option(label="Integrated")
    item.get_by_label("Where it was integrated").fill("The rota in the handover folder")
    item.get_by_role("button", name="Save the response").click()
    feedback = student.locator("#checkup-feedback")
    expect(feedback.get_by_role("heading", name=re.compile("Feedback items"))).to_contain_text("(0 open)")
    expect(feedback).to_contain_text("The rota in the handover folder")
    if js:
        expect(student).to_have_url(checkup_url)
    partner.reload()
    expect(partner.locator("#checkup-feedback")).to_contain_text("The rota in the handover folder")
