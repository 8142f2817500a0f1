"""Check-ups through HTTP: planning, logging, feedback closing its loop, action items, the partner's
confirmation and corrections, the values pulse and who sees it, the board, the home page."""
import json
from datetime import date, timedelta

import pytest

from workspace.checkups import services
from workspace.extensions import db
from workspace.models import (
    Activity, ActionItem, CheckUp, Correction, CoursePrompt, FeedbackItem, PulseRating,
)
from workspace.rules import Refused

from .factories import create_action, create_checkup, create_feedback, create_rating, create_user

LONG = "x" * 20000


def url(world, checkup=None, suffix=""):
    base = f"/projects/{world.project.id}/checkups"
    return f"{base}/{checkup.id}{suffix}" if checkup else base + suffix


def fresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def count(model, **filters):
    return db.session.scalar(db.select(db.func.count()).select_from(model).filter_by(**filters))


def verbs():
    return [a.verb for a in db.session.scalars(db.select(Activity).order_by(Activity.id))]


# ---- planning --------------------------------------------------------------------------------

def test_a_member_plans_a_checkup_in_their_own_time_zone(client, world):
    client.login(world.student)
    response = client.post_form(url(world, suffix="/new"), {
        "planned_at": "2030-03-04T10:30", "channel": "video_call", "location": "https://meet.example.org/abc",
        "agenda": "Goals\nPlanning"})
    assert response.status_code == 303
    checkup = db.session.scalar(db.select(CheckUp))
    # Europe/Amsterdam is UTC+1 in March.
    assert checkup.planned_at.hour == 9 and checkup.state == "planned"
    assert "planned" in verbs()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Video call" in page and 'href="https://meet.example.org/abc"' in page


@pytest.mark.parametrize("data, message", [
    ({"planned_at": "next tuesday"}, "Enter a date and time"),
    ({"planned_at": "2030-03-04T10:30", "agenda": LONG}, "Keep it under 5,000 characters."),
    ({"planned_at": "2030-03-04T10:30", "channel": "pigeon"}, "Not a valid choice"),
])
def test_bad_plans_get_messages_and_change_nothing(client, world, data, message):
    client.login(world.student)
    response = client.post_form(url(world, suffix="/new"), {"channel": "on_site", **data})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(CheckUp) == 0 and count(Activity) == 0


def test_a_stale_reschedule_gets_409_and_keeps_the_input(client, world):
    checkup = create_checkup(world.project, days_ago=-5, agenda="First agenda")
    client.login(world.student)
    version = checkup.version
    checkup.agenda = "Changed meanwhile"
    db.session.commit()
    response = client.post_form(url(world, checkup, "/edit"), {
        "planned_at": "2030-03-04T10:30", "channel": "phone", "agenda": "My agenda", "version": version})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Changed meanwhile" in body and "My agenda" in body
    assert fresh(checkup).agenda == "Changed meanwhile"


# ---- logging ---------------------------------------------------------------------------------

def test_a_member_logs_a_checkup_with_attendees_and_guests(client, world):
    checkup = create_checkup(world.project, days_ago=1)
    client.login(world.student)
    response = client.post_form(url(world, checkup, "/log"), {
        "attendees": [world.student.id, world.partner.id], "guests": "Gert Guest\n", "summary": "We met at the hall.",
        "decisions": "Pilot in May", "version": checkup.version})
    assert response.status_code == 303
    checkup = fresh(checkup)
    assert checkup.state == "logged" and checkup.logged_by_id == world.student.id
    assert sorted(a.name for a in checkup.attendees) == sorted(["Gert Guest", world.student.name, world.partner.name])
    page = client.get(url(world, checkup)).get_data(as_text=True)
    assert "Gert Guest" in page and "waiting for the partner" in page


def test_only_members_log(client, world):
    checkup = create_checkup(world.project, days_ago=1)
    with pytest.raises(Refused):
        services.log_checkup(world.teacher, checkup, checkup.version, attendee_ids=[], guests=[], summary="x",
                             decisions="")
    client.login(world.teacher)
    response = client.post_form(url(world, checkup, "/log"), {"summary": "x", "version": checkup.version})
    assert response.status_code == 403
    assert fresh(checkup).state == "planned"


def test_an_attendee_who_is_not_a_member_is_refused(client, world):
    checkup = create_checkup(world.project, days_ago=1)
    client.login(world.student)
    response = client.post_form(url(world, checkup, "/log"), {
        "attendees": [world.other_student.id], "summary": "We met.", "version": checkup.version})
    assert response.status_code == 422
    assert "Choose attendees from the project" in response.get_data(as_text=True)
    assert fresh(checkup).state == "planned"


def test_a_20000_character_summary_is_refused(client, world):
    checkup = create_checkup(world.project, days_ago=1)
    client.login(world.student)
    response = client.post_form(url(world, checkup, "/log"), {"summary": LONG, "version": checkup.version})
    assert response.status_code == 422
    assert "Keep it under 10,000 characters." in response.get_data(as_text=True)
    assert fresh(checkup).summary == ""


def test_a_stale_log_edit_gets_409_with_the_current_log(client, world):
    checkup = create_checkup(world.project, state="logged", days_ago=1, summary="Their summary")
    client.login(world.student)
    version = checkup.version
    checkup.summary = "Saved meanwhile"
    db.session.commit()
    response = client.post_form(url(world, checkup, "/log"), {"summary": "My summary", "version": version})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Saved meanwhile" in body and "My summary" in body


def test_a_confirmed_log_is_immutable_except_through_a_correction(client, world):
    checkup = create_checkup(world.project, state="confirmed", days_ago=1, summary="Final")
    client.login(world.student)
    response = client.post_form(url(world, checkup, "/log"), {"summary": "Rewritten", "version": checkup.version})
    assert response.status_code == 409
    assert "cannot change" in response.get_data(as_text=True)
    response = client.post_form(url(world, checkup, "/feedback"),
                                {"feedback-raised_by": "partner", "feedback-text": "Late"}, htmx=True)
    assert response.status_code == 409
    response = client.post_form(url(world, checkup, "/actions"), {
        "action-text": "Late", "action-owner_id": world.student.id, "action-due_date": "2030-01-01"}, htmx=True)
    assert response.status_code == 409
    assert fresh(checkup).summary == "Final" and count(FeedbackItem) == 0 and count(ActionItem) == 0


# ---- feedback items --------------------------------------------------------------------------

def test_feedback_is_added_in_place_and_the_open_count_follows(client, world):
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    client.login(world.partner)
    response = client.post_form(url(world, checkup, "/feedback"),
                                {"feedback-raised_by": "partner", "feedback-text": "Use <b>plain</b> words"},
                                htmx=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="checkup-feedback"')
    assert "Use &lt;b&gt;plain&lt;/b&gt; words" in body and "(1 open)" in body
    assert json.loads(response.headers["HX-Trigger"]) == {"announce": "Feedback item added."}
    assert count(FeedbackItem, state="open") == 1 and "added" in verbs()


@pytest.mark.parametrize("data, message", [
    ({"feedback-raised_by": "partner", "feedback-text": LONG}, "Keep it under 5,000 characters."),
    ({"feedback-raised_by": "partner", "feedback-text": "  "}, "This cannot be empty."),
    ({"feedback-raised_by": "mayor", "feedback-text": "Hi"}, "Not a valid choice"),
])
def test_bad_feedback_gets_a_message_in_place(client, world, data, message):
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    client.login(world.student)
    response = client.post_form(url(world, checkup, "/feedback"), data, htmx=True)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body and 'id="checkup-feedback"' in body
    assert count(FeedbackItem) == 0


def test_the_team_answers_feedback_and_the_partner_sees_why_not(client, world):
    checkup = create_checkup(world.project, state="confirmed", days_ago=1)
    item = create_feedback(checkup, text="Add a Turkish version")
    client.login(world.student)
    p = f"fb{item.id}-"
    response = client.post_form(url(world, checkup, f"/feedback/{item.id}/respond"),
                                {p + "state": "not_integrated", p + "version": item.version}, htmx=True)
    assert response.status_code == 422
    assert "Give the reason" in response.get_data(as_text=True)
    response = client.post_form(url(world, checkup, f"/feedback/{item.id}/respond"), {
        p + "state": "not_integrated", p + "reason": "No translator this term", p + "version": item.version},
        htmx=True)
    assert response.status_code == 200 and "(0 open)" in response.get_data(as_text=True)
    item = fresh(item)
    assert item.state == "not_integrated" and item.responded_by_id == world.student.id
    client.login(world.partner)
    page = client.get(url(world, checkup)).get_data(as_text=True)
    assert "No translator this term" in page and "Not integrated" in page


def test_feedback_is_integrated_in_a_goal_of_the_project_only(client, world):
    from .factories import create_goal

    goal = create_goal(world.project, world.student, title="Help sheet in plain language")
    theirs = create_goal(world.other_project, world.other_student, title="Not ours")
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    item = create_feedback(checkup)
    client.login(world.student)
    p = f"fb{item.id}-"
    respond = url(world, checkup, f"/feedback/{item.id}/respond")
    response = client.post_form(respond, {p + "state": "integrated", p + "goal_id": theirs.id,
                                          p + "version": item.version}, htmx=True)
    assert response.status_code == 422 and "Choose a goal of this project." in response.get_data(as_text=True)
    with pytest.raises(Refused):
        services.respond_to_feedback(world.student, item, item.version, state="integrated", where="",
                                     reason="", goal_id=theirs.id)
    db.session.rollback()
    response = client.post_form(respond, {p + "state": "integrated", p + "goal_id": goal.id,
                                          p + "version": item.version}, htmx=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f'href="/projects/{world.project.id}/goals/{goal.id}"' in body and "Help sheet in plain language" in body
    assert fresh(item).goal_id == goal.id


def test_only_the_team_responds_to_feedback(client, world):
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    item = create_feedback(checkup)
    client.login(world.partner)
    p = f"fb{item.id}-"
    response = client.post_form(url(world, checkup, f"/feedback/{item.id}/respond"),
                                {p + "state": "integrated", p + "where": "Goal 1", p + "version": item.version})
    assert response.status_code == 403
    assert fresh(item).state == "open"


def test_a_stale_feedback_response_gets_409(client, world):
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    item = create_feedback(checkup)
    version = item.version
    item.state, item.integrated_where = "integrated", "Goal 3"
    db.session.commit()
    client.login(world.student)
    p = f"fb{item.id}-"
    response = client.post_form(url(world, checkup, f"/feedback/{item.id}/respond"), {
        p + "state": "not_integrated", p + "reason": "My reason", p + "version": version}, htmx=True)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Goal 3" in body and "My reason" in body
    assert fresh(item).state == "integrated"


def test_feedback_open_after_two_more_checkups_is_flagged(client, world):
    first = create_checkup(world.project, state="confirmed", days_ago=40)
    item = create_feedback(first, text="Old open feedback")
    create_checkup(world.project, state="confirmed", days_ago=25)
    client.login(world.student)
    assert "Still open after two check-ups" not in client.get(url(world, first)).get_data(as_text=True)
    create_checkup(world.project, state="logged", days_ago=10)
    assert "Still open after two check-ups" in client.get(url(world, first)).get_data(as_text=True)
    board = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert "1 open after two check-ups" in board
    item.state, item.integrated_where = "integrated", "Goal"
    db.session.commit()
    assert "Still open after two check-ups" not in client.get(url(world, first)).get_data(as_text=True)


def test_without_javascript_bad_feedback_gets_the_whole_page_with_the_message(client, world):
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    client.login(world.student)
    response = client.post_form(url(world, checkup, "/feedback"), {"feedback-raised_by": "partner",
                                                                     "feedback-text": ""})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" in body and "This cannot be empty." in body and count(FeedbackItem) == 0
    response = client.post_form(url(world, checkup, "/feedback"), {"feedback-raised_by": "partner",
                                                                     "feedback-text": "Fine"})
    assert response.status_code == 303 and response.headers["Location"].endswith(url(world, checkup))


# ---- action items ----------------------------------------------------------------------------

@pytest.mark.parametrize("field, value, message", [
    ("action-due_date", "someday", "Enter a date"),
    ("action-owner_id", "OWNER_OUTSIDE", "Choose an owner from the project's members."),
    ("action-text", LONG, "Keep it under 500 characters."),
])
def test_bad_action_items_get_messages(client, world, field, value, message):
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    client.login(world.student)
    data = {"action-text": "Send the draft", "action-owner_id": world.partner.id,
            "action-due_date": (date.today() + timedelta(days=3)).isoformat()}
    data[field] = world.other_student.id if value == "OWNER_OUTSIDE" else value
    response = client.post_form(url(world, checkup, "/actions"), data, htmx=True)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(ActionItem) == 0


def test_an_owner_who_is_not_a_member_is_refused_by_the_rules_too(world):
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    with pytest.raises(Refused) as refused:
        services.add_action(world.student, checkup, text="x", owner_id=world.loner.id, due_date=date.today())
    assert refused.value.status == 422


def test_action_items_reach_their_owner_and_are_done_in_place(client, world):
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    client.login(world.student)
    response = client.post_form(url(world, checkup, "/actions"), {
        "action-text": "Share the survey", "action-owner_id": world.partner.id,
        "action-due_date": (date.today() - timedelta(days=2)).isoformat()}, htmx=True)
    assert response.status_code == 200 and "Share the survey" in response.get_data(as_text=True)
    assert "Overdue" in response.get_data(as_text=True)
    item = db.session.scalar(db.select(ActionItem))
    client.login(world.partner)
    home = client.get("/home").get_data(as_text=True)
    assert "Your action items" in home and "Share the survey" in home
    response = client.post_form(url(world, checkup, f"/actions/{item.id}/done"), {"done": "1", "from": "home"},
                                htmx=True)
    assert response.status_code == 200 and "Open again" in response.get_data(as_text=True)
    assert fresh(item).done and "done" in verbs()
    # A repeated click does not undo it.
    client.post_form(url(world, checkup, f"/actions/{item.id}/done"), {"done": "1"})
    assert fresh(item).done


# ---- confirmation and corrections ------------------------------------------------------------

def test_only_partners_confirm(client, world):
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    with pytest.raises(Refused):
        services.confirm(world.student, checkup, checkup.version)
    for user in (world.student, world.teacher):
        client.login(user)
        assert client.post_form(url(world, checkup, "/confirm"), {"version": checkup.version}).status_code == 403
    assert fresh(checkup).state == "logged"


def test_the_partner_confirms_in_place_and_the_badge_follows(client, world):
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    client.login(world.partner)
    home = client.get("/home").get_data(as_text=True)
    assert "Check-up logs to confirm" in home and 'class="badge-count">1<' in home
    response = client.post_form(url(world, checkup, "/confirm"), {"version": checkup.version, "from": "home"},
                                htmx=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Confirmed:" in body and 'id="waiting-badge"' in body and "badge-count" not in body
    checkup = fresh(checkup)
    assert checkup.state == "confirmed" and checkup.confirmed_by_id == world.partner.id
    assert "confirmed" in verbs()


def test_a_partner_confirming_a_log_that_changed_gets_409(client, world):
    checkup = create_checkup(world.project, state="logged", days_ago=1, summary="Old")
    version = checkup.version
    checkup.summary = "New text the partner has not read"
    db.session.commit()
    client.login(world.partner)
    response = client.post_form(url(world, checkup, "/confirm"), {"version": version}, htmx=True)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "The log changed" in body and "New text the partner has not read" in body
    assert fresh(checkup).state == "logged"


def test_a_correction_must_be_resolved_before_the_log_counts_as_confirmed(client, world):
    checkup = create_checkup(world.project, state="confirmed", days_ago=1, summary="We met on Tuesday.")
    client.login(world.partner)
    response = client.post_form(url(world, checkup, "/corrections"), {"correction-text": LONG}, htmx=True)
    assert response.status_code == 422 and "Keep it under 5,000 characters." in response.get_data(as_text=True)
    response = client.post_form(url(world, checkup, "/corrections"),
                                {"correction-text": "It was Monday."}, htmx=True)
    assert response.status_code == 200 and "Waiting for the team" in response.get_data(as_text=True)
    assert fresh(checkup).state == "correction_pending"
    correction = db.session.scalar(db.select(Correction))
    client.login(world.student)
    response = client.post_form(url(world, checkup, f"/corrections/{correction.id}/resolve"), {
        "resolution": "Changed the day", "summary": "We met on Monday.", "version": fresh(checkup).version})
    assert response.status_code == 303
    checkup = fresh(checkup)
    assert checkup.state == "confirmed" and checkup.summary == "We met on Monday."
    assert {"corrected", "resolved"} <= set(verbs())


def test_confirming_a_changed_log_from_home_leads_to_the_log(client, world):
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    version = checkup.version
    checkup.summary = "Changed"
    db.session.commit()
    client.login(world.partner)
    response = client.post_form(url(world, checkup, "/confirm"), {"version": version, "from": "home"}, htmx=True)
    assert response.status_code == 409 and response.headers["HX-Redirect"].endswith(url(world, checkup))
    assert fresh(checkup).state == "logged"
    assert "The log changed since you opened the page" in client.get(url(world, checkup)).get_data(as_text=True)


def test_a_held_checkup_cannot_be_rescheduled(client, world):
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    client.login(world.student)
    response = client.post_form(url(world, checkup, "/edit"), {
        "planned_at": "2030-03-04T10:30", "channel": "phone", "version": checkup.version})
    assert response.status_code == 409 and "already logged" in response.get_data(as_text=True)
    assert fresh(checkup).channel == "on_site"


def test_the_partner_cannot_confirm_over_a_pending_correction(client, world):
    checkup = create_checkup(world.project, state="correction_pending", days_ago=1)
    client.login(world.partner)
    response = client.post_form(url(world, checkup, "/confirm"), {"version": checkup.version}, htmx=True)
    assert response.status_code == 409 and "correction is waiting" in response.get_data(as_text=True)


# ---- the values pulse ------------------------------------------------------------------------

@pytest.mark.parametrize("score", ["0", "7", "4.5", "high"])
def test_pulse_scores_outside_1_to_5_are_refused(client, world, score):
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    client.login(world.student)
    response = client.post_form(url(world, checkup, "/pulse"), {"score-relevance": score, "score-reciprocity": "4"})
    assert response.status_code == 422
    assert "Choose a score from 1 to 5." in response.get_data(as_text=True)
    assert count(PulseRating) == 0


def test_the_pulse_opens_once_the_checkup_is_held(client, world):
    checkup = create_checkup(world.project, state="planned", days_ago=-3)
    client.login(world.student)
    message = "The values pulse opens once the check-up has been held and logged."
    assert message in client.get(url(world, checkup, "/pulse")).get_data(as_text=True)
    assert message in client.get(url(world, checkup)).get_data(as_text=True)
    response = client.post_form(url(world, checkup, "/pulse"), {"score-relevance": "4"})
    assert response.status_code == 409 and message in response.get_data(as_text=True)
    assert count(PulseRating) == 0


def test_one_rating_per_person_per_value_editable_until_closed(client, world):
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    client.login(world.student)
    assert client.post_form(url(world, checkup, "/pulse"), {"score-relevance": "3"}).status_code == 303
    assert client.post_form(url(world, checkup, "/pulse"), {
        "score-relevance": "5", "comment-relevance": "Better now"}).status_code == 303
    rating = db.session.scalar(db.select(PulseRating))
    assert count(PulseRating) == 1 and rating.score == 5 and rating.comment == "Better now" and rating.side == "student"
    checkup.state = "confirmed"
    db.session.commit()
    response = client.post_form(url(world, checkup, "/pulse"), {"score-relevance": "1"})
    assert response.status_code == 409
    assert fresh(rating).score == 5


def test_a_comment_without_a_score_and_a_long_comment_are_refused(client, world):
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    client.login(world.student)
    response = client.post_form(url(world, checkup, "/pulse"), {"comment-relevance": "nice"})
    assert response.status_code == 422 and "Choose a score to go with your comment." in response.get_data(as_text=True)
    response = client.post_form(url(world, checkup, "/pulse"), {"score-relevance": "4", "comment-relevance": LONG})
    assert response.status_code == 422 and "under 2,000 characters" in response.get_data(as_text=True)
    assert count(PulseRating) == 0


def shows(body, score):
    """A score as the pages print it: in a table cell or in the chart's description."""
    return f"<td>{score}" in body or f"side: {score}" in body


def _student_sees(client, world, checkup):
    """Every page and fragment a student can get that shows pulse figures."""
    pages = [client.get(url(world, checkup)), client.get(url(world)), client.get(f"/projects/{world.project.id}"),
             client.post_form(url(world, checkup, "/feedback"),
                              {"feedback-raised_by": "students", "feedback-text": "ok"}, htmx=True),
             client.post_form(url(world, checkup, "/actions"), {
                 "action-text": "x", "action-owner_id": world.student.id, "action-due_date": "2030-01-01"},
                 htmx=True),
             client.get(url(world, checkup, "/pulse"))]
    assert all(p.status_code == 200 for p in pages)
    return "\n".join(p.get_data(as_text=True) for p in pages)


def test_a_student_cannot_see_the_partners_ratings_before_both_sides_rated(client, world):
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    create_rating(checkup, world.partner, "partner", "relevance", 2, comment="Secret partner comment")
    client.login(world.student)
    seen = _student_sees(client, world, checkup)
    assert not shows(seen, "2.0") and "Secret partner comment" not in seen
    assert "Partner side: no ratings" in seen  # the SVG's description
    assert 'class="pulse-partner"' not in seen  # no partner marks in the SVG
    assert "hidden until both sides rated" in seen or "Partner side:" in seen
    # The student rates too: now both sides see each other.
    assert client.post_form(url(world, checkup, "/pulse"), {"score-relevance": "5"}).status_code == 303
    page = client.get(url(world)).get_data(as_text=True)
    assert "Partner side: 2.0" in page and "Student side: 5.0" in page and 'class="pulse-partner"' in page
    page = client.get(url(world, checkup)).get_data(as_text=True)
    assert shows(page, "2.0") and "Secret partner comment" in page


def test_a_partner_does_not_see_the_students_ratings_first_and_a_closed_checkup_shows_all(client, world):
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    create_rating(checkup, world.student, "student", "reciprocity", 1)
    client.login(world.partner)
    page = client.get(url(world)).get_data(as_text=True) + client.get(url(world, checkup)).get_data(as_text=True)
    assert not shows(page, "1.0")
    client.login(world.teacher)  # teachers rate nothing, so they anchor no one: they see both sides
    assert shows(client.get(url(world, checkup)).get_data(as_text=True), "1.0")
    checkup.state = "confirmed"
    db.session.commit()
    client.login(world.partner)
    assert "Student side: 1.0" in client.get(url(world)).get_data(as_text=True)


def test_the_pulse_chart_is_accessible_svg_without_inline_styles(client, world):
    for days in (30, 15):
        checkup = create_checkup(world.project, state="confirmed", days_ago=days)
        create_rating(checkup, world.student, "student", "relevance", 3)
        create_rating(checkup, world.partner, "partner", "relevance", 4)
    client.login(world.student)
    page = client.get(url(world)).get_data(as_text=True)
    assert 'role="img"' in page and '<title id="pulse-relevance-title">' in page and "<desc" in page
    assert "style=" not in page
    assert "Show as a table" in page and "<td>4.0 (1 rating)</td>" in page


# ---- the course's values ---------------------------------------------------------------------

def test_a_teacher_adapts_the_values_and_prompts(client, world):
    client.login(world.teacher)
    response = client.post_form(f"/courses/{world.course.id}/values", {"asked": [], "prompts": ""})
    assert response.status_code == 422 and "Choose at least one value." in response.get_data(as_text=True)
    response = client.post_form(f"/courses/{world.course.id}/values", {"prompts": ("y" * 301)})
    assert response.status_code == 422
    response = client.post_form(f"/courses/{world.course.id}/values", {
        "asked": ["reciprocity", "humbleness"], "prompts": "What did the partner teach you?\n\nWhat surprised you?"})
    assert response.status_code == 303
    assert [p.text for p in db.session.scalars(db.select(CoursePrompt).order_by(CoursePrompt.position))] == [
        "What did the partner teach you?", "What surprised you?"]
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    client.login(world.student)
    form = client.get(url(world, checkup, "/pulse")).get_data(as_text=True)
    assert "Reciprocity" in form and "Humbleness" in form and "Relevance" not in form


# ---- board, schedule and query counts --------------------------------------------------------

def test_the_board_says_when_the_next_checkup_is_due_and_when_it_is_overdue(client, world):
    client.login(world.student)
    create_checkup(world.project, state="confirmed", days_ago=20)
    board = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert "Overdue: a check-up was due on" in board and "every 14 days" in board
    create_checkup(world.project, state="logged", days_ago=3)
    create_checkup(world.project, state="planned", days_ago=-8)
    create_checkup(world.project, state="planned", days_ago=2)
    board = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert "Overdue: a check-up" not in board and "Next due by" in board and "Next planned for" in board
    assert "but not logged yet" in board and "1 log waits for the partner" in board


def _fill(world, n):
    for i in range(n):
        checkup = create_checkup(world.project, state="logged" if i % 2 else "confirmed", days_ago=60 - i * 5)
        for j in range(2):
            create_feedback(checkup, text=f"fb {i} {j}")
            create_action(checkup, world.student if j else world.partner, text=f"act {i} {j}")
            create_rating(checkup, world.student, "student", services.VALUE_KEYS[j], 4)
            create_rating(checkup, world.partner, "partner", services.VALUE_KEYS[j], 3)
    db.session.commit()
    return checkup


@pytest.mark.parametrize("page", ["board", "checkup", "list", "home"])
def test_queries_do_not_grow_with_data(client, world, count_queries, page):
    def measure():
        target = {"board": f"/projects/{world.project.id}", "list": url(world), "home": "/home",
                  "checkup": url(world, db.session.scalar(db.select(CheckUp).order_by(CheckUp.id)))}[page]
        with count_queries() as statements:
            assert client.get(target).status_code == 200
        return len(statements)

    def fill(n):
        _fill(world, n)
        db.session.execute(db.update(CheckUp).values(state="logged"))
        db.session.commit()

    client.login(world.partner)
    fill(1)
    small = measure()
    fill(6)
    assert measure() == small


def test_cadence_falls_back_to_14_days(world):
    assert services.cadence_days(world.project) == 14


def test_another_projects_checkup_is_not_reachable_by_changing_the_id(client, world):
    theirs = create_checkup(world.other_project, state="logged", days_ago=1)
    item = create_feedback(theirs)
    db.session.commit()
    client.login(world.student)
    assert client.get(f"/projects/{world.project.id}/checkups/{theirs.id}").status_code == 404
    p = f"fb{item.id}-"
    response = client.post_form(f"/projects/{world.project.id}/checkups/{theirs.id}/feedback/{item.id}/respond",
                                {p + "state": "integrated", p + "where": "x", p + "version": 1})
    assert response.status_code == 404 and fresh(item).state == "open"


def test_timeline_entries_lead_to_the_checkup(client, world):
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    client.login(world.partner)
    client.post_form(url(world, checkup, "/feedback"), {"feedback-raised_by": "partner", "feedback-text": "More"})
    item = db.session.scalar(db.select(FeedbackItem))
    timeline = client.get(f"/projects/{world.project.id}/timeline").get_data(as_text=True)
    link = f"/projects/{world.project.id}/checkups/feedback/{item.id}"
    assert link in timeline
    response = client.get(link)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/checkups/{checkup.id}#feedback-{item.id}")
    theirs = create_feedback(create_checkup(world.other_project, state="logged"))
    db.session.commit()
    assert client.get(f"/projects/{world.project.id}/checkups/feedback/{theirs.id}").status_code == 404


def test_a_stranger_never_sees_checkups(client, world):
    create_user("Nobody")
    checkup = create_checkup(world.project, state="logged", days_ago=1)
    client.login(world.other_partner)
    assert client.get(url(world, checkup)).status_code == 404


def test_the_demo_shows_every_state(client, monkeypatch):
    import workspace
    from workspace.seed import DEMO_PASSWORD, seed_demo

    monkeypatch.setattr(workspace, "FEATURES", ("checkups",))
    seed_demo()
    db.session.commit()
    states = set(db.session.scalars(db.select(CheckUp.state)))
    assert states == {"planned", "logged", "confirmed", "correction_pending"}
    assert set(db.session.scalars(db.select(FeedbackItem.state))) == {"open", "integrated", "not_integrated"}
    assert {True, False} == set(db.session.scalars(db.select(ActionItem.done)))
    assert count(PulseRating, side="partner") and count(PulseRating, side="student")
    client.login(db.session.scalar(db.select(workspace.models.User).filter_by(email="student1@example.org")),
                 password=DEMO_PASSWORD)
    project = db.session.scalar(db.select(CheckUp).order_by(CheckUp.id)).project
    board = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "open after two check-ups" in board and "Overdue" in board
    page = client.get(f"/projects/{project.id}/checkups").get_data(as_text=True)
    assert 'role="img"' in page


def test_the_answer_forms_fields_are_rendered_as_the_field_macro_renders_them(app, world):
    """The check-up page writes its answer forms' fields without the `field` macro (read.FieldHTML):
    same markup, whitespace included, for each field and state; a field with errors goes to the macro."""
    from flask import render_template_string

    from workspace.checkups import read
    from workspace.checkups.routes import _respond_form
    from workspace.forms import choices

    checkup = create_checkup(world.project, state="logged")
    items = [create_feedback(checkup, state="open"), create_feedback(checkup, state="open")]
    items[1].state, items[1].reason = "not_integrated", "Not <now> & later"
    goals = choices([(0, "— no goal —"), (7, "A goal & <more>"), (8, "Another \"quoted\" one")])
    macro = '{% from "_forms.html" import field %}{{ field(f) }}'
    with app.test_request_context("/"):
        fields = read.FieldHTML()
        for item in items:
            form = _respond_form(item, goals)
            for f in (form.state, form.goal_id, form.where, form.reason):
                assert fields(f) == render_template_string(macro, f=f)
        form.reason.errors = ["Give the reason; the partner sees it."]
        assert fields(form.reason) is None
    # an option as WTForms writes it, whatever its value: text and Markup with quotes, numbers, booleans
    from markupsafe import Markup
    from wtforms.fields.choices import Choice
    from wtforms.widgets import Select

    for value, label in (('a "b" <c> & d', "x"), (Markup('a"b'), Markup("<b>bold</b>")), (7, '"seven"'),
                         (True, "yes"), ("", "")):
        for selected in (True, False):
            choice = Choice(value, label, selected, None)
            assert read._option(choice) == Select.render_option(choice), (value, label, selected)


# The board's check-up section as `checkups/_board.html` wrote it with `_schedule.html` and the state
# macros, before the part below its heading was written in Python (workspace/checkups/sections.py
# `board_body`).
_BOARD_SECTION = """{# The board's check-up section: latest, next due or overdue, open feedback, open action items. #}
{% from "_ui.html" import icon %}
{% import "checkups/_macros.html" as m %}
{% set project = section.project %}
{% set schedule = section.schedule %}
<section aria-labelledby="checkups-heading" class="panel" id="board-checkups"{{ live_refresh("checkup-changed", url_for('projects.show', project_id=project.id), "#board-checkups", _("The check-ups were updated.")) }}>
  <h2 id="checkups-heading"><a href="{{ url_for('checkups.index', project_id=project.id) }}">{{ _("Check-ups") }}</a></h2>
  {% include "checkups/_schedule.html" %}
  {% if schedule.last %}
  <p>{{ _("Latest:") }} <a href="{{ url_for('checkups.show', project_id=project.id, checkup_id=schedule.last.id) }}">{{ schedule.last.planned_at|date }}</a> · {{ m.checkup_state(schedule.last) }}</p>
  {% endif %}
  <ul class="plain">
    <li><strong>{{ section.open_feedback }}</strong> {{ ngettext("feedback item still open", "feedback items still open", section.open_feedback) }}{% if section.flagged %} · <strong class="flag">{{ icon("flag") }} {{ ngettext("%(num)d open after two check-ups", "%(num)d open after two check-ups", section.flagged) }}</strong>{% endif %}</li>
    {% if section.awaiting %}<li>{{ ngettext("%(num)d log waits for the partner's confirmation", "%(num)d logs wait for the partner's confirmation", section.awaiting) }}</li>{% endif %}
  </ul>
  <h3>{{ _("Open action items") }} <span class="count">({{ section.action_count }})</span></h3>
  {% if section.actions %}
  <ul class="plain">
    {% for item in section.actions %}
    <li>{{ m.action_state(item) }} {{ item.text }} <span class="meta">· {{ item.owner.name if item.owner else _("nobody") }} · {{ _("due %(date)s", date=item.due_date|date) }}</span></li>
    {% endfor %}
  </ul>
  {% if section.action_count > section.actions|length %}<p><a href="{{ url_for('checkups.index', project_id=project.id) }}">{{ _("All check-ups and their action items") }}</a></p>{% endif %}
  {% else %}<p class="empty">{{ _("No open action items.") }}</p>{% endif %}
  <p class="actions">{% if can('checkup.plan', project) %}<a href="{{ url_for('checkups.plan', project_id=project.id) }}">{{ _("Plan a check-up") }}</a> · {% endif %}<a href="{{ url_for('checkups.index', project_id=project.id) }}">{{ _("Values pulse") }}</a></p>
</section>"""


@pytest.mark.parametrize("locale", ["en", "nl"])
def test_the_board_section_written_in_python_is_the_template(app, world, locale):
    """Every shape of the section: no check-up yet (due or overdue), held ones in each state, planned
    ones ahead and unlogged ones behind, open and flagged feedback, logs awaiting confirmation, none to
    more than five open action items (overdue, owned by someone with a hostile name, or nobody), for a
    reader who may plan a check-up and one who may not."""
    from flask import render_template, render_template_string
    from flask_babel import refresh
    from flask_login import login_user

    from workspace.checkups.sections import board
    from workspace.models import User

    from workspace.models import ActionItem

    def _action(checkup, owner, text, due):
        item = ActionItem(checkup=checkup, project_id=checkup.project_id, text=text, due_date=due,
                          owner_id=owner.id if owner else None)
        db.session.add(item)
        return item

    hostile = "<script>alert('x')</script> & \u201cquotes\u201d \"double\" {{ 7*7 }} %(n)s"
    odd = create_user(hostile)
    project = world.project
    steps = [
        lambda: None,  # nothing yet: due from the project's start
        lambda: create_checkup(project, state="confirmed", days_ago=30),  # overdue
        lambda: create_checkup(project, state="correction_pending", days_ago=20),
        lambda: create_checkup(project, state="planned", days_ago=-6),  # next planned
        lambda: create_checkup(project, state="planned", days_ago=3),  # not logged yet
        lambda: [create_feedback(create_checkup(project, state="logged", days_ago=2), text=hostile)
                 for _ in range(2)],
        lambda: _action(create_checkup(project, state="logged", days_ago=1), odd, "Two days late",
                        date.today() - timedelta(days=2)),  # one action item: all shown
        lambda: [_action(create_checkup(project, state="confirmed", days_ago=1), owner, f"{hostile} {n}",
                         date.today() + timedelta(days=n - 3))
                 for n, owner in enumerate([odd, None, world.student, world.partner, odd, None, world.student])],
    ]
    shapes = set()
    for step in steps:
        step()
        db.session.commit()
        for reader in (world.teacher, world.partner):
            reader.locale = locale
            db.session.commit()
            with app.test_request_context(f"/projects/{project.id}"):
                login_user(db.session.get(User, reader.id))
                refresh()
                section = board(project, reader)
                old = render_template_string(_BOARD_SECTION, section=section)
                new = render_template("checkups/_board.html", section=section)
                assert new == old
                shapes.add((bool(section["schedule"]["last"]), section["schedule"]["overdue"],
                            bool(section["actions"]), section["action_count"] > len(section["actions"])))
    assert len(shapes) >= 5 and "&lt;script&gt;" in new and "<script>" not in new
    assert "Plan" in old or "Plannen" in old or "plannen" in old
