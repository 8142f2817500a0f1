"""The showcase in a real browser, with JavaScript (htmx, in place) and without: the student drafts,
the partner publishes, a visitor on a phone finds and reads it (accessible, no horizontal scrolling),
the partner withdraws it and the visitor's page says it is gone."""
import re

import pytest
from playwright.sync_api import expect

from ..cases.showcase import handed_over
from .conftest import PHONE, assert_accessible, assert_reflows, commit, expect_focus_within, log_in, screenshot

pytestmark = pytest.mark.browser


def test_a_result_is_published_read_on_a_phone_and_withdrawn(new_context, world, js):
    deliverable, _version = handed_over(world.project, world.student, world.partner, title="Courtyard guide")
    commit()
    url = f"/projects/{world.project.id}/deliverables/{deliverable.id}"

    student = new_context(js=js).new_page()
    log_in(student, world.student)
    student.goto(url)
    panel = student.locator("#showcase")
    expect(panel).to_contain_text("Only the partner publishes")
    panel.get_by_label("Short summary for the public").fill("A guide residents use to green their courtyard.")
    panel.get_by_label("public-guide.pdf").check()
    with student.expect_response(lambda r: r.url.endswith("/showcase") and r.request.method == "POST"):
        panel.get_by_role("button", name="Save the showcase text").click()  # saved before the partner opens the page
    expect(student.locator("#showcase" if js else "#flashes")).to_contain_text(
        "Only the partner publishes" if js else "is saved")
    assert_accessible(student, "the panel, drafted")

    partner = new_context(js=js).new_page()
    log_in(partner, world.partner)
    partner.goto(url)
    panel = partner.locator("#showcase")
    panel.get_by_label("What the partner says about its use").fill("We hand it out at every meeting.")
    with partner.expect_response(lambda r: r.url.endswith("/showcase") and r.request.method == "POST"):
        panel.get_by_role("button", name="Save the showcase text").click()  # the panel's new version, then publish
    expect(partner.locator("#showcase").get_by_label("What the partner says about its use")).to_have_value(
        "We hand it out at every meeting.")
    partner.locator("#showcase").get_by_role("button", name="Publish in the showcase").click()
    expect(partner.locator("#showcase")).to_contain_text("Published")
    if js:
        expect_focus_within(partner, "#showcase")
    assert_accessible(partner, "the panel, published")

    visitor = new_context(js=js, viewport=PHONE).new_page()
    visitor.goto("/login")
    visitor.get_by_role("link", name="Showcase: published results").click()
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("Showcase")
    assert_accessible(visitor, "the showcase")
    assert_reflows(visitor, PHONE["width"])
    visitor.get_by_label("Search title and summary").fill("courtyard")
    visitor.get_by_role("button", name="Show results").click()
    expect(visitor).to_have_url(re.compile(r"q=courtyard"))
    visitor.get_by_role("link", name="Courtyard guide").click()
    expect(visitor).to_have_url(re.compile(r"/showcase/\d+$"))
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("Courtyard guide")
    expect(visitor.locator("main")).to_contain_text("We hand it out at every meeting.")
    expect(visitor.get_by_role("link", name="public-guide.pdf", exact=True)).to_have_attribute(
        "href", re.compile(r"^/showcase/\d+/files/\d+$"))
    assert_accessible(visitor, "a result")
    assert_reflows(visitor, PHONE["width"])
    screenshot(visitor, "showcase-result")
    result_url = visitor.url

    partner.locator("#showcase").get_by_role("link", name="Withdraw from the showcase").click()
    partner.get_by_role("button", name="Withdraw it").click()
    expect(partner.locator("#flashes")).to_contain_text("is withdrawn from the showcase")
    response = visitor.goto(result_url)
    assert response.status == 410
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("no longer published")
    assert_accessible(visitor, "a withdrawn result")
