"""Deliverable forms: the deliverable itself, a new version, a review, a handover item."""
from urllib.parse import urlsplit

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (DateField, HiddenField, MultipleFileField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.validators import AnyOf, DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import choices, no_control_characters, strip
from ..models.deliverable import APPROVED, CHANGES_REQUESTED, KINDS
from .files import ACCEPT

KIND_LABELS = {
    "report": _l("Report"), "toolkit": _l("Toolkit"), "presentation": _l("Presentation"), "video": _l("Video"),
    "workshop": _l("Workshop"), "dataset": _l("Dataset"), "website": _l("Website"), "article": _l("Article"),
    "other": _l("Other"),
}
# A state in words with its icon (deliverables/_macros.html `state_label`).
STATE_LABELS = {
    "draft": ("file", _l("Draft")), "in_review": ("clock", _l("In review")),
    "changes_requested": ("redo", _l("Changes requested")), "approved": ("check", _l("Approved")),
    "handed_over": ("star", _l("Handed over")),
}


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DeliverableForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), no_control_characters],
                        filters=[strip])
    kind = SelectField(_l("Kind"), choices=choices((kind, KIND_LABELS[kind]) for kind in KINDS))
    audience = StringField(_l("Audience"), validators=[Optional(), Length(max=300), no_control_characters],
                           filters=[strip],
                           description=_l("Who will use it: the partner's staff, residents, teachers…"))
    language = StringField(_l("Language"), validators=[Optional(), Length(max=80), no_control_characters],
                           filters=[strip], description=_l("The language(s) the audience reads or speaks."))
    channel = StringField(_l("Channel"), validators=[Optional(), Length(max=300), no_control_characters],
                          filters=[strip],
                          description=_l("How it reaches the people who need it: newsletter, website, a meeting…"))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10000)], filters=[strip])
    due_date = DateField(_l("Due date"), validators=[Optional()],
                         description=_l("Optional: when the team means to hand it over. Not before the project starts."))
    goals = CheckboxesField(_l("Goals it serves"), coerce=int, validate_choice=True, validators=[Optional()])
    version = HiddenField()

    def __init__(self, *args, project=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project

    def validate_due_date(self, field):
        if field.data and self.project is not None and field.data < self.project.start_date:
            raise ValidationError(_l("The due date cannot be before the project starts (%(date)s).",
                                     date=format_date(self.project.start_date)))


def parse_links(text: str) -> list[tuple[str, str]]:
    """One link a line: the https address, then optionally a space and a label."""
    links = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        url, _sep, label = line.partition(" ")
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.netloc or any(c in url for c in "<>\"'`\\") or len(url) > 2000:
            raise ValidationError(_l("Line %(n)s: a link starts with https:// and has no spaces in the address.",
                                     n=number))
        label = label.strip()
        if len(label) > 200 or any(ord(c) < 32 for c in label):
            raise ValidationError(_l("Line %(n)s: keep the label under 200 characters.", n=number))
        links.append((url, label))
    if len(links) > 50:
        raise ValidationError(_l("At most 50 links per version."))
    return links


class VersionForm(FlaskForm):
    note = TextAreaField(_l("What changed"), validators=[DataRequired(), Length(max=5000)], filters=[strip],
                         description=_l("For the partner: what is new or different in this version."))
    files = MultipleFileField(_l("Files"), render_kw={"accept": ACCEPT},
                              description=_l("PDF, office documents, images, CSV or text, or a zip of sources."))
    links = TextAreaField(_l("Links"), validators=[Optional(), Length(max=20000)],
                          description=_l("One a line, https only, optionally followed by a label: "
                                         "https://example.org/video Training video"))
    parsed_links: list[tuple[str, str]] = []  # set by validate_links when the field holds text

    def validate_links(self, field):
        self.parsed_links = parse_links(field.data)


class ReviewForm(FlaskForm):
    decision = HiddenField(validators=[AnyOf((APPROVED, CHANGES_REQUESTED), message=_l("Choose a decision."))])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)], filters=[strip],
                            description=_l("Needed when you request changes: say what the team should change."))

    def validate_comment(self, field):
        if self.decision.data == CHANGES_REQUESTED and not field.data:
            raise ValidationError(_l("Say which changes you need, so the team knows what to do."))


class HandoverItemForm(FlaskForm):
    label = StringField(_l("New checklist item"), validators=[DataRequired(), Length(max=300), no_control_characters],
                        filters=[strip])
