"""The mail sender: notification e-mails left to `flask send-mail --watch` instead of the worker that
answered the action (NOTIFICATION_MAIL_BY_SENDER, on in production), and one SMTP conversation per batch."""
import threading
from datetime import timedelta

import pytest

from workspace.extensions import db
from workspace.mail import queue_mail
from workspace.models import Goal, OutboxMessage
from workspace.models.base import utcnow

from .factories import create_goal
from .servers import FakeSMTP, free_port


@pytest.fixture
def by_sender(app, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFICATION_MAIL_BY_SENDER", True)


def _queue(n: int) -> None:
    """n messages for the mail sender (reader0@…, reader1@…), committed."""
    for i in range(n):
        queue_mail(f"reader{i}@example.org", "s", "b", later=True)
    db.session.commit()


def _outbox():
    db.session.commit()  # a fresh look: the sender wrote in a session (and transaction) of its own
    return db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def _agree(client, world, goal):
    return client.post_form(f"/projects/{world.project.id}/goals/{goal.id}/approve",
                            {"version": goal.version, "view": "board"}, htmx=True)


def test_a_decision_leaves_its_notification_mail_to_the_sender(app, client, world, sent_mail, by_sender):
    goal = create_goal(world.project, world.student, title="Routes for <b>Tuesday</b>")
    db.session.commit()
    client.login(world.partner)

    response = _agree(client, world, goal)
    assert response.status_code == 200
    assert "Routes for &lt;b&gt;Tuesday&lt;/b&gt;" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Goal, goal.id).state == "agreed"
    # Told in the workspace at once; the e-mail waits in the outbox, not sent by the worker that answered.
    assert sent_mail == []
    waiting = _outbox()
    assert [(m.to, m.sent_at) for m in waiting] == [(world.student.email, None)]
    assert "Routes for <b>Tuesday</b>" in waiting[0].subject

    result = app.test_cli_runner().invoke(args=["send-mail", "--watch", "0.5", "--rounds", "1"])
    assert result.exit_code == 0, result.output
    assert "sent: 1" in result.output
    assert [m["to"] for m in sent_mail] == [world.student.email]
    assert "Routes for <b>Tuesday</b>" in sent_mail[0]["subject"]
    stored = _outbox()
    assert stored[0].sent_at is not None and stored[0].body == ""

    # A round with nothing to send says nothing (the sender runs every few seconds).
    quiet = app.test_cli_runner().invoke(args=["send-mail", "--watch", "0.5", "--rounds", "2"])
    assert quiet.exit_code == 0 and quiet.output == ""


def test_without_the_sender_setting_the_decision_sends_its_mail_itself(client, world, sent_mail):
    goal = create_goal(world.project, world.student)
    db.session.commit()
    client.login(world.partner)
    assert _agree(client, world, goal).status_code == 200
    assert [m["to"] for m in sent_mail] == [world.student.email]
    assert all(m.sent_at is not None for m in _outbox())


def test_mail_a_person_waits_for_still_goes_at_once_with_the_sender_setting(client, world, sent_mail, by_sender):
    response = client.post("/login/link", data={"email": world.partner.email,
                                                "csrf_token": client.csrf_token("/login/link")})
    assert response.status_code in (200, 303)
    assert [m["to"] for m in sent_mail] == [world.partner.email]
    assert "/login/link/" in sent_mail[0]["body"]


def test_the_sender_goes_on_past_full_batches(app, world, sent_mail, monkeypatch):
    from workspace import mail

    monkeypatch.setattr(mail, "BATCH", 3)
    batches = []
    real_send_due = mail.send_due

    def counting(*args, **kwargs):
        batches.append(real_send_due(*args, **kwargs))
        return batches[-1]

    monkeypatch.setattr(mail, "send_due", counting)
    _queue(7)
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0 and "sent: 7" in result.output, result.output
    assert batches == [(3, 0), (3, 0), (1, 0)]
    assert sorted(m["to"] for m in sent_mail) == sorted(f"reader{n}@example.org" for n in range(7))


def test_messages_being_sent_are_claimed_so_no_other_sender_takes_them(app, world, sent_mail, monkeypatch):
    from workspace import mail

    _queue(3)

    def dies(to, subject, body, **_):
        raise SystemExit("the sender was killed while the mail server talked")

    monkeypatch.setattr(mail, "transport", dies)
    with pytest.raises(SystemExit):
        mail.send_due()
    db.session.rollback()
    claimed = _outbox()
    # Claimed in a transaction of their own before any was sent: not sent, counted as tried (the one that
    # killed the sender shows it), and off limits to other senders until the claim runs out.
    assert all(m.sent_at is None and m.attempts == 1 for m in claimed)
    assert all(m.next_attempt_at > utcnow() + mail.LEASE - timedelta(minutes=1) for m in claimed)
    monkeypatch.undo()
    assert mail.send_due() == (0, 0) and sent_mail == []

    for message in claimed:  # the claim ran out
        message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert mail.send_due() == (3, 0) and len(sent_mail) == 3


def test_a_sender_told_to_stop_leaves_what_it_did_not_try_due_at_once(app, world, sent_mail):
    from workspace import mail

    _queue(3)
    asked = []

    def stop_after_one():
        asked.append(1)
        return len(asked) > 1

    assert mail.send_due(should_stop=stop_after_one) == (1, 0)
    assert [m["to"] for m in sent_mail] == ["reader0@example.org"]
    rest = [m for m in _outbox() if m.sent_at is None]
    assert [(m.to, m.attempts) for m in rest] == [("reader1@example.org", 0), ("reader2@example.org", 0)]
    assert all(m.next_attempt_at <= utcnow() for m in rest)


def test_a_message_refused_for_weeks_waits_six_hours_between_tries(app, world, monkeypatch):
    from workspace import mail

    monkeypatch.setitem(app.config, "MAIL_FAIL", True)
    message = queue_mail("refused@example.org", "s", "b", later=True)
    db.session.commit()
    message.attempts = 50
    db.session.commit()
    assert mail.send_due() == (0, 1)
    stored = _outbox()[0]
    assert stored.attempts == 51 and stored.sent_at is None
    assert mail.MAX_BACKOFF - timedelta(minutes=1) < stored.next_attempt_at - utcnow() <= mail.MAX_BACKOFF


def test_a_round_that_fails_does_not_stop_the_sender(app, world, sent_mail, monkeypatch, caplog):
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database away")
        return 0, 0

    monkeypatch.setattr("workspace.mail.send_due", flaky)
    result = app.test_cli_runner().invoke(args=["send-mail", "--watch", "0.5", "--rounds", "2"])
    assert result.exit_code == 0, result.output
    assert len(calls) == 2
    assert "this round failed" in caplog.text


@pytest.fixture
def smtp_server(app, monkeypatch):
    port = free_port()
    for key, value in {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port,
                       "MAIL_USE_TLS": False, "MAIL_USERNAME": ""}.items():
        monkeypatch.setitem(app.config, key, value)
    server = FakeSMTP(port)
    server.refuse = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_a_batch_goes_in_one_smtp_conversation_and_a_refusal_keeps_only_its_message(app, world, smtp_server):
    smtp_server.refuse = {"refused@"}
    for to in ("one@example.org", "refused@example.org", "two@example.org", "three@example.org"):
        queue_mail(to, f"Subject for {to}", f"Body for {to}", later=True)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert "sent: 3; failed (kept for retry): 1" in result.output, result.output
    assert smtp_server.conversations == 1
    assert [recipients for recipients, _message in smtp_server.received] == [
        ["rcpt TO:<one@example.org>"], ["rcpt TO:<two@example.org>"], ["rcpt TO:<three@example.org>"]]
    assert "Body for two@example.org" in smtp_server.received[1][1]
    kept = [m for m in _outbox() if m.sent_at is None]
    assert [(m.to, m.attempts) for m in kept] == [("refused@example.org", 1)]
    assert kept[0].body == "Body for refused@example.org" and "SMTPRecipientsRefused" in kept[0].last_error

    # Its retry, once due, is a conversation of its own.
    smtp_server.refuse = False
    kept[0].next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert "sent: 1" in app.test_cli_runner().invoke(args=["send-mail"]).output
    assert smtp_server.conversations == 2 and len(smtp_server.received) == 4


def test_a_conversation_the_server_ended_is_opened_again_for_the_next_message(app, world, smtp_server):
    smtp_server.one_message = True  # as a server that hangs up an idle conversation
    for to in ("a@example.org", "b@example.org"):
        queue_mail(to, "s", "b", later=True)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert "sent: 2; failed (kept for retry): 0" in result.output, result.output
    assert smtp_server.conversations == 2  # the second message found the first conversation gone (NOOP)
    assert [r for r, _m in smtp_server.received] == [["rcpt TO:<a@example.org>"], ["rcpt TO:<b@example.org>"]]


def test_a_message_whose_conversation_broke_is_not_sent_again_at_once(app, world, smtp_server):
    smtp_server.hang_up_after = 1  # takes one message, then ends the conversation at every DATA
    for to in ("a@example.org", "b@example.org"):
        queue_mail(to, "s", "b", later=True)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert "sent: 1; failed (kept for retry): 1" in result.output, result.output
    # the server may have taken a message whose conversation broke: it waits its back-off, not sent twice now
    assert smtp_server.conversations == 1
    kept = [m for m in _outbox() if m.sent_at is None]
    assert [(m.to, m.attempts) for m in kept] == [("b@example.org", 1)] and "Disconnected" in kept[0].last_error
    assert kept[0].next_attempt_at > utcnow()


def test_a_server_that_turns_the_sender_away_is_asked_once_per_batch(app, world, smtp_server):
    smtp_server.greeting = "554 fake.example no service"
    _queue(3)
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert "sent: 0; failed (kept for retry): 3" in result.output, result.output
    assert smtp_server.conversations == 1  # the rest of the batch waits its back-off untried
    stored = _outbox()
    assert all(m.attempts == 1 and "Unreachable" in m.last_error and m.next_attempt_at > utcnow() for m in stored)


def test_results_are_recorded_on_the_way_out_and_only_by_the_sender_holding_the_claim(app, world, sent_mail,
                                                                                      monkeypatch):
    from workspace import mail

    _queue(3)
    real_transport = mail.transport

    def dies_at_the_second(to, subject, body, **kwargs):
        if to == "reader1@example.org":
            raise SystemExit("killed while sending the second")
        real_transport(to, subject, body, **kwargs)

    monkeypatch.setattr(mail, "transport", dies_at_the_second)
    with pytest.raises(SystemExit):
        mail.send_due()
    db.session.rollback()
    first, second, third = _outbox()
    assert first.sent_at is not None and first.body == ""  # recorded on the way out
    assert second.sent_at is None and third.sent_at is None and second.attempts == 1

    # Another sender took the claim over (it ran out): a late result of the first is not recorded.
    monkeypatch.undo()
    for message in (second, third):
        message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    second_id = second.id

    def taken_over(to, subject, body, **kwargs):
        with db.engine.begin() as other:
            other.execute(db.update(OutboxMessage).where(OutboxMessage.id == second_id)
                          .values(next_attempt_at=utcnow() + timedelta(hours=1)))
        real_transport(to, subject, body, **kwargs)

    monkeypatch.setattr(mail, "transport", taken_over)
    assert mail.send_due(ids=[second_id]) == (1, 0)
    assert _outbox()[1].sent_at is None  # its claim is the other sender's now: that one records it


def test_an_unreachable_server_ends_the_round(app, world, smtp_server, monkeypatch):
    from workspace import mail

    monkeypatch.setattr(mail, "BATCH", 3)
    smtp_server.greeting = "554 fake.example no service"
    _queue(7)
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert "sent: 0; failed (kept for retry): 3" in result.output, result.output
    assert smtp_server.conversations == 1
    assert [m.attempts for m in _outbox()] == [1, 1, 1, 0, 0, 0, 0]  # the rest waits for the next round


def test_sigterm_ends_the_sender_after_the_message_it_is_sending(app, world, sent_mail, monkeypatch):
    import os
    import signal

    from workspace import mail

    _queue(3)
    real_transport = mail.transport

    def terminated_while_sending(to, subject, body, **kwargs):
        if to == "reader0@example.org":
            os.kill(os.getpid(), signal.SIGTERM)  # as systemctl stop
        real_transport(to, subject, body, **kwargs)

    monkeypatch.setattr(mail, "transport", terminated_while_sending)
    before = signal.getsignal(signal.SIGTERM)
    result = app.test_cli_runner().invoke(args=["send-mail", "--watch", "0.5", "--rounds", "5"])
    assert result.exit_code == 0 and "sent: 1;" in result.output, result.output
    assert signal.getsignal(signal.SIGTERM) is before  # given back
    assert [m["to"] for m in sent_mail] == ["reader0@example.org"]
    rest = [m for m in _outbox() if m.sent_at is None]
    assert [(m.to, m.attempts) for m in rest] == [("reader1@example.org", 0), ("reader2@example.org", 0)]
    assert all(m.next_attempt_at <= utcnow() for m in rest)
