"""Forms for the e-mail setting and the sign-in link."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField

from ..forms import choices, email_field
from ..models.notification import DIGEST, IMMEDIATE, NEVER


class EmailPreferenceForm(FlaskForm):
    email = RadioField(_l("Notifications by e-mail"), choices=choices([
        (IMMEDIATE, _l("Each one at once")), (DIGEST, _l("A daily digest")), (NEVER, _l("No e-mail, only in the workspace")),
    ]))


class SignInLinkForm(FlaskForm):
    email = email_field()
