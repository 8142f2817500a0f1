"""Reflection forms: an entry (its prompt is chosen once, when it is written) and a response."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import choices, no_control_characters, strip
from ..models.reflection import PRIVATE, SHARED

VISIBILITY_LABELS = {
    PRIVATE: _l("Private: only you and the course's teachers"),
    SHARED: _l("Shared with the team: the students of this project and the course's teachers"),
}


class ReflectionEditForm(FlaskForm):
    body = TextAreaField(_l("Your reflection"), validators=[DataRequired(), Length(max=20000), no_control_characters],
                         filters=[strip], description=_l("Markdown works: *emphasis*, lists, links."))
    visibility = RadioField(_l("Who may read it"), default=PRIVATE,
                            choices=choices((key, VISIBILITY_LABELS[key]) for key in (PRIVATE, SHARED)))
    version = HiddenField()


class ReflectionForm(ReflectionEditForm):
    prompt = RadioField(_l("Prompt"), default="",
                        description=_l("A guiding value, a general question or one of your course's own questions."))

    def set_prompts(self, pairs):
        self.prompt.choices = choices([("", _l("No prompt: write freely")), *pairs])


class ResponseForm(FlaskForm):
    body = TextAreaField(_l("Your response"), validators=[DataRequired(), Length(max=5000), no_control_characters],
                         filters=[strip])
