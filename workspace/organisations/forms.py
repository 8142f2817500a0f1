"""Organisation forms: registering (staff), the profile partners keep, what it shares, introductions."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField, URLField
from wtforms.validators import URL, DataRequired, InputRequired, Length, Optional, ValidationError

from ..forms import choices, no_control_characters, strip


def web_address(form, field):
    """Only http(s) addresses become links on the organisation's page (never javascript: and the like)."""
    if field.data and not field.data.lower().startswith(("https://", "http://")):
        raise ValidationError(_l("Enter a full web address, starting with https://"))


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200), no_control_characters], filters=[strip])
    description = TextAreaField(_l("What the organisation does"), validators=[Optional(), Length(max=10000)], filters=[strip])
    website = URLField(_l("Website"), validators=[Optional(), Length(max=500), URL(require_tld=True, message=_l("Enter a full web address, starting with https://")), web_address], filters=[strip])
    themes = StringField(_l("Themes"), validators=[Optional(), Length(max=500), no_control_characters], filters=[strip],
                         description=_l("Separate themes with commas, for example: housing, health, inclusion"))


class ProfileForm(OrganisationForm):
    """The profile the organisation's partners keep; staff may also rename it (else `name` is removed)."""

    contacts = TextAreaField(_l("Contact people"), validators=[Optional(), Length(max=3000), no_control_characters],
                             filters=[strip],
                             description=_l("One person per line: name, role, e-mail address or phone number"))
    version = HiddenField()


class SharingForm(FlaskForm):
    """What other organisations' partners and students may see; members, teachers and admins see all."""

    share_description = BooleanField(_l("What the organisation does"))
    share_themes = BooleanField(_l("Themes (also on the themes page)"))
    share_website = BooleanField(_l("Website"))
    share_contacts = BooleanField(_l("Contact people"))
    share_projects = BooleanField(_l("Projects, goals achieved and deliverables handed over"))
    share_pulse = BooleanField(_l("Values pulse over the years"))


class IntroductionForm(FlaskForm):
    other_id = SelectField(_l("Introduce to"), coerce=int, validators=[InputRequired()],
                           description=_l("Organisations with at least one theme in common"))
    note = TextAreaField(_l("A short note to both sides"), validators=[Optional(), Length(max=2000),
                                                                        no_control_characters], filters=[strip],
                         description=_l("Why they might learn from each other"))


class AnswerForm(FlaskForm):
    answer = RadioField(_l("Your answer"), choices=choices((("accept", _l("Accept")), ("decline", _l("Decline")))),
                        validators=[InputRequired()])
