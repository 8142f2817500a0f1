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
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app, g
from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from .extensions import db
from .models.base import utcnow

logger = logging.getLogger("workspace.mail")
MAX_BACKOFF = timedelta(hours=6)
BATCH = 200  # messages a sender takes at a time
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
    """`queue_mail` for many (to, subject, body) at once, in one INSERT; returns their ids."""
    from .models import OutboxMessage

    messages = [message for message in messages if deliverable(message[0])]
    if not messages:
        return []
    now = utcnow()
    ids = list(db.session.scalars(insert(OutboxMessage).returning(OutboxMessage.id), [
        {"to": to, "subject": subject, "body": body, "created_at": now, "next_attempt_at": now}
        for to, subject, body in messages]))
    if not later:
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


# Refusals of one message after which smtplib has reset the conversation for the next (or closed it on 421)
_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


class Connection:
    """One SMTP conversation for a batch of messages, opened at the first message and closed at the end
    (or when it breaks: the next message opens another). Each message still succeeds or fails alone."""

    def __init__(self, app):
        self.app, self.smtp = app, None

    def _open(self):
        config = self.app.config
        smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10)
        try:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        except Exception:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage) -> None:
        reused = self.smtp is not None
        if not reused:
            self.smtp = self._open()
        try:
            self.smtp.send_message(message)
        except smtplib.SMTPServerDisconnected:
            self.close()
            if not reused:
                raise
            self.smtp = self._open()  # the server ended a conversation that waited: once more, anew
            self.send(message)
        except _REFUSED:
            if self.smtp.sock is None:  # 421: the server closed it
                self.smtp = None
            raise
        except Exception:
            self.close()
            raise

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


def send_due(ids=None, limit: int = BATCH, session=None) -> tuple[int, int]:
    """Deliver due messages (or just `ids`); safe to run on several servers at once.

    On PostgreSQL the rows are locked with SKIP LOCKED, so two senders never take the same
    message; on SQLite the write transaction is exclusive. Returns (sent, failed).
    """
    from .models import OutboxMessage

    session = session or db.session
    now = utcnow()
    table = OutboxMessage.__table__
    query = (db.select(table.c.id, table.c.to, table.c.subject, table.c.body, table.c.attempts)
             .where(table.c.sent_at.is_(None)).order_by(table.c.id).limit(limit))
    if ids is not None:
        query = query.where(table.c.id.in_(ids))
    else:
        query = query.where(table.c.next_attempt_at <= now)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    # Plain rows, and one UPDATE for every message that went: the usual case (one action's mail)
    # is two statements, whatever the number of messages.
    delivered = []
    failed = 0
    rows = session.execute(query).all()
    app = current_app._get_current_object()
    connection = Connection(app) if rows and app.config["MAIL_BACKEND"] == "smtp" else None
    try:
        for message_id, to, subject, body, attempts in rows:
            try:
                transport(to, subject, body, connection=connection)
            except Exception as error:  # any refusal: keep it for a retry, never lose it
                session.execute(db.update(table).where(table.c.id == message_id).values(
                    attempts=attempts + 1, last_error=f"{type(error).__name__}: {error}"[:500],
                    next_attempt_at=now + min(MAX_BACKOFF, timedelta(minutes=2 ** (attempts + 1)))))
                failed += 1
            else:
                delivered.append(message_id)
    finally:
        if connection is not None:
            connection.close()
    if delivered:  # sent: links with tokens do not stay at rest in the table
        session.execute(db.update(table).where(table.c.id.in_(delivered)).values(sent_at=now, body=""))
    sent = len(delivered)
    session.commit()
    return sent, failed


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
        except Exception:
            session.rollback()
            logger.exception("could not deliver queued mail; it stays in the outbox")
