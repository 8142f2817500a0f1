"""The check-up page's feedback items and action items, written in Python (issue 19).

Each writer gives what the loop of `checkups/_feedback.html` or `checkups/_actions.html` wrote with
the state macros of `checkups/_macros.html` and the `field` macro of `_forms.html`, byte for byte
(tests/test_checkup_items.py renders those loops beside them). A feedback item with its answer form
went through a dozen macro calls, four form fields and a WTForms form built per item: about a fifth of
the page. The answer forms of a page read are now written from the item's own values (what a fresh
`RespondForm` of the item held); a form posted and refused (or stale) is the route's bound form, its
fields written by `read.FieldHTML` or, with errors, by the `field` macro itself.

Escaping: user text (feedback, where, why, names, goal titles, action texts and owners, what was typed)
is escaped; the rest is catalogue text (as the templates' `_()` gave it), numbers, dates and addresses.
"""
from functools import cache

from flask import current_app
from flask_babel import format_datetime, gettext
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from wtforms.fields.choices import Choice

from ..fast_format import format_date
from ..fast_gettext import markup_gettext
from ..ui import escaped_link, icon
from .forms import RespondForm
from .read import FieldHTML, _option
from .sections import _action_state

# what `field(f)` (and read.FieldHTML) writes for a field without errors or required flag
_FIELD = '\n  \n  \n  \n  <div class="field">\n    \n      <label for="{fid}">{label}</label>\n      {hint}\n      {widget}\n    \n    \n  </div>\n'


@cache
def _respond_shape():
    """What every item's answer form shares, from a `RespondForm` built once per process: the labels,
    hints and the state's choices (lazy texts, translated where they are written) and the text areas'
    length limits (WTForms writes them as `maxlength`)."""
    form = RespondForm(formdata=None, meta={"csrf": False})
    for name in ("state", "goal_id", "where", "reason"):
        f = getattr(form, name)
        # what the writer below leaves out: nothing of this kind may appear on these fields
        if f.flags.required or f.flags.disabled or f.flags.readonly or f.flags.minlength:
            raise RuntimeError(f"checkups.items writes RespondForm.{name} without its new flags: teach it them")
    return {
        "labels": {name: getattr(form, name).label.text for name in ("state", "goal_id", "where", "reason")},
        "hints": {name: form[name].description for name in ("where", "reason")},
        "limits": {name: form[name].flags.maxlength for name in ("where", "reason")},
        "states": [(choice.value, choice.label) for choice in form.state.choices],
    }


class _Options:
    """A select's options as WTForms writes them (`read._option`), for each value chosen: every option
    written once per page, the chosen one again with `selected`, each list joined once."""

    def __init__(self, choices):
        self.choices = list(choices)
        # a number's option written here (`_option` gives the same: a number needs no escaping)
        self.plain = [f'<option value="{value}">{escape(label or value)}</option>' if type(value) is int
                      else _option(Choice(value, label, False, None)) for value, label in self.choices]
        self.lists = {}

    def html(self, chosen) -> str:
        html = self.lists.get(chosen)
        if html is None:
            html = "".join(_option(Choice(value, label, True, None)) if value == chosen else plain
                           for (value, label), plain in zip(self.choices, self.plain))
            self.lists[chosen] = html
        return html


class _AnswerForms:
    """The answer forms' fields of one page: labels, hints and options written once, each item's
    fields from its values."""

    def __init__(self, goals):
        shape = _respond_shape()
        self.labels = {name: escape(text) for name, text in shape["labels"].items()}
        self.hints = {name: escape(text) for name, text in shape["hints"].items()}
        self.limits = shape["limits"]
        self.states = _Options(shape["states"])
        # the goals to choose from, as `routes._goal_choices` lists them: "no goal" (0) first
        self.goals = _Options([(0, gettext("— no goal —")), *goals]) if goals else None

    def _select(self, fid, name, options, chosen):
        return _FIELD.format(fid=fid, label=self.labels[name], hint="",
                             widget=f'<select id="{fid}" name="{fid}">{options.html(chosen)}</select>')

    def _text(self, fid, name, value):
        text = value.strip() if isinstance(value, str) else value  # the fields' `strip` filter
        text = escape(str(text) if text is not None else "")
        return _FIELD.format(
            fid=fid, label=self.labels[name], hint=f'<p class="hint" id="{fid}-hint">{self.hints[name]}</p>',
            widget=f'<textarea aria-describedby="{fid}-hint" id="{fid}" maxlength="{self.limits[name]}" '
                   f'name="{fid}">\r\n{text}</textarea>')

    def fields(self, item) -> str:
        """The four fields of a fresh `RespondForm` of the item, as `field(f)` wrote them, and what came
        between them in the template."""
        p = f"fb{item.id}-"
        goal = ""
        if self.goals is not None:
            goal = self._select(p + "goal_id", "goal_id", self.goals, item.goal_id or 0)
        return (f'{self._select(p + "state", "state", self.states, item.state)}\n          {goal}\n          '
                f'{self._text(p + "where", "where", item.integrated_where)}\n          '
                f'{self._text(p + "reason", "reason", item.reason)}')


def _bound_fields(form, field_html) -> str:
    """A posted answer form's fields as the template wrote them: `field_html(f) or field(f)`."""
    macro = current_app.jinja_env.get_template("_forms.html").module.field
    out = []
    for name in ("state", "goal_id", "where", "reason"):
        f = form[name]
        if name == "goal_id" and not len(f.choices) > 1:
            out.append("")
            continue
        out.append(str(field_html(f) or macro(f)))
    return "\n          ".join(out)


def _feedback_state(_, state) -> str:
    """The `feedback_state` macro of checkups/_macros.html."""
    if state == "open":
        return f'<span class="status status-waiting">{icon("circle")} {_("Open")}</span>'
    if state == "integrated":
        return f'<span class="status status-done">{icon("check")} {_("Integrated")}</span>'
    return f'<span class="status status-declined">{icon("x")} {_("Not integrated")}</span>'


def feedback_items(items, may_respond, flagged, links, goals=(), respond_forms=None, focus_item=None,
                   stale_item=None, field_html=None) -> Markup:
    """The check-up page's feedback items, the loop of `checkups/_feedback.html` before it was written
    here: each item's state, who raised it, its flag, text and answer, and (for those who may respond,
    `may_respond` as the policy said once per page) its answer form. `goals` are the project's (id,
    title) to integrate an item in; `respond_forms` the forms posted in place (kept with what was typed
    and their errors), by item id; `focus_item` and `stale_item` the item an answer was about."""
    _ = markup_gettext()
    respond_forms = respond_forms or {}
    by = {"partner": _("the partner"), "students": _("the students"), "teacher": _("the teacher")}
    flag = f'<strong class="flag">{icon("flag")} {_("Still open after two check-ups")}</strong>'
    goal_link = escaped_link(links["goal"]) if "goal" in links else None
    forms = None
    if may_respond:
        forms = _AnswerForms(goals)
        before, after = escaped_link(links["respond"])
        csrf = escape(generate_csrf())
        words = {"respond": _("Respond"), "change": _("Change the response"), "to": _("to this feedback item"),
                 "save": _("Save the response")}
    out = []
    for item in items:
        iid, state = item.id, item.state
        focus = ' data-focus tabindex="-1"' if focus_item == iid else ""
        raised = by.get(item.raised_by)
        raised = _("raised by %(who)s", who=raised if raised is not None else escape(item.raised_by))
        flagged_here = flag if iid in flagged else ""
        if state == "integrated":
            goal = ""
            if item.goal_title is not None:
                goal = (f'{_("the goal")} <a href="{goal_link[0]}{item.goal_id}{goal_link[1]}">'
                        f'{escape(item.goal_title)}</a>{" · " if item.integrated_where else ""}')
            answer = f'<p><strong>{_("Integrated in:")}</strong>\n        {goal}{escape(item.integrated_where)}</p>\n      '
        elif state == "not_integrated":
            answer = f'<p><strong>{_("Not integrated, because:")}</strong> {escape(item.reason)}</p>'
        else:
            answer = ""
        answered = ""
        if item.responded_at:
            name = escape(item.responded_by) if item.responded_by is not None else _("the team")
            answered = (f'<p class="meta">'
                        f'{_("Answered by %(name)s on %(date)s", name=name, date=format_datetime(item.responded_at, "short"))}'
                        f'</p>')
        form = ""
        if may_respond:
            url = f"{before}{iid}{after}"
            bound = respond_forms.get(iid)
            stale = stale_item == iid
            opened = " open" if (bound is not None and bound.errors) or stale else ""
            summary = words["respond"] if state == "open" else words["change"]
            warning = (f'\n        <div class="error-summary" role="alert"><p>'
                       f'{_("Someone answered this feedback item while you were writing. The current answer is shown above; your input is kept below. Save again to replace it.")}'
                       f'</p></div>\n        ') if stale else ""
            if bound is not None:
                version_name = escape(bound.version.name)
                fields = _bound_fields(bound, field_html or FieldHTML())
            else:
                version_name = f"fb{iid}-version"
                fields = forms.fields(item)
            form = (f'\n      <details{opened}>'
                    f'\n        <summary>{summary}<span class="visually-hidden"> {words["to"]}</span></summary>'
                    f'\n        {warning}'
                    f'\n        <form method="post" novalidate action="{url}"'
                    f'\n              hx-post="{url}" hx-target="#checkup-feedback" hx-swap="outerHTML">'
                    f'\n          <input type="hidden" name="csrf_token" value="{csrf}">'
                    f'\n          <input type="hidden" name="{version_name}" value="{escape(item.version)}">'
                    f'\n          {fields}'
                    f'\n          <button type="submit" class="button">{words["save"]}</button>'
                    f'\n        </form>\n      </details>\n      ')
        out.append(
            f'\n    \n    <li id="feedback-{iid}"{focus}>'
            f'\n      <p>{_feedback_state(_, state)} · {raised}'
            f'\n        {flagged_here}</p>'
            f'\n      <p class="prose">{escape(item.text)}</p>'
            f'\n      {answer}'
            f'\n      {answered}'
            f'\n      {form}'
            f'\n    </li>\n    ')
    return Markup("".join(out))  # nosec B704: escaped values and catalogue text


def action_items(items, may_mark, links, focus_action=None) -> Markup:
    """The check-up page's action items, the loop of `checkups/_actions.html` before it was written
    here: each item's state, text, owner and due date, and (for those who may mark it, `may_mark` as
    the policy said once per page) the button that marks it done or open again; `focus_action` the
    item an answer was about."""
    _ = markup_gettext()
    if may_mark:
        before, after = escaped_link(links["mark_action"])
        csrf = escape(generate_csrf())
        words = {True: _("Open again"), False: _("Mark as done")}
    nobody = _("nobody")
    out = []
    for item in items:
        iid, text = item.id, escape(item.text)
        owner = escape(item.owner) if item.owner is not None else nobody
        form = ""
        if may_mark:
            url, done = f"{before}{iid}{after}", bool(item.done)
            focus = " data-focus" if focus_action == iid else ""
            form = (f'\n      <form method="post" action="{url}"'
                    f'\n            hx-post="{url}" hx-target="#checkup-actions" hx-swap="outerHTML">'
                    f'\n        <input type="hidden" name="csrf_token" value="{csrf}">'
                    f'\n        <input type="hidden" name="done" value="{"0" if done else "1"}">'
                    f'\n        <button type="submit" class="link-button"{focus}>{words[done]}'
                    f'<span class="visually-hidden">: {text}</span></button>\n      </form>\n      ')
        out.append(
            f'\n    <li id="action-{iid}">'
            f'\n      <p>{_action_state(_, item)} · <strong>{text}</strong></p>'
            f'\n      <p class="meta">{_("Owner: %(name)s · due %(date)s", name=owner, date=format_date(item.due_date))}</p>'
            f'\n      {form}\n    </li>\n    ')
    return Markup("".join(out))  # nosec B704: escaped values and catalogue text
