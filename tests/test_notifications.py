"""Notifications, the e-mail outbox, sign-in by e-mailed link and "my work"."""
import re
import threading
import time
from datetime import date, timedelta

import pytest
from babel.dates import format_date

from workspace import mail
from workspace.extensions import db
from workspace.models import EmailPreference, Notification, OutboxMessage, SignInToken, User
from workspace.models.base import utcnow
from workspace.models.checkup import ActionItem, CheckUp
from workspace.models.goal import Goal
from workspace.notifications.services import notify, queue_digests


def _notify(world, user, text="Agree to the goal “Routes”", key="goal-1", url=None):
    notify([user], "goal", key, text, url or f"/projects/{world.project.id}", project=world.project)
    db.session.commit()


def test_bell_shows_the_unread_count_and_polling_answers_204_when_unchanged(client, world):
    client.login(world.partner)
    html = client.get("/home").get_data(as_text=True)
    state = re.search(r'/notifications/badge\?seen=([0-9-]+)', html).group(1)
    assert state == "0-0"
    assert client.get(f"/notifications/badge?seen={state}").status_code == 204
    _notify(world, world.partner)
    response = client.get(f"/notifications/badge?seen={state}", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert '<span class="badge-count">1</span>' in response.get_data(as_text=True)


def test_opening_a_notification_marks_it_read_and_leads_to_the_item(client, world):
    _notify(world, world.partner)
    note = db.session.scalar(db.select(Notification))
    client.login(world.partner)
    html = client.get("/notifications").get_data(as_text=True)
    assert "Agree to the goal “Routes”" in html and "New" in html
    response = client.post_form(f"/notifications/{note.id}/open", {})
    assert response.status_code == 303 and response.headers["Location"] == f"/projects/{world.project.id}"
    assert db.session.get(Notification, note.id).read_at is not None


def test_someone_elses_notification_is_not_found(client, world):
    _notify(world, world.partner)
    note = db.session.scalar(db.select(Notification))
    client.login(world.student)
    assert client.post_form(f"/notifications/{note.id}/open", {}).status_code == 404
    assert db.session.get(Notification, note.id).read_at is None


def test_the_same_news_is_told_once_and_never_to_the_actor(world):
    notify([world.partner, world.student], "goal", "goal-7", "News", actor=world.student)
    notify([world.partner], "goal", "goal-7", "News again")
    db.session.commit()
    notes = db.session.scalars(db.select(Notification)).all()
    assert [(n.user_id, n.text) for n in notes] == [(world.partner.id, "News")]


def test_immediate_email_goes_through_the_outbox(client, world, sent_mail):
    client.login(world.teacher)
    client.post_form(f"/projects/{world.project.id}/invite", {"email": "x@example.org", "role": "student"})
    message = db.session.scalar(db.select(OutboxMessage))
    assert message.sent_at is not None and message.to == "x@example.org"
    assert sent_mail[-1]["to"] == "x@example.org"


def test_refused_mail_stays_in_the_outbox_and_send_mail_retries_it(app, client, world, sent_mail):
    app.config["MAIL_FAIL"] = True
    try:
        client.login(world.teacher)
        response = client.post_form(f"/projects/{world.project.id}/invite", {"email": "x@example.org", "role": "student"})
        assert response.status_code == 200  # the invitation itself is made; the mail waits
    finally:
        app.config["MAIL_FAIL"] = False
    message = db.session.scalar(db.select(OutboxMessage))
    assert message.sent_at is None and message.attempts == 1 and "Refused" in message.last_error
    assert sent_mail == []
    message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert "sent: 1" in result.output, result.output
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).sent_at is not None
    assert sent_mail[-1]["to"] == "x@example.org"


def test_digest_readers_get_one_mail_a_day(world, sent_mail):
    db.session.add(EmailPreference(user_id=world.partner.id, email="digest"))
    _notify(world, world.partner, text="First thing", key="a")
    _notify(world, world.partner, text="Second thing", key="b")
    assert db.session.scalar(db.select(OutboxMessage)) is None
    assert queue_digests() == 1
    db.session.commit()
    mail.send_due()
    assert "First thing" in sent_mail[-1]["body"] and "Second thing" in sent_mail[-1]["body"]
    assert queue_digests() == 0


def test_notification_emails_respect_never(client, world, sent_mail):
    client.login(world.partner)
    assert client.post_form("/notifications/settings", {"email": "never"}).status_code == 303
    assert client.post_form("/notifications/settings", {"email": "sometimes"}).status_code == 422
    _notify(world, world.partner)
    assert db.session.scalar(db.select(OutboxMessage)) is None


def test_outbox_sender_is_idempotent_when_two_run_at_once(app, world, monkeypatch, database_url, sent_mail):
    if not database_url.startswith("postgresql"):
        pytest.skip("row locking is a PostgreSQL matter; SQLite serialises the senders' write transactions")
    for n in range(6):
        db.session.add(OutboxMessage(to=f"p{n}@example.org", subject="s", body="b"))
    db.session.commit()
    with db.engine.connect() as other:  # another sender, in the middle of claiming all six
        claiming = other.begin()
        assert len(other.execute(db.select(OutboxMessage.id).with_for_update()).all()) == 6
        db.session.execute(db.text("SET LOCAL lock_timeout = '2s'"))  # waiting would be the defect
        assert mail.send_due() == (0, 0)  # it passes over the rows the other is claiming
        claiming.rollback()
    assert mail.send_due() == (6, 0)
    assert sorted(m["to"] for m in sent_mail) == sorted(f"p{n}@example.org" for n in range(6))


# ---- sign-in link ------------------------------------------------------------------------------

def _link_path(sent_mail):
    return re.search(r"https?://[^/\s]+(/login/link/\S+)", sent_mail[-1]["body"]).group(1)


def test_sign_in_link_signs_in_once_and_goes_to_the_item(client, world, sent_mail):
    target = f"/projects/{world.project.id}"
    response = client.post(f"/login/link?next={target}", data={"email": world.partner.email,
                                                               "csrf_token": client.csrf_token("/login/link")})
    assert response.status_code == 303
    path = _link_path(sent_mail)
    page = client.get(path)
    assert "Sign in as" in page.get_data(as_text=True)
    assert client.get("/home").status_code == 302  # opening the link alone signs nobody in
    response = client.post(path, data={"csrf_token": client.csrf_token(path)})
    assert response.status_code == 303 and response.headers["Location"] == target
    assert client.get(target).status_code == 200
    client.logout()
    again = client.post(path, data={"csrf_token": client.csrf_token("/login")})
    assert again.status_code == 410
    assert "used already or it expired" in again.get_data(as_text=True)


def test_expired_sign_in_link_is_refused(client, world, sent_mail):
    client.post("/login/link", data={"email": world.partner.email, "csrf_token": client.csrf_token("/login/link")})
    row = db.session.scalar(db.select(SignInToken))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(_link_path(sent_mail)).status_code == 410


def test_sign_in_links_are_rate_limited(client, world, sent_mail):
    for _ in range(3):
        client.post("/login/link", data={"email": world.partner.email, "csrf_token": client.csrf_token("/login/link")})
    response = client.post("/login/link", data={"email": world.partner.email,
                                                 "csrf_token": client.csrf_token("/login/link")})
    assert response.status_code == 429
    assert "Several links were sent" in response.get_data(as_text=True)
    assert len(sent_mail) == 3


def test_unknown_address_gets_the_same_answer_and_no_mail(client, world, sent_mail):
    response = client.post("/login/link", data={"email": "nobody@example.org",
                                                "csrf_token": client.csrf_token("/login/link")}, follow_redirects=True)
    assert "If an account exists for nobody@example.org" in response.get_data(as_text=True)
    assert sent_mail == []


# ---- my work -----------------------------------------------------------------------------------

def test_my_work_lists_what_is_due_soonest_first(client, world):
    db.session.add(Goal(project_id=world.project.id, title="Routes map", proposer_side="student", state="proposed"))
    checkup = CheckUp(project_id=world.project.id, planned_at=utcnow() - timedelta(days=2), state="logged")
    db.session.add(checkup)
    db.session.flush()
    db.session.add(ActionItem(checkup_id=checkup.id, project_id=world.project.id, text="Send the flyer",
                              owner_id=world.partner.id, due_date=date.today() - timedelta(days=1)))
    db.session.commit()
    client.login(world.partner)
    html = client.get("/my-work").get_data(as_text=True)
    assert "Agree to the goal “Routes map” or ask for changes" in html
    assert "Confirm the log of the check-up" in html
    assert html.index("Action item: Send the flyer") < html.index("Agree to the goal")
    assert "late since" in html
    client.login(world.student)
    html = client.get("/my-work").get_data(as_text=True)
    assert "Routes map" not in html and "Nothing is waiting for you." in html


def test_my_work_queries_do_not_grow(client, world, count_queries):
    client.login(world.partner)
    with count_queries() as few:
        client.get("/my-work")
    for n in range(20):
        db.session.add(Goal(project_id=world.project.id, title=f"G{n}", proposer_side="student", state="proposed"))
    db.session.commit()
    with count_queries() as many:
        client.get("/my-work")
    assert len(few) == len(many)
    assert User  # the model stays importable for the factories


def test_notify_due_reminds_owners_once_per_state(app, world):
    from workspace.models.agreement import Agreement, Responsibility

    checkup = CheckUp(project_id=world.project.id, planned_at=utcnow(), state="logged")
    agreement = Agreement(project_id=world.project.id)
    db.session.add_all([checkup, agreement])
    db.session.flush()
    db.session.add(ActionItem(checkup_id=checkup.id, project_id=world.project.id, text="Print posters",
                              owner_id=world.student.id, due_date=date.today() + timedelta(days=1)))
    db.session.add(Responsibility(agreement_id=agreement.id, what="Answer within 5 days", side="partner",
                                  due_date=date.today() - timedelta(days=1)))
    db.session.commit()
    runner = app.test_cli_runner()
    assert "notifications created: 2" in runner.invoke(args=["notify-due"]).output
    assert "notifications created: 0" in runner.invoke(args=["notify-due"]).output
    texts = {(n.user_id, n.text) for n in db.session.scalars(db.select(Notification))}
    assert (world.student.id, f"Your action item is due on {format_date(date.today() + timedelta(days=1), 'd MMM y', locale='en')}: Print posters") in texts
    assert (world.partner.id, "A promise of your side is late: Answer within 5 days") in texts


# ---- told of what waits for them --------------------------------------------------------------

def test_a_student_proposal_notifies_the_partner_and_the_reply_the_student(client, world, sent_mail):
    client.login(world.student)
    response = client.post_form(f"/projects/{world.project.id}/goals/new", {"title": "Shorter queues"})
    assert response.status_code == 303
    goal = db.session.scalar(db.select(Goal))
    notes = db.session.scalars(db.select(Notification)).all()
    assert [(n.user_id, n.kind) for n in notes] == [(world.partner.id, "goal")]
    assert "Shorter queues" in notes[0].text and "your side's turn" in notes[0].text
    assert notes[0].url == f"/projects/{world.project.id}/goals/{goal.id}"
    assert sent_mail[-1]["to"] == world.partner.email and notes[0].url in sent_mail[-1]["body"]
    client.login(world.partner)
    client.post_form(f"/projects/{world.project.id}/goals/{goal.id}/comments", {"body": "Which queues?"})
    replies = db.session.scalars(db.select(Notification).filter_by(kind="reply")).all()
    assert [n.user_id for n in replies] == [world.student.id]


def test_notification_emails_contain_only_what_the_recipient_may_see(client, world, sent_mail):
    client.login(world.student)
    client.post_form(f"/projects/{world.project.id}/goals/new", {"title": "Shorter queues"})
    recipients = {m["to"] for m in sent_mail}
    assert recipients == {world.partner.email}
    assert world.other_partner.email not in recipients and world.teacher.email not in recipients


def test_an_activity_already_told_is_not_told_twice(app, world):
    """The people an activity tells come with whether they were told of its key already (one statement):
    told again, nobody gets a second note or e-mail, and nothing fails on the unique (person, key)."""
    from workspace.activity import record
    from workspace.notifications.events import on_activity

    goal = Goal(project_id=world.project.id, title="Routes", proposer_side="student", state="proposed",
                proposer_id=world.student.id)
    db.session.add(goal)
    db.session.flush()
    with app.test_request_context("/"):
        entry = record(world.student, "proposed", goal, "Sam proposed the goal “Routes”", project=world.project)
        first = db.session.scalars(db.select(Notification.user_id).where(Notification.key == f"activity-{entry.id}")).all()
        mails = db.session.scalar(db.select(db.func.count(OutboxMessage.id)))
        on_activity(entry, goal, world.project, world.student)  # told again
        again = db.session.scalars(db.select(Notification.user_id).where(Notification.key == f"activity-{entry.id}")).all()
        assert first and sorted(again) == sorted(first) and world.partner.id in first
        assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == mails


def test_notify_counts_whom_it_told_and_keeps_an_address_left_out_empty(world):
    """notify() inserts with the table's statement: it returns how many were told (not the actor, not
    twice per key), and an address given as None is stored as the column's empty default."""
    told = notify([world.partner, world.student], "goal", "goal-count", "News", None, project=world.project,
                  actor=world.student)
    again = notify([world.partner], "goal", "goal-count", "News again", project=world.project)
    db.session.commit()
    assert (told, again) == (1, 0)
    note = db.session.scalar(db.select(Notification).where(Notification.key == "goal-count"))
    assert (note.user_id, note.url) == (world.partner.id, "")
