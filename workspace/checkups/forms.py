"""Check-up forms. Lengths are limited with a message that says so; choices are checked here and
again in the services (an owner who is not a member, a score outside 1–5)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField, DateTimeLocalField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import choices, no_control_characters, strip
from ..models.checkup import FEEDBACK_STATES, RAISED_BY, VALUES

CHANNEL_LABELS = {"on_site": _l("On site"), "video_call": _l("Video call"), "phone": _l("Phone"), "other": _l("Other")}
RAISED_BY_LABELS = {"partner": _l("The partner"), "students": _l("The students"), "teacher": _l("The teacher")}
STATE_LABELS = {"open": _l("Open"), "integrated": _l("Integrated"), "not_integrated": _l("Not integrated")}


def _text(label, limit, required=False, **kwargs):
    """A text area whose limit is named in its message."""
    validators = [DataRequired(message=_l("This cannot be empty.")) if required else Optional(),
                  Length(max=limit, message=_l("Keep it under %(n)s characters.", n=f"{limit:,}")),
                  no_control_characters]
    return TextAreaField(label, validators=validators, filters=[strip], **kwargs)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PlanForm(FlaskForm):
    planned_at = DateTimeLocalField(
        _l("Date and time"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        validators=[DataRequired(message=_l("Enter a date and time (yyyy-mm-dd hh:mm)."))],
        description=_l("In your own time zone."))
    channel = SelectField(_l("Channel"), choices=choices(CHANNEL_LABELS.items()), default="on_site")
    location = StringField(_l("Location or link"), filters=[strip], validators=[
        Optional(), Length(max=500, message=_l("Keep it under %(n)s characters.", n=500)), no_control_characters])
    agenda = _text(_l("Agenda"), 5000, description=_l("One item per line."))
    version = HiddenField()


class LogForm(FlaskForm):
    attendees = MultiCheckboxField(_l("Project members who attended"), coerce=int, validate_choice=False)
    guests = _text(_l("Guests"), 2000, description=_l("Anyone else who was there, one name per line."))
    summary = _text(_l("Summary"), 10000, required=True)
    decisions = _text(_l("Decisions"), 10000, description=_l("What was decided, one decision per line."))
    version = HiddenField()

    def validate_attendees(self, field):
        allowed = {choice.value for choice in self.attendees.choices}
        if set(field.data or ()) - allowed:
            raise ValidationError(_l("Choose attendees from the project's members; add others as guests."))

    def validate_guests(self, field):
        if any(len(line.strip()) > 120 for line in (field.data or "").splitlines()):
            raise ValidationError(_l("Keep each guest's name under 120 characters."))

    def guest_names(self) -> list[str]:
        return [line.strip() for line in (self.guests.data or "").splitlines() if line.strip()]


class FeedbackForm(FlaskForm):
    raised_by = SelectField(_l("Raised by"), choices=choices(RAISED_BY_LABELS.items()), default="partner")
    text = _text(_l("Feedback"), 5000, required=True)


class RespondForm(FlaskForm):
    state = SelectField(_l("Response"), choices=choices((s, STATE_LABELS[s]) for s in FEEDBACK_STATES))
    goal_id = SelectField(_l("In which goal"), coerce=int, validate_choice=False, default=0)
    where = _text(_l("Where it was integrated"), 2000,
                  description=_l("A deliverable, a goal or a short note."))
    reason = _text(_l("Why it is not integrated"), 5000, description=_l("The partner sees this."))
    version = HiddenField()

    def validate_goal_id(self, field):
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_l("Choose a goal of this project."))

    def validate_where(self, field):
        if self.state.data == "integrated" and not field.data and not self.goal_id.data:
            raise ValidationError(_l("Say where the feedback was integrated: choose a goal or write a note."))

    def validate_reason(self, field):
        if self.state.data == "not_integrated" and not field.data:
            raise ValidationError(_l("Give the reason; the partner sees it."))


class ActionForm(FlaskForm):
    text = StringField(_l("Action"), filters=[strip], validators=[
        DataRequired(message=_l("This cannot be empty.")),
        Length(max=500, message=_l("Keep it under %(n)s characters.", n=500)), no_control_characters])
    owner_id = SelectField(_l("Owner"), coerce=int, validate_choice=False)
    due_date = DateField(_l("Due date"), validators=[DataRequired(message=_l("Enter a date (yyyy-mm-dd)."))])

    def validate_owner_id(self, field):
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_l("Choose an owner from the project's members."))


class CorrectionForm(FlaskForm):
    text = _text(_l("What should be corrected"), 5000, required=True)


class ResolveForm(FlaskForm):
    resolution = _text(_l("What the team changed"), 5000, required=True)
    summary = _text(_l("Summary"), 10000, required=True)
    decisions = _text(_l("Decisions"), 10000)
    version = HiddenField()


class CourseValuesForm(FlaskForm):
    asked = MultiCheckboxField(_l("Values the pulse asks about"), choices=choices((k, _l(v)) for k, v in VALUES),
                               validate_choice=True)
    prompts = _text(_l("The course's own reflection prompts"), 6000,
                    description=_l("One prompt per line, up to 20 prompts of 300 characters."))

    def validate_asked(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one value."))

    def validate_prompts(self, field):
        lines = self.prompt_lines()
        if len(lines) > 20:
            raise ValidationError(_l("Keep it to 20 prompts."))
        if any(len(line) > 300 for line in lines):
            raise ValidationError(_l("Keep each prompt under 300 characters."))

    def prompt_lines(self) -> list[str]:
        return [line.strip() for line in (self.prompts.data or "").splitlines() if line.strip()]
