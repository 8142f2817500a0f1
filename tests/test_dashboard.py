"""The teacher dashboard: signals per project, reasons in words, filter, sort, search, CSV."""
import csv
import io
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from markupsafe import escape

from workspace.activity import record
from workspace.extensions import db
from workspace.models.agreement import Agreement, AgreementAcceptance, AgreementVersion, Responsibility
from workspace.models.base import utcnow
from workspace.models.checkup import CheckUp, FeedbackItem, PulseRating
from workspace.models.deliverable import Deliverable
from workspace.models.goal import Goal

from .factories import create_project


def _stuck(world):
    """The world's project: a goal the partner left for 9 days, late promises, an old check-up."""
    now = utcnow()
    project = world.project
    db.session.add(Goal(project_id=project.id, title="Map the routes", proposer_side="student",
                        proposer_id=world.student.id, state="proposed", state_changed_at=now - timedelta(days=9)))
    db.session.add(Goal(project_id=project.id, title="Agreed one", proposer_side="student", state="agreed"))
    agreement = Agreement(project_id=project.id, cadence_days=14, number=1)
    db.session.add(agreement)
    db.session.flush()
    db.session.add(Responsibility(agreement_id=agreement.id, what="Reply within 5 days", side="partner",
                                  due_date=date.today() - timedelta(days=3)))
    version = AgreementVersion(agreement_id=agreement.id, number=1, snapshot={}, created_at=now - timedelta(days=10))
    db.session.add(version)
    db.session.flush()
    db.session.add(AgreementAcceptance(agreement_version_id=version.id, user_id=world.student.id))
    checkup = CheckUp(project_id=project.id, planned_at=now - timedelta(days=24), state="confirmed")
    db.session.add(checkup)
    db.session.flush()
    db.session.add(FeedbackItem(checkup_id=checkup.id, project_id=project.id, raised_by="partner", text="Bigger font"))
    for score, days in ((4, 40), (2, 24)):
        old = CheckUp(project_id=project.id, planned_at=now - timedelta(days=days), state="confirmed")
        db.session.add(old)
        db.session.flush()
        db.session.add(PulseRating(checkup_id=old.id, project_id=project.id, user_id=world.partner.id, side="partner",
                                   value_key="relevance", score=score))
    db.session.add(Deliverable(project_id=project.id, title="Route map", kind="report", state="in_review",
                               state_changed_at=now - timedelta(days=8)))
    record(world.student, "edited", project, "Something happened", project=project)
    db.session.commit()


def test_dashboard_states_why_a_project_needs_attention(client, world):
    _stuck(world)
    healthy = create_project(world.course, title="Healthy project", start_date=date.today() - timedelta(days=3))
    db.session.commit()
    client.login(world.teacher)
    html = client.get(f"/courses/{world.course.id}/dashboard").get_data(as_text=True)
    for reason in ("no check-up for 24 days", "partner has not answered a goal for 9 days",
                   "1 responsibility of the partner is late", "a deliverable has waited 8 days for review",
                   "the agreement is not accepted by everyone after 10 days",
                   "the partner&#39;s values pulse dropped by 2.0"):
        assert f"<li>{reason}</li>" in html, reason
    assert "1 of 2 accepted" in html and "Healthy project" in html and "</svg>Healthy</span>" in html
    assert "1 project needs attention." in html
    filtered = client.get(f"/courses/{world.course.id}/dashboard?attention=1").get_data(as_text=True)
    assert "Food bank routes" in filtered and "Healthy project" not in filtered
    assert healthy.id


def test_dashboard_search_and_sort(client, world):
    create_project(world.course, title="Alpha garden")
    create_project(world.course, title="Zeta library")
    db.session.commit()
    client.login(world.teacher)
    html = client.get(f"/courses/{world.course.id}/dashboard?sort=title&dir=desc").get_data(as_text=True)
    assert html.index("Zeta library") < html.index("Food bank routes") < html.index("Alpha garden")
    assert 'aria-sort="descending"' in html
    html = client.get(f"/courses/{world.course.id}/dashboard?q=zeta").get_data(as_text=True)
    assert "Zeta library" in html and "Alpha garden" not in html


def test_dashboard_csv_export(client, world):
    _stuck(world)
    create_project(world.course, title="=HYPERLINK(evil)")
    db.session.commit()
    client.login(world.teacher)
    response = client.get(f"/courses/{world.course.id}/dashboard.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    food = next(r for r in rows if r["project"] == "Food bank routes")
    assert food["goals awaiting agreement"] == "1" and food["late responsibilities (partner)"] == "1"
    assert "no check-up for 24 days" in food["needs attention"]
    assert any(r["project"] == "'=HYPERLINK(evil)" for r in rows)


def test_dashboard_queries_do_not_grow_with_projects(client, world, count_queries):
    for _ in range(4):
        create_project(world.course, students=[world.student])
    db.session.commit()
    client.login(world.teacher)
    client.get(f"/courses/{world.course.id}/dashboard")
    with count_queries() as few:
        client.get(f"/courses/{world.course.id}/dashboard")
    for _ in range(35):
        create_project(world.course, students=[world.student])
    _stuck(world)
    with count_queries() as many:
        client.get(f"/courses/{world.course.id}/dashboard")
    assert len(few) == len(many)


def test_contributions_count_both_sides(client, world):
    db.session.add(Goal(project_id=world.project.id, title="By partner", proposer_side="partner",
                        proposer_id=world.partner.id))
    db.session.add(Goal(project_id=world.project.id, title="By student", proposer_side="student",
                        proposer_id=world.student.id, created_at=utcnow() - timedelta(days=40)))
    db.session.commit()
    client.login(world.teacher)
    html = client.get(f"/courses/{world.course.id}/contributions").get_data(as_text=True)
    partner_row = html[html.index("Pat Partner"):].split("</tr>")[0]
    student_row = html[html.index("Sam Student"):].split("</tr>")[0]
    assert "<td>1 <span class=\"meta\">(1)</span></td>" in partner_row
    assert "<td>1 <span class=\"meta\">(0)</span></td>" in student_row


def test_thresholds_are_course_settings(client, world):
    client.login(world.teacher)
    response = client.post_form(f"/courses/{world.course.id}/edit", {"name": "Community Lab", "attention_checkup_days": 0})
    assert response.status_code == 422
    response = client.post_form(f"/courses/{world.course.id}/edit", {"name": "Community Lab", "attention_checkup_days": 30})
    assert response.status_code == 303
    html = client.get(f"/courses/{world.course.id}/dashboard").get_data(as_text=True)
    assert "after 30 days without a check-up" in html


# The row as templates/dashboard/show.html wrote it with filters and macros (and the evaluation cell
# as templates/evaluations/_dashboard_cell.html did), before workspace/dashboard/view.py wrote it.
REFERENCE_ROW = """{% from "_ui.html" import badge %}{% for r in rows %}
  <tr>
    <th scope="row" class="dashboard-project"><span class="truncate" title="{{ r.title }} &middot; {{ r.partner }}"><a href="{{ url_for('projects.show', project_id=r.id) }}">{{ r.title }}</a> <span class="meta">{{ r.partner }}</span></span></th>
    {%- set wait = days_since(r.oldest_goal_wait, now) %}
    <td data-label="{{ _('Goals') }}"{% if wait is not none %} title="{{ ngettext('oldest %(num)s day', 'oldest %(num)s days', wait) }}"{% endif %}>{{ _("%(agreed)s agreed", agreed=r.goals_agreed) }} &middot; {{ _("%(waiting)s awaiting", waiting=r.goals_waiting) }}
      {%- if wait is not none %}<span class="visually-hidden"> ({{ ngettext("oldest %(num)s day", "oldest %(num)s days", wait) }})</span>{% endif %}</td>
    {%- set late_detail = _("students %(s)s, partner %(p)s", s=r.late.students, p=r.late.partner) ~ ((", " ~ _("teacher %(t)s", t=r.late.teacher)) if r.late.teacher else "") %}
    {%- set last = _("last %(date)s", date=r.last_checkup|date) if r.last_checkup else _("none held") %}
    <td data-label="{{ _('Check-ups') }}" title="{{ last }}">{% if r.checkup_overdue %}{{ badge("bad", _("overdue"), "alert", _("overdue since %(date)s", date=r.next_checkup_due|date)) }}<span class="visually-hidden"> {{ _("overdue since %(date)s", date=r.next_checkup_due|date) }}</span>{% else %}{{ _("next by %(date)s", date=r.next_checkup_due|day) }}{% endif %}<span class="visually-hidden"> ({{ last }})</span>{% if r.open_feedback %} {{ badge("warn", ngettext("%(num)s open", "%(num)s open", r.open_feedback)) }}<span class="visually-hidden"> {{ ngettext("feedback item still open", "feedback items still open", r.open_feedback) }}</span>{% endif %}</td>
    {%- set rw = days_since(r.review_wait_since, now) %}
    <td data-label="{{ _('Deliverables') }}"{% if rw is not none %} title="{{ ngettext('%(num)s day', '%(num)s days', rw) }}"{% endif %}>{{ _("%(num)s in review", num=r.reviews_waiting) }}{% if rw is not none %}<span class="visually-hidden"> ({{ ngettext("%(num)s day", "%(num)s days", rw) }})</span>{% endif %}
      {%- if r.deliverables_late %} {{ badge("bad", ngettext("%(num)s late", "%(num)s late", r.deliverables_late), "alert") }}{% endif %}</td>
    <td data-label="{{ _('Agreement and promises') }}"{% if r.late_total %} title="{{ late_detail }}"{% endif %}>{% if not r.agreement_exists %}<span class="meta">{{ _("none yet") }}</span>{% elif r.accepted_by_all %}{{ badge("ok", _("accepted by all"), "check") }}{% else %}{{ badge("warn", _("%(a)s of %(m)s accepted", a=r.accepted, m=r.members), "clock") }}{% endif %} {% if r.late_total %}{{ badge("bad", ngettext("%(num)s late", "%(num)s late", r.late_total), "alert") }}<span class="visually-hidden"> ({{ late_detail }})</span>{% endif %}</td>
    <td data-label="{{ _('Values pulse') }}">{% for side, label in (("partner", _("partner")), ("student", _("students"))) %}{% set p = r.pulse.get(side) %}{% if p %}{% set series = r.pulse_series[side] %}
      <span class="spark" title="{{ label }}: {% for when, value in series %}{{ when|date }} {{ value|number('0.0') }}{% if not loop.last %} &middot; {% endif %}{% endfor %}"><span class="phone-only">{{ label }} </span>{{ sparkline(series) }}<strong>{{ p[0]|number("0.0") }}</strong>
        {%- if p[1] is not none and p[1] != 0 %}<span class="visually-hidden"> {{ _("up") if p[1] > 0 else _("down") }} {{ p[1]|abs|number("0.0") }}</span>{% endif %}
        <span class="phone-only meta" aria-hidden="true">{{ series[0][0]|day }}{% if series|length > 1 %}&ndash;{{ series[-1][0]|day }}{% endif %}</span></span>
        <span class="visually-hidden">{% for when, value in series %}{{ when|date }}: {{ value|number("0.0") }}{{ "; " if not loop.last }}{% endfor %}</span>
      {% endif %}{% endfor %}
      {%- if not r.pulse %}<span class="meta">{{ _("none yet") }}</span>{% endif %}</td>
    <td data-label="{{ _("Partner's evaluation") }}">{% set ev = r.evaluation %}{{ "\n" }}{# the include's line break #}
{%- if not ev %}<span class="meta">{{ _("not asked") }}</span>
{%- elif ev.answered %}<a href="{{ url_for('projects.show', project_id=r.id) }}#evaluation-section">{{ _("%(score)s of 5", score=ev.average|number("0.0")) }}</a>
  <span class="meta">&middot; {{ _("again:") }} {% for w in ev.work_again %}{{ work_again_label(w) }}{{ ", " if not loop.last }}{% endfor %}</span>
  {%- if ev.released %} <span class="meta">&middot; {{ _("released") }}</span>{% endif %}
{%- elif ev.closed %}<span class="meta">{{ _("closed unanswered") }}</span>
{%- else %}<span class="meta" aria-hidden="true">{{ _("waiting") }}</span><span class="visually-hidden">{{ _("waiting for the partner") }}</span>{% endif %}</td>
    <td data-label="{{ _('Last activity') }}">{% if r.last_activity %}{{ r.last_activity|ago(now) }}{% else %}<span class="meta">{{ _("none") }}</span>{% endif %}</td>
    <td data-label="{{ _('Attention') }}">{% if r.reasons %}<details class="reasons-details"><summary>{{ badge("bad", ngettext("%(num)s reason", "%(num)s reasons", r.reasons|length), "alert") }}<span class="visually-hidden"> {{ _("Needs attention:") }}</span></summary><ul class="reasons">{% for reason in r.reasons %}<li>{{ reason }}</li>{% endfor %}</ul></details>{% else %}{{ badge("ok", _("Healthy"), "check") }}{% endif %}</td>
  </tr>
  {% endfor %}"""


def _variants(rows, now):
    """The rows, and copies of them in every state a cell can show."""
    from workspace.dashboard.signals import _iso
    from workspace.evaluations.services import EvaluationSignal

    base = next(r for r in rows if r.pulse)
    series = base.pulse_series["partner"]
    day = timedelta(days=1)
    return rows + [
        replace(base, title="<b>Tom & Jerry's</b>", partner='"Quotes" & co', evaluation=EvaluationSignal(
            date.today(), False, True, [4, 5, 3], ["yes", "no"]), deliverables_late=2, open_feedback=1,
                late={"students": 1, "partner": 0, "teacher": 2}, accepted=3, members=3,
                pulse={"partner": (2.0, 0.0), "student": (3.4, 0.6)},
                pulse_series={"partner": series, "student": [(_iso(now - 3 * day), 2.75), (_iso(now - day), 3.45)]},
                last_activity=now - timedelta(minutes=3), reasons=["a <reason> & 'more'"]),
        replace(base, evaluation=EvaluationSignal(date.today(), False, False, [2, 3], ["maybe"]),
                pulse={"student": (4.0, None)}, pulse_series={"student": [(_iso(now - 40 * day), 4.04)]},
                checkup_overdue=False, last_checkup=None, partner_wait_since=None, students_wait_since=None,
                review_wait_since=now - 400 * day, last_activity=now - 500 * day, reasons=[]),
        replace(base, evaluation=EvaluationSignal(date.today(), True, False), agreement_exists=False,
                pulse={}, pulse_series={}, last_activity=None, review_wait_since=now),
        replace(base, evaluation=EvaluationSignal(date.today(), False, False), checkup_overdue=True,
                next_checkup_due=now - 9 * day, last_activity=now + 3 * day),
        replace(base, evaluation=EvaluationSignal(date.today(), False, False, [], ["no"])),
    ]


@pytest.mark.parametrize("locale, zone", [("en", "Europe/Amsterdam"), ("nl", "Europe/Amsterdam"), ("nl", "UTC"),
                                          ("en", "America/St_Johns"), ("en", "Australia/Lord_Howe")])
def test_dashboard_rows_say_what_the_template_said(app, world, locale, zone):
    """workspace/dashboard/view.py writes each row as the template did with its filters and macros:
    the same words, dates and numbers in the reader's language and time zone, the same markup."""
    import flask_babel
    import pytz
    from flask import render_template_string

    from workspace.dashboard.signals import course_signals, days_since
    from workspace.dashboard.view import dashboard_rows

    _stuck(world)
    create_project(world.course, title="Healthy project", start_date=date.today() - timedelta(days=3))
    db.session.commit()
    with app.test_request_context(), flask_babel.force_locale(locale):
        flask_babel._get_current_context().babel_tzinfo = pytz.timezone(zone)
        now = utcnow()
        rows = _variants(course_signals(world.course, now), now)
        # the rows keep the pulse's moments as ISO text; the template's filters took them as datetimes
        shown = [replace(r, pulse_series={side: [(datetime.fromisoformat(when), value) for when, value in series]
                                          for side, series in r.pulse_series.items()}) for r in rows]
        expected = render_template_string(REFERENCE_ROW, rows=shown, now=now, days_since=days_since)
        assert "".join(dashboard_rows(rows, now)) == expected


@pytest.mark.parametrize("locale, zone", [("en", "UTC"), ("nl", "Europe/Amsterdam"), ("en", "America/St_Johns"),
                                          ("nl", "Australia/Lord_Howe"), ("en", "Etc/GMT+5")])
def test_page_formats_say_what_the_filters_say(app, locale, zone):
    """The dashboard's per-page formats: each day's offset found once per UTC day, including the days
    a zone changes its clocks (by an hour, by half an hour, at a half-hour offset)."""
    import random
    from datetime import datetime, timezone

    import flask_babel
    import pytz
    from babel.dates import format_timedelta

    from workspace.fast_format import PageFormats

    rng = random.Random(19)
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    moments = [start + timedelta(seconds=rng.randrange(0, 3 * 365 * 86400)) for _ in range(300)]
    tz = pytz.timezone(zone)
    changes = [t for t in getattr(tz, "_utc_transition_times", []) if 2024 <= t.year <= 2028]
    for change in changes:  # around each change of the clocks
        change = change.replace(tzinfo=timezone.utc)
        moments += [change + timedelta(minutes=m) for m in (-721, -61, -31, -1, 0, 1, 29, 31, 59, 61, 601)]
    moments += [datetime(2026, 3, 29, 0, 30), datetime(2026, 12, 31, 23, 30), date(2026, 1, 5)]  # naive: UTC
    numbers = [rng.uniform(0, 6) for _ in range(300)] + [k / n for n in range(1, 13) for k in range(n * 5 + 1)]
    numbers += [0, 0.05, 0.15, 0.25, 2.25, 999.95, 1000, 1234.56, -0.5, None, "—"]
    with app.test_request_context(), flask_babel.force_locale(locale):
        flask_babel._get_current_context().babel_tzinfo = tz
        formats, now = PageFormats(), utcnow()
        for moment in moments:
            for fmt in ("medium", "d MMM", "long"):
                assert formats.date(moment, fmt) == flask_babel.format_date(moment, fmt), (moment, fmt)
            if isinstance(moment, datetime):
                assert formats.date_time(moment) == flask_babel.format_datetime(moment), moment
                aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
                assert formats.words(aware - now) == format_timedelta(
                    aware - now, threshold=1.5, add_direction=True, locale=flask_babel.get_locale()), moment
        for value in numbers:
            expected = value if value in (None, "—") else flask_babel.format_decimal(value, "0.0")
            assert formats.tenth(value) == expected, value
        assert formats.date(None) == ""


def test_the_sparkline_is_the_one_the_template_drew():
    import random

    from workspace.dashboard.view import sparkline
    from workspace.ui import sparkline as template_sparkline

    rng = random.Random(7)
    xs, ys = {}, {}  # a page's coordinates, kept from one sparkline to the next
    for n in (1, 2, 3, 9, 30, 9, 2):
        values = [rng.choice((1, 2.5, 3.25, 4.0, 5)) if rng.random() < 0.5 else rng.uniform(1, 5) for _ in range(n)]
        expected = str(template_sparkline([(None, v) for v in values]))
        assert sparkline(values) == sparkline(values, _xs=xs, _ys=ys) == expected
    assert sparkline([]) == str(template_sparkline([])) == ""


@pytest.mark.parametrize("locale, zone", [("en", "UTC"), ("nl", "Europe/Amsterdam"), ("en", "America/St_Johns")])
def test_the_datetime_filter_says_what_format_datetime_says(app, locale, zone):
    """The templates' `datetime` filter writes "short" and "medium" datetimes through the page's formats:
    the same text as Flask-Babel's format_datetime, naive (UTC) or aware, around a change of the clocks;
    a date, another format and nothing as before."""
    from datetime import datetime, timezone

    import flask_babel
    import pytz
    from flask import render_template_string

    moments = [datetime(2026, 3, 29, 0, 59), datetime(2026, 3, 29, 1, 1, tzinfo=timezone.utc),
               datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc), datetime(2026, 12, 8, 23, 59, 59)]
    with app.test_request_context(), flask_babel.force_locale(locale):
        flask_babel._get_current_context().babel_tzinfo = pytz.timezone(zone)
        for moment in moments:
            for fmt in ("short", "medium", "long"):
                shown = render_template_string("{{ m|datetime(f) }}", m=moment, f=fmt)
                assert shown == str(escape(flask_babel.format_datetime(moment, fmt))), (moment, fmt)
        assert render_template_string("{{ m|datetime }}|{{ n|datetime }}", m=date(2026, 5, 4), n=None) == \
            str(escape(flask_babel.format_datetime(date(2026, 5, 4)))) + "|"
