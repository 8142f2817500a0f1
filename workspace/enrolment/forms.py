"""Forms of enrolment: the class list upload, the import step, the join code."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..forms import choices, email_field, strip


class UploadForm(FlaskForm):
    file = FileField(_l("Class list (CSV file)"), validators=[FileRequired(_l("Choose the CSV file to upload."))],
                     description=_l("Columns: name, email, and optionally student_number and project "
                                    "(the exact title of a project of this course). A header row names them "
                                    "in any order; separated by commas or semicolons; UTF-8."))


class ImportForm(FlaskForm):
    """The previewed file travels back signed, so what is imported is exactly what was previewed."""

    csv_data = HiddenField(validators=[DataRequired()])
    signature = HiddenField(validators=[DataRequired()])


class JoinCodeForm(FlaskForm):
    action = SelectField(choices=choices([("on", _l("Switch on")), ("renew", _l("Renew")), ("off", _l("Switch off"))]))


class JoinForm(FlaskForm):
    code = StringField(_l("Join code"), validators=[DataRequired(), Length(max=40)], filters=[strip],
                       description=_l("The code your teacher gave you, for example K7PM-Q2XD."))


class JoinByEmailForm(FlaskForm):
    email = email_field(_l("Your e-mail address"))
