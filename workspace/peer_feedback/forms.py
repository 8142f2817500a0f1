"""Peer feedback forms: the teacher's round (title, dates, dimensions one per line) and a student's
ratings of every teammate (a 1–5 score per dimension and a comment each)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..forms import choices, no_control_characters, strip

MAX_DIMENSIONS = 8
SCORES = tuple((str(n), str(n)) for n in range(1, 6))


def _lines(value):
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class RoundForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120), no_control_characters],
                        filters=[strip], description=_l("For example “Mid-term” or “End of the project”."))
    opens_on = DateField(_l("Opens on"), validators=[InputRequired(message=_l("Enter a date."))])
    closes_on = DateField(_l("Closes on"), validators=[InputRequired(message=_l("Enter a date."))],
                          description=_l("Students can rate and change their ratings until the end of this day."))
    dimensions = TextAreaField(_l("Dimensions"), validators=[DataRequired(), no_control_characters],
                               description=_l("One per line: what students rate each teammate on (at most 8)."),
                               render_kw={"rows": 5})
    version = HiddenField()

    def validate_dimensions(self, field):
        lines = _lines(field.data)
        if not 1 <= len(lines) <= MAX_DIMENSIONS:
            raise ValidationError(_l("Give between one and eight dimensions, one per line."))
        if any(len(line) > 120 for line in lines):
            raise ValidationError(_l("Keep each dimension within 120 characters."))
        if len(set(lines)) != len(lines):
            raise ValidationError(_l("Each dimension once, please."))

    def dimension_list(self) -> list[str]:
        return _lines(self.dimensions.data)


class RatingForm(FlaskForm):
    """Fields are added per teammate by `rating_form`."""

    def rows(self):
        """(teammate, [score field per dimension], comment field) in the order of the page."""
        return [(mate, [self[f"s{mate.id}_{i}"] for i in range(self.dimension_count)], self[f"c{mate.id}"])
                for mate in self.mates]

    def ratings(self) -> dict:
        return {mate.id: ([int(f.data) for f in fields], comment.data or "") for mate, fields, comment in self.rows()}


def rating_form(peer_round, mates, given: dict, **kwargs) -> RatingForm:
    """The form for these teammates and the round's dimensions, filled with what was given before."""
    class Form(RatingForm):
        pass

    Form.mates, Form.dimension_count = mates, len(peer_round.dimensions)
    for mate in mates:
        for i, _dimension in enumerate(peer_round.dimensions):
            setattr(Form, f"s{mate.id}_{i}", RadioField(
                _dimension, choices=choices(SCORES), validate_choice=True,
                validators=[InputRequired(message=_l("Choose a score from 1 to 5."))]))
        setattr(Form, f"c{mate.id}", TextAreaField(
            _l("Comment for the teacher"), validators=[Optional(), Length(max=3000), no_control_characters],
            filters=[strip], render_kw={"rows": 3}))
    form = Form(**kwargs)
    if not form.is_submitted():
        for mate, fields, comment in form.rows():
            rating = given.get(mate.id)
            if rating is not None:
                for i, f in enumerate(fields):
                    f.data = str(rating.scores[i]) if i < len(rating.scores) else None
                comment.data = rating.comment
    return form
