"""The follow-up form: which course, under which title, when."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ..forms import no_control_characters, strip


class FollowUpForm(FlaskForm):
    course_id = SelectField(_l("Continue in the course"), coerce=int, validate_choice=True,
                            description=_l("A course you teach, other than this project's own."))
    title = StringField(_l("Title of the follow-up project"),
                        validators=[DataRequired(), Length(max=200), no_control_characters], filters=[strip])
    start_date = DateField(_l("Start date"), validators=[DataRequired(message=_l("Enter a date (yyyy-mm-dd)."))])
    end_date = DateField(_l("End date"), validators=[DataRequired(message=_l("Enter a date (yyyy-mm-dd)."))])

    def validate_end_date(self, field):
        if self.start_date.data and field.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end date cannot be before the start date."))
