"""What the check-up page shows, read as plain rows: one prebuilt Core statement per section.

The page shows a few columns of the check-up, its attendees, feedback items, action items,
corrections and this check-up's pulse; loading them as ORM objects with their relationships cost
most of the page. The statements are built once per process (building a select costs more than
running it); what the template would ask the policy per item is asked once per page (the viewer's
role in the project decides it), and what only some viewers see (the goals to choose from, the
members to own an action, the earlier check-ups that flag old feedback) is read only for them.
"""
from collections import namedtuple
from datetime import date

from markupsafe import Markup, escape
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import aliased
from wtforms.widgets import Select

from ..database import PlainRead
from ..models import ActionItem, CheckUp, CheckUpAttendee, Correction, FeedbackItem, Goal, ProjectMember, PulseRating, User
from ..models.checkup import CONFIRMED, OPEN, PLANNED
from ..policy import can

# Rules about an item of a check-up read its project only: asked once with the project.
_OfProject = namedtuple("_OfProject", "project")

Attendee = namedtuple("Attendee", "user_id name")
Feedback = namedtuple("Feedback", "id checkup_id raised_by text state goal_id goal_title integrated_where reason "
                                  "responded_at responded_by version")
Action = namedtuple("Action", "id text due_date done owner overdue")
CorrectionRow = namedtuple("CorrectionRow", "id text created_at resolution resolved_at author")
Comment = namedtuple("Comment", "side value_key comment")
HeldCheckup = namedtuple("HeldCheckup", "id planned_at")


class CheckupView:
    """The check-up as the page shows it (the names the templates read)."""

    __slots__ = ("id", "project_id", "planned_at", "channel", "location", "agenda", "state", "summary", "decisions",
                 "logged_at", "confirmed_at", "version", "logged_by", "confirmed_by", "held", "closed",
                 "attendees", "feedback_items", "action_items", "corrections")

    def __init__(self, row):
        (self.id, self.project_id, self.planned_at, self.channel, self.location, self.agenda, self.state, self.summary,
         self.decisions, self.logged_at, self.confirmed_at, self.version, self.logged_by, self.confirmed_by) = row
        self.held = self.state != PLANNED
        self.closed = self.state == CONFIRMED


_logged_by, _confirmed_by, _responded_by, _owner, _author = (aliased(User) for _ in range(5))
_CHECKUP = PlainRead(
    select(CheckUp.id, CheckUp.project_id, CheckUp.planned_at, CheckUp.channel, CheckUp.location, CheckUp.agenda,
           CheckUp.state, CheckUp.summary, CheckUp.decisions, CheckUp.logged_at, CheckUp.confirmed_at, CheckUp.version,
           _logged_by.name, _confirmed_by.name)
    .outerjoin(_logged_by, _logged_by.id == CheckUp.logged_by_id)
    .outerjoin(_confirmed_by, _confirmed_by.id == CheckUp.confirmed_by_id)
    .where(CheckUp.id == bindparam("checkup_id")))
_ATTENDEES = PlainRead(
    select(CheckUpAttendee.user_id, func.coalesce(User.name, CheckUpAttendee.guest_name))
    .outerjoin(User, User.id == CheckUpAttendee.user_id)
    .where(CheckUpAttendee.checkup_id == bindparam("checkup_id")).order_by(CheckUpAttendee.id))
_FEEDBACK = PlainRead(
    select(FeedbackItem.id, FeedbackItem.checkup_id, FeedbackItem.raised_by, FeedbackItem.text, FeedbackItem.state,
           FeedbackItem.goal_id, Goal.title, FeedbackItem.integrated_where, FeedbackItem.reason,
           FeedbackItem.responded_at, _responded_by.name, FeedbackItem.version)
    .outerjoin(Goal, Goal.id == FeedbackItem.goal_id)
    .outerjoin(_responded_by, _responded_by.id == FeedbackItem.responded_by_id)
    .where(FeedbackItem.checkup_id == bindparam("checkup_id")).order_by(FeedbackItem.id))
_ACTIONS = PlainRead(
    select(ActionItem.id, ActionItem.text, ActionItem.due_date, ActionItem.done, _owner.name)
    .outerjoin(_owner, _owner.id == ActionItem.owner_id)
    .where(ActionItem.checkup_id == bindparam("checkup_id")).order_by(ActionItem.id))
_CORRECTIONS = PlainRead(
    select(Correction.id, Correction.text, Correction.created_at, Correction.resolution, Correction.resolved_at,
           _author.name)
    .outerjoin(_author, _author.id == Correction.author_id)
    .where(Correction.checkup_id == bindparam("checkup_id")).order_by(Correction.id))
# This check-up's pulse per side and value (as services.pulse_aggregates), and how many the viewer gave.
_PULSE = PlainRead(
    select(PulseRating.checkup_id, PulseRating.side, PulseRating.value_key, func.avg(PulseRating.score),
           func.count(PulseRating.id), func.sum(case((PulseRating.user_id == bindparam("user_id"), 1), else_=0)))
    .where(PulseRating.project_id == bindparam("project_id"), PulseRating.checkup_id == bindparam("checkup_id"))
    .group_by(PulseRating.checkup_id, PulseRating.side, PulseRating.value_key))
# The sides a reader may see are one or both: two bound sides (the same one twice for one side), so
# the statement is built once and read as plain rows.
_COMMENTS = PlainRead(
    select(PulseRating.side, PulseRating.value_key, PulseRating.comment)
    .where(PulseRating.checkup_id == bindparam("checkup_id"),
           PulseRating.side.in_([bindparam("side", type_=PulseRating.side.type),
                                 bindparam("other_side", type_=PulseRating.side.type)]),
           PulseRating.comment != "")
    .order_by(PulseRating.side, PulseRating.value_key, PulseRating.id))
_HELD = PlainRead(select(CheckUp.id, CheckUp.planned_at)
         .where(CheckUp.project_id == bindparam("project_id"), CheckUp.state != PLANNED)
         .order_by(CheckUp.planned_at.desc()))
_GOALS = PlainRead(select(Goal.id, Goal.title).where(Goal.project_id == bindparam("project_id"))
          .order_by(Goal.position, Goal.id))
_MEMBERS = PlainRead(
    select(ProjectMember.user_id, User.name, ProjectMember.role).join(User, User.id == ProjectMember.user_id)
    .where(ProjectMember.project_id == bindparam("project_id")).order_by(ProjectMember.role.desc(), ProjectMember.id))


def checkup(checkup_id: int) -> CheckupView:
    """The check-up with its attendees, feedback items, action items and corrections (five statements)."""
    key = {"checkup_id": checkup_id}
    view = CheckupView(_CHECKUP.one(key))
    view.attendees = [Attendee(*row) for row in _ATTENDEES(key)] if view.held else []
    view.feedback_items = [Feedback(*row) for row in _FEEDBACK(key)]
    today = date.today()
    view.action_items = [Action(item_id, text, due, done, owner, not done and due < today)
                         for item_id, text, due, done, owner in _ACTIONS(key)]
    view.corrections = [CorrectionRow(*row) for row in _CORRECTIONS(key)] if view.held else []
    return view


def permissions(viewer, checkup_obj, project) -> dict:
    """What the viewer may do on this check-up and its items, asked of the policy once each."""
    item = _OfProject(project)
    return {
        "reschedule": can(viewer, "checkup.reschedule", checkup_obj), "log": can(viewer, "checkup.log", checkup_obj),
        "add_item": can(viewer, "checkup.add_item", checkup_obj), "confirm": can(viewer, "checkup.confirm", checkup_obj),
        "correct": can(viewer, "checkup.correct", checkup_obj), "resolve": can(viewer, "checkup.resolve", item),
        "respond": can(viewer, "feedback.respond", item), "mark_action": can(viewer, "action.mark", item),
    }


def pulse_rows(project, checkup_id: int, viewer) -> tuple[list, int]:
    """(checkup_id, side, value_key, average, count) rows of this check-up, and how many values the viewer rated."""
    rows = _PULSE({"project_id": project.id, "checkup_id": checkup_id, "user_id": viewer.id})
    return [row[:5] for row in rows], sum(row[5] or 0 for row in rows)


def comments(checkup_id: int, sides) -> list[Comment]:
    """The comments of the sides the viewer may see (hidden sides never leave the database)."""
    if not sides:
        return []
    first, *rest = sorted(sides)
    if len(rest) > 1:
        raise ValueError(f"a check-up has two sides, not {sorted(sides)}")
    return [Comment(*row) for row in _COMMENTS({"checkup_id": checkup_id, "side": first,
                                                 "other_side": rest[0] if rest else first})]


def held_checkups(project) -> list[HeldCheckup]:
    return [HeldCheckup(*row) for row in _HELD({"project_id": project.id})]


def goals(project) -> list:
    return _GOALS({"project_id": project.id})


def members(project) -> list:
    """(user_id, name, role) of the project's members, students first."""
    return _MEMBERS({"project_id": project.id})


def open_items(view: CheckupView) -> list:
    return [item for item in view.feedback_items if item.state == OPEN]


# ---- the answer forms of the feedback items ----------------------------------------------------

def _option(choice) -> str:
    """`Select.render_option(choice)` of WTForms for a choice without its own attributes: the attributes in
    html_params' sorted order, the value and label escaped (tests/test_checkups.py compares the two)."""
    value = str(choice.value) if isinstance(choice.value, bool) else choice.value
    selected = "selected " if choice.selected else ""
    value = escape(value).replace(Markup('"'), Markup("&quot;"))  # as html_params (for a Markup value)
    return f'<option {selected}value="{value}">{escape(choice.label or choice.value)}</option>'


class FieldHTML:
    """What `field(f)` of _forms.html renders (same markup and whitespace) for a field without errors,
    required flag or checkbox, written without a macro call; a select's options are rendered once per
    page (every item's goal list is the same but for the one selected). The page has four fields per
    feedback item, and the macro's attribute lookups and WTForms' option rendering cost several times
    the rest of an item. None for any other field, which the template then renders with the macro
    itself (tests/test_checkups.py compares the two). A page read writes its fresh answer forms without
    WTForms (items.feedback_items); this writes the fields of a form posted in place and sent back."""

    def __init__(self):
        self.options, self.texts, self.lists = {}, {}, {}

    def _text(self, text):
        """A label's or hint's text as the macro writes it (lazy texts translated once per page)."""
        if isinstance(text, str):
            return escape(text)
        found = self.texts.get(id(text))
        if found is None:
            found = self.texts[id(text)] = (text, escape(text))
        return found[1]

    def __call__(self, f):
        if f.errors or f.flags.required or f.type == "BooleanField":
            return None
        hint = self._text(f.description)
        attributes = {"aria-describedby": f.id + "-hint"} if hint else {}
        if type(f.widget) is Select and not f.widget.multiple and not f.flags.disabled and not f.has_groups():
            widget = self._select(f, attributes)
        else:
            widget = f(**attributes)
        fid = escape(f.id)
        if hint:
            hint = f'<p class="hint" id="{fid}-hint">{hint}</p>'
        # the label as WTForms' Label() writes it
        return Markup(f'\n  \n  \n  \n  <div class="field">\n    \n      <label for="{fid}">{self._text(f.label.text)}</label>'
                      f'\n      {hint}\n      {widget}\n    \n    \n  </div>\n')  # nosec B704: escaped or WTForms' markup

    def _select(self, f, attributes):
        """Select.__call__ of WTForms, each distinct option rendered once."""
        described = f' aria-describedby="{escape(attributes["aria-describedby"])}"' if attributes else ""
        start = f'<select{described} id="{escape(f.id)}" name="{escape(f.name)}">'  # html_params' order: sorted
        # the same list of choices (every item's goals) with the same one selected: its options once per page
        shared = self.lists.get((id(f.choices), f.data))
        if shared is not None:
            return Markup(start + shared[1] + "</select>")  # nosec B704: WTForms' own markup
        html = []
        for choice in f._iter_choices_normalized():
            if choice.render_kw:
                html.append(Select.render_option(choice))
                continue
            label = choice.label
            key = (choice.value, label if isinstance(label, str) else id(label), choice.selected)
            option = self.options.get(key)
            if option is None:
                option = self.options[key] = _option(choice)
            html.append(option)
        options = "".join(html)
        self.lists[id(f.choices), f.data] = (f.choices, options)  # the list kept, so that its id stays its own
        return Markup(start + options + "</select>")  # nosec B704: WTForms' own markup
