"""The showcase panel's form: the public summary, the partner's word on its use, and what is public."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length, Optional

from ..deliverables.forms import CheckboxesField
from ..forms import no_control_characters, strip


class PublicationForm(FlaskForm):
    summary = TextAreaField(
        _l("Short summary for the public"), validators=[Optional(), Length(max=1200), no_control_characters],
        filters=[strip], id="showcase-summary",
        description=_l("A few sentences anyone can understand: what it is and who it helps. No names or contact details."))
    partner_word = TextAreaField(
        _l("What the partner says about its use"), validators=[Optional(), Length(max=1200), no_control_characters],
        filters=[strip], id="showcase-partner-word",
        description=_l("Written by the partner: how the organisation uses the result."))
    files = CheckboxesField(_l("Public files"), coerce=int, validate_choice=True, validators=[Optional()],
                            id="showcase-files")
    links = CheckboxesField(_l("Public links"), coerce=int, validate_choice=True, validators=[Optional()],
                            id="showcase-links")
    version = HiddenField(id="showcase-version")
