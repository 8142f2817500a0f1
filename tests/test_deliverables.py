"""Deliverables over HTTP: creating, versions, submitting, the partner's review (also in place
from the home page), the handover checklist, stale edits, activity, and fixed query counts."""
import json

import pytest

from workspace.deliverables import services
from workspace.extensions import db
from workspace.models import Activity, Deliverable, DeliverableVersion, Goal, HandoverItem, Review
from workspace.rules import Refused

from .factories import create_deliverable, create_deliverable_version


def base(world):
    return f"/projects/{world.project.id}/deliverables"


def make_goal(project, title="Seniors use municipal services online"):
    goal = Goal(project_id=project.id, title=title, proposer_side="student", state="agreed")
    db.session.add(goal)
    db.session.flush()
    return goal


def deliverable_form(**overrides):
    data = {"title": "Guide for volunteers", "kind": "toolkit", "audience": "Café volunteers",
            "language": "Dutch (B1)", "channel": "Printed at the desk", "description": "Cards, one per service."}
    data.update(overrides)
    return data


def fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


@pytest.fixture
def in_request(app):
    """Services word their messages in the reader's language, which needs a request."""
    with app.test_request_context(method="POST"):
        yield


# ---- creating and editing ------------------------------------------------------------------------

def test_a_student_creates_a_deliverable_with_its_goals_and_the_default_checklist(client, world):
    goal = make_goal(world.project)
    other_goal = make_goal(world.other_project, "Not ours")
    client.login(world.student)
    page = client.get(f"{base(world)}/new").get_data(as_text=True)
    assert goal.title in page and other_goal.title not in page

    response = client.post_form(f"{base(world)}/new", deliverable_form(goals=[goal.id]))
    assert response.status_code == 303
    deliverable = db.session.scalar(db.select(Deliverable))
    assert (deliverable.title, deliverable.kind, deliverable.state) == ("Guide for volunteers", "toolkit", "draft")
    assert [g.id for g in deliverable.goals] == [goal.id]
    assert [item.label for item in deliverable.handover_items] == [
        "Source files handed over", "Partner shown how to use and change it",
        "Partner can carry on without the team", "Where it is published is written down"]
    assert db.session.scalar(db.select(Activity).filter_by(verb="created", subject_type="deliverable"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Guide for volunteers" in page and "No versions yet." in page and goal.title in page


def test_another_projects_goal_cannot_be_linked(client, world):
    other_goal = make_goal(world.other_project, "Not ours")
    client.login(world.student)
    response = client.post_form(f"{base(world)}/new", deliverable_form(goals=[other_goal.id]))
    assert response.status_code == 422
    assert db.session.scalar(db.select(db.func.count(Deliverable.id))) == 0


def test_bad_input_is_answered_next_to_the_field_and_nothing_is_stored(client, world):
    client.login(world.student)
    response = client.post_form(f"{base(world)}/new", deliverable_form(title="", kind="poem"))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="title-error"' in body and 'id="kind-error"' in body
    assert db.session.scalar(db.select(db.func.count(Deliverable.id))) == 0


def test_a_stale_edit_gets_409_with_the_current_text_and_the_input_kept(client, world):
    deliverable = create_deliverable(world.project, title="Toolkit")
    db.session.commit()
    client.login(world.student)
    url = f"{base(world)}/{deliverable.id}/edit"
    opened = deliverable.version
    assert client.post_form(url, deliverable_form(title="First edit", version=opened)).status_code == 303
    response = client.post_form(url, deliverable_form(title="Second edit", version=opened))
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Someone else saved this deliverable" in body and "First edit" in body and 'value="Second edit"' in body
    assert fresh(Deliverable, deliverable.id).title == "First edit"


# ---- the review cycle over HTTP --------------------------------------------------------------------

def test_versions_are_submitted_reviewed_and_handed_over(client, world):
    deliverable = create_deliverable(world.project, title="Guide", items=2)
    db.session.commit()
    d_url = f"{base(world)}/{deliverable.id}"

    client.login(world.student)
    response = client.post_form(f"{d_url}/versions/new", {"note": "First draft",
                                                          "links": "https://video.example.org/1 The film"})
    assert response.status_code == 303
    v1 = db.session.scalar(db.select(DeliverableVersion).filter_by(deliverable_id=deliverable.id, number=1))
    assert [(link.url, link.label) for link in v1.links] == [("https://video.example.org/1", "The film")]
    response = client.post_form(f"{d_url}/versions/{v1.id}/submit", htmx=True)
    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"]) == {
        "announce": "Version 1 is submitted; the partner is asked to review it."}
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith(f'<div id="deliverable-{deliverable.id}"') and "In review" in body
    assert fresh(Deliverable, deliverable.id).state == "in_review"

    client.logout()
    client.login(world.partner)
    response = client.post_form(f"{d_url}/versions/{v1.id}/review", {"decision": "changes_requested", "comment": ""},
                                htmx=True)
    assert response.status_code == 422
    assert "Say which changes you need" in response.get_data(as_text=True)
    response = client.post_form(f"{d_url}/versions/{v1.id}/review",
                                {"decision": "changes_requested", "comment": "Bigger font, please."})
    assert response.status_code == 303
    assert fresh(Deliverable, deliverable.id).state == "changes_requested"

    client.logout()
    client.login(world.student)
    client.post_form(f"{d_url}/versions/new", {"note": "Bigger font", "links": "https://video.example.org/2"})
    v2 = db.session.scalar(db.select(DeliverableVersion).filter_by(deliverable_id=deliverable.id, number=2))
    assert fresh(Deliverable, deliverable.id).state == "changes_requested"  # a draft changes nothing yet
    assert client.post_form(f"{d_url}/versions/{v2.id}/submit").status_code == 303

    client.logout()
    client.login(world.partner)
    refused = client.post_form(f"{d_url}/versions/{v1.id}/review", {"decision": "approved", "comment": "Fine now"},
                               htmx=True)
    assert refused.status_code == 409
    assert "Version 2 was submitted after version 1" in refused.get_data(as_text=True)
    assert "Your comment, not saved:" in refused.get_data(as_text=True) and "Fine now" in refused.get_data(as_text=True)
    response = client.post_form(f"{d_url}/versions/{v2.id}/review", {"decision": "approved"}, htmx=True)
    assert response.status_code == 200 and "You approved version 2 of Guide." in response.headers["HX-Trigger"]
    assert fresh(Deliverable, deliverable.id).state == "approved"
    assert [r.decision for r in db.session.scalars(db.select(Review).order_by(Review.id))] == [
        "changes_requested", "approved"]

    items = db.session.scalars(db.select(HandoverItem).filter_by(deliverable_id=deliverable.id)
                               .order_by(HandoverItem.position)).all()
    response = client.post_form(f"{d_url}/handover/{items[0].id}/tick", htmx=True)
    assert response.status_code == 200 and fresh(Deliverable, deliverable.id).state == "approved"
    response = client.post_form(f"{d_url}/handover/{items[1].id}/tick")
    assert response.status_code == 303
    deliverable = fresh(Deliverable, deliverable.id)
    assert deliverable.state == "handed_over" and deliverable.handed_over_at is not None
    assert "Handed over" in client.get(d_url).get_data(as_text=True)
    verbs = db.session.scalars(db.select(Activity.verb).where(Activity.project_id == world.project.id)).all()
    for verb in ("added_version", "submitted", "reviewed", "ticked_handover_item", "handed_over"):
        assert verb in verbs
    timeline = client.get(f"/projects/{world.project.id}/timeline").get_data(as_text=True)
    assert "is handed over to the partner" in timeline and f'href="{d_url}"' in timeline

    client.logout()
    client.login(world.student)
    response = client.post_form(f"{d_url}/versions/new", {"note": "Late", "links": "https://example.org/x"})
    assert response.status_code == 409 and "handed over" in response.get_data(as_text=True)


def test_a_version_needs_a_file_or_a_link_and_links_are_https_only(client, world):
    deliverable = create_deliverable(world.project)
    db.session.commit()
    client.login(world.student)
    url = f"{base(world)}/{deliverable.id}/versions/new"
    response = client.post_form(url, {"note": "Nothing attached", "links": ""})
    assert response.status_code == 422 and "at least one file or link" in response.get_data(as_text=True)
    response = client.post_form(url, {"note": "x", "links": "http://plain.example.org\njavascript:alert(1)"})
    assert response.status_code == 422 and "Line 1: a link starts with https://" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(DeliverableVersion.id))) == 0


def test_handover_items_are_added_in_place_and_ticking_waits_for_approval(client, world):
    deliverable = create_deliverable(world.project, state="in_review", items=1)
    create_deliverable_version(deliverable, submitted_by=world.student)
    db.session.commit()
    d_url = f"{base(world)}/{deliverable.id}"
    client.login(world.partner)
    response = client.post_form(f"{d_url}/handover", {"label": "Passwords handed over"}, htmx=True)
    assert response.status_code == 200 and "Passwords handed over" in response.get_data(as_text=True)
    response = client.post_form(f"{d_url}/handover", {"label": ""}, htmx=True)
    assert response.status_code == 422
    item = deliverable.handover_items[0]
    response = client.post_form(f"{d_url}/handover/{item.id}/tick", htmx=True)
    assert response.status_code == 409 and "once the partner has approved" in response.get_data(as_text=True)
    assert fresh(HandoverItem, item.id).ticked_at is None


# ---- the rules in the service layer ----------------------------------------------------------------

def test_only_students_create_add_versions_and_submit(world, in_request):
    with pytest.raises(Refused) as refused:
        services.create_deliverable(world.partner, world.project, title="x", kind="report")
    assert refused.value.status == 403
    deliverable = services.create_deliverable(world.student, world.project, title="x", kind="report")
    with pytest.raises(Refused):
        services.add_version(world.teacher, deliverable, "note", [], [("https://example.org", "")])
    version = services.add_version(world.student, deliverable, "note", [], [("https://example.org", "")])
    with pytest.raises(Refused) as refused:
        services.submit_version(world.partner, version)
    assert refused.value.status == 403
    services.submit_version(world.student, version)
    with pytest.raises(Refused):
        services.submit_version(world.student, version)  # once only


def test_only_partners_review_and_only_the_latest_submitted_version_once(world, in_request):
    deliverable = services.create_deliverable(world.student, world.project, title="x", kind="report")
    v1 = services.add_version(world.student, deliverable, "one", [], [("https://example.org/1", "")])
    with pytest.raises(Refused):
        services.review_version(world.partner, v1, "approved", "")  # not submitted yet
    services.submit_version(world.student, v1)
    for outsider in (world.student, world.teacher, world.other_partner):
        with pytest.raises(Refused) as refused:
            services.review_version(outsider, v1, "approved", "")
        assert refused.value.status == 403
    v2 = services.add_version(world.student, deliverable, "two", [], [("https://example.org/2", "")])
    with pytest.raises(Refused):
        services.submit_version(world.student, v1)  # not the latest any more
    services.submit_version(world.student, v2)
    with pytest.raises(Refused) as refused:
        services.review_version(world.partner, v1, "approved", "")
    assert "Version 2 was submitted after version 1" in refused.value.message
    services.review_version(world.partner, v2, "approved", "")
    with pytest.raises(Refused):
        services.review_version(world.partner, v2, "changes_requested", "changed my mind")


def test_an_approval_holds_for_its_version_only(world, in_request):
    deliverable = services.create_deliverable(world.student, world.project, title="x", kind="report")
    v1 = services.add_version(world.student, deliverable, "one", [], [("https://example.org/1", "")])
    services.submit_version(world.student, v1)
    services.review_version(world.partner, v1, "approved", "")
    assert deliverable.state == "approved"
    v2 = services.add_version(world.student, deliverable, "two", [], [("https://example.org/2", "")])
    services.submit_version(world.student, v2)
    assert deliverable.state == "in_review"
    assert (v1.decision, v2.decision) == ("approved", None)
    with pytest.raises(Refused):  # the checklist waits until the new version is approved too
        services.tick_handover_item(world.partner, deliverable.handover_items[0])
    with pytest.raises(Refused) as refused:
        services.review_version(world.partner, v1, "approved", "")
    assert refused.value.status == 409


def test_the_last_tick_hands_over_and_only_the_partner_ticks(world, in_request):
    deliverable = services.create_deliverable(world.student, world.project, title="x", kind="report")
    version = services.add_version(world.student, deliverable, "one", [], [("https://example.org/1", "")])
    services.submit_version(world.student, version)
    services.review_version(world.partner, version, "approved", "")
    extra = services.add_handover_item(world.student, deliverable, "Logo files in the shared drive")
    with pytest.raises(Refused) as refused:
        services.tick_handover_item(world.student, extra)
    assert refused.value.status == 403
    results = [services.tick_handover_item(world.partner, item) for item in list(deliverable.handover_items)]
    assert results == [False, False, False, False, True]
    assert deliverable.state == "handed_over"
    with pytest.raises(Refused):
        services.add_handover_item(world.partner, deliverable, "One more")


# ---- board, home and badge -------------------------------------------------------------------------

def test_the_board_shows_each_deliverables_state(client, world):
    create_deliverable(world.project, title="Guide", state="approved")
    create_deliverable(world.project, title="Film", state="changes_requested")
    db.session.commit()
    client.login(world.teacher)
    body = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert "Deliverables" in body and "Guide" in body and "Approved" in body and "Changes requested" in body


def test_the_partner_reviews_in_place_from_home(client, world):
    deliverable = create_deliverable(world.project, title="Guide", state="in_review")
    version = create_deliverable_version(deliverable, submitted_by=world.student, note="Please look at the cards",
                                         links=["https://example.org/cards"])
    db.session.commit()
    client.login(world.partner)
    home = client.get("/home").get_data(as_text=True)
    assert "Deliverables to review" in home and "Please look at the cards" in home
    assert 'class="badge-count">1<' in home
    url = f"{base(world)}/{deliverable.id}/versions/{version.id}/review"
    response = client.post_form(url, {"decision": "changes_requested", "comment": "", "next": "home"}, htmx=True)
    assert response.status_code == 422 and f'id="home-review-{deliverable.id}"' in response.get_data(as_text=True)
    response = client.post_form(url, {"decision": "approved", "next": "home"}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "You approved version 1 of Guide." in body
    assert 'id="waiting-badge"' in body and "hx-swap-oob" in body and "badge-count" not in body
    assert "Nothing waits for your review" in client.get("/home").get_data(as_text=True)


def test_people_who_are_nobodys_partner_get_no_review_queue(client, world):
    client.login(world.student)
    assert "Deliverables to review" not in client.get("/home").get_data(as_text=True)


# ---- queries stay fixed whatever the amount of data ------------------------------------------------

def _fill(world, n):
    for i in range(n):
        deliverable = create_deliverable(world.project, title=f"D{i}", state="in_review")
        deliverable.goals.append(make_goal(world.project, f"Goal {i}"))
        for _ in range(n):
            create_deliverable_version(deliverable, submitted_by=world.student,
                                       files=[("a.pdf", "application/pdf", b"%PDF-1.4")], links=["https://example.org"])
    db.session.commit()


@pytest.mark.parametrize("path", ["/projects/{pid}/deliverables", "/projects/{pid}", "/home",
                                  "/projects/{pid}/deliverables/{did}"])
def test_query_counts_do_not_grow_with_deliverables_and_versions(client, world, count_queries, path):
    counts = []
    client.login(world.partner)
    for n in (1, 4):
        _fill(world, n)
        did = db.session.scalar(db.select(Deliverable.id).order_by(Deliverable.id.desc()).limit(1))
        url = path.format(pid=world.project.id, did=did)
        client.get(url)  # warm caches
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_the_demo_shows_every_state(app):
    from .snapshots import demo_world

    demo_world(app)
    states = set(db.session.scalars(db.select(Deliverable.state)))
    assert states == {"draft", "in_review", "changes_requested", "approved", "handed_over"}
    assert db.session.scalar(db.select(db.func.count(Review.id)).where(Review.decision == "changes_requested"))


def test_two_reviews_at_once_meet_the_version_check(world, in_request):
    """The second of two simultaneous reviews finds the deliverable changed and is refused (409 in the view)."""
    from sqlalchemy import text
    from sqlalchemy.orm.exc import StaleDataError

    deliverable = services.create_deliverable(world.student, world.project, title="x", kind="report")
    version = services.add_version(world.student, deliverable, "one", [], [("https://example.org/1", "")])
    services.submit_version(world.student, version)
    db.session.commit()
    db.session.execute(text("UPDATE deliverable SET version = version + 1 WHERE id = :id"), {"id": deliverable.id})
    with pytest.raises(StaleDataError):
        services.review_version(world.partner, version, "approved", "")
    db.session.rollback()


def test_a_version_submitted_meanwhile_is_not_submitted_twice(world):
    """Two submissions of one version at the same moment (tests/test_reliability_concurrency.py found
    it on PostgreSQL): the request read the version before the other submission committed, and the
    deliverable after it. Only one submission finds the version unsubmitted; the other is refused."""
    from sqlalchemy.orm.attributes import set_committed_value

    from workspace.models import User
    from workspace.models.base import utcnow

    deliverable = create_deliverable(world.project, title="Toolkit")
    version = create_deliverable_version(deliverable)
    db.session.flush()
    version_id, deliverable_id, student_id = version.id, deliverable.id, world.student.id
    db.session.commit()  # and no read before the other submission, which then starts from fresh data
    first_at = utcnow()
    with db.engine.begin() as other:  # the other submission, committed in its own transaction
        other.execute(DeliverableVersion.__table__.update().where(DeliverableVersion.__table__.c.id == version_id)
                      .values(submitted_at=first_at, submitted_by_id=student_id))
    version = db.session.get(DeliverableVersion, version_id)
    set_committed_value(version, "submitted_at", None)  # what this request had read before that commit
    student = db.session.get(User, student_id)
    with pytest.raises(Refused, match="already submitted"):
        services.submit_version(student, version)
    db.session.rollback()
    stored = db.session.get(DeliverableVersion, version_id)
    assert stored.submitted_at is not None
    verbs = db.session.scalars(db.select(Activity.verb).where(Activity.subject_type == "deliverable",
                                                              Activity.subject_id == deliverable_id)).all()
    assert "submitted" not in verbs


# The board's list as its loop wrote it with the macros, before the rows were written in Python.
_BOARD_LOOP = """{% from "deliverables/_macros.html" import due, state_label, kind_label -%}
    {% for d in section.deliverables %}
    <li>
      <a href="{{ url_for('deliverables.show', project_id=section.project.id, deliverable_id=d.id) }}">{{ d.title }}</a>
      <span class="meta">· {{ kind_label(d.kind) }}
        · {% if d.latest %}{{ _("version %(n)s", n=d.latest) }}{% else %}{{ _("no version yet") }}{% endif %}
        {% if d.state in ("approved", "handed_over") %}· {{ _("handover %(ticked)s of %(total)s ticked", ticked=d.ticked, total=d.total) }}{% endif %}</span>
      · {{ state_label(d.state) }}
      {% if d.due_date %}· {{ due(d) }}{% endif %}
    </li>
    {% endfor %}
@@SPLIT@@{{ deliverable_board_items(section.deliverables, section.project.id) }}"""


@pytest.mark.parametrize("locale", ["en", "nl"])
def test_the_board_rows_written_in_python_are_the_template_loop(app, world, locale):
    """Every state, with and without a version, a due date (past: late unless handed over; future),
    handover progress and a hostile title, in the reader's language (a kind or state outside the
    lists cannot be stored: the table's check constraints)."""
    from datetime import date, timedelta

    from flask import render_template_string
    from flask_login import login_user

    from workspace.deliverables.sections import board
    from workspace.models import User

    hostile = "<script>alert('x')</script> & “quotes” \"double\" {{ 7*7 }} %(n)s"
    today = date.today()
    for state in ("draft", "in_review", "changes_requested", "approved", "handed_over"):
        for due in (None, today - timedelta(days=3), today + timedelta(days=5)):
            made = create_deliverable(world.project, title=f"{state} {due}", kind="toolkit", state=state,
                                      items=3, due_date=due)
            if due is not None:
                create_deliverable_version(made)
            if state in ("approved", "handed_over"):
                made.handover_items[0].ticked_at = made.created_at
    create_deliverable(world.project, title=hostile, kind="video", items=0)
    db.session.commit()
    world.student.locale = locale
    db.session.commit()
    with app.test_request_context(f"/projects/{world.project.id}"):
        user = db.session.get(User, world.student.id)
        login_user(user)
        section = board(world.project, user)
        assert len(section["deliverables"]) == 16
        loop, written = render_template_string(_BOARD_LOOP, section=section).split("@@SPLIT@@")
        assert written == loop.removesuffix("\n")
        assert "&lt;script&gt;" in written and "<script>" not in written
        assert ("Concept" in written) == (locale == "nl") and "signal-bad" in written
