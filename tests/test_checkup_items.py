"""The check-up page's feedback items (with their answer forms) and action items are written in Python
(workspace/checkups/items.py, issue 19): they must be what the templates' loops wrote, byte for byte, for
every state of an item, every reader, both languages, hostile text, and the forms posted and refused in
place; and the page must still say and do what it did."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from flask import render_template, render_template_string
from flask_babel import gettext, refresh
from flask_login import login_user

from workspace.extensions import db
from workspace.models import ActionItem, FeedbackItem, User

from .factories import create_action, create_checkup, create_feedback, create_goal, create_user

HOSTILE = "<script>alert('x')</script> & \u201cquotes\u201d \"double\" {{ 7*7 }} %(n)s"

# `checkups/_feedback.html` as it was before its items were written in Python: the reference, rendered
# with the live macros it imports and the context the page gave it then (a `RespondForm` per item,
# `field_html`).
_FEEDBACK_SECTION = """{% from "_ui.html" import icon %}
{% import "checkups/_macros.html" as m %}
{% from "_forms.html" import field %}
<section id="checkup-feedback" class="panel" aria-labelledby="feedback-heading">
  <h2 id="feedback-heading">{{ _("Feedback items") }} <span class="count" id="open-feedback-count">({{ ngettext("%(num)d open", "%(num)d open", open_count) }})</span></h2>
  {{ m.problem_box(problem, "checkups/_feedback.html") }}
  {% if checkup.feedback_items %}
  <ul class="checkup-items">
    {% for item in checkup.feedback_items %}
    {# each item's answer form (respond_forms) is shown to those who may respond #}
    <li id="feedback-{{ item.id }}"{% if focus_item == item.id %} data-focus tabindex="-1"{% endif %}>
      <p>{{ m.feedback_state(item) }} · {{ _("raised by %(who)s", who=m.raised_by(item)) }}
        {% if item.id in flagged %}<strong class="flag">{{ icon("flag") }} {{ _("Still open after two check-ups") }}</strong>{% endif %}</p>
      <p class="prose">{{ item.text }}</p>
      {% if item.state == 'integrated' %}<p><strong>{{ _("Integrated in:") }}</strong>
        {% if item.goal_title is not none %}{{ _("the goal") }} <a href="{{ links.goal[0] ~ item.goal_id ~ links.goal[1] }}">{{ item.goal_title }}</a>{% if item.integrated_where %} · {% endif %}{% endif %}{{ item.integrated_where }}</p>
      {% elif item.state == 'not_integrated' %}<p><strong>{{ _("Not integrated, because:") }}</strong> {{ item.reason }}</p>{% endif %}
      {% if item.responded_at %}<p class="meta">{{ _("Answered by %(name)s on %(date)s", name=item.responded_by if item.responded_by is not none else _("the team"), date=item.responded_at|datetime('short')) }}</p>{% endif %}
      {% if may.respond %}{% set rf, url = respond_forms[item.id], links.respond[0] ~ item.id ~ links.respond[1] %}
      <details{% if rf.errors or stale_item == item.id %} open{% endif %}>
        <summary>{{ _("Respond") if item.state == 'open' else _("Change the response") }}<span class="visually-hidden"> {{ _("to this feedback item") }}</span></summary>
        {% if stale_item == item.id %}
        <div class="error-summary" role="alert"><p>{{ _("Someone answered this feedback item while you were writing. The current answer is shown above; your input is kept below. Save again to replace it.") }}</p></div>
        {% endif %}
        <form method="post" novalidate action="{{ url }}"
              hx-post="{{ url }}" hx-target="#checkup-feedback" hx-swap="outerHTML">
          <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
          <input type="hidden" name="{{ rf.version.name }}" value="{{ item.version }}">
          {{ field_html(rf.state) or field(rf.state) }}
          {% if rf.goal_id.choices|length > 1 %}{{ field_html(rf.goal_id) or field(rf.goal_id) }}{% endif %}
          {{ field_html(rf.where) or field(rf.where) }}
          {{ field_html(rf.reason) or field(rf.reason) }}
          <button type="submit" class="button">{{ _("Save the response") }}</button>
        </form>
      </details>
      {% endif %}
    </li>
    {% endfor %}
  </ul>
  {% else %}
  <p class="empty">{{ _("No feedback items yet. Note here what the partner, the students or the teacher raised at this check-up, so the team can answer each one.") }}</p>
  {% endif %}
  {% if not checkup.closed and may.add_item %}
  <form method="post" novalidate class="add-form" action="{{ url_for('checkups.add_feedback', project_id=project.id, checkup_id=checkup.id) }}"
        hx-post="{{ url_for('checkups.add_feedback', project_id=project.id, checkup_id=checkup.id) }}" hx-target="#checkup-feedback" hx-swap="outerHTML">
    <h3>{{ _("Add a feedback item") }}</h3>
    <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
    {{ field(feedback_form.raised_by) }}
    {{ field(feedback_form.text) }}
    <button type="submit" class="button">{{ _("Add the feedback item") }}</button>
  </form>
  {% endif %}
</section>
"""

# `checkups/_actions.html` as it was before its items were written in Python.
_ACTIONS_SECTION = """{% import "checkups/_macros.html" as m %}
{% from "_forms.html" import field %}
<section id="checkup-actions" class="panel" aria-labelledby="actions-heading">
  <h2 id="actions-heading">{{ _("Action items") }} <span class="count">({{ ngettext("%(num)d open", "%(num)d open", checkup.action_items|rejectattr('done')|list|length) }})</span></h2>
  {{ m.problem_box(problem, "checkups/_actions.html") }}
  {% if checkup.action_items %}
  <ul class="checkup-items">
    {% for item in checkup.action_items %}
    <li id="action-{{ item.id }}">
      <p>{{ m.action_state(item) }} · <strong>{{ item.text }}</strong></p>
      <p class="meta">{{ _("Owner: %(name)s · due %(date)s", name=item.owner if item.owner is not none else _("nobody"), date=item.due_date|date) }}</p>
      {% if may.mark_action %}{% set url = links.mark_action[0] ~ item.id ~ links.mark_action[1] %}
      <form method="post" action="{{ url }}"
            hx-post="{{ url }}" hx-target="#checkup-actions" hx-swap="outerHTML">
        <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
        <input type="hidden" name="done" value="{{ '0' if item.done else '1' }}">
        <button type="submit" class="link-button"{% if focus_action == item.id %} data-focus{% endif %}>{{ _("Open again") if item.done else _("Mark as done") }}<span class="visually-hidden">: {{ item.text }}</span></button>
      </form>
      {% endif %}
    </li>
    {% endfor %}
  </ul>
  {% else %}
  <p class="empty">{{ _("No action items yet. Add what someone promised to do, with its owner and a due date.") }}</p>
  {% endif %}
  {% if not checkup.closed and may.add_item %}
  <form method="post" novalidate class="add-form" action="{{ url_for('checkups.add_action', project_id=project.id, checkup_id=checkup.id) }}"
        hx-post="{{ url_for('checkups.add_action', project_id=project.id, checkup_id=checkup.id) }}" hx-target="#checkup-actions" hx-swap="outerHTML">
    <h3>{{ _("Add an action item") }}</h3>
    <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
    {{ field(action_form.text) }}
    <div class="field-row">
      {{ field(action_form.owner_id) }}
      {{ field(action_form.due_date) }}
    </div>
    <button type="submit" class="button">{{ _("Add the action item") }}</button>
  </form>
  {% endif %}
</section>
"""


def _old_context(context, view):
    """What `routes._page` gave the template before: a fresh `RespondForm` per item for those who may
    respond (the forms posted in place replacing theirs), and `field_html`."""
    from workspace.checkups import read
    from workspace.checkups.routes import _respond_form
    from workspace.forms import choices

    forms = {}
    if context["may"]["respond"] and view.feedback_items:
        goal_choices = choices([(0, gettext("— no goal —")), *((goal.id, goal.title)
                                                                   for goal in read.goals(context["project"]))])
        forms = {item.id: _respond_form(item, goal_choices) for item in view.feedback_items}
    forms.update(context["respond_forms"])
    return dict(context, respond_forms=forms, field_html=read.FieldHTML())


def _unknown_side(view):
    """A side the page has no words for (the database refuses one): shown as it is, escaped."""
    view.feedback_items = [item._replace(raised_by="mayor & <co>") if n == 1 else item
                           for n, item in enumerate(view.feedback_items)]


def _compare(app, checkup, reader, locale, *, post=None, adjust=None, **overrides):
    """Both sections rendered the old way and the new way for `reader`, in `locale`; `post` is what an
    answer form posted (then `overrides["make"]` gives the route's overrides for the bound form);
    `adjust` changes the page's rows first."""
    from workspace.checkups.routes import _page, _goal_choices, _respond_form

    reader.locale = locale
    db.session.commit()
    path = f"/projects/{checkup.project_id}/checkups/{checkup.id}"
    with app.test_request_context(path, method="POST" if post else "GET", data=post[1] if post else None):
        login_user(db.session.get(User, reader.id))
        refresh()
        if post:
            item = db.session.get(FeedbackItem, post[0])
            form = _respond_form(item, _goal_choices(checkup.project), bound=True)
            valid = form.validate()
            overrides = overrides["make"](item.id, form, valid)
        context = _page(checkup, **overrides)
        if adjust:
            adjust(context["checkup"])
        new = {name: render_template(f"checkups/_{name}.html", **context) for name in ("feedback", "actions")}
        old_context = _old_context(context, context["checkup"])
        old = {"feedback": render_template_string(_FEEDBACK_SECTION, **old_context),
               "actions": render_template_string(_ACTIONS_SECTION, **old_context)}
    assert new["feedback"] == old["feedback"]
    assert new["actions"] == old["actions"]
    return new, context


def _feedback_in_every_state(checkup, goals, responder):
    """Open (flagged or not), integrated (in a goal with a note, in a goal without one, in a goal with
    an empty title, with a note only), not integrated; raised by each side and by a value the page has
    no words for; answered by a person, by a deleted person (the team) or not yet; hostile text with
    spaces around it (the answer form's fields strip it)."""
    when = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1)
    answered = {"responded_at": when, "responded_by_id": responder.id}
    items = [
        create_feedback(checkup, text=HOSTILE, raised_by="partner"),
        create_feedback(checkup, text=f"  {HOSTILE}\n\nsecond line ", raised_by="students"),
        create_feedback(checkup, text="Plain", raised_by="teacher", state="not_integrated",
                        reason=f" {HOSTILE} \n", **answered),
        create_feedback(checkup, text="Where only", state="integrated", integrated_where=f"\n {HOSTILE}  ",
                        responded_at=when),
        create_feedback(checkup, text="Odd side", raised_by="partner", state="not_integrated", reason=""),
    ]
    if goals:
        items += [
            create_feedback(checkup, text="In a goal", state="integrated", goal_id=goals[0].id,
                            integrated_where=HOSTILE, **answered),
            create_feedback(checkup, text="In a goal, no note", state="integrated", goal_id=goals[1].id,
                            integrated_where="", **answered),
            create_feedback(checkup, text="In an untitled goal", state="integrated", goal_id=goals[2].id,
                            integrated_where="", responded_at=when),
        ]
    return items


def _actions_in_every_state(checkup, owner):
    today = date.today()
    items = [create_action(checkup, owner, text=HOSTILE, due=today + timedelta(days=3)),
             create_action(checkup, owner, text="Late & <late>", due=today - timedelta(days=2)),
             create_action(checkup, owner, text="Done", due=today - timedelta(days=2), done=True),
             create_action(checkup, owner, text="Due today", due=today)]
    nobody = ActionItem(checkup=checkup, project_id=checkup.project_id, text=f"{HOSTILE} (nobody's)",
                        due_date=today + timedelta(days=1), owner_id=None, done=True)
    db.session.add(nobody)
    return items + [nobody]


@pytest.mark.parametrize("locale", ["en", "nl"])
def test_the_items_written_in_python_are_the_templates_loops(app, world, locale):
    """Every state of a feedback item and an action item, for each reader (a student answers feedback
    and marks actions, a partner marks actions, a teacher and an admin only read), with and without
    goals to integrate feedback in, flagged and not, and the items an answer focused on."""
    odd = create_user(HOSTILE)
    project = world.project
    first = create_checkup(project, state="confirmed", days_ago=40)
    empty = create_checkup(project, state="planned", days_ago=-5)
    items = _feedback_in_every_state(first, [], odd)
    actions = _actions_in_every_state(first, odd)
    db.session.commit()
    readers = (world.student, world.partner, world.teacher, world.admin)
    # no goals yet, nothing flagged yet; and a check-up without any item
    for reader in readers:
        _compare(app, first, reader, locale)
        odd_side, _ = _compare(app, first, reader, locale, adjust=_unknown_side)
        assert "mayor &amp; &lt;co&gt;" in odd_side["feedback"]
        _compare(app, empty, reader, locale)
    goals = [create_goal(project, world.student, title=HOSTILE), create_goal(project, world.student, title="Second"),
             create_goal(project, world.student, title="Third")]
    goals[2].title = ""
    create_goal(world.other_project, world.other_student, title="Not ours")
    items += _feedback_in_every_state(first, goals, odd)
    create_checkup(project, state="confirmed", days_ago=25)
    create_checkup(project, state="logged", days_ago=10)  # the first check-up's open items are flagged now
    db.session.delete(odd)  # the answers of someone deleted: "the team"; actions owned by nobody
    db.session.commit()
    seen = {}
    for reader in readers:
        for overrides in ({}, {"focus_item": items[1].id}, {"focus_action": actions[1].id},
                          {"focus_item": items[-1].id, "focus_action": actions[-1].id}):
            new, context = _compare(app, first, reader, locale, **overrides)
            seen[reader.id] = (new, context["may"])
    new, may = seen[world.student.id]
    assert may["respond"] and may["mark_action"]
    feedback, actions_html = new["feedback"], new["actions"]
    assert feedback.count("<details") == len(items) and feedback.count("<li ") == len(items)
    if locale == "en":
        assert "Still open after two check-ups" in feedback and "Answered by the team on" in feedback
        assert "Owner: nobody" in actions_html
    assert "&lt;script&gt;" in feedback and "<script>" not in feedback
    assert "&lt;script&gt;" in actions_html and "<script>" not in actions_html
    assert f'value="{goals[0].id}">' in feedback and "Not ours" not in feedback
    assert 'class="flag"' in feedback and "status-declined" in feedback and "status-problem" in actions_html
    new, may = seen[world.partner.id]
    assert not may["respond"] and may["mark_action"] and "<details" not in new["feedback"]
    assert "link-button" in new["actions"]
    new, may = seen[world.teacher.id]
    assert not may["respond"] and not may["mark_action"] and "<form" not in new["actions"]


def _typed(item_id, **fields):
    return {f"fb{item_id}-{name}": value for name, value in fields.items()}


@pytest.mark.parametrize("locale", ["en", "nl"])
def test_an_answer_form_posted_and_refused_in_place_is_the_template(app, world, locale):
    """The answers the respond route gives with the posted form kept: invalid (each message, on one
    field or several, with hostile text typed), stale (the current answer above, the input below),
    refused by the rules (the problem above the list); with and without goals to choose from."""
    project = world.project
    checkup = create_checkup(project, state="logged", days_ago=3)
    items = _feedback_in_every_state(checkup, [], world.student)
    db.session.commit()
    ours = create_goal(project, world.student, title=HOSTILE)
    theirs = create_goal(world.other_project, world.other_student, title="Not ours")
    db.session.commit()
    at = "checkups/_feedback.html"
    cases = [
        # invalid: no reason given; the answer re-rendered for the item
        ({"state": "not_integrated", "reason": "", "where": HOSTILE},
         lambda iid, form, valid: {"respond_forms": {iid: form}, "focus_item": iid}),
        # invalid: integrated nowhere, and too long a reason
        ({"state": "integrated", "goal_id": "0", "where": "  ", "reason": HOSTILE * 200},
         lambda iid, form, valid: {"respond_forms": {iid: form}, "focus_item": iid}),
        # invalid: a goal of another project, a state that does not exist
        ({"state": "done", "goal_id": str(theirs.id), "where": HOSTILE},
         lambda iid, form, valid: {"respond_forms": {iid: form}, "focus_item": iid}),
        # invalid: not a number for the goal
        ({"state": "integrated", "goal_id": "x<y", "where": HOSTILE},
         lambda iid, form, valid: {"respond_forms": {iid: form}, "focus_item": iid}),
        # stale: the current answer above, what was typed below
        ({"state": "integrated", "goal_id": str(ours.id), "where": f" {HOSTILE} "},
         lambda iid, form, valid: {"respond_forms": {iid: form}, "stale_item": iid, "focus_item": iid}),
        # refused by the rules
        ({"state": "not_integrated", "reason": HOSTILE},
         lambda iid, form, valid: {"respond_forms": {iid: form}, "focus_item": iid,
                                   "problem": {"at": at, "message": HOSTILE}}),
    ]
    shown = []
    for typed, make in cases:
        for item in (items[0], items[2]):
            fields = _typed(item.id, version=str(item.version), **typed)
            new, _ = _compare(app, checkup, world.student, locale, post=(item.id, fields), make=make)
            shown.append(new["feedback"])
    assert any("field-invalid" in html and "<details open>" in html for html in shown)
    assert any('role="alert"><p>' in html for html in shown)  # the stale warning
    assert all("<script>" not in html for html in shown)


def test_the_checkup_page_says_and_does_what_it_did(client, world):
    """Through HTTP: the student sees each item's answer and an answer form filled with it, the partner
    and teacher none; an answer refused in place keeps what was typed with its message; a saved answer
    and a marked action come back as their sections."""
    goal = create_goal(world.project, world.student, title="Help sheet")
    checkup = create_checkup(world.project, state="logged", days_ago=2)
    item = create_feedback(checkup, text="Use <b>plain</b> words", state="integrated", goal_id=goal.id,
                           integrated_where="On the back", responded_at=datetime.now(timezone.utc),
                           responded_by_id=world.student.id)
    other = create_feedback(checkup, text="Add a map", raised_by="students")
    action = create_action(checkup, world.partner, text="Print <50> copies")
    db.session.commit()
    page = f"/projects/{world.project.id}/checkups/{checkup.id}"
    client.login(world.student)
    body = client.get(page).get_data(as_text=True)
    assert "Use &lt;b&gt;plain&lt;/b&gt; words" in body and "raised by the partner" in body
    assert f'the goal <a href="/projects/{world.project.id}/goals/{goal.id}">Help sheet</a> · On the back' in body
    assert "Answered by Sam Student on" in body and "raised by the students" in body
    assert f'<option selected value="{goal.id}">Help sheet</option>' in body
    assert re.search(rf'<textarea [^>]*id="fb{item.id}-where"[^>]*>\r\nOn the back</textarea>', body)
    assert body.count("Change the response") == 1 and body.count(">Respond<") == 1
    assert "Print &lt;50&gt; copies" in body and "Mark as done" in body
    for reader in (world.partner, world.teacher):
        client.login(reader)
        seen = client.get(page).get_data(as_text=True)
        assert "<details" not in seen and "On the back" in seen
        assert ("Mark as done" in seen) == (reader is world.partner)
    client.login(world.student)
    respond = f"{page}/feedback/{other.id}/respond"
    p = f"fb{other.id}-"
    response = client.post_form(respond, {p + "state": "not_integrated", p + "reason": "<" * 5001,
                                          p + "where": "typed <here>", p + "version": other.version}, htmx=True)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="checkup-feedback"')
    assert "Keep it under 5,000 characters." in body and "typed &lt;here&gt;" in body and "&lt;" * 5001 in body
    assert f'<li id="feedback-{other.id}" data-focus tabindex="-1">' in body and "<details open>" in body
    assert 'class="field field-invalid"' in body and f'aria-describedby="fb{other.id}-reason-hint fb{other.id}-reason-error"' in body
    # refused by the rules (no reason given): the problem above the list, what was typed kept
    response = client.post_form(respond, {p + "state": "not_integrated", p + "reason": "",
                                          p + "where": "typed <here>", p + "version": other.version}, htmx=True)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Give the reason it is not integrated; the partner sees it." in body and "typed &lt;here&gt;" in body
    response = client.post_form(respond, {p + "state": "not_integrated", p + "reason": "No time",
                                          p + "version": other.version}, htmx=True)
    assert response.status_code == 200 and "No time" in response.get_data(as_text=True)
    assert db.session.get(FeedbackItem, other.id).state == "not_integrated"
    response = client.post_form(f"{page}/actions/{action.id}/done", {"done": "1"}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith('<section id="checkup-actions"')
    assert "Open again" in body and " data-focus>" in body
