"""Forming teams forms: opening a round, a student's ranking (as many choices as the round asks),
and moving one student to another team."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..forms import choices, no_control_characters, strip


class OpenRoundForm(FlaskForm):
    deadline_date = DateField(_l("Deadline (date)"),
                              validators=[DataRequired(message=_l("Enter a date (yyyy-mm-dd)."))])
    deadline_time = TimeField(_l("Deadline (time)"), default=None,
                              validators=[DataRequired(message=_l("Enter a time (hh:mm)."))],
                              description=_l("In your own time zone. Students can change their ranking until then."))
    min_size = IntegerField(_l("Smallest team"), default=4, validators=[
        DataRequired(), NumberRange(min=1, max=50, message=_l("Enter a number from 1 to 50."))])
    max_size = IntegerField(_l("Largest team"), default=6, validators=[
        DataRequired(), NumberRange(min=1, max=50, message=_l("Enter a number from 1 to 50."))])
    choices_count = IntegerField(_l("Choices each student ranks"), default=3, validators=[
        DataRequired(), NumberRange(min=1, max=10, message=_l("Enter a number from 1 to 10."))])
    allow_unfilled = BooleanField(_l("Projects may stay without a team"), description=_l(
        "Without this, every project of the course gets a team of at least the smallest size."))

    def validate_max_size(self, field):
        if self.min_size.data and field.data and field.data < self.min_size.data:
            raise ValidationError(_l("The largest team cannot be smaller than the smallest."))


def ranking_form(choice_round, projects, data=None):
    """A form with one project select and one motivation per rank the round asks for."""

    class RankingForm(FlaskForm):
        def ranked(self) -> list[tuple[int, str]]:
            """(project id, motivation) in rank order, empty ranks skipped."""
            picked = []
            for rank in range(1, count + 1):
                value = self[f"choice_{rank}"].data
                if value:
                    picked.append((int(value), self[f"motivation_{rank}"].data or ""))
            return picked

        def validate(self, extra_validators=None):
            if not super().validate(extra_validators):
                return False
            seen = set()
            for rank in range(1, count + 1):
                field = self[f"choice_{rank}"]
                if field.data and field.data in seen:
                    field.errors.append(_l("You chose this project already: choose another one or leave it empty."))
                    return False
                seen.add(field.data)
            return True

    options = choices([("", _l("— no choice —")), *((str(p.id), p.title) for p in projects)])
    count = min(choice_round.choices_count, len(projects)) or 1
    for rank in range(1, count + 1):
        validators = [DataRequired(message=_l("Choose your favourite project."))] if rank == 1 else [Optional()]
        setattr(RankingForm, f"choice_{rank}", SelectField(_l("Choice %(rank)s", rank=rank), choices=options,
                                                           validators=validators))
        setattr(RankingForm, f"motivation_{rank}", TextAreaField(
            _l("Why this project? (optional)"), filters=[strip],
            validators=[Optional(), Length(max=2000), no_control_characters]))
    form = RankingForm(data=data)
    form.count = count
    return form


class MoveForm(FlaskForm):
    project_id = SelectField(_l("Team"), coerce=int)
