"""The teacher dashboard's rows as display values: every cell's text and markup written once, in Python.

A 100-project dashboard shows some 4,000 dates and numbers (each pulse point's date and value twice:
in the title and in the visually-hidden list) and 30 badges, icons and plurals per row. Through the
template's filters and macros that was about 12,000 Python calls per row. Here the page's catalogue,
date and number formats, icons and fixed words are looked up once (`Page`), each distinct day and
number is formatted once (`fast_format.PageFormats`), and each cell is written with plain string code.
The template lays out the page and the table's head; each row's `<tr>` comes from here, the same
HTML, byte for byte, as the template's filters and macros wrote it (tests/test_dashboard.py renders
that template beside it).

Escaping: every piece put into a cell is either catalogue text with numbers or escaped values in
it (as Jinja's `_()` gives), an escaped value (`escape`), or a number (digits and the locale's
decimal symbol).
"""
from datetime import datetime, timezone

from markupsafe import Markup, escape

from ..evaluations.services import WORK_AGAIN_LABELS
from ..fast_format import PageFormats
from ..fast_gettext import translations
from ..ui import escaped_link, icon, id_link
from .signals import ProjectSignals, days_since


def sparkline(values, low: float = 1, high: float = 5, width: int = 96, height: int = 24, _xs=None, _ys=None) -> str:
    """workspace.ui.sparkline of these values, as plain string code (`_xs`, `_ys`: a page's texts of the
    x coordinates per number of points and of the y coordinate per value, for these default bounds)."""
    values = [value for value in values if value is not None]
    if not values:
        return ""
    span, spread = max(len(values) - 1, 1), (high - low) or 1
    xs = _xs.get(len(values)) if _xs is not None else None
    if xs is None:
        xs = [f"{2 + (width - 4) * i / span:.1f}" for i in range(len(values))]
        if _xs is not None:
            _xs[len(values)] = xs
    ys = []
    for value in values:
        y = _ys.get(value) if _ys is not None else None
        if y is None:
            y = f"{height - 2 - (height - 4) * (float(value) - low) / spread:.1f}"
            if _ys is not None:
                _ys[value] = y
        ys.append(y)
    points = " ".join([f"{x},{y}" for x, y in zip(xs, ys)])
    return (f'<svg class="sparkline" viewBox="0 0 {width} {height}" aria-hidden="true" focusable="false">'
            f'<polyline points="{points}"/><circle cx="{xs[-1]}" cy="{ys[-1]}" r="2.5"/></svg>')


class Page:
    """What every row of one page shares: the reader's catalogue and formats, icons, fixed words."""

    def __init__(self, now: datetime):
        catalogue = translations()
        self._gettext, self._ngettext = catalogue.ugettext, catalogue.ungettext
        self._texts: dict = {}  # message -> translation
        self._plurals: dict = {}  # (message, number) -> the plural form with the number in it
        self.now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
        self.formats = PageFormats(html=True)
        self._xs: dict = {}
        self._ys: dict = {}
        self.alert, self.check, self.clock = str(icon("alert")), str(icon("check")), str(icon("clock"))
        self._url = escaped_link(id_link("projects.show", "project_id"))

    def project_url(self, project_id: int) -> str:
        """url_for("projects.show", project_id=project_id), escaped; built once per page."""
        return f"{self._url[0]}{project_id}{self._url[1]}"

    def _(self, string: str, **variables) -> str:
        """Like `{{ _(string, **variables) }}` in the template, for numbers and escaped values."""
        text = self._texts.get(string)
        if text is None:
            text = self._texts[string] = self._gettext(string)
        return text % variables if variables or "%" in text else text

    def ngettext(self, singular: str, plural: str, num: int, **variables) -> str:
        """Like `{{ ngettext(singular, plural, num, **variables) }}`, for numbers and escaped values."""
        if not variables:
            text = self._plurals.get((singular, num))
            if text is None:
                text = self._plurals[singular, num] = self._ngettext(singular, plural, num) % {"num": num}
            return text
        variables.setdefault("num", num)
        return self._ngettext(singular, plural, num) % variables


def dashboard_rows(rows: list[ProjectSignals], now: datetime) -> list[Markup]:
    """Each row's `<tr>`, in their order (with the whitespace around it that the template's loop wrote)."""
    page = Page(now)
    _, ngettext, date, tenth = page._, page.ngettext, page.formats.date, page.formats.tenth
    alert, check, clock = page.alert, page.check, page.clock
    overdue, none_held, none_yet = _("overdue"), _("none held"), _("none yet")
    accepted_by_all = f'<span class="badge badge-ok">{check}{_("accepted by all")}</span>'
    healthy = f'<span class="badge badge-ok">{check}{_("Healthy")}</span>'
    up, down, needs_attention, nothing = _("up"), _("down"), _("Needs attention:"), _("none")
    sides = (("partner", _("partner")), ("student", _("students")))
    views = []
    point_days: dict = {}  # check-up moment (ISO text) -> its day's text
    span_days: dict = {}  # check-up moment (ISO text) -> its "d MMM"
    tenths, tenth_of = page.formats.tenths, page.formats.tenth

    def point_day(when: str) -> str:
        day = point_days[when] = date(datetime.fromisoformat(when))
        return day

    def span_day(when: str) -> str:  # (plain text: Markup would escape what is added to it)
        day = span_days[when] = str(date(datetime.fromisoformat(when), "d MMM"))
        return day

    reason_items: dict = {}  # reason -> its list item
    label_goals, label_checkups, label_deliverables = _("Goals"), _("Check-ups"), _("Deliverables")
    label_agreement, label_pulse, label_evaluation = _("Agreement and promises"), _("Values pulse"), _("Partner's evaluation")
    label_activity, label_attention = _("Last activity"), _("Attention")
    for r in rows:
        title, partner, url = escape(r.title), escape(r.partner), page.project_url(r.id)
        wait = days_since(r.oldest_goal_wait, now)
        goals = f'{_("%(agreed)s agreed", agreed=r.goals_agreed)} &middot; {_("%(waiting)s awaiting", waiting=r.goals_waiting)}'
        goals_title = ""
        if wait is not None:
            oldest = ngettext("oldest %(num)s day", "oldest %(num)s days", wait)
            goals_title = f' title="{oldest}"'
            goals += f'<span class="visually-hidden"> ({oldest})</span>'

        last = _("last %(date)s", date=date(r.last_checkup)) if r.last_checkup else none_held
        if r.checkup_overdue:
            since = _("overdue since %(date)s", date=date(r.next_checkup_due))
            checkups = (f'<span class="badge badge-bad" title="{since}">{alert}{overdue}</span>'
                        f'<span class="visually-hidden"> {since}</span>')
        else:
            checkups = _("next by %(date)s", date=date(r.next_checkup_due, "d MMM"))
        checkups += f'<span class="visually-hidden"> ({last})</span>'
        if r.open_feedback:
            checkups += (f' <span class="badge badge-warn">{ngettext("%(num)s open", "%(num)s open", r.open_feedback)}'
                         f'</span><span class="visually-hidden"> '
                         f'{ngettext("feedback item still open", "feedback items still open", r.open_feedback)}</span>')

        review_wait = days_since(r.review_wait_since, now)
        deliverables = _("%(num)s in review", num=r.reviews_waiting)
        deliverables_title = ""
        if review_wait is not None:
            days = ngettext("%(num)s day", "%(num)s days", review_wait)
            deliverables_title = f' title="{days}"'
            deliverables += f'<span class="visually-hidden"> ({days})</span>'
        if r.deliverables_late:
            deliverables += (f' <span class="badge badge-bad">{alert}'
                             f'{ngettext("%(num)s late", "%(num)s late", r.deliverables_late)}</span>')

        if not r.agreement_exists:
            agreement = f'<span class="meta">{none_yet}</span> '
        elif r.accepted_by_all:
            agreement = accepted_by_all + " "
        else:
            agreement = (f'<span class="badge badge-warn">{clock}'
                         f'{_("%(a)s of %(m)s accepted", a=r.accepted, m=r.members)}</span> ')
        agreement_title = ""
        late_total = r.late_total
        if late_total:
            late_detail = _("students %(s)s, partner %(p)s", s=r.late["students"], p=r.late["partner"])
            if r.late["teacher"]:
                late_detail += ", " + _("teacher %(t)s", t=r.late["teacher"])
            agreement_title = f' title="{late_detail}"'
            agreement += (f'<span class="badge badge-bad">{alert}{ngettext("%(num)s late", "%(num)s late", late_total)}'
                          f'</span><span class="visually-hidden"> ({late_detail})</span>')

        pulse = ""
        for side, label in sides:
            latest = r.pulse.get(side)
            if not latest:
                continue
            series = r.pulse_series[side]
            # both sides' points are the same check-ups, and many rows' numbers the same: each moment's
            # day and each number written once a page
            values = [value for _when, value in series]
            points = [(point_days.get(when) or point_day(when), tenths.get(value) or tenth_of(value))
                      for when, value in series]
            change = ""
            if latest[1] is not None and latest[1] != 0:
                change = f'<span class="visually-hidden"> {up if latest[1] > 0 else down} {tenth(abs(latest[1]))}</span>'
            first, last_point = series[0][0], series[-1][0]
            span = span_days.get(first) or span_day(first)
            if len(series) > 1:
                span += "&ndash;" + (span_days.get(last_point) or span_day(last_point))
            pulse += (f'\n      <span class="spark" title="{label}: {" &middot; ".join([f"{d} {n}" for d, n in points])}">'
                      f'<span class="phone-only">{label} </span>{sparkline(values, _xs=page._xs, _ys=page._ys)}'
                      f'<strong>{tenth(latest[0])}</strong>{change}'
                      f'\n        <span class="phone-only meta" aria-hidden="true">{span}</span></span>'
                      f'\n        <span class="visually-hidden">{"; ".join([f"{d}: {n}" for d, n in points])}</span>\n      ')
        if not r.pulse:
            pulse = f'<span class="meta">{none_yet}</span>'

        if r.last_activity:
            moment = r.last_activity if r.last_activity.tzinfo else r.last_activity.replace(tzinfo=timezone.utc)
            activity = (f'<time datetime="{escape(moment.isoformat(timespec="minutes"))}" '
                        f'title="{page.formats.date_time(moment)}">'
                        f'{escape(page.formats.words(moment - page.now))}</time>')
        else:
            activity = f'<span class="meta">{nothing}</span>'

        if r.reasons:
            reasons = ""
            for reason in r.reasons:  # many rows give the same reasons: each escaped once
                item = reason_items.get(reason)
                if item is None:
                    item = reason_items[reason] = f"<li>{escape(reason)}</li>"
                reasons += item
            attention = (f'<details class="reasons-details"><summary><span class="badge badge-bad">{alert}'
                         f'{ngettext("%(num)s reason", "%(num)s reasons", len(r.reasons))}</span>'
                         f'<span class="visually-hidden"> {needs_attention}</span></summary>'
                         f'<ul class="reasons">{reasons}</ul></details>')
        else:
            attention = healthy

        row = (
            f'\n  <tr>\n    <th scope="row" class="dashboard-project"><span class="truncate" title="{title} &middot; {partner}">'
            f'<a href="{url}">{title}</a> <span class="meta">{partner}</span></span></th>'
            f'\n    <td data-label="{label_goals}"{goals_title}>{goals}</td>'
            f'\n    <td data-label="{label_checkups}" title="{last}">{checkups}</td>'
            f'\n    <td data-label="{label_deliverables}"{deliverables_title}>{deliverables}</td>'
            f'\n    <td data-label="{label_agreement}"{agreement_title}>{agreement}</td>'
            f'\n    <td data-label="{label_pulse}">{pulse}</td>'
            f'\n    <td data-label="{label_evaluation}">{evaluation_cell(page, r)}</td>'
            f'\n    <td data-label="{label_activity}">{activity}</td>'
            f'\n    <td data-label="{label_attention}">{attention}</td>'
            f'\n  </tr>\n  ')
        # catalogue text, numbers and escaped values only (see the module's docstring)
        views.append(Markup(row))  # nosec B704
    return views


def evaluation_cell(page: Page, r: ProjectSignals) -> str:
    """The "Partner's evaluation" cell: average score and would-work-again, or the evaluation's state."""
    _ = page._
    ev = r.evaluation
    if not ev:
        return f'\n<span class="meta">{_("not asked")}</span>'
    if ev.answered:
        again = ", ".join(str(escape(page._gettext(WORK_AGAIN_LABELS[w]))) if w in WORK_AGAIN_LABELS else ""
                          for w in ev.work_again)
        cell = (f'\n<a href="{page.project_url(r.id)}#evaluation-section">'
                f'{_("%(score)s of 5", score=escape(page.formats.tenth(ev.average)))}</a>'
                f'\n  <span class="meta">&middot; {_("again:")} {again}</span>')
        if ev.released:
            cell += f' <span class="meta">&middot; {_("released")}</span>'
        return cell
    if ev.closed:
        return f'\n<span class="meta">{_("closed unanswered")}</span>'
    return (f'\n<span class="meta" aria-hidden="true">{_("waiting")}</span>'
            f'<span class="visually-hidden">{_("waiting for the partner")}</span>')
