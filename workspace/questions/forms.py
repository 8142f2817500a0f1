"""Partner question forms: the public question, the contact's answer, and the coordinator's four actions."""
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..forms import choices, email_field, name_field, no_control_characters, strip
from ..models.question import CONFIRMED_STATUSES, INFO_REQUESTED, MATCHED, NEW, PARKED
from ..i18n import N_

STATUS_LABELS = {
    "unconfirmed": N_("not yet confirmed"),
    NEW: N_("waiting for a coordinator"),
    INFO_REQUESTED: N_("more information asked"),
    MATCHED: N_("matched to a course"),
    PARKED: N_("parked for a later term"),
    "declined": N_("declined"),
    "withdrawn": N_("withdrawn"),
}
EVENT_LABELS = {
    "submitted": N_("Question submitted"),
    "confirmed": N_("E-mail address confirmed"),
    "organisation_verified": N_("Linked to the organisation: the address belongs to one of its members"),
    "info_requested": N_("More information asked"),
    "answered": N_("The contact answered"),
    "matched": N_("Matched to a course"),
    "parked": N_("Parked for a later term"),
    "declined": N_("Declined"),
    "withdrawn": N_("Withdrawn by the contact"),
}
NEW_ORGANISATION = 0  # the match form's choice "a new organisation made from the question"


def _text(label, required=True, max_length=10000, **kwargs):
    validators = [DataRequired() if required else Optional(), Length(max=max_length), no_control_characters]
    return TextAreaField(label, validators=validators, filters=[strip], **kwargs)


def _line(label, required=True, max_length=200, **kwargs):
    validators = [DataRequired() if required else Optional(), Length(max=max_length), no_control_characters]
    return StringField(label, validators=validators, filters=[strip], **kwargs)


class QuestionForm(FlaskForm):
    organisation_name = _line(_l("Your organisation"), description=_l(
        "If your organisation already works with us, use the same name: we link your question to it once "
        "your e-mail address is confirmed."))
    contact_name = name_field(_l("Your name"))
    contact_email = email_field(_l("Your e-mail address"), description=_l(
        "We send a link to this address: your question reaches us only after you open it."))
    problem = _text(_l("The problem as you see it"), description=_l("In your own words: what is going on?"))
    affected = _text(_l("Who is affected?"), max_length=5000)
    hopes = _text(_l("What do you hope for?"), max_length=5000, description=_l(
        "What would be different if a student team worked on this with you?"))
    availability = _text(_l("When are you available?"), max_length=2000, description=_l(
        "For example: weekday mornings, from February to June."))
    languages = _line(_l("Languages you work in"), description=_l("For example: Dutch, English, Arabic"))
    themes = _line(_l("Themes"), required=False, max_length=500, description=_l(
        "Separate themes with commas, for example: housing, health, inclusion"))
    consent = BooleanField(_l("You may contact me about this question"), validators=[
        DataRequired(message=_l("We can only handle your question if we may contact you."))])
    # A field people never see: software that fills in every field fills this one too.
    homepage = StringField(_l("Leave this field empty"))


class AnswerForm(FlaskForm):
    message = _text(_l("Your answer"), max_length=5000)


class AskForm(FlaskForm):
    message = _text(_l("What would you like to know?"), max_length=5000, description=_l(
        "The contact receives this by e-mail and answers through their link."))


class ParkForm(FlaskForm):
    term = _line(_l("Term"), max_length=60, description=_l("For example: 2027–2028, semester 1"))
    message = _text(_l("Message to the contact"), required=False, max_length=5000)


class DeclineForm(FlaskForm):
    message = _text(_l("Reason"), max_length=5000, description=_l("The contact sees this reason at their link."))


class MatchForm(FlaskForm):
    course_id = SelectField(_l("Course"), coerce=int, validate_choice=True)
    organisation_id = SelectField(_l("Partner organisation"), coerce=int, validate_choice=True)
    title = _line(_l("Project title"))
    start_date = DateField(_l("Start date"), validators=[DataRequired(message=_l("Enter a date (yyyy-mm-dd)."))])
    end_date = DateField(_l("End date"), validators=[DataRequired(message=_l("Enter a date (yyyy-mm-dd)."))])

    def validate_end_date(self, field):
        if self.start_date.data and field.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end date cannot be before the start date."))

    def offer(self, courses, organisations, question):
        """The actor's courses, and the organisations to choose from (a new one from the question first)."""
        self.course_id.choices = choices((c.id, f"{c.name} ({c.term})" if c.term else c.name) for c in courses)
        self.organisation_id.choices = choices(
            [(NEW_ORGANISATION, _l("A new organisation: %(name)s", name=question.organisation_name))]
            + [(o.id, o.name) for o in organisations])

    def prefill(self, question):
        # Only a verified link is preselected: matching makes the contact a member of the organisation chosen.
        self.organisation_id.data = question.organisation_id or NEW_ORGANISATION
        self.title.data = question.organisation_name
        self.start_date.data = date.today()
        self.end_date.data = date.today() + timedelta(days=120)


class FilterForm(FlaskForm):
    """The queue's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), default=NEW, validate_choice=False, choices=choices(
        [("", _l("all"))] + [(s, STATUS_LABELS[s]) for s in CONFIRMED_STATUSES]))
    theme = StringField(_l("Theme"), validators=[Length(max=100)], filters=[strip])
    term = SelectField(_l("Term"), validate_choice=False)
