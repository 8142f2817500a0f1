"""The agreement page's promises are written in Python (workspace/agreement/items.py, issue 19): they
must be what the page's loop over `responsibilities` wrote with the template's tags, byte for byte,
for every kind of promise (one-off, recurring, kept on time or late, by someone who left, with a
note), every reader, focus and language. The template's loop is kept here as it was."""
from datetime import date, datetime, timedelta, timezone

import pytest
from flask import render_template_string
from flask_login import login_user

from workspace.agreement import read
from workspace.extensions import db
from workspace.models import Responsibility, User

from .factories import create_agreement, create_user

HOSTILE = "<script>alert('x')</script> & \u201cquotes\u201d \"double\" {{ 7*7 }} %(n)s"

# The page's shared pieces and its loop over the promises, as `agreement/_agreement.html` had them, then
# what the page writes now; the test renders both and compares the two halves.
REFERENCE = """{% from "_ui.html" import icon -%}
{% set member = may_edit -%}
{% set csrf = csrf_token() -%}
{% set i_check, i_circle, i_alert = icon("check"), icon("circle"), icon("alert") -%}
{% set t_edit, t_remove, t_someone = _("Edit"), _("Remove"), _("someone") -%}
{% set t_mark, t_note = _("Mark as kept"), _("Note (optional)") -%}
{% set s_on_time %}<span class="status status-ok">{{ i_check }} {{ _("Kept on time") }}</span>{% endset -%}
{% set s_kept_late %}<span class="status status-warn">{{ i_check }} {{ _("Kept late") }}</span>{% endset -%}
{% set s_late %}<span class="status status-bad">{{ i_alert }} {{ _("Late") }}</span>{% endset -%}
{% set s_open %}<span class="status status-open">{{ i_circle }} {{ _("Open") }}</span>{% endset -%}
{% set promise_status = {"on_time": s_on_time, "kept_late": s_kept_late, "late": s_late, "open": s_open} %}
{%- set t_no_due, t_remove_resp = _("no due date"), _("Remove this responsibility?") -%}
@@LOOP@@
@@SPLIT@@{{ promise_items(responsibilities, status=promise_status, side_names=side_names, last_kept=last_kept,
marks_side=marks_side, member=member, links=links, formats=formats, focus=focus) }}"""


def _promises(world):
    """One of each kind, on every side; user text hostile where there is any."""
    leaver = create_user(HOSTILE)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    today = now.date()
    fields = [
        {"what": HOSTILE, "side": "students", "person_id": world.student.id, "due_date": today - timedelta(days=3)},
        {"what": "Share the visitor data", "side": "partner", "due_date": today + timedelta(days=9)},
        {"what": "Answer questions", "side": "teacher"},
        {"what": "Kept on time", "side": "students", "due_date": today + timedelta(days=2), "done_at": now,
         "done_by_id": world.student.id, "note": HOSTILE},
        {"what": "Kept late by someone who left", "side": "partner", "due_date": date(2026, 1, 5),
         "done_at": datetime(2026, 2, 1, 23, 30, tzinfo=timezone.utc), "done_by_id": leaver.id},
        {"what": "Kept, no due date", "side": "teacher", "done_at": now, "done_by_id": world.teacher.id, "note": ""},
        {"what": "Weekly update", "side": "students", "recurrence": "every", "every_n": 1, "every_unit": "weeks",
         "due_date": today + timedelta(days=4), "person_id": world.student.id},
        {"what": "Every 10 days", "side": "partner", "recurrence": "every", "every_n": 10, "every_unit": "days"},
        {"what": "Before every check-up", "side": "teacher", "recurrence": "checkup"},
    ]
    agreement = create_agreement(world.project, responsibilities=fields)
    rows = db.session.scalars(db.select(Responsibility).where(Responsibility.agreement_id == agreement.id)
                              .order_by(Responsibility.id)).all()
    weekly, every_ten = rows[6], rows[7]
    # the recurring ones were kept before: rows of the same series, done (with a note, by someone who left)
    db.session.add_all([
        Responsibility(agreement_id=agreement.id, series_id=weekly.id, what="Weekly update", side="students",
                       recurrence="every", every_n=1, every_unit="weeks", due_date=today - timedelta(days=3),
                       done_at=now - timedelta(days=3), done_by_id=world.student.id, note=HOSTILE),
        Responsibility(agreement_id=agreement.id, series_id=every_ten.id, what="Every 10 days", side="partner",
                       recurrence="every", every_n=10, every_unit="days", due_date=today - timedelta(days=10),
                       done_at=now - timedelta(days=8), done_by_id=leaver.id, note=""),
    ])
    db.session.commit()
    db.session.delete(db.session.get(User, leaver.id))
    db.session.commit()
    return [row.id for row in rows]


@pytest.mark.parametrize("locale", ["en", "nl"])
@pytest.mark.parametrize("role", ["student", "partner", "teacher", "admin"])
def test_the_promises_written_in_python_are_the_template_loop(app, world, role, locale):
    ids = _promises(world)
    reader = world.as_role(role)
    reader.locale, reader.timezone = locale, "Pacific/Kiritimati"  # +14: "today" and the dates move
    db.session.commit()
    template = REFERENCE.replace("@@LOOP@@", LOOP)
    dutch = False
    with app.test_request_context(f"/projects/{world.project.id}/agreement"):
        user = db.session.get(User, reader.id)
        login_user(user)
        context = read.agreement_page(world.project, user)
        assert [r.id for r in context["responsibilities"]] and set(context["last_kept"])
        for focus in (None, "responsibilities", f"responsibility-{ids[0]}", f"responsibility-{ids[-1]}"):
            page = render_template_string(template, **context, **({"focus": focus} if focus else {}))
            loop, written = page.split("@@SPLIT@@")
            assert written == loop.removesuffix("\n"), focus
            dutch = dutch or ("Op tijd nagekomen" in written and "geen uiterste datum" in written)
            assert "<script>" not in written and "&lt;script&gt;" in written
            if focus and focus.startswith("responsibility-"):
                assert f'id="{focus}" class="item" data-focus' in written
    assert dutch == (locale == "nl")  # the reader's language, really


LOOP = """  {% for r in responsibilities %}
  <article id="responsibility-{{ r.id }}" class="item"{% if focus == "responsibility-" ~ r.id %} data-focus{% endif %}>
    <h3>{{ r.what }}</h3>
    <p>{{ promise_status[r.state] }} · {{ side_names[r.side] }}{% if r.person is not none %} · {{ r.person }}{% endif %} ·
      {% if r.is_recurring %}{{ r.when }}{% if r.due_date %} · {{ _("next due %(date)s", date=formats.date(r.due_date)) }}{% endif %}
      {% elif r.due_date %}{{ _("due %(date)s", date=formats.date(r.due_date)) }}{% else %}{{ t_no_due }}{% endif %}</p>
    {% if r.done_at %}<p class="meta">{{ _("Kept by %(name)s on %(when)s", name=r.done_by if r.done_by is not none else t_someone, when=formats.date_time(r.done_at)) }}{% if r.note %}: {{ r.note }}{% endif %}</p>{% endif %}
    {% if r.is_recurring and last_kept.get(r.series_id) %}{% set last = last_kept[r.series_id] %}<p class="meta">{{ _("Last kept on %(when)s by %(name)s", when=formats.date_time(last.done_at), name=last.done_by if last.done_by is not none else t_someone) }}{% if last.note %}: {{ last.note }}{% endif %}</p>{% endif %}
    {% if not r.done_at and r.side in marks_side %}{% set url = links.mark_done[0] ~ r.id ~ links.mark_done[1] %}
    <details class="done-form">
      <summary>{{ t_mark }}<span class="visually-hidden"> {{ r.what }}</span></summary>
      <form method="post" action="{{ url }}" hx-post="{{ url }}" hx-target="#agreement" hx-swap="outerHTML">
        <input type="hidden" name="csrf_token" value="{{ csrf }}">
        <input type="hidden" name="version" value="{{ r.version }}">
        <div class="field"><label for="note-{{ r.id }}">{{ t_note }}</label><textarea id="note-{{ r.id }}" name="note" rows="2"></textarea></div>
        <button type="submit" class="button">{{ t_mark }}</button>
      </form>
    </details>
    {% endif %}
    {% if member and not r.done_at %}{% set url = links.edit_responsibility[0] ~ r.id ~ links.edit_responsibility[1] %}<div class="item-actions">
<a href="{{ url }}" hx-get="{{ url }}" hx-target="#responsibility-{{ r.id }}" hx-swap="outerHTML">{{ t_edit }}<span class="visually-hidden"> {{ r.what }}</span></a>
{% set url = links.remove_responsibility[0] ~ r.id ~ links.remove_responsibility[1] %}
      · 
<form method="post" action="{{ url }}" class="inline-form" hx-post="{{ url }}" hx-target="#agreement" hx-swap="outerHTML">
  <input type="hidden" name="csrf_token" value="{{ csrf }}">
  <input type="hidden" name="version" value="{{ r.version }}">
  
  <button type="submit" class="link-button" hx-confirm="{{ t_remove_resp }}">{{ t_remove }}<span class="visually-hidden"> {{ r.what }}</span></button>
</form>
</div>{% endif %}
  </article>
  {% endfor %}"""


# The `reciprocity_table` macro as agreement/_macros.html had it (with the `side_name` macro it called),
# before the table was written in Python (workspace/agreement/items.py `reciprocity_table`).
_RECIPROCITY = """{% from "_ui.html" import icon %}{% from "agreement/_macros.html" import side_name %}{% macro reciprocity_table(counts, caption) %}
<div class="table-wrap" tabindex="0">
<table class="reciprocity">
  <caption>{{ caption }}</caption>
  <thead><tr><th scope="col">{{ _("Side") }}</th><th scope="col">{{ _("Kept on time") }}</th><th scope="col">{{ _("Kept late") }}</th><th scope="col">{{ _("Open") }}</th><th scope="col">{{ _("Late") }}</th></tr></thead>
  <tbody>
  {% for side in ("students", "partner", "teacher") %}{% set c = counts[side] %}
    {% if side != "teacher" or c.values()|sum %}
    <tr><th scope="row">{{ side_name(side) }}</th><td>{{ c.on_time }}</td><td>{{ c.kept_late }}</td><td>{{ c.open }}</td><td>{% if c.late %}<strong>{{ icon("alert") }} {{ c.late }}</strong>{% else %}0{% endif %}</td></tr>
    {% endif %}
  {% endfor %}
  </tbody>
</table>
</div>
{% endmacro %}{{ reciprocity_table(counts, caption) }}@@SPLIT@@{{ agreement_reciprocity_table(counts, caption) }}"""


@pytest.mark.parametrize("locale", ["en", "nl"])
def test_the_promises_per_side_written_in_python_are_the_macro(app, world, locale):
    """Sides with and without promises, late ones or none, the teacher's row shown only when it holds
    any, a caption of catalogue text or of user text."""
    from markupsafe import Markup

    empty = {"on_time": 0, "kept_late": 0, "open": 0, "late": 0}
    shapes = [
        {"students": dict(empty), "partner": dict(empty), "teacher": dict(empty)},
        {"students": {"on_time": 3, "kept_late": 1, "open": 2, "late": 0},
         "partner": {"on_time": 0, "kept_late": 0, "open": 1, "late": 4}, "teacher": dict(empty)},
        {"students": dict(empty), "partner": {"on_time": 12, "kept_late": 0, "open": 0, "late": 0},
         "teacher": {"on_time": 0, "kept_late": 0, "open": 0, "late": 1}},
    ]
    world.student.locale = locale
    db.session.commit()
    with app.test_request_context("/"):
        login_user(db.session.get(User, world.student.id))
        for counts in shapes:
            for caption in (Markup("Promises &amp; <em>kept</em>"), HOSTILE):  # `_()`'s Markup; plain text
                loop, written = render_template_string(_RECIPROCITY, counts=counts, caption=caption).split("@@SPLIT@@")
                assert written == loop
                assert (written.count("<tr>") - 1) == (2 if not sum(counts["teacher"].values()) else 3)
    assert "&lt;script&gt;" in written and "<script>" not in written
    assert ("Studenten" in written) == (locale == "nl")
