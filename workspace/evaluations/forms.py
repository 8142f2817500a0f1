"""The evaluation form: a 1–5 score and an optional comment per value the evaluation asks about,
what changed for the organisation, and whether they would work with the university again."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..forms import choices, no_control_characters, strip
from ..models.checkup import VALUE_LABELS

SCORES = tuple((str(n), str(n)) for n in range(1, 6))
WORK_AGAIN_CHOICES = (("yes", _l("Yes")), ("maybe", _l("Maybe")), ("no", _l("No")))


def _comment(label):
    return TextAreaField(label, validators=[Optional(), Length(max=5000), no_control_characters], filters=[strip],
                         render_kw={"rows": 2})


class EvaluationForm(FlaskForm):
    changed = TextAreaField(
        _l("What changed for your organisation?"), filters=[strip],
        validators=[InputRequired(message=_l("Say in a few words what changed, even if nothing did.")),
                    Length(max=5000), no_control_characters])
    work_again = RadioField(_l("Would you work with the university again?"), choices=choices(WORK_AGAIN_CHOICES),
                            validate_choice=True, validators=[InputRequired(message=_l("Choose yes, maybe or no."))])
    work_again_why = _comment(_l("Why?"))
    version = HiddenField()

    def score_fields(self):
        """(value key, score field, comment field) in the evaluation's order."""
        return [(key, self[f"score_{key}"], self[f"comment_{key}"]) for key in self.value_keys]

    def scores(self) -> dict:
        return {key: {"score": int(score.data), "comment": comment.data or ""}
                for key, score, comment in self.score_fields()}


def evaluation_form(evaluation, answer=None, **kwargs) -> EvaluationForm:
    """The form for this evaluation's values; filled from `answer` when no form data is posted."""
    class Form(EvaluationForm):
        value_keys = list(evaluation.value_keys)

    for key in evaluation.value_keys:
        setattr(Form, f"score_{key}", RadioField(
            _l(VALUE_LABELS[key]), choices=choices(SCORES), validate_choice=True,
            validators=[InputRequired(message=_l("Choose a score from 1 to 5."))]))
        setattr(Form, f"comment_{key}", _comment(_l("Comment (optional)")))
    form = Form(prefix=f"e{evaluation.id}", **kwargs)  # several on one home page: names must differ
    fresh = "formdata" in kwargs or not form.is_submitted()  # not filled from a posted form
    if answer is not None and fresh:
        for key, score, comment in form.score_fields():
            given = answer.scores.get(key) or {}
            score.data, comment.data = str(given.get("score", "")), given.get("comment", "")
        form.changed.data, form.work_again.data, form.work_again_why.data = (
            answer.changed, answer.work_again, answer.work_again_why)
    if fresh:
        form.version.data = answer.version if answer is not None else ""
    return form
