"""Project forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..forms import no_control_characters, strip


class ProjectForm(FlaskForm):
    title = StringField(_l("Project title"), validators=[DataRequired(), Length(max=200), no_control_characters], filters=[strip])
    organisation_id = SelectField(_l("Partner organisation"), coerce=int, validate_choice=True)
    problem_statement = TextAreaField(
        _l("The problem as the partner first presented it"),
        validators=[Optional(), Length(max=10000)], filters=[strip],
        description=_l("In the partner's own words. The team will dig towards the root cause later."),
    )
    start_date = DateField(_l("Start date"), validators=[DataRequired(message=_l("Enter a date (yyyy-mm-dd)."))])
    end_date = DateField(_l("End date"), validators=[DataRequired(message=_l("Enter a date (yyyy-mm-dd)."))])
    version = HiddenField()

    def validate_end_date(self, field):
        if self.start_date.data and field.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end date cannot be before the start date."))


class VersionedForm(FlaskForm):
    version = IntegerField(validators=[Optional()])
