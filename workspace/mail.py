"""Sending mail through an outbox: every message is stored first, then delivered.

`send_mail()` (alias `queue_mail()`) writes an OutboxMessage in the request's transaction; once the
request has committed, the messages it queued are delivered at once. A message that fails (the
mail server is down or refuses) stays in the outbox and `flask send-mail` retries it with back-off.
Messages queued `later` (notifications where NOTIFICATION_MAIL_BY_SENDER is on, a class import's
invitations) are left to the mail sender: `flask send-mail --watch SECONDS` beside the app, or the
five-minute `flask send-mail` from cron. The sender hands a batch to the mail server in one SMTP
conversation.
Transport: SMTP when MAIL_SERVER is set, the application log otherwise; tests capture in memory.
"""
import logging
import smtplib
import time
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app, g
from sqlalchemy import event
from sqlalchemy.orm import Session

from .extensions import db
from .models.base import utcnow

logger = logging.getLogger("workspace.mail")
MAX_BACKOFF = timedelta(hours=6)
BATCH = 200  # messages a sender takes at a time
LEASE = timedelta(minutes=15)  # how long a sender's claim on the messages it is sending keeps others off
RECORD_EVERY = 20  # results recorded at least every this many messages (and every second)
UNDELIVERABLE = ".invalid"  # RFC 6761's reserved domain (LTI accounts without an address): never mailed


def deliverable(to: str) -> bool:
    """False for an address no mail server can take: it would wait in the outbox for ever."""
    return not to.lower().endswith(UNDELIVERABLE)


def queue_mail(to: str, subject: str, body: str, later: bool = False):
    """`later`: leave it to `flask send-mail` (a class import's 300 invitations must not hold the request)."""
    from .models import OutboxMessage

    if not deliverable(to):
        return None
    message = OutboxMessage(to=to, subject=subject, body=body)
    db.session.add(message)
    if later:
        return message
    g.setdefault("queued_mail", []).append(message)
    _watch_commit()
    return message


def queue_mails(messages: list[tuple[str, str, str]], later: bool = False) -> list[int]:
    """`queue_mail` for many (to, subject, body) at once, in one INSERT (the table's, not the ORM's
    bulk insert: no objects are made of them); returns their ids, or with `later` (left to the
    mail sender, which finds them in the outbox) nothing."""
    from .models import OutboxMessage

    messages = [message for message in messages if deliverable(message[0])]
    if not messages:
        return []
    now = utcnow()
    rows = [{"to": to, "subject": subject, "body": body, "created_at": now, "next_attempt_at": now}
            for to, subject, body in messages]
    table = OutboxMessage.__table__
    if later:
        db.session.execute(table.insert(), rows)
        return []
    ids = list(db.session.scalars(table.insert().returning(table.c.id), rows))
    g.setdefault("queued_mail", []).extend(ids)
    _watch_commit()
    return ids


def _watch_commit() -> None:
    """Remember the ids of queued messages once their transaction has committed."""
    if g.get("watching_commit"):
        return
    g.watching_commit = True
    session = db.session()

    @event.listens_for(session, "after_flush")
    def flushed(_session, _context):
        g.flushed_mail = [m.id for m in g.get("queued_mail", []) if not isinstance(m, int) and m.id is not None]

    @event.listens_for(session, "after_commit")
    def committed(_session):
        if _session.in_nested_transaction():  # a savepoint released: the request's transaction goes on
            return
        # ids of messages inserted in bulk are known at once (their INSERT may have been the last flush)
        g.committed_mail = [m for m in g.get("queued_mail", []) if isinstance(m, int)] + g.get("flushed_mail", [])


send_mail = queue_mail


def transport(to: str, subject: str, body: str, connection: "Connection | None" = None) -> None:
    """Hand one message to the mail server (or the log, or the test's list); raises on failure.
    With `connection` (SMTP), in that conversation; otherwise in one of its own."""
    app = current_app._get_current_object()
    backend = app.config["MAIL_BACKEND"]
    if backend == "memory":
        if app.config.get("MAIL_FAIL"):  # tests simulate a refusing mail server
            raise smtplib.SMTPRecipientsRefused({to: (550, b"refused")})
        app.extensions.setdefault("sent_mail", []).append({"to": to, "subject": subject, "body": body})
        return
    if backend == "log":
        # Without a mail server a developer follows the links from the log (MAIL_LOG_BODY, on in
        # development). Elsewhere only recipient and subject: the bodies hold reset and invitation links.
        if app.config.get("MAIL_LOG_BODY"):
            logger.info("mail to %s: %s\n%s", to, subject, body)
        else:
            logger.info("mail to %s: %s (body not logged: no MAIL_SERVER configured)", to, subject)
        return
    message = EmailMessage()
    message["From"] = app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if connection is not None:
        connection.send(message)
        return
    with Connection(app) as own:
        own.send(message)


class Unreachable(Exception):
    """The mail server could not be reached or would not let us in (connect, STARTTLS, login). Raised by
    `send_due` after the batch is recorded, with its counts (`sent`, `failed`)."""

    sent = failed = 0


class Connection:
    """One SMTP conversation for a batch of messages, opened at the first message and closed at the end.
    Each message succeeds or fails alone. Before each further message the conversation is asked whether it
    still answers (NOOP), and one the server ended is opened anew; after the server refused a sender or
    the data (perhaps "too many messages", a 4xx), and after PER_CONVERSATION messages, the next message
    starts a conversation of its own."""

    PER_CONVERSATION = 100

    def __init__(self, app):
        self.app, self.smtp, self.sent = app, None, 0

    def _open(self):
        config = self.app.config
        try:
            smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10)
        except Exception as error:
            raise Unreachable(f"{type(error).__name__}: {error}") from error
        try:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        except Exception as error:
            smtp.close()
            raise Unreachable(f"{type(error).__name__}: {error}") from error
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self.smtp is not None and (self.sent >= self.PER_CONVERSATION or not self._alive()):
            self.close()
        if self.smtp is None:
            self.smtp, self.sent = self._open(), 0
        self._send(message)  # never again after a failure: the server may have taken it already

    def _alive(self) -> bool:
        """Whether the conversation still answers (a server ends an idle one): asked before a message, so a
        message is never sent twice because its conversation broke halfway."""
        try:
            return self.smtp.noop()[0] == 250
        except Exception:  # closed, or no answer
            return False

    def _send(self, message: EmailMessage) -> None:
        try:
            self.smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused:  # this address only; smtplib has reset the conversation
            raise
        except Exception:
            self.close()
            raise
        self.sent += 1

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except Exception:  # already gone: nothing to say goodbye to
            smtp.close()

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()


def backoff(attempts: int) -> timedelta:
    """How long a message that failed `attempts` times waits: 2, 4, 8… minutes, at most MAX_BACKOFF."""
    return min(MAX_BACKOFF, timedelta(minutes=2 ** min(attempts, 9)))


def send_due(ids=None, limit: int | None = None, session=None, should_stop=None) -> tuple[int, int]:
    """Deliver due messages (or just those of `ids` among them), at most `limit` (BATCH); safe to run on
    several servers at once. Returns (sent, failed); raises Unreachable, after recording it, when the mail
    server could not be reached (what was not tried waits its back-off too).

    No transaction stays open while the mail server talks (on SQLite an open write transaction would hold
    every other writer). The messages are claimed in a short transaction: their next attempt moves LEASE
    ahead (the new value is the claim: only the sender holding it may record a result) and their attempts
    count one more, so a message whose sending kills the sender shows it. On PostgreSQL the claim skips
    rows another sender is claiming. The results are then recorded in short transactions, every
    RECORD_EVERY messages and every second, and at the end: sent, or failed with their back-off. A
    sender that is killed (not stopped: an error or SIGTERM still records what went) leaves what it sent
    since its last record (at most RECORD_EVERY messages, or a second's worth) to be sent again once the
    lease is over. Past half the lease, and when `should_stop()` says so, the batch ends early: what was
    not tried is due again at once."""
    from .models import OutboxMessage

    session = session or db.session
    table = OutboxMessage.__table__
    now = utcnow()
    query = (db.select(table.c.id, table.c.to, table.c.subject, table.c.body, table.c.attempts)
             .where(table.c.sent_at.is_(None), table.c.next_attempt_at <= now)
             .order_by(table.c.id).limit(limit or BATCH))
    if ids is not None:
        query = query.where(table.c.id.in_(ids))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = session.execute(query).all()
    claim = now + LEASE
    if rows:
        session.execute(db.update(table).where(table.c.id.in_([row.id for row in rows]))
                        .values(next_attempt_at=claim, attempts=table.c.attempts + 1))
    session.commit()
    if not rows:
        return 0, 0

    def record(message_ids, **values):
        """For messages this sender still holds (its claim not taken over)."""
        if message_ids:
            session.execute(db.update(table).where(table.c.id.in_(message_ids), table.c.sent_at.is_(None),
                                                   table.c.next_attempt_at == claim).values(**values))

    delivered, failed = [], []  # results not recorded yet

    def flush():
        """Record the results so far in one short transaction."""
        record(delivered, sent_at=utcnow(), body="")  # sent: links with tokens do not stay at rest
        for message_id, attempts, error in failed:
            record([message_id], last_error=f"{type(error).__name__}: {error}"[:500],
                   next_attempt_at=utcnow() + backoff(attempts + 1))
        session.commit()
        delivered.clear()
        failed.clear()

    app = current_app._get_current_object()
    connection = Connection(app) if app.config["MAIL_BACKEND"] == "smtp" else None
    deadline = time.monotonic() + LEASE.total_seconds() / 2
    recorded = time.monotonic()
    sent = failures = 0
    unreachable = None
    try:
        for position, (message_id, to, subject, body, attempts) in enumerate(rows):
            if unreachable is not None:
                failed.append((message_id, attempts, unreachable))
                failures += 1
                continue
            if time.monotonic() > deadline or (should_stop is not None and should_stop()):
                record([row.id for row in rows[position:]], next_attempt_at=utcnow(), attempts=table.c.attempts - 1)
                break
            try:
                transport(to, subject, body, connection=connection)
            except Unreachable as error:
                unreachable = error
                failed.append((message_id, attempts, error))
                failures += 1
            except Exception as error:  # any refusal: keep it for a retry, never lose it
                failed.append((message_id, attempts, error))
                failures += 1
            else:
                delivered.append(message_id)
                sent += 1
            if len(delivered) + len(failed) >= RECORD_EVERY or time.monotonic() - recorded > 1:
                flush()
                recorded = time.monotonic()
    finally:
        if connection is not None:
            connection.close()
        try:  # also when the sender is being stopped: what went is recorded
            flush()
        except Exception:
            session.rollback()
            logger.exception("could not record the results of sent mail; they go again once their claim is over")
    if unreachable is not None:
        unreachable.sent, unreachable.failed = sent, failures
        raise unreachable
    return sent, failures


def deliver_queued(exception=None) -> None:
    """After a request: deliver what it queued, if it committed. Failures wait for `flask send-mail`."""
    g.pop("queued_mail", None)
    g.pop("watching_commit", None)
    g.pop("flushed_mail", None)
    ids = g.pop("committed_mail", None)
    if not ids or exception is not None:
        return
    # The request is over and its mail committed: end its session's transaction (on SQLite it may
    # hold the write lock), then deliver in a session of its own.
    db.session.rollback()
    with Session(db.engine) as session:
        try:
            send_due(ids, session=session)
        except Unreachable as error:
            logger.warning("mail server unreachable (%s); the mail waits in the outbox", error)
        except Exception:
            session.rollback()
            logger.exception("could not deliver queued mail; it stays in the outbox")
