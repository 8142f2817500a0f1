"""The project timeline: newest first, filterable by kind and person, paged, members only."""
from datetime import timedelta

import pytest

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


# The `timeline_entry` macro (templates/timeline/_entry.html) and the loop that called it, before the
# lines were written in Python (workspace/timeline/routes.py `timeline_items`).
_ENTRY_LOOP = """{% macro timeline_entry(entry, link_for) %}<li class="timeline-entry">
  {{ entry.created_at|ago }}
  {% set href = link_for(entry) %}
  <span class="timeline-summary">{% if href %}<a href="{{ href }}">{{ entry.summary|localized(entry.summary_made) }}</a>{% else %}{{ entry.summary|localized(entry.summary_made) }}{% endif %}</span>
</li>{% endmacro %}{% for entry in entries %}{{ timeline_entry(entry, link_for) }}{% endfor %}@@SPLIT@@{{ timeline_items(entries, link_for) }}"""


@pytest.mark.parametrize("locale", ["en", "nl"])
def test_the_lines_written_in_python_are_the_macro(app, locale, monkeypatch):
    """Every demo project's whole timeline (its lines made again in the reader's language, with links
    and without, a private reflection's line unlinked) and hostile lines, on the page's models and the
    board's plain rows, for a student, a partner and a teacher."""
    from flask import render_template_string

    from workspace import ui
    from workspace.timeline import routes

    moment = utcnow()  # both halves say "ago" of the same moment
    monkeypatch.setitem(app.jinja_env.filters, "ago", lambda value: ui.ago(value, now=moment))
    monkeypatch.setattr(routes, "ago", lambda value: ui.ago(value, now=moment))
    from flask_login import login_user

    from workspace.models import Activity, Project, ProjectMember, User
    from workspace.sections import links_for
    from workspace.timeline.routes import _BOARD_NEWEST

    from .snapshots import demo_world

    demo_world(app)
    hostile = "<script>alert('x')</script> & “quotes” \"double\" {{ 7*7 }} %(n)s"
    compared = linked = made = 0
    with app.test_request_context("/"):
        for project in db.session.scalars(db.select(Project).order_by(Project.id)):
            record(None, "edited", project, hostile, project=project)
            db.session.flush()
            readers = db.session.scalars(db.select(User).join(ProjectMember).where(
                ProjectMember.project_id == project.id).order_by(ProjectMember.role, User.id)).all()
            for reader in readers[:1] + readers[-1:]:
                reader.locale = locale
                login_user(reader)
                rows = db.session.scalars(db.select(Activity).where(Activity.project_id == project.id)
                                          .order_by(Activity.created_at.desc(), Activity.id.desc())).all()
                for entries in (rows, _BOARD_NEWEST({"project_id": project.id})):
                    link_for = links_for(entries, reader)
                    loop, written = render_template_string(_ENTRY_LOOP, entries=entries,
                                                           link_for=link_for).split("@@SPLIT@@")
                    assert written == loop
                    compared += len(entries)
                    linked += written.count("<a href=")
                    made += sum(1 for e in entries if e.summary_made)
        db.session.rollback()
    assert compared > 100 and linked and made
    assert "&lt;script&gt;" in written and "<script>" not in written
