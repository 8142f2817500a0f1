"""The project timeline: newest first, filterable by kind and person, paged, members only."""
from datetime import timedelta

from workspace.activity import record
from workspace.extensions import db
from workspace.models.base import utcnow


def _entries(world, n, actor=None):
    for i in range(n):
        entry = record(actor or world.student, "edited", world.project, f"Entry number {i}", project=world.project)
        entry.created_at = utcnow() - timedelta(minutes=n - i)
    db.session.commit()


def test_timeline_lists_newest_first_and_pages(client, world):
    _entries(world, 35)
    client.login(world.partner)
    html = client.get(f"/projects/{world.project.id}/timeline").get_data(as_text=True)
    assert html.index("Entry number 34") < html.index("Entry number 33")
    assert "Entry number 4<" not in html and "Page 1 of 2" in html
    older = client.get(f"/projects/{world.project.id}/timeline?page=2").get_data(as_text=True)
    assert "Entry number 4<" in older


def test_timeline_filters_by_person(client, world):
    _entries(world, 2, actor=world.student)
    record(world.partner, "edited", world.project, "Partner did this", project=world.project)
    db.session.commit()
    client.login(world.teacher)
    html = client.get(f"/projects/{world.project.id}/timeline?person={world.partner.id}").get_data(as_text=True)
    assert "Partner did this" in html and "Entry number 0" not in html
    html = client.get(f"/projects/{world.project.id}/timeline?kind=nothing-like-this").get_data(as_text=True)
    assert "No activity matches this filter." in html


def test_board_shows_recent_activity_and_escapes_it(client, world):
    record(world.student, "edited", world.project, "<b>bold</b> move", project=world.project)
    db.session.commit()
    client.login(world.student)
    html = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert "Recent activity" in html and "&lt;b&gt;bold&lt;/b&gt; move" in html


def test_timeline_of_another_project_is_not_found(client, world):
    client.login(world.other_partner)
    assert client.get(f"/projects/{world.project.id}/timeline").status_code == 404


def test_timeline_queries_do_not_grow_with_entries(client, world, count_queries):
    _entries(world, 3)
    client.login(world.student)
    with count_queries() as few:
        client.get(f"/projects/{world.project.id}/timeline")
    _entries(world, 60)
    with count_queries() as many:
        client.get(f"/projects/{world.project.id}/timeline")
    assert len(few) == len(many)
