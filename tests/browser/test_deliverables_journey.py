"""The deliverable journey in a real browser, with JavaScript (htmx, upload progress) and without:
a student uploads a version, the partner asks for changes from the home page, the next version
is approved and the partner ticks the handover checklist until it is handed over."""
import re

import pytest
from playwright.sync_api import expect

from workspace.deliverables.demo import tiny_pdf, tiny_png

from .conftest import assert_accessible, assert_reflows, commit, log_in, screenshot

pytestmark = pytest.mark.browser


def _files(tmp_path):
    pdf, png = tmp_path / "guide.pdf", tmp_path / "card.png"
    pdf.write_bytes(tiny_pdf("Guide"))
    png.write_bytes(tiny_png())
    return [str(pdf), str(png)]


def _upload_version(page, note, files, link="", js=False):
    page.get_by_role("link", name="Add a new version").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("New version of")
    page.get_by_label("What changed").fill(note)
    page.get_by_label("Files").set_input_files(files)
    if link:
        page.get_by_label("Links").fill(link)
    assert_accessible(page, "new version form")
    if js:  # record what the progress bar shows while htmx uploads
        page.evaluate("""window.uploadProgress = [];
            document.addEventListener("htmx:xhr:progress", function () {
              var bar = document.querySelector("[data-upload-progress] progress");
              window.uploadProgress.push([bar.value, bar.closest("[data-upload-progress]").hidden]);
            });""")
    page.get_by_role("button", name="Save the version").click()
    expect(page.locator("#flashes")).to_contain_text("is saved as a draft")
    if js:
        progress = page.evaluate("window.uploadProgress")
        assert progress and progress[-1] == [100, False], progress


def test_a_deliverable_goes_from_draft_to_handed_over(new_context, world, js, tmp_path):
    commit()
    student = new_context(js=js).new_page()
    log_in(student, world.student)
    student.goto(f"/projects/{world.project.id}")
    section = student.locator("#deliverables-section")
    expect(section).to_contain_text("No deliverables yet.")
    section.get_by_role("link", name="New deliverable").click()
    assert_accessible(student, "new deliverable form")
    student.get_by_label("Title").fill("Guide for café volunteers")
    student.get_by_label("Kind").select_option("toolkit")
    student.get_by_label("Audience").fill("Volunteers and the seniors they help")
    student.get_by_role("button", name="Start the deliverable").click()
    expect(student.get_by_role("heading", level=1)).to_contain_text("Guide for café volunteers")
    expect(student.locator(".deliverable-status")).to_contain_text("Draft")
    assert_accessible(student, "deliverable page")
    student.get_by_role("link", name="Deliverables").click()
    expect(student.get_by_role("row", name=re.compile("Guide for café volunteers"))).to_contain_text("Draft")
    assert_accessible(student, "list of deliverables")
    student.get_by_role("link", name="Guide for café volunteers").click()

    _upload_version(student, "First draft", _files(tmp_path), "https://video.example.org/guide Walkthrough", js=js)
    version = student.locator("#version-1")
    expect(version.get_by_role("link", name="guide.pdf", exact=True)).to_be_visible()
    expect(version.get_by_role("link", name="Walkthrough")).to_be_visible()
    student.get_by_role("button", name="Submit version 1 for review").click()
    expect(student.locator(".deliverable-status")).to_contain_text("In review")
    if js:
        expect(student.locator("#announcer")).to_contain_text("Version 1 is submitted")

    partner = new_context(js=js).new_page()
    log_in(partner, world.partner)
    queue = partner.locator("#home-deliverables-heading").locator("..")
    expect(queue).to_contain_text("Guide for café volunteers")
    expect(partner.locator("#waiting-badge")).to_contain_text("1")
    assert_accessible(partner, "partner home with a review")
    if js:
        screenshot(partner, "deliverables-partner-home")
    queue.get_by_label("Comment").fill("Please use a bigger font.")
    queue.get_by_role("button", name="Request changes").click()
    if js:
        expect(queue).to_contain_text("You asked the team for changes to version 1")
        expect(partner.locator("#waiting-badge")).not_to_contain_text("1")
    else:
        expect(partner.locator("#flashes")).to_contain_text("You asked the team for changes to version 1")
        expect(queue).to_contain_text("Nothing waits for your review")

    student.reload()
    expect(student.locator(".deliverable-status")).to_contain_text("Changes requested")
    expect(student.locator("#version-1")).to_contain_text("Please use a bigger font.")
    _upload_version(student, "Bigger font", _files(tmp_path))
    student.get_by_role("button", name="Submit version 2 for review").click()
    expect(student.locator(".deliverable-status")).to_contain_text("In review")

    partner.goto(student.url.split("#")[0])
    partner.get_by_role("button", name="Approve version 2").click()
    expect(partner.locator(".deliverable-status")).to_contain_text("Approved")
    for ticked in range(1, 5):
        partner.get_by_role("button", name=re.compile("^Tick")).first.click()
        expect(partner.locator("#handover")).to_contain_text(f"{ticked} of 4 ticked")
    expect(partner.locator(".deliverable-status")).to_contain_text("Handed over")
    expect(partner.locator("#handover")).to_contain_text("4 of 4 ticked")
    assert_accessible(partner, "handed over deliverable")
    if js:
        screenshot(partner, "deliverables-handed-over")
        partner.set_viewport_size({"width": 320, "height": 800})
        assert_reflows(partner)

    preview = partner.request.get(partner.locator("#version-2").get_by_role("link", name=re.compile("^Preview"))
                                  .first.get_attribute("href"))
    assert preview.headers["content-security-policy"] == "default-src 'none'; sandbox"


def test_a_file_over_the_limit_is_named_before_the_upload_starts(app, new_context, world, tmp_path, monkeypatch):
    from workspace.extensions import db

    from ..factories import create_deliverable

    monkeypatch.setitem(app.config, "MAX_FILE_BYTES", 1000)
    deliverable = create_deliverable(world.project, title="Toolkit")
    db.session.commit()
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-" + b"0" * 5000)
    page = new_context().new_page()
    log_in(page, world.student)
    page.goto(f"/projects/{world.project.id}/deliverables/{deliverable.id}/versions/new")
    page.get_by_label("Files").set_input_files(str(big))
    expect(page.get_by_role("alert")).to_contain_text("This file is larger than 1000 bytes: big.pdf")
    page.get_by_label("What changed").fill("Too big")
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.get_by_role("button", name="Save the version").click()
    page.wait_for_timeout(500)
    assert posts == []  # the browser did not send it
