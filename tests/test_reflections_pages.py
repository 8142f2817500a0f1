"""Reflections (issue 20): the list comes a page at a time with a fixed number of queries, and a
timeline line about a reflection links to it only for readers who may open it now, so one made
private (or deleted) since it was shared is never a link to a 404 page."""
import re

import pytest

from workspace.extensions import db
from workspace.models import Reflection

from .test_reflections import base, entry, teammate


@pytest.fixture
def small_pages(app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 3)


def _bodies(html):
    return re.findall(r"Entry (\d+)", html)


def test_the_list_comes_a_page_at_a_time_newest_first(client, world, small_pages):
    for n in range(7):
        entry(world, "shared", body=f"Entry {n}")
    client.login(world.student)
    first = client.get(base(world)).get_data(as_text=True)
    assert _bodies(first) == ["6", "5", "4"] and "Page 1 of 3" in first and '<span class="count">(7)</span>' in first
    assert f'href="{base(world)}?page=2" rel="next"' in first
    assert _bodies(client.get(f"{base(world)}?page=3").get_data(as_text=True)) == ["0"]
    assert _bodies(client.get(f"{base(world)}?page=99").get_data(as_text=True)) == []
    assert client.get(f"{base(world)}?page=x").status_code == 200


def test_a_teammate_counts_and_pages_only_what_they_may_read(client, world, small_pages):
    tess = teammate(world)
    for n in range(4):
        entry(world, "private", body=f"Entry {n}")
    entry(world, "shared", body="Entry 9")
    client.login(tess)
    html = client.get(base(world)).get_data(as_text=True)
    assert _bodies(html) == ["9"] and '<span class="count">(1)</span>' in html and "Page 1 of" not in html


def test_the_list_makes_as_many_queries_for_one_page_as_for_many(client, world, small_pages, count_queries):
    client.login(world.teacher)
    entry(world, "shared")
    client.get(base(world))
    with count_queries() as one:
        client.get(base(world))
    for n in range(10):
        entry(world, "shared" if n % 2 else "private", author=teammate(world, f"Mate {n}"))
    with count_queries() as many:
        html = client.get(f"{base(world)}?page=2").get_data(as_text=True)
    assert "Page 2 of 4" in html
    assert len(one) == len(many)


def _made_private(client, world):
    """The student shares an entry, then makes it private through the edit form."""
    client.login(world.student)
    client.post_form(f"{base(world)}/new", {"prompt": "", "body": "Shared first", "visibility": "shared"})
    reflection = db.session.scalar(db.select(Reflection))
    edit = f"{base(world)}/{reflection.id}/edit"
    response = client.post_form(edit, {"body": "Shared first", "visibility": "private",
                                       "version": reflection.version}, token_from=edit)
    assert response.status_code == 303
    return reflection


def _line(html, text="shared a reflection with the team"):
    """The timeline entry holding `text`, as HTML."""
    return next(item for item in html.split("<li") if text in item)


def test_a_reflection_made_private_keeps_its_timeline_line_without_a_dead_link(client, world):
    reflection = _made_private(client, world)
    tess = teammate(world)
    href = f'href="{base(world)}/{reflection.id}"'
    pages = (f"/projects/{world.project.id}/timeline", f"/projects/{world.project.id}")  # the timeline and its board part
    for reader, opens in ((world.student, True), (world.teacher, True), (tess, False), (world.partner, False)):
        client.login(reader)
        assert (client.get(f"{base(world)}/{reflection.id}").status_code == 200) == opens, reader.name
        for page in pages:
            line = _line(client.get(page).get_data(as_text=True))
            assert (href in line) == opens, (reader.name, page, line)
            assert "Shared first" not in line


def test_a_shared_reflection_links_for_the_team_but_never_for_the_partner(client, world):
    reflection = entry(world, "shared")
    client.login(world.student)
    client.post_form(f"{base(world)}/{reflection.id}/responses", {"body": "A note to self"})
    tess = teammate(world)
    href = f'href="{base(world)}/{reflection.id}"'
    for reader, linked in ((tess, True), (world.teacher, True), (world.partner, False)):
        client.login(reader)
        line = _line(client.get(f"/projects/{world.project.id}/timeline").get_data(as_text=True), "replied under")
        assert (href in line) == linked, reader.name


def test_a_deleted_reflection_leaves_lines_without_links(client, world):
    client.login(world.student)
    client.post_form(f"{base(world)}/new", {"prompt": "", "body": "Soon gone", "visibility": "shared"})
    page = f"{base(world)}/{db.session.scalar(db.select(Reflection.id))}"
    client.post_form(f"{page}/delete", token_from=f"{page}/delete")
    assert db.session.scalar(db.select(db.func.count()).select_from(Reflection)) == 0
    for reader in (world.student, world.teacher):
        client.login(reader)
        html = client.get(f"/projects/{world.project.id}/timeline").get_data(as_text=True)
        assert "shared a reflection with the team" in html and "deleted a reflection" in html
        assert f'href="{page}"' not in html


def test_the_timeline_makes_as_many_queries_with_many_reflection_lines(client, world, count_queries):
    entry(world, "shared")
    client.login(world.student)
    client.post_form(f"{base(world)}/new", {"prompt": "", "body": "One", "visibility": "shared"})
    path = f"/projects/{world.project.id}/timeline"
    client.get(path)
    with count_queries() as few:
        client.get(path)
    for n in range(8):
        client.post_form(f"{base(world)}/new", {"prompt": "", "body": f"More {n}", "visibility": "shared"})
    with count_queries() as many:
        html = client.get(path).get_data(as_text=True)
    assert html.count("shared a reflection with the team") == 9
    assert len(few) == len(many)
