"""The partner home (issue 19): its lists are read as plain rows and written out by the home's own
templates, so they must say exactly what the shared partials say for the same things."""
import re

import pytest
from flask import render_template
from flask_login import login_user

from workspace.extensions import db
from workspace.models import ProjectMember, User

from .factories import create_goal, create_project, create_user

CSRF = re.compile(r'(name="csrf_token" value=)"[^"]*"')


def _cards(html: str) -> dict[str, str]:
    return {m.group(1): CSRF.sub(r'\1"-"', m.group(0))
            for m in re.finditer(r'<article id="goal-(\d+)".*?</article>', html, re.S)}


@pytest.mark.parametrize("locale", ["en", "nl"])
def test_a_goal_on_the_partner_home_is_the_goal_card_the_actions_answer_with(app, client, world, locale):
    partner, student = world.partner, world.student
    partner.locale = locale
    second = create_project(world.course, students=[student], partners=[partner], title="Second <project> & co")
    leaver = create_user("Lee Leaver")
    db.session.add(ProjectMember(project_id=world.project.id, user_id=leaver.id, role="student"))
    from datetime import date

    goals = [
        create_goal(world.project, student, title="Routes <b>for</b> “every” family", description="Plan & <i>map</i>",
                    partner_need="Fewer trips", success_criteria="30 min", target_date=date(2027, 3, 1)),
        create_goal(world.project, student, title="Only a title"),
        create_goal(second, student, title="In the second project", partner_need="A need", revision_number=3),
        create_goal(world.project, leaver, title="Proposed by someone who left"),
    ]
    create_goal(world.project, partner, side="partner", title="The partner's own proposal")
    create_goal(world.project, student, state="agreed", title="Agreed already")
    db.session.commit()
    leaver_goal = goals[-1]
    db.session.delete(db.session.get(ProjectMember, db.session.scalar(
        db.select(ProjectMember.id).where(ProjectMember.user_id == leaver.id))))
    db.session.delete(db.session.get(User, leaver.id))
    db.session.commit()
    db.session.refresh(leaver_goal)
    assert leaver_goal.proposer_id is None

    client.login(partner)
    page = client.get("/home").get_data(as_text=True)
    home = _cards(page)
    assert sorted(home) == sorted(str(g.id) for g in goals)
    # the list around the cards, as the home's loop wrote it (goals/cards.py `HomeCards.items`)
    listed = page[page.index('<ul class="plain goal-list">'):page.index("</ul>", page.index("goal-list"))]
    assert listed.startswith('<ul class="plain goal-list">\n    \n    <li>\n<article id="goal-')
    assert listed.endswith("</article></li>\n    \n  ") and listed.count("<li>") == len(goals)
    with app.test_request_context("/home"):
        login_user(db.session.get(User, partner.id))
        for goal in goals:
            goal = db.session.get(type(goal), goal.id)
            card = _cards(render_template("goals/_card.html", goal=goal, view="home"))
            assert card[str(goal.id)] == home[str(goal.id)]


def _review_items(html: str) -> dict[str, str]:
    html = re.sub(r'(id="csrf_token" name="csrf_token" type="hidden" value=)"[^"]*"', r'\1"-"', html)
    return {m.group(1): m.group(0)
            for m in re.finditer(r'<li class="card review-item" id="home-review-(\d+)">.*?</form>\s*</li>', html, re.S)}


def test_a_version_to_review_on_the_partner_home_is_the_item_a_refused_review_answers_with(app, client, world):
    from workspace.deliverables.forms import ReviewForm
    from workspace.models import Deliverable, DeliverableVersion

    from .factories import create_deliverable, create_deliverable_version

    partner, student = world.partner, world.student
    second = create_project(world.course, students=[student], partners=[partner], title="Second <project>")
    files = [("plan <1>.pdf", "application/pdf", b"%PDF-1.4 x"), ("map.png", "image/png", b"\x89PNG...."),
             ("notes.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK" * 700)]
    report = create_deliverable(world.project, title="Route <report>", state="in_review")
    create_deliverable_version(report, submitted_by=student, decision="changes_requested", reviewer=partner)
    create_deliverable_version(report, submitted_by=student, files=files, note="Now with the map & notes",
                               links=["https://example.org/video?a=1&b=2", "https://example.org/site"])
    report.versions[-1].links[0].label = "The <video>"
    bare = create_deliverable(second, title="Bare", state="in_review")
    create_deliverable_version(bare, submitted_by=student, note="")
    create_deliverable(world.project, title="A draft", state="draft")
    db.session.commit()

    client.login(partner)
    home = _review_items(client.get("/home").get_data(as_text=True))
    assert sorted(home) == sorted([str(report.id), str(bare.id)])
    with app.test_request_context("/home"):
        login_user(db.session.get(User, partner.id))
        for deliverable_id in (report.id, bare.id):
            deliverable = db.session.get(Deliverable, deliverable_id)
            version = db.session.scalar(db.select(DeliverableVersion).where(
                DeliverableVersion.deliverable_id == deliverable_id).order_by(DeliverableVersion.number.desc()))
            item = render_template("deliverables/_home_item.html", deliverable=deliverable, version=version,
                                   review_form=ReviewForm(formdata=None))
            assert _review_items(item)[str(deliverable_id)] == home[str(deliverable_id)]


# The home's list of logs to confirm as its loop wrote it, before the items were written in Python
# (workspace/checkups/sections.py `confirm_items`); the test renders both and compares the two halves.
_CONFIRM_LOOP = """<ul class="checkup-items">
    {%- set csrf, l_confirm, l_read = csrf_token(), _("Confirm this log"), _("Read it or add a correction") %}
    {% for checkup in section.checkups %}
    {%- set show_url = url_for('checkups.show', project_id=checkup.project_id, checkup_id=checkup.id) %}
    {%- set confirm_url = url_for('checkups.confirm', project_id=checkup.project_id, checkup_id=checkup.id) %}
    <li id="home-checkup-{{ checkup.id }}">
      <p><a href="{{ show_url }}">{{ _("Check-up of %(date)s", date=checkup.planned_at|date) }}</a> · {{ checkup.project_title }}</p>
      <p class="prose">{{ checkup.summary|truncate(300) }}</p>
      <form method="post" action="{{ confirm_url }}"
            hx-post="{{ confirm_url }}" hx-target="#home-checkup-{{ checkup.id }}" hx-swap="outerHTML">
        <input type="hidden" name="csrf_token" value="{{ csrf }}">
        <input type="hidden" name="version" value="{{ checkup.version }}">
        <input type="hidden" name="from" value="home">
        <button type="submit" class="button">{{ l_confirm }}</button>
        <a href="{{ show_url }}">{{ l_read }}</a>
      </form>
    </li>
    {% endfor %}
  </ul>@@SPLIT@@<ul class="checkup-items">
    {{ checkup_confirm_items(section.checkups) }}
  </ul>"""


@pytest.mark.parametrize("locale", ["en", "nl"])
def test_the_logs_to_confirm_written_in_python_are_the_template_loop(app, client, world, locale):
    """Logs of two projects (one with a hostile title), short, long (cut by `truncate`, within its
    leeway and past it) and hostile summaries, in the partner's language; and the page shows them."""
    from flask import render_template_string

    from workspace.checkups.sections import to_confirm

    from .factories import create_checkup

    hostile = "<script>alert('x')</script> & “quotes” \"double\" {{ 7*7 }} %(n)s"
    partner = world.partner
    partner.locale = locale
    second = create_project(world.course, students=[world.student], partners=[partner], title=hostile)
    summaries = ["We met.", hostile, "word " * 61, "x" * 303, ("<b>long</b> & " * 40).strip(), "a" * 400]
    for n, summary in enumerate(summaries):
        create_checkup(second if n % 2 else world.project, state="logged", days_ago=n + 1, summary=summary)
    db.session.commit()
    with app.test_request_context("/home"):
        user = db.session.get(User, partner.id)
        login_user(user)
        section = to_confirm(user)
        assert len(section["checkups"]) == len(summaries)
        loop, written = render_template_string(_CONFIRM_LOOP, section=section).split("@@SPLIT@@")
    assert written == loop
    assert written.count("<li ") == len(summaries) and "...</p>" in written
    assert "&lt;script&gt;" in written and "<script>" not in written and "&lt;b&gt;long" in written
    assert ("Lees het of voeg een correctie toe" in written) == (locale == "nl")
    client.login(partner)
    page = client.get("/home").get_data(as_text=True)
    assert page.count('id="home-checkup-') == len(summaries)


# A version to review as `deliverables/_home_item.html` wrote it with its macros, before the item was
# written in Python (workspace/deliverables/sections.py `review_item`).
_REVIEW_ITEM = """{% from "_forms.html" import field %}
{% from "deliverables/_macros.html" import version_contents %}
<li class="card review-item" id="home-review-{{ deliverable.id }}">
  <h3><a href="{{ url_for('deliverables.show', project_id=deliverable.project_id, deliverable_id=deliverable.id) }}#version-{{ version.number }}">{{ deliverable.title }}</a>
    <span class="meta">· {{ _("version %(n)s", n=version.number) }} · {{ deliverable.project.title }}</span></h3>
  <p class="prose">{{ version.note }}</p>
  {{ version_contents(deliverable.project_id, version) }}
  {% set url = url_for('deliverables.review', project_id=deliverable.project_id, deliverable_id=deliverable.id, version_id=version.id) %}
  <form method="post" action="{{ url }}" hx-post="{{ url }}" hx-target="#home-review-{{ deliverable.id }}" hx-swap="outerHTML" novalidate>
    {#- the form's token field, written out (rendering the field cost a third of the item) #}
    <input id="csrf_token" name="csrf_token" type="hidden" value="{{ csrf_token() }}">
    <input type="hidden" name="next" value="home">
    {% set comment = review_form.comment %}
    <div class="field{% if comment.errors %} field-invalid{% endif %}">
      <label for="comment-{{ deliverable.id }}">{{ _("Comment") }}</label>
      <p class="hint" id="comment-{{ deliverable.id }}-hint">{{ comment.description }}</p>
      <textarea id="comment-{{ deliverable.id }}" name="comment" aria-describedby="comment-{{ deliverable.id }}-hint{% if comment.errors %} comment-{{ deliverable.id }}-error{% endif %}"{% if comment.errors %} aria-invalid="true" data-focus{% endif %}>{{ comment.data or "" }}</textarea>
      {% if comment.errors %}<p class="error" id="comment-{{ deliverable.id }}-error"><span class="visually-hidden">{{ _("Error:") }}</span> {{ comment.errors|join(' ') }}</p>{% endif %}
    </div>
    <button type="submit" name="decision" value="approved" class="button">{{ _("Approve") }}<span class="visually-hidden"> {{ deliverable.title }}, {{ _("version %(n)s", n=version.number) }}</span></button>
    <button type="submit" name="decision" value="changes_requested" class="button button-secondary">{{ _("Request changes") }}<span class="visually-hidden"> {{ deliverable.title }}</span></button>
  </form>
</li>"""


@pytest.mark.parametrize("locale", ["en", "nl"])
def test_the_version_to_review_written_in_python_is_the_template(app, world, locale):
    """Files of every size class (bytes, KB rounded as Jinja's `round`, MB), previewable or not, links
    with and without a label, hostile text everywhere, and the form fresh, refused with its errors and
    what was typed, or typed without errors; on the home's plain rows and on the route's models."""
    from flask import render_template_string
    from werkzeug.datastructures import MultiDict

    from workspace.deliverables.forms import ReviewForm
    from workspace.deliverables.sections import review_item, review_queue
    from workspace.models import Deliverable

    from .factories import create_deliverable, create_deliverable_version

    hostile = "<script>alert('x')</script> & \u201cquotes\u201d \"double\" {{ 7*7 }} %(n)s"
    partner, student = world.partner, world.student
    partner.locale = locale
    second = create_project(world.course, students=[student], partners=[partner], title=hostile)
    sizes = [0, 1, 1023, 1024, 1536, 2560, 3584, 1048575, 1048576, 1572864, 5 * 1048576 + 1]
    files = [(f"{hostile} {n}.pdf" if n % 2 else f"file {n}.bin", "application/pdf" if n % 3 else "text/plain", b"x")
             for n in range(len(sizes))]
    report = create_deliverable(world.project, title=hostile, state="in_review")
    version = create_deliverable_version(report, submitted_by=student, files=files, note=hostile,
                                         links=["https://example.org/?a=1&b=<2>", "https://example.org/site"])
    for stored, size in zip(version.files, sizes):
        stored.size = size
    version.links[0].label = hostile
    create_deliverable_version(create_deliverable(second, title="Bare", state="in_review"), submitted_by=student,
                               note="")
    db.session.commit()
    with app.test_request_context("/home"):
        login_user(db.session.get(User, partner.id))
        forms = [ReviewForm(formdata=None)]
        for typed in ({"decision": "changes_requested", "comment": ""},
                      {"decision": "changes_requested", "comment": hostile + "x" * 5001},
                      {"decision": "approved", "comment": hostile}):
            form = ReviewForm(formdata=MultiDict(typed), meta={"csrf": False})
            form.validate()
            forms.append(form)
        assert forms[2].comment.errors and not forms[3].comment.errors and forms[3].comment.data
        # errors as a validator may give them: lazy catalogue text and Markup (kept as they are, as
        # Jinja's `join` keeps them) beside plain text (escaped)
        from flask_babel import lazy_gettext
        from markupsafe import Markup

        lazy = ReviewForm(formdata=None)
        lazy.comment.errors = [lazy_gettext("it's <b>required</b>"), Markup("<i>kept</i>"), "a & b"]
        forms.append(lazy)
        queue = review_queue(db.session.get(User, partner.id))
        models = [(d, d.versions[-1]) for d in db.session.scalars(db.select(Deliverable).order_by(Deliverable.id))]
        assert len(queue) == len(models) == 2
        for deliverable, shown in queue + models:
            for form in forms:
                template = render_template_string(_REVIEW_ITEM, deliverable=deliverable, version=shown,
                                                  review_form=form)
                written = review_item(deliverable, shown, form)
                assert written == template
        assert "&lt;script&gt;" in written and "<script>" not in written
        whole = str(review_item(*queue[0], forms[2]))
    for words in ("bytes", "KB", "MB", "aria-invalid", "Preview" if locale == "en" else "Voorbeeld"):
        assert words in whole, words


def test_the_join_form_on_home_is_the_template_with_this_sessions_token(app, client, world, monkeypatch):
    """The home's "Join a course" form is rendered once per language and mount
    (workspace/enrolment/sections.py `join_form`): it must be what the template renders for a fresh
    form, each session's page carrying its own token (and the form still joining a course)."""
    from flask import g
    from flask_babel import refresh
    from flask_wtf.csrf import generate_csrf

    from workspace.enrolment.forms import JoinForm
    from workspace.enrolment.sections import join_form

    monkeypatch.setitem(app.extensions, "home_join_form", {})
    monkeypatch.setattr(app.jinja_env, "auto_reload", False)  # as in production: the form is kept
    tokens = set()
    for locale, root in (("en", ""), ("nl", ""), ("en", "/workspace"), ("en", ""), ("nl", "")):
        world.partner.locale = locale
        db.session.commit()
        with app.test_request_context("/home", base_url=f"http://localhost{root}"):
            login_user(db.session.get(User, world.partner.id))
            refresh()  # the test's app context outlives each request: forget the last one's language
            g.pop("csrf_token", None)  # and its token (each request here has a session of its own)
            expected = render_template("enrolment/_join_form.html", form=JoinForm(formdata=None))
            assert join_form() == expected
            assert generate_csrf() in expected and f'action="{root}/join"' in expected
            assert ("Aansluiten" in expected) == (locale == "nl")
            tokens.add(generate_csrf())
    assert len(app.extensions["home_join_form"]) == 3
    assert len(tokens) == 5  # every request its own session, its own token
    client.login(world.partner)
    page = client.get("/home").get_data(as_text=True)
    session_token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    form_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.split('id="join-heading"')[1])
    assert form_token.group(1) == session_token
