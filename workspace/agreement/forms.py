"""Agreement forms: meetings, roles, responsibilities, consent, acceptance, marking a promise kept."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import choices, no_control_characters, strip


class VersionForm(FlaskForm):
    """A bare button on something that can change meanwhile: it carries the version it was made from."""

    version = HiddenField()


class MeetingsForm(VersionForm):
    cadence_days = IntegerField(
        _l("Check-up every … days"), validators=[Optional(), NumberRange(min=1, max=365, message=_l("Between 1 and 365 days."))],
        description=_l("For example 14 for a check-up every two weeks. Leave empty if not agreed yet."))
    checkup_channel = StringField(_l("How you meet"), validators=[Optional(), Length(max=200), no_control_characters],
                                  filters=[strip], description=_l("For example: video call, at the partner's office."))


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RoleForm(VersionForm):
    name = StringField(_l("Role"), validators=[DataRequired(), Length(max=120), no_control_characters], filters=[strip],
                       description=_l("For example: team lead, partner contact, communication lead."))
    description = StringField(_l("What the role does"), validators=[Optional(), Length(max=500), no_control_characters],
                              filters=[strip])
    holders = CheckboxesField(_l("Held by"), coerce=int,
                              validators=[DataRequired(message=_l("Choose at least one person who holds this role."))])


SIDE_CHOICES = (("students", _l("Students")), ("partner", _l("Partner")), ("teacher", _l("Teacher")))
TIMING_CHOICES = (("once", _l("Once, by a date (or no date)")), ("checkup", _l("Before every check-up")),
                  ("every", _l("Every few days or weeks")))


class ResponsibilityForm(VersionForm):
    what = StringField(_l("What is promised"), validators=[DataRequired(), Length(max=300), no_control_characters],
                       filters=[strip], description=_l("For example: reply to questions within 5 working days."))
    side = SelectField(_l("Which side"), choices=choices(SIDE_CHOICES), validate_choice=True)
    person_id = SelectField(_l("Who (optional)"), coerce=lambda v: int(v) if v not in (None, "", "None") else None,
                            validate_choice=True)
    timing = RadioField(_l("When"), choices=choices(TIMING_CHOICES), default="once", validate_choice=True,
                        validators=[InputRequired()])
    due_date = DateField(_l("Due date"), validators=[Optional()],
                         description=_l("For a recurring promise: when it is first due."))
    every_n = IntegerField(_l("Every"), validators=[Optional(), NumberRange(min=1, max=52)])
    every_unit = SelectField(_l("Unit"), choices=choices((("days", _l("days")), ("weeks", _l("weeks")))),
                             default="weeks", validate_choice=True)

    def validate_every_n(self, field):
        if self.timing.data == "every" and not field.data:
            raise ValidationError(_l("Say every how many days or weeks."))


class DoneForm(VersionForm):
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000), no_control_characters],
                         filters=[strip])


class ConsentDetailsForm(VersionForm):
    details = TextAreaField(_l("What this covers"), validators=[Optional(), Length(max=2000), no_control_characters],
                            filters=[strip],
                            description=_l("For data: which data is shared and how the team handles and deletes it."))


class ConsentDecisionForm(VersionForm):
    state = HiddenField(validators=[DataRequired()])


class AcceptForm(FlaskForm):
    number = HiddenField(validators=[DataRequired()])
    next = HiddenField()
