"""The teacher's dashboard in a real browser: it changes as the students act, and the teacher
exports what it shows as a CSV file (downloaded by the browser, with and without JavaScript)."""
import csv
import io

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible, commit, log_in, screenshot

pytestmark = pytest.mark.browser


def _row(page, title):
    return page.locator("table.dashboard tbody tr").filter(has=page.get_by_role("link", name=title))


def test_the_dashboard_follows_the_students_and_exports_csv(new_context, world, js):
    commit()
    title = world.project.title
    teacher = new_context(js=js).new_page()
    log_in(teacher, world.teacher)
    teacher.goto(f"/courses/{world.course.id}/dashboard")
    expect(teacher.get_by_role("heading", level=1)).to_have_text(f"Dashboard of {world.course.name}")
    expect(_row(teacher, title)).to_contain_text("0 awaiting")
    expect(teacher.get_by_role("link", name=world.other_project.title)).to_have_count(0)  # another course's

    student = new_context(js=js).new_page()
    log_in(student, world.student)
    student.goto(f"/projects/{world.project.id}")
    student.get_by_role("link", name="Propose a goal").click()
    student.get_by_label("Goal", exact=True).fill("Families wait less than 30 minutes")
    student.get_by_label("The partner's need it answers").fill("Queues are long on Saturdays")
    student.get_by_role("button", name="Propose the goal").click()
    expect(student.locator("#flashes")).to_contain_text("is proposed")

    teacher.reload()
    expect(_row(teacher, title)).to_contain_text("1 awaiting")
    assert_accessible(teacher, "dashboard with a goal awaiting agreement")
    if js:
        screenshot(teacher, "teacher-dashboard")

    with teacher.expect_download(timeout=5000) as info:  # a download starts at once, or never
        teacher.get_by_role("link", name="Export as CSV").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig") as fh:
        rows = list(csv.reader(io.StringIO(fh.read())))
    titles = [row[0] for row in rows[1:]]
    assert title in titles and world.other_project.title not in titles, rows
    assert any("1" in cell for cell in rows[titles.index(title) + 1]), rows
