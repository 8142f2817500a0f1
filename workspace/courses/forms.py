"""Course and invitation forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import choices, email_field, no_control_characters, strip


class CourseForm(FlaskForm):
    name = StringField(_l("Course name"), validators=[DataRequired(), Length(max=200), no_control_characters], filters=[strip])
    term = StringField(_l("Term"), validators=[Optional(), Length(max=60), no_control_characters], filters=[strip],
                       description=_l("For example: 2026–2027, semester 1"))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10000)], filters=[strip])
    attention_checkup_days = IntegerField(
        _l("Days without a check-up before a project needs attention"), default=21,
        validators=[Optional(), NumberRange(min=1, max=365)])
    attention_wait_days = IntegerField(
        _l("Days an agreement, approval or review may wait before it needs attention"), default=7,
        validators=[Optional(), NumberRange(min=1, max=365)])
    attention_quiet_days = IntegerField(
        _l("Days without any activity before a project needs attention"), default=14,
        validators=[Optional(), NumberRange(min=1, max=365)])
    after_project_months = IntegerField(
        _l("Months after a project ends before its partner is asked whether the result lasted"), default=6,
        validators=[Optional(), NumberRange(min=1, max=60)])


class InviteForm(FlaskForm):
    email = email_field(_l("E-mail address of the person to invite"))
    role = SelectField(_l("Invite as"), choices=choices([("student", _l("Student (team member)")), ("partner", _l("Partner (organisation side)"))]))


class InviteTeacherForm(FlaskForm):
    email = email_field(_l("E-mail address of the co-teacher"))
