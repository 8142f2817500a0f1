"""Forms for signing in, resetting a password, accepting an invitation and the profile."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, Length

from ..forms import _timezones, choices, email_field, name_field, new_password_field, valid_timezone


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class ForgotPasswordForm(FlaskForm):
    email = email_field()


class ResetPasswordForm(FlaskForm):
    password = new_password_field(_l("New password"))
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ.")),
    ])


class SignUpForm(FlaskForm):
    name = name_field(_l("Your name"))
    password = new_password_field(_l("Choose a password"))
    confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ.")),
    ])


class ProfileForm(FlaskForm):
    name = name_field()
    timezone = SelectField(_l("Time zone"), validators=[DataRequired(), valid_timezone], validate_choice=False)
    locale = SelectField(_l("Language"), choices=choices([("", _l("The language of my browser")), ("en", "English"),
                                                          ("nl", "Nederlands")]))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = choices((tz, tz) for tz in _timezones())


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    password = new_password_field(_l("New password"))
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ.")),
    ])


class ChangeEmailForm(FlaskForm):
    email = email_field(_l("New e-mail address"))
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
