"""Form pieces shared by every feature."""
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length, ValidationError


class EmptyForm(FlaskForm):
    """A bare button is still a CSRF-protected POST."""


def email_field(label=None, **kwargs):
    return EmailField(
        label or _l("E-mail address"),
        validators=[DataRequired(), Length(max=254), Email(message=_l("Enter a valid e-mail address."))],
        filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
        **kwargs,
    )


def name_field(label=None):
    return StringField(
        label or _l("Name"), validators=[DataRequired(), Length(max=120)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )


def new_password_field(label=None):
    return PasswordField(
        label or _l("Password"),
        validators=[DataRequired(), Length(min=10, max=200, message=_l("Use between 10 and 200 characters."))],
    )


def strip(value):
    return value.strip() if isinstance(value, str) else value


def no_control_characters(form, field):
    if field.data and any(ord(c) < 32 and c not in "\n\r\t" for c in field.data):
        raise ValidationError(_l("Remove the control characters from this text."))


def valid_timezone(form, field):
    if field.data not in _timezones():
        raise ValidationError(_l("Choose a time zone from the list."))


_TZ_CACHE: list[str] = []


def _timezones() -> list[str]:
    if not _TZ_CACHE:
        _TZ_CACHE.extend(sorted(tz for tz in available_timezones() if "/" in tz and not tz.startswith("Etc/")))
    return _TZ_CACHE


def choices(pairs) -> list:
    """(value, label) pairs as WTForms choices (plain tuples are deprecated in WTForms 3.3)."""
    from wtforms.fields.choices import SelectChoice

    return [SelectChoice(value, label) for value, label in pairs]
