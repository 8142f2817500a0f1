"""The goal cards of the project board and of the partner's home, written in Python: the same HTML,
byte for byte, as `goals/_card.html` gives with view="board" (tests/test_goal_cards.py renders both,
for every state, side and kind of text, in two languages) and with view="home" (`HomeCards`,
tests/test_home_render.py).

A board shows every goal of the project, each with its menu of step forms; through the template's
include, macros, `url_for` and `_()` calls that was about a third of the board's server time. Here
the reader's catalogue, the fixed words, the CSRF token and the addresses (as patterns of the goal's
id) are looked up once per page, what a card offers is decided once per kind of card (project,
state, proposing and dropping side: all the state machine and the policy's goal rules read), and
each card is plain string code.

Only the plain cases are written here: a card that holds a refused step's kept input (`kept`) still
comes from the template, as does the goal page and the answer to a decision taken on the home.

Escaping: every piece is catalogue text (as Jinja's `_()` gives it: Markup, its variables escaped),
an escaped value (`escape`), a number, one of the app's own addresses (escaped), or the goal's state
(one of the model's fixed names, held to them by a check constraint).
"""
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from ..fast_gettext import translations
from ..policy import can
from ..ui import escaped_link, icon, id_link, page_formats
from . import services

_NEED = "The partner's need it answers"
# The card's addresses: the step's endpoint in the goals blueprint.
_ENDPOINTS = ("show", "approve", "confirm", "confirm_drop", "request_changes", "claim", "send_back", "keep",
              "edit", "propose_drop", "move")


class BoardCards:
    """The goal cards of one board page, for one reader.

    `focus_card`: the goal a decision was just taken on (its state gets the focus);
    `focus_goal` and `focus_direction`: the goal just moved (its menu stays open, the button keeps focus)."""

    view = "board"  # what the step forms say they came from (the answer is the board's section)

    def __init__(self, user, focus_card=None, focus_goal=None, focus_direction=None):
        self.user = user
        self.focus_card, self.focus_goal, self.focus_direction = focus_card, focus_goal, focus_direction
        catalogue = translations()
        self._gettext, self._ngettext = catalogue.ugettext, catalogue.ungettext
        self._texts: dict = {}
        self._formats = None
        self._csrf = None
        self._urls: dict = {}  # project id -> {endpoint: (before, after) the goal id}
        self._sides: dict = {}  # project id -> the reader's side
        self._reorder: dict = {}  # project id -> may the reader reorder its goals
        self._decided: dict = {}  # kind of card -> (steps, waits)
        self._badges: dict = {}  # state -> the state's badge
        self._revision = self._gettext("Revision %(n)s, proposed by %(name)s (%(side)s)")

    # ---- looked up once per page ------------------------------------------------------------------

    def _(self, string: str) -> Markup:
        text = self._texts.get(string)
        if text is None:
            text = Markup(self._gettext(string))  # nosec B704 (our catalogue, as Jinja's `_()` wraps it)
            if "%" in text:
                text = text % {}  # what `_()` does to a text holding a `%`
            self._texts[string] = text
        return text

    def _url(self, project_id: int, endpoint: str, goal_id: int) -> str:
        urls = self._urls.get(project_id)
        if urls is None:
            urls = self._urls[project_id] = {
                name: escaped_link(id_link(f"goals.{name}", "goal_id", project_id=project_id))
                for name in _ENDPOINTS}
        before, after = urls[endpoint]
        return f"{before}{goal_id}{after}"

    @property
    def csrf(self) -> str:
        if self._csrf is None:
            self._csrf = str(escape(generate_csrf()))
        return self._csrf

    def _side(self, goal):
        project_id = goal.project_id
        if project_id not in self._sides:
            self._sides[project_id] = services.side_of(self.user, goal.project)
        return self._sides[project_id]

    def _decide(self, goal):
        key = (goal.project_id, goal.state, goal.proposer_side, goal.drop_side)
        decided = self._decided.get(key)
        if decided is None:
            side = self._side(goal)
            decided = self._decided[key] = (services.allowed_steps(self.user, goal, side),
                                            services.waits_for(goal, side))
        return decided

    def _may_reorder(self, goal) -> bool:
        project_id = goal.project_id
        if project_id not in self._reorder:
            self._reorder[project_id] = can(self.user, "goal.reorder", goal)
        return self._reorder[project_id]

    def _badge(self, state: str) -> str:
        badge = self._badges.get(state)
        if badge is None:
            badge = self._badges[state] = (
                f'<span class="badge badge-{services.STATE_KINDS[state]}">{icon(services.STATE_ICON_NAMES[state])}'
                f'<strong>{escape(services.STATE_LABELS[state])}</strong></span>')
        return badge

    def _date(self, value) -> str:
        if self._formats is None:
            self._formats = page_formats(html=True)
        return self._formats.date(value)

    # ---- one card ----------------------------------------------------------------------------------

    def card(self, goal, first: bool, last: bool, comment_count: int = 0) -> Markup:
        """`goals/_card.html` with view="board", the goal `first`/`last` in its state's group."""
        _ = self._
        gid, state = goal.id, goal.state
        title = escape(goal.title)
        steps, waits = self._decide(goal)
        out = [
            f'\n<article id="goal-{gid}" class="card goal-card goal-card-{state}" aria-labelledby="goal-{gid}-title">'
            f'\n  <h3 id="goal-{gid}-title" class="goal-title">'
            f'\n    <a href="{self._url(goal.project_id, "show", gid)}">{title}</a>'
            f'\n  </h3>'
            f'\n  <p class="goal-state goal-state-{state}"{" data-focus" if self.focus_card == gid else ""}>'
            f'{self._badge(state)}']
        if waits:
            out.append(f' <span class="badge badge-warn goal-waiting">{icon("arrow-right")}{_("waiting for you")}</span>')
        proposer = goal.proposer
        # Markup(text) % values, as `_()` gives it, written as the plain `%` of the catalogue's text with
        # each value escaped (a number as it is; the texts of `_` are Markup already): the same string
        # without markupsafe's per-value helper objects
        revision = self._revision % {
            "n": goal.revision_number, "name": escape(proposer.name) if proposer else _("someone who left"),
            "side": _("student team") if goal.proposer_side == "student" else _("partner")}
        out.append(f'\n  </p>\n  <p class="meta">\n    {revision}')
        if goal.target_date:
            out.append(f' · {_("target date")} {self._date(goal.target_date)}')
        if comment_count:
            out.append(" · " + self._ngettext("%(num)d comment", "%(num)d comments", comment_count)
                       % {"num": comment_count})
        out.append("\n  </p>")
        self._what_it_says(out, goal, "")
        movable = self._may_reorder(goal) and not (first and last)
        if not (steps or movable):
            out.append("\n</article>")
            return Markup("".join(out))  # nosec B704 (escaped above)
        focus = self.focus_goal == gid
        out.append(f'\n  <details class="menu goal-menu"{" open" if focus else ""}>'
                   f'\n    <summary>{icon("more")} {_("Actions")}<span class="visually-hidden">: {title}</span></summary>'
                   f'\n    <div class="menu-body">')
        if steps:
            out.append('\n  <div class="goal-actions">')
            form = self._step_form
            if "approve" in steps:
                out.append(form(goal, title, "approve", "approve", _("Agree to this goal")))
            if "confirm_achieved" in steps:
                out.append(form(goal, title, "confirm", "confirm_achieved", _("Confirm it is achieved")))
            if "confirm_drop" in steps:
                out.append(form(goal, title, "confirm_drop", "confirm_drop", _("Confirm: drop this goal")))
            if "request_changes" in steps:
                out.append(self._step_details(goal, title, "request_changes", "request_changes", _("Request changes…"),
                                              _("Send the request"), "comment", _("What should change?")))
            if "claim" in steps:
                out.append(self._step_details(goal, title, "claim", "claim", _("Claim achieved…"), _("Claim achieved"),
                                              "evidence", _("Evidence that it is met")))
            if "send_back" in steps:
                out.append(self._step_details(goal, title, "send_back", "send_back", _("Not achieved yet…"),
                                              _("Send it back"), "comment", _("What is still missing?")))
            if "keep" in steps:
                label = _("Keep this goal") if goal.drop_side != self._side(goal) else _("Withdraw: keep this goal")
                out.append(form(goal, title, "keep", "keep", label, button_class="button button-secondary"))
            if "revise" in steps:
                out.append(f'<a class="button button-secondary" href="{self._url(goal.project_id, "edit", gid)}">'
                           f'{_("Revise")}<span class="visually-hidden">: {title}</span></a>')
            if "propose_drop" in steps:
                out.append(self._step_details(goal, title, "propose_drop", "propose_drop", _("Propose to drop…"),
                                              _("Propose to drop"), "reason", _("Why drop this goal?")))
            out.append("\n  </div>")
        if movable:
            move_url = self._url(goal.project_id, "move", gid)
            out.append('\n  <div class="goal-move">')
            for direction, label, edge in (("up", _("Move up"), first), ("down", _("Move down"), last)):
                if edge:
                    continue
                focused = " data-focus" if focus and self.focus_direction == direction else ""
                out.append(
                    f'\n    <form method="post" action="{move_url}" hx-post="{move_url}" hx-target="#goals"'
                    f' hx-swap="outerHTML" class="inline-form">'
                    f'\n      <input type="hidden" name="csrf_token" value="{self.csrf}">'
                    f'\n      <input type="hidden" name="direction" value="{direction}">'
                    f'\n      <input type="hidden" name="view" value="board">'
                    f'\n      <button type="submit" class="link-button"{focused}>{label}'
                    f'<span class="visually-hidden">: {title}</span></button>'
                    f'\n    </form>')
            out.append("\n  </div>")
        out.append("\n    </div>\n  </details>\n</article>")
        return Markup("".join(out))  # nosec B704 (escaped above)

    def _what_it_says(self, out: list, goal, details_open: str) -> None:
        """The card's texts: what the goal says (folded open on the home), the evidence of a claim and
        the reason to drop."""
        _ = self._
        description, need, criteria = goal.description, goal.partner_need, goal.success_criteria
        if description or need or criteria:
            out.append(f'\n  <details class="goal-details"{details_open}>\n    <summary>{_("What the goal says")}</summary>'
                       f'\n    <dl class="facts">')
            if description:
                out.append(f'<dt>{_("Description")}</dt><dd class="prose">{escape(description)}</dd>')
            if need:
                out.append(f'<dt>{_(_NEED)}</dt><dd class="prose">{escape(need)}</dd>')
            if criteria:
                out.append(f'<dt>{_("Success criteria")}</dt><dd class="prose">{escape(criteria)}</dd>')
            out.append("\n    </dl>\n  </details>")
        state = goal.state
        if state in ("achievement_claimed", "achieved") and goal.evidence:
            out.append(f'\n  <p class="prose"><strong>{_("Evidence:")}</strong> {escape(goal.evidence)}</p>')
        if state in ("drop_proposed", "dropped") and goal.drop_reason:
            out.append(f'\n  <p class="prose"><strong>{_("Reason to drop:")}</strong> {escape(goal.drop_reason)}</p>')

    def _step_form(self, goal, title, endpoint, step, label, note=None, note_label=None, button_class="button") -> str:
        """goals/_step.html's `step_form` with this writer's view and nothing kept."""
        gid = goal.id
        url = self._url(goal.project_id, endpoint, gid)
        out = (f'\n<form method="post" action="{url}" hx-post="{url}" hx-target="#goal-{gid}" hx-swap="outerHTML"'
               f' class="goal-step" novalidate>'
               f'\n  <input type="hidden" name="csrf_token" value="{self.csrf}">'
               f'\n  <input type="hidden" name="version" value="{goal.version}">'
               f'\n  <input type="hidden" name="view" value="{self.view}">')
        if note:
            field_id = f"goal-{gid}-{step}-{note}"
            out += (f'\n  <div class="field">'
                    f'\n    <label for="{field_id}">{note_label} <span class="required">({self._("required")})</span></label>'
                    f'\n    <textarea id="{field_id}" name="{note}" rows="3"></textarea>'
                    f'\n  </div>')
        return (out + f'\n  <button type="submit" class="{button_class}">{label}'
                f'<span class="visually-hidden">: {title}</span></button>\n</form>')

    def _step_details(self, goal, title, endpoint, step, summary, label, note, note_label) -> str:
        """goals/_step.html's `step_details` with this writer's view and nothing kept."""
        return (f'\n<details class="goal-step-details">\n  <summary>{summary}</summary>'
                f'{self._step_form(goal, title, endpoint, step, label, note, note_label)}\n</details>')


class HomeCards(BoardCards):
    """The goal cards of the partner's home: `goals/_card.html` with view="home" (what an action on
    one answers with; tests/test_home_render.py compares the two), from the home section's plain rows
    (`sections.partner_queue_rows`), with what each kind of card offers decided by the section."""

    view = "home"

    def items(self, cards) -> Markup:
        """Each card in its list item, as the home's list wrote them: (row, {"steps", "waits"}) pairs."""
        return Markup("".join([self.home_card(goal, decided) for goal, decided in cards]))  # nosec B704

    def home_card(self, goal, decided) -> str:
        _ = self._
        gid, state = goal.id, goal.state
        title = escape(goal.title)
        out = [
            f'\n    <li>\n<article id="goal-{gid}" class="card goal-card goal-card-{state}" aria-labelledby="goal-{gid}-title">'
            f'\n  <h3 id="goal-{gid}-title" class="goal-title">'
            f'\n    <a href="{self._url(goal.project_id, "show", gid)}">{title}</a>'
            f'\n  </h3>'
            f'\n  <p class="goal-state goal-state-{state}">{self._badge(state)}']
        if decided["waits"]:
            out.append(f' <span class="badge badge-warn goal-waiting">{icon("arrow-right")}{_("waiting for you")}</span>')
        revision = self._revision % {
            "n": goal.revision_number,
            "name": escape(goal.proposer_name) if goal.proposer_user_id is not None else _("someone who left"),
            "side": _("student team") if goal.proposer_side == "student" else _("partner")}
        out.append(f'\n  </p>\n  <p class="meta">{escape(goal.project_title)} ·\n    {revision}')
        if goal.target_date:
            out.append(f' · {_("target date")} {self._date(goal.target_date)}')
        out.append("\n  </p>")
        self._what_it_says(out, goal, " open")
        steps = decided["steps"]
        if "approve" in steps or "request_changes" in steps:
            out.append('\n  <div class="goal-actions">')
            if "approve" in steps:
                out.append(self._step_form(goal, title, "approve", "approve", _("Agree to this goal")))
            if "request_changes" in steps:
                out.append(self._step_details(goal, title, "request_changes", "request_changes", _("Request changes…"),
                                              _("Send the request"), "comment", _("What should change?")))
            out.append("\n  </div>")
        out.append("\n</article></li>\n    ")
        return "".join(out)
