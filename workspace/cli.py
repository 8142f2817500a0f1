"""Command-line tasks: `flask create-admin EMAIL`, `flask seed-demo`, `flask export`, `flask import`, mail."""
import logging
import signal
import time

import click
from flask import current_app
from flask_babel import gettext as _

from .extensions import db


def register_cli(app) -> None:
    register_mail_cli(app)
    register_backup_cli(app)

    @app.cli.command("create-admin")
    @click.argument("email")
    @click.password_option("--password", prompt="Password", help="Asked for when not given.")
    @click.option("--name", default="Administrator", show_default=True)
    def create_admin(email, password, name):
        """Create an administrator account (or make an existing account admin)."""
        from .auth.services import find_user
        from .models import User

        email = email.strip().lower()
        if "@" not in email or len(email) > 254:
            raise click.BadParameter(_("Enter a valid e-mail address."), param_hint="EMAIL")
        if len(password) < 10:
            raise click.BadParameter(_("Use at least 10 characters."), param_hint="--password")
        user = find_user(email)
        if user is None:
            user = User(email=email, name=name)
            db.session.add(user)
        user.is_admin = True
        user.active = True
        user.set_password(password)
        user.end_sessions() if user.id else None
        db.session.commit()
        click.echo(f"{email} is an administrator.")

    @app.cli.command("seed-demo")
    @click.option("--force", is_flag=True, help="Wipe every table and load the demo data anyway.")
    @click.option("--if-empty", is_flag=True, help="Load only into an empty database; otherwise do nothing.")
    def seed_demo_command(force, if_empty):
        """Fill an empty database with demo courses, organisations, projects and people."""
        from .seed import database_is_empty, seed_demo, wipe

        if not database_is_empty():
            if if_empty:
                click.echo("The database holds data already; demo data not loaded.")
                return
            if not force:
                raise click.ClickException("The database is not empty. Use --force to wipe it and load the demo data.")
            wipe()
        seed_demo()
        db.session.commit()
        click.echo("Demo data loaded. Every demo account's password is 'demo-password'.")


def register_mail_cli(app) -> None:
    @app.cli.command("send-mail")
    @click.option("--watch", type=click.FloatRange(min=0.5), metavar="SECONDS",
                  help="Keep running as the mail sender: send what is due every SECONDS (e.g. 5).")
    @click.option("--rounds", type=click.IntRange(min=1), hidden=True, help="With --watch: stop after this many.")
    def send_mail_command(watch, rounds):
        """Send what is due in the outbox (daily digests included) and retry failures; safe from cron
        and on several servers at once. With --watch it keeps running beside the app (deploy/); SIGTERM
        lets it finish the message it is sending, and what it had not tried is due again at once."""
        if watch is None:
            digests, sent, failed = _send_round()
            click.echo(f"digests queued: {digests}; sent: {sent}; failed (kept for retry): {failed}")
            return
        stopping = []
        before = signal.signal(signal.SIGTERM, lambda *_args: stopping.append(True))
        try:
            _watch(current_app._get_current_object(), watch, rounds, stopping)
        finally:
            signal.signal(signal.SIGTERM, before if before is not None else signal.SIG_DFL)

    @app.cli.command("notify-due")
    def notify_due_command():
        """Tell people of promises and action items due within two days or late; run daily."""
        from .notifications.due import notify_due

        created = notify_due()
        db.session.commit()
        click.echo(f"notifications created: {created}")


def _watch(app, every: float, rounds: int | None, stopping: list) -> None:
    """`flask send-mail --watch`: a round every `every` seconds until SIGTERM (or `rounds` rounds)."""
    done = 0
    while not stopping:
        with app.app_context():  # each round with a session and `g` of its own
            try:
                digests, sent, failed = _send_round(should_stop=lambda: bool(stopping))
            except Exception:  # the database or the mail server away: try again next round
                db.session.rollback()
                logging.getLogger("workspace.mail").exception("mail sender: this round failed; trying again")
            else:
                if digests or sent or failed:
                    click.echo(f"digests queued: {digests}; sent: {sent}; failed (kept for retry): {failed}")
        done += 1
        if rounds is not None and done >= rounds:
            return
        wake = time.monotonic() + every
        while not stopping and (left := wake - time.monotonic()) > 0:  # asleep, SIGTERM seen within 0.25 s
            time.sleep(min(0.25, left))


def _send_round(should_stop=None) -> tuple[int, int, int]:
    """Queue the daily digests that are due and send the outbox, batch after batch while batches are full:
    (digests queued, sent, failed)."""
    from .mail import BATCH, Unreachable, send_due
    from .notifications.services import queue_digests

    digests = queue_digests()
    db.session.commit()
    sent = failed = 0
    while True:
        try:
            batch_sent, batch_failed = send_due(limit=BATCH, should_stop=should_stop)
        except Unreachable as error:  # the rest waits for the next round
            logging.getLogger("workspace.mail").warning("mail server unreachable: %s", error)
            return digests, sent + error.sent, failed + error.failed
        sent, failed = sent + batch_sent, failed + batch_failed
        if batch_sent + batch_failed < BATCH or (should_stop is not None and should_stop()):
            return digests, sent, failed


def register_backup_cli(app) -> None:
    @app.cli.command("export")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    @click.option("--project", "project_id", type=int, help="Only this project, its course, organisation and people.")
    def export_command(path, project_id):
        """Write the whole installation (or one project) to a zip archive: data.json plus the files."""
        from .backup import BackupError, export_archive

        try:
            counts = export_archive(path, project_id)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            db.session.rollback()
        click.echo(f"{path}: {sum(counts.values())} rows of {sum(1 for n in counts.values() if n)} tables.")

    @app.cli.command("import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def import_command(path):
        """Restore an archive made by `flask export` into an empty database, keeping every id."""
        from sqlalchemy.exc import SQLAlchemyError

        from .backup import BackupError, import_archive

        try:
            counts = import_archive(path)
        except BackupError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        except SQLAlchemyError as exc:  # e.g. a schema older than the archive: run `flask db upgrade`
            db.session.rollback()
            raise click.ClickException(f"The database refused the archive, so nothing was imported: "
                                       f"{getattr(exc, 'orig', None) or exc}") from None
        db.session.commit()
        click.echo(f"{path}: {sum(counts.values())} rows restored into {sum(1 for n in counts.values() if n)} tables.")
