"""Sending mail: SMTP when configured, otherwise the application log; tests capture it in memory."""
import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

logger = logging.getLogger("workspace.mail")


def send_mail(to: str, subject: str, body: str) -> None:
    app = current_app._get_current_object()
    backend = app.config["MAIL_BACKEND"]
    if backend == "memory":
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
    with smtplib.SMTP(app.config["MAIL_SERVER"], app.config["MAIL_PORT"], timeout=10) as smtp:
        if app.config["MAIL_USE_TLS"]:
            smtp.starttls()
        if app.config["MAIL_USERNAME"]:
            smtp.login(app.config["MAIL_USERNAME"], app.config["MAIL_PASSWORD"])
        smtp.send_message(message)
