"""`flask lti-register` (the operator registers a platform) and `flask sync-rosters` (the daily class sync)."""
import click
from flask_babel import gettext as _

from ..extensions import db
from ..rules import Refused


def register(bp) -> None:
    @bp.cli.command("lti-register")
    @click.option("--issuer", required=True, help="The platform's issuer (iss).")
    @click.option("--client-id", required=True, help="The client id the platform gave this tool.")
    @click.option("--deployment-id", "deployment_ids", multiple=True, required=True, help="Repeat for each deployment.")
    @click.option("--auth-login-url", required=True, help="The platform's OIDC authentication request URL.")
    @click.option("--auth-token-url", required=True, help="The platform's OAuth2 access token URL.")
    @click.option("--key-set-url", required=True, help="The platform's public key set (JWKS) URL.")
    @click.option("--name", default="", help="A name people here recognise, e.g. 'Canvas'.")
    def lti_register(issuer, client_id, deployment_ids, auth_login_url, auth_token_url, key_set_url, name):
        """Register a learning platform (or update the registration of this issuer and client id)."""
        from ..models import LtiPlatform
        from .services import save_platform

        platform = db.session.scalar(db.select(LtiPlatform).filter_by(issuer=issuer, client_id=client_id))
        try:
            save_platform(None, platform, name=name, issuer=issuer, client_id=client_id, auth_login_url=auth_login_url,
                          auth_token_url=auth_token_url, key_set_url=key_set_url, deployment_ids=list(deployment_ids))
        except Refused as refused:
            raise click.ClickException(refused.message) from None
        db.session.commit()
        click.echo(f"{'Updated' if platform else 'Registered'} {issuer} (client id {client_id}, "
                   f"{len(set(deployment_ids))} deployment(s)).")

    @bp.cli.command("sync-rosters")
    def sync_rosters():
        """Sync every linked course with its platform's class list (meant for a daily timer)."""
        from .services import linked_contexts, sync_roster

        failures = 0
        for context in linked_contexts():
            try:
                result = sync_roster(None, context)
            except Refused as refused:
                db.session.rollback()
                failures += 1
                click.echo(f"{context.course.name}: {refused.message}", err=True)
                continue
            db.session.commit()
            click.echo(_("%(course)s: %(added)s added, %(left)s left, %(unchanged)s unchanged",
                         course=context.course.name, added=result.added, left=result.left,
                         unchanged=result.unchanged))
        if failures:
            raise click.ClickException(f"{failures} course(s) could not be synced")
