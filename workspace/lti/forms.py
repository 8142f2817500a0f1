"""Forms of the LTI pages: a platform's registration, linking a platform course, choosing a course to link."""
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..forms import no_control_characters, strip

NEW = "new"


def https_url(form, field):
    """Platform addresses: absolute http(s) URLs (plain http only for a platform on this machine)."""
    parts = urlsplit(field.data or "")
    local = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme not in ("https", "http") or not parts.netloc or (parts.scheme == "http" and not local):
        raise ValidationError(_l("Enter a full https:// address."))


def _url(label, description):
    return StringField(label, description=description, filters=[strip],
                       validators=[DataRequired(), Length(max=500), https_url])


class PlatformForm(FlaskForm):
    name = StringField(_l("Name"), description=_l("How people here call the platform, e.g. Canvas of the university."),
                       filters=[strip], validators=[Optional(), Length(max=120), no_control_characters])
    issuer = StringField(_l("Issuer"), description=_l("The platform's issuer (iss), e.g. https://canvas.instructure.com."),
                         filters=[strip], validators=[DataRequired(), Length(max=255), no_control_characters])
    client_id = StringField(_l("Client id"), description=_l("The client id the platform gave this tool."),
                            filters=[strip], validators=[DataRequired(), Length(max=255), no_control_characters])
    deployment_ids = TextAreaField(
        _l("Deployment ids"), description=_l("One per line: launches from any other deployment are refused."),
        validators=[DataRequired(), Length(max=5000), no_control_characters])
    auth_login_url = _url(_l("Authentication request URL"), _l("Where the platform signs people in (OIDC auth URL)."))
    auth_token_url = _url(_l("Access token URL"), _l("Where the tool gets an access token for the class list."))
    key_set_url = _url(_l("Public key set URL"), _l("The platform's JWKS: launches are checked against these keys."))

    def deployment_list(self) -> list[str]:
        return [line.strip() for line in (self.deployment_ids.data or "").splitlines() if line.strip()]

    def validate_deployment_ids(self, field):
        if any(len(d) > 255 for d in self.deployment_list()):
            raise ValidationError(_l("A deployment id has at most 255 characters."))


class LinkCourseForm(FlaskForm):
    """On the first Instructor launch: one of your courses, or a new one named after the platform course."""

    course = RadioField(_l("Workspace course"), validators=[DataRequired(message=_l("Choose a course."))])
    name = StringField(_l("Name of the new course"), filters=[strip],
                       validators=[Length(max=200), no_control_characters])  # required for a new course only
    term = StringField(_l("Term"), filters=[strip], validators=[Optional(), Length(max=60), no_control_characters])

    def validate_name(self, field):
        if self.course.data == NEW and not field.data:
            raise ValidationError(_l("Give the new course a name."))


class DeepLinkForm(FlaskForm):
    course = SelectField(_l("Workspace course"), coerce=str, validators=[DataRequired(message=_l("Choose a course."))])
