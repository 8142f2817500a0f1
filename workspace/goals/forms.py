"""Goal forms: the goal's text, and the short notes that come with a step."""
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..forms import no_control_characters, strip

VIEWS = ("board", "page", "home")


class GoalForm(FlaskForm):
    title = StringField(_l("Goal"), validators=[
        DataRequired(message=_l("Give the goal a title.")),
        Length(min=1, max=200, message=_l("Use at most 200 characters.")), no_control_characters,
    ], filters=[strip], description=_l("One sentence: what will be different when it is met."))
    description = TextAreaField(_l("Description"), validators=[
        Optional(), Length(max=10000, message=_l("Use at most 10,000 characters.")), no_control_characters,
    ], filters=[strip])
    partner_need = TextAreaField(_l("The partner's need it answers"), validators=[
        Optional(), Length(max=10000, message=_l("Use at most 10,000 characters.")), no_control_characters,
    ], filters=[strip], description=_l("Why it matters to the partner and the community."))
    success_criteria = TextAreaField(_l("Success criteria"), validators=[
        Optional(), Length(max=10000, message=_l("Use at most 10,000 characters.")), no_control_characters,
    ], filters=[strip], description=_l("How everyone will know the goal is met."))
    target_date = DateField(_l("Target date"), validators=[Optional()],
                            description=_l("Optional. Not before the project starts."))
    version = HiddenField()

    def __init__(self, *args, project=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project

    def validate_target_date(self, field):
        if field.data and self.project is not None and field.data < self.project.start_date:
            raise ValidationError(_l("The target date cannot be before the project starts (%(date)s).",
                                     date=format_date(self.project.start_date)))

    def fields(self) -> dict:
        return {"title": self.title.data, "description": self.description.data or "",
                "partner_need": self.partner_need.data or "", "success_criteria": self.success_criteria.data or "",
                "target_date": self.target_date.data}


class StepForm(FlaskForm):
    """A bare decision (agree, confirm, keep): the version it was made on and where it came from."""

    version = IntegerField(validators=[Optional()])
    view = HiddenField()

    def origin(self) -> str:
        return self.view.data if self.view.data in VIEWS else "page"


def _note(label, message):
    return TextAreaField(label, validators=[
        DataRequired(message=message), Length(max=5000, message=_l("Use at most 5,000 characters.")),
        no_control_characters,
    ], filters=[strip])


class ChangesForm(StepForm):
    comment = _note(_l("What should change?"), _l("Say what should change, so the other side can revise it."))


class SendBackForm(StepForm):
    comment = _note(_l("What is still missing?"), _l("Say what is still missing."))


class ClaimForm(StepForm):
    evidence = _note(_l("Evidence that it is met"), _l("Describe the evidence: what shows the goal is met?"))


class DropForm(StepForm):
    reason = _note(_l("Why drop this goal?"), _l("Give a reason for dropping the goal."))


class KeepForm(StepForm):
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=5000)], filters=[strip])


class MoveForm(StepForm):
    direction = HiddenField(validators=[DataRequired()])

    def validate_direction(self, field):
        if field.data not in ("up", "down"):
            raise ValidationError(_l("Choose up or down."))


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Your comment"), validators=[
        DataRequired(message=_l("Write a comment first.")),
        Length(max=10000, message=_l("Use at most 10,000 characters.")), no_control_characters,
    ], filters=[strip], description=_l("Markdown works: **bold**, *italic*, lists and links."))


class RootCauseForm(FlaskForm):
    text = TextAreaField(_l("Root cause / underlying need"), validators=[
        DataRequired(message=_l("Describe the root cause or underlying need.")),
        Length(max=10000, message=_l("Use at most 10,000 characters.")), no_control_characters,
    ], filters=[strip], description=_l("What lies behind the problem as first presented? Refine it together."))
    based_on = HiddenField()
