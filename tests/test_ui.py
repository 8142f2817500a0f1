"""The visual system over HTTP: unambiguous dates in both languages, relative times in <time>, the style
page for administrators only, a new teacher's first page, empty states with their action, data pages
wide and forms narrow, icons from one sprite, and no inline style or script anywhere."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from flask import render_template_string
from flask_babel import force_locale

from workspace.extensions import db

from .factories import create_goal, create_user


def text(response):
    return response.get_data(as_text=True)


def test_dates_read_day_month_year_in_every_locale_never_month_first_digits(app):
    day, moment = date(2026, 12, 6), datetime(2026, 12, 6, 13, 5, tzinfo=timezone.utc)
    with app.test_request_context():
        with force_locale("en"):
            assert render_template_string("{{ d|date }}|{{ d|date('short') }}", d=day) == "6 Dec 2026|6 Dec 2026"
            assert render_template_string("{{ m|datetime('short') }}", m=moment).startswith("6 Dec 2026, ")
        with force_locale("nl"):
            assert re.fullmatch(r"6 dec\.? 2026", render_template_string("{{ d|date('short') }}", d=day))
        both = render_template_string("{{ d|date('short') }} {{ m|datetime('short') }}", d=day, m=moment)
        assert "12/6/26" not in both


def test_relative_times_carry_the_exact_date_in_a_time_element(app):
    now = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
    with app.test_request_context():
        html = render_template_string("{{ t|ago(now) }}", t=now - timedelta(days=3), now=now)
        assert html.startswith('<time datetime="2026-12-03T12:00+00:00" title="3 Dec 2026, ')
        assert ">3 days ago</time>" in html
        assert ">today</time>" in render_template_string("{{ d|ago }}", d=date.today())
        with force_locale("nl"):
            dutch = render_template_string("{{ t|ago(now) }}", t=now - timedelta(days=3), now=now)
            assert ">3 dagen geleden</time>" in dutch


@pytest.mark.parametrize("zone", ["UTC", "Europe/Amsterdam", "America/St_Johns", "Australia/Lord_Howe"])
def test_a_relative_time_says_what_flask_babel_says(app, zone):
    """`ago` takes its texts from the request's PageFormats (issue 19): the same exact date and words as
    Flask-Babel's format_datetime and babel's format_timedelta, in each language and zone, around the
    changes of the clocks, naive or aware, past or future; a language forced within the request
    (an e-mail in its reader's language) gets its own texts."""
    import random

    import flask_babel
    import pytz
    from babel.dates import format_timedelta
    from markupsafe import Markup

    from workspace.ui import ago

    rng = random.Random(7)
    now = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
    deltas = [timedelta(seconds=s) for s in (0, 1, 44, 89, 90, 3599, 5400, 86399, 129600, -1, -90, -86400 * 40)]
    deltas += [timedelta(seconds=rng.randrange(-3 * 365 * 86400, 400 * 86400)) for _ in range(200)]
    tz = pytz.timezone(zone)
    changes = [t.replace(tzinfo=timezone.utc) for t in getattr(tz, "_utc_transition_times", []) if 2025 <= t.year <= 2027]
    moments = [now - d for d in deltas] + [c + timedelta(minutes=m) for c in changes for m in (-61, -1, 0, 1, 61)]
    moments += [datetime(2026, 3, 29, 0, 30), datetime(2026, 11, 1, 5, 59)]  # naive: UTC
    with app.test_request_context():
        flask_babel._get_current_context().babel_tzinfo = tz
        for locale in ("en", "nl", "en"):
            with force_locale(locale):
                for moment in moments:
                    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
                    expected = Markup('<time datetime="{}" title="{}">{}</time>').format(
                        aware.isoformat(timespec="minutes"), flask_babel.format_datetime(moment),
                        format_timedelta(aware - now, threshold=1.5, add_direction=True,
                                         locale=flask_babel.get_locale()))
                    assert ago(moment, now) == expected, (locale, moment)


def test_the_style_page_is_for_administrators(client, world):
    client.login(world.admin)
    page = text(client.get("/styleguide"))
    for part in ("Type scale", "Buttons: one style per weight", "Badges and signals", "Icons", "Data table",
                 "Empty state", "Card with a menu of actions", 'class="button button-quiet"',
                 'class="badge badge-bad"'):
        assert part in page, part
    assert f'href="{text_url(page)}#check"' in page  # icons come from the one sprite
    home = text(client.get("/home"))
    assert 'href="/styleguide"' in home
    client.logout()
    client.login(world.teacher)
    assert client.get("/styleguide").status_code == 403
    assert 'href="/styleguide"' not in text(client.get("/home"))


def text_url(page):
    return re.search(r'<use href="(/static/icons\.svg\?v=[0-9a-f]+)#', page).group(1)


def test_the_sprite_is_served_with_every_icon_the_templates_name(client, world):
    client.login(world.admin)
    page = text(client.get("/styleguide"))
    sprite = text(client.get(text_url(page)))
    names = set(re.findall(r'#([a-z-]+)"></use>', page))
    assert names and all(f'<symbol id="{name}"' in sprite for name in names)


def test_a_new_teacher_is_walked_to_their_first_course(client):
    teacher = create_user(is_teacher=True)
    db.session.commit()
    client.login(teacher)
    home = text(client.get("/home"))
    assert "You do not teach a course yet." in home and 'class="first-steps"' in home
    assert home.count('href="/courses/new"') == 1
    assert "Create your course" in home and "Invite students and partners" in home


def test_an_empty_board_says_what_to_do_with_the_action(client, world):
    client.login(world.student)
    board = text(client.get(f"/projects/{world.project.id}"))
    empty = board[board.index('class="empty-state"'):]
    assert "No goals yet." in empty[:600] and f'href="/projects/{world.project.id}/goals/new"' in empty[:900]
    client.logout()
    client.login(world.teacher)  # teachers do not propose goals: the empty state has no button for them
    board = text(client.get(f"/projects/{world.project.id}"))
    assert "No goals yet." in board and f'href="/projects/{world.project.id}/goals/new"' not in board


def test_data_pages_are_wide_and_forms_narrow(client, world):
    client.login(world.teacher)
    for path in (f"/courses/{world.course.id}/dashboard", f"/courses/{world.course.id}/contributions",
                 f"/projects/{world.project.id}", f"/projects/{world.project.id}/timeline", "/organisations/"):
        assert 'class="wrap page-data"' in text(client.get(path)), path
    for path in (f"/projects/{world.project.id}/edit", "/courses/new", "/profile"):
        assert 'class="wrap page-reading"' in text(client.get(path)), path


def test_the_board_shows_goals_in_columns_and_dropped_ones_folded(client, world):
    create_goal(world.project, world.student, title="Waiting one")
    create_goal(world.project, world.student, state="agreed", title="Agreed one")
    create_goal(world.project, world.student, state="achieved", title="Achieved one")
    create_goal(world.project, world.student, state="dropped", title="Dropped one")
    db.session.commit()
    client.login(world.student)
    board = text(client.get(f"/projects/{world.project.id}"))
    order = [board.index(marker) for marker in ('id="goal-column-waiting"', "Waiting one", 'id="goal-column-agreed"',
                                                "Agreed one", 'id="goal-column-achieved"', "Achieved one",
                                                '<details class="goal-column goal-column-dropped"', "Dropped one")]
    assert order == sorted(order)
    assert '<details class="menu goal-menu">' in board  # every card's actions in one closed menu
    # the side column: agreement, check-ups, deliverables and recent activity beside the goals
    side = board[board.index('class="board-side"'):]
    for section in ('id="board-agreement"', 'id="board-checkups"', 'id="deliverables-section"', 'id="board-timeline"'):
        assert section in side, section


def test_no_page_carries_an_inline_style_or_script(client, world):
    client.login(world.admin)
    for path in ("/styleguide", "/home", f"/projects/{world.project.id}", f"/courses/{world.course.id}/dashboard"):
        page = text(client.get(path))
        assert not re.search(r"<[^>]+\sstyle=", page), path
        assert not re.search(r"<script(?![^>]*\ssrc=)", page), path


def test_an_icon_is_written_once_per_request_and_name(app):
    """ui.icon keeps each name's markup for the request (in `g`, which a request's own app context
    holds): the same name gives the same markup, another name its own symbol, a new request starts afresh."""
    from workspace.ui import icon

    with app.app_context(), app.test_request_context("/"):
        check, alert = icon("check"), icon("alert")
        assert icon("check") is check and check != alert
        assert re.fullmatch(r'<svg class="icon" aria-hidden="true" focusable="false"><use '
                            r'href="/static/icons\.svg\?v=[0-9a-f]+#check"></use></svg>', str(check))
        assert str(alert).endswith('#alert"></use></svg>')
    with app.app_context(), app.test_request_context("/"):
        assert icon("check") is not check and icon("check") == check


def test_template_addresses_are_built_once_and_follow_where_the_app_is_mounted(app, client):
    """Templates build each address once per process (ui.template_url_for), keyed by where the app is
    mounted: the same page served under a prefix links under that prefix, and at the root again without."""
    from workspace import ui

    assert app.jinja_env.globals["url_for"] is ui.template_url_for
    plain = text(client.get("/login"))
    mounted = text(client.get("/login", environ_overrides={"SCRIPT_NAME": "/ws"}))
    again = text(client.get("/login"))
    assert 'href="/password/forgot"' in plain and 'href="/password/forgot"' in again
    assert 'href="/ws/password/forgot"' in mounted and 'href="/password/forgot"' not in mounted
    assert re.search(r'href="/ws/static/css/app\.css\?v=[0-9a-f]+"', mounted)  # static files keep their version
    with app.app_context(), app.test_request_context("/login"):
        assert ui.template_url_for("auth.login", next="/a") == "/login?next=/a"
        assert ui.template_url_for("auth.login", next="/b") == "/login?next=/b"
        assert ui.template_url_for("auth.login", next=1) == "/login?next=1"
        assert ui.template_url_for("auth.login", next=True) == "/login?next=True"  # the value's type is in the key
        for _ in range(2):  # a value left out (None), as Flask leaves it out, and kept
            assert ui.template_url_for("auth.login", next=None) == "/login" == ui.template_url_for("auth.login")
        assert ("", "auth.login", ("next", type(None), None)) in app.extensions["workspace.urls"]
        assert ui.template_url_for("auth.login", _anchor="top") == "/login#top"
        assert ui.template_url_for("auth.login", next=["/c", "/d"]) == "/login?next=/c&next=/d"
        memo = app.extensions["workspace.urls"]
        kept = len(memo)
        long = "/" + "a" * 200  # a stranger's text: built, never kept
        assert ui.template_url_for("auth.login", next=long) == f"/login?next={long}" and len(memo) == kept
    for host in ("a.example", "b.example"):  # options (here `_external`) go to Flask every time
        with app.app_context(), app.test_request_context("/login", base_url=f"http://{host}"):
            assert ui.template_url_for("auth.login", _external=True) == f"http://{host}/login"
    for path in ("/showcase", "/notifications"):  # relative to the request's blueprint
        with app.app_context(), app.test_request_context(path):
            assert ui.template_url_for(".index") == path
