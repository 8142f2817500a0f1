"""Server work per request (issue 19): an action's notifications and e-mails are written in one
statement each and still reach every recipient; responses are compressed at a cheap level, static files once."""
import re
from datetime import date, datetime, timezone

import pytest

from workspace.extensions import db
from workspace.models import Notification, OutboxMessage, ProjectMember

from .factories import create_goal, create_user


def test_a_goal_decision_tells_six_people_in_one_insert_of_notes_and_one_of_mail(client, world, count_queries,
                                                                                   sent_mail):
    students = [world.student] + [create_user(f"Student {n}") for n in range(5)]
    for student in students[1:]:
        db.session.add(ProjectMember(project_id=world.project.id, user_id=student.id, role="student"))
    goal = create_goal(world.project, world.student, title="Routes for every family")
    db.session.commit()
    client.login(world.partner)
    sent_mail.clear()
    with count_queries() as statements:
        response = client.post_form(f"/projects/{world.project.id}/goals/{goal.id}/approve",
                                    {"version": goal.version, "view": "board"}, htmx=True)
    assert response.status_code == 200
    inserts = [s.split("(")[0].strip() for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert inserts.count("INSERT INTO notification") == 1
    assert inserts.count("INSERT INTO outbox_message") == 1
    notes = db.session.scalars(db.select(Notification).where(Notification.key.like(f"%{goal.id}%"))).all()
    assert sorted(n.user_id for n in notes) == sorted(s.id for s in students)
    assert all(n.emailed_at is not None and n.project_id == world.project.id for n in notes)
    # delivered right after the commit, as before: each student once, and nothing left in the outbox
    assert sorted(m["to"] for m in sent_mail) == sorted(s.email for s in students)
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.sent_at.is_(None))) == 0


def test_a_static_file_is_compressed_once_per_process_and_pages_at_the_page_level(client, world, monkeypatch):
    import gzip

    from workspace import assets

    levels = []
    real = gzip.compress
    monkeypatch.setattr(assets.gzip, "compress", lambda data, compresslevel: levels.append(compresslevel) or
                        real(data, compresslevel=compresslevel))
    assets._static_gzip.clear()
    page = gzip.decompress(client.get("/login", headers={"Accept-Encoding": "gzip"}).get_data()).decode()
    css = re.search(r'href="(/static/[^"]+\.css\?v=[0-9a-f]+)"', page).group(1)
    first = client.get(css, headers={"Accept-Encoding": "gzip"})
    second = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == second.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(first.get_data()) == gzip.decompress(second.get_data()) == client.get(css).get_data()
    assert levels == [assets.PAGE_LEVEL, assets.STATIC_LEVEL]  # the page, then the file once


@pytest.mark.parametrize("locale, zone", [("en", "UTC"), ("nl", "Europe/Amsterdam"), ("en", "America/New_York")])
def test_the_date_and_number_filters_say_what_flask_babel_says(app, locale, zone):
    import flask_babel
    import pytz

    from workspace.fast_format import format_date, format_number

    with app.test_request_context(), flask_babel.force_locale(locale):
        flask_babel._get_current_context().babel_tzinfo = pytz.timezone(zone)
        for value in (date(2026, 1, 5), datetime(2026, 3, 29, 0, 30, tzinfo=timezone.utc), datetime(2026, 12, 31, 23, 30)):
            for fmt in ("medium", "short", "long", "full", "d MMM"):
                assert format_date(value, fmt) == flask_babel.format_date(value, fmt), (value, fmt)
        for value in (3.456, 1234567.891, 0, -0.5, 2.25):
            for fmt in (None, "0.0", "#,##0.00"):
                assert format_number(value, fmt) == flask_babel.format_decimal(value, fmt), (value, fmt)
        assert (format_date(None), format_number(None), format_number("—")) == ("", None, "—")
