"""The two after-project questions: yes / partly / no, each with an optional comment."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..forms import choices, no_control_characters, strip

ANSWER_CHOICES = (("yes", _l("Yes")), ("partly", _l("Partly")), ("no", _l("No")))


class AfterProjectForm(FlaskForm):
    still_in_use = RadioField(_l("Is the result of the project still in use?"), choices=choices(ANSWER_CHOICES),
                              validate_choice=True, validators=[InputRequired(message=_l("Choose yes, partly or no."))])
    still_in_use_comment = TextAreaField(_l("How is it used, or why not?"),
                                         validators=[Optional(), Length(max=5000), no_control_characters],
                                         filters=[strip])
    carry_on = RadioField(_l("Can your organisation carry on without the student team?"),
                          choices=choices(ANSWER_CHOICES), validate_choice=True,
                          validators=[InputRequired(message=_l("Choose yes, partly or no."))])
    carry_on_comment = TextAreaField(_l("What helps you carry on, or what is missing?"),
                                     validators=[Optional(), Length(max=5000), no_control_characters],
                                     filters=[strip])
    version = HiddenField()
