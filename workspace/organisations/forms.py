"""Organisation form."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, Length, Optional, URL

from ..forms import no_control_characters, strip


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200), no_control_characters], filters=[strip])
    description = TextAreaField(_l("What the organisation does"), validators=[Optional(), Length(max=10000)], filters=[strip])
    website = URLField(_l("Website"), validators=[Optional(), Length(max=500), URL(require_tld=True, message=_l("Enter a full web address, starting with https://"))], filters=[strip])
    themes = StringField(_l("Themes"), validators=[Optional(), Length(max=500), no_control_characters], filters=[strip],
                         description=_l("Separate themes with commas, for example: housing, health, inclusion"))
