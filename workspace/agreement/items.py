"""The agreement page's promises (responsibilities), written in Python: the markup the page's loop
wrote with the template's tags, byte for byte (tests/test_agreement_items.py holds the template's
own loop beside it, for every kind of promise, reader and language).

An agreement holds some twenty promises, each with its status, side, dates, its "mark as kept"
form and its edit and remove actions: through the template that was about 45 µs a promise, 40 %
of the page. Here the fixed words, the token and the addresses (as patterns of the promise's id)
are looked up once per page and each promise is plain string code.

Escaping: every piece is catalogue text (as the template's `_()` gives it: Markup, its variables
escaped), an escaped value (`escape`), a number, or the page's own Markup (the status badges).
"""
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from ..fast_gettext import markup_gettext
from ..ui import escaped_link, icon


def promise_items(promises, *, status, side_names, last_kept, marks_side, member, links, formats,
                  focus=None) -> Markup:
    """Each promise's `<article>`, as the page's loop over `responsibilities` wrote them.

    `status`: the status badge per promise state; `marks_side`: the sides whose promises this reader
    may mark as kept; `member`: may edit and remove; `links`: the page's address patterns (`id_link`)."""
    _ = markup_gettext()
    t_edit, t_remove, t_someone = _("Edit"), _("Remove"), _("someone")
    t_mark, t_note = _("Mark as kept"), _("Note (optional)")
    t_no_due, t_remove_resp = _("no due date"), _("Remove this responsibility?")
    csrf = escape(generate_csrf())
    mark, edit = escaped_link(links["mark_done"]), escaped_link(links["edit_responsibility"])
    remove = escaped_link(links["remove_responsibility"])
    html = []
    for r in promises:
        rid, what = r.id, escape(r.what)
        focused = " data-focus" if focus == f"responsibility-{rid}" else ""
        person = f" · {escape(r.person)}" if r.person is not None else ""
        if r.is_recurring:
            due = f" · {_('next due %(date)s', date=formats.date(r.due_date))}" if r.due_date else ""
            when = f"{escape(r.when)}{due}\n      "
        elif r.due_date:
            when = _("due %(date)s", date=formats.date(r.due_date))
        else:
            when = t_no_due
        kept = ""
        if r.done_at:
            note = f": {escape(r.note)}" if r.note else ""
            by = r.done_by if r.done_by is not None else t_someone
            kept = f'<p class="meta">{_("Kept by %(name)s on %(when)s", name=by, when=formats.date_time(r.done_at))}{note}</p>'
        last_line = ""
        last = last_kept.get(r.series_id) if r.is_recurring else None
        if last:
            note = f": {escape(last.note)}" if last.note else ""
            by = last.done_by if last.done_by is not None else t_someone
            last_line = (f'<p class="meta">{_("Last kept on %(when)s by %(name)s", when=formats.date_time(last.done_at), name=by)}'
                         f"{note}</p>")
        done_form = ""
        if not r.done_at and r.side in marks_side:
            url = f"{mark[0]}{rid}{mark[1]}"
            done_form = (
                f'\n    <details class="done-form">\n      <summary>{t_mark}<span class="visually-hidden"> {what}</span></summary>'
                f'\n      <form method="post" action="{url}" hx-post="{url}" hx-target="#agreement" hx-swap="outerHTML">'
                f'\n        <input type="hidden" name="csrf_token" value="{csrf}">'
                f'\n        <input type="hidden" name="version" value="{r.version}">'
                f'\n        <div class="field"><label for="note-{rid}">{t_note}</label><textarea id="note-{rid}" name="note" rows="2"></textarea></div>'
                f'\n        <button type="submit" class="button">{t_mark}</button>\n      </form>\n    </details>\n    ')
        actions = ""
        if member and not r.done_at:
            url, gone = f"{edit[0]}{rid}{edit[1]}", f"{remove[0]}{rid}{remove[1]}"
            actions = (
                f'<div class="item-actions">\n<a href="{url}" hx-get="{url}" hx-target="#responsibility-{rid}" hx-swap="outerHTML">'
                f'{t_edit}<span class="visually-hidden"> {what}</span></a>\n\n      · \n'
                f'<form method="post" action="{gone}" class="inline-form" hx-post="{gone}" hx-target="#agreement" hx-swap="outerHTML">'
                f'\n  <input type="hidden" name="csrf_token" value="{csrf}">'
                f'\n  <input type="hidden" name="version" value="{r.version}">\n  '
                f'\n  <button type="submit" class="link-button" hx-confirm="{t_remove_resp}">{t_remove}'
                f'<span class="visually-hidden"> {what}</span></button>\n</form>\n</div>')
        html.append(
            f'\n  <article id="responsibility-{rid}" class="item"{focused}>\n    <h3>{what}</h3>'
            f'\n    <p>{status[r.state]} · {escape(side_names[r.side])}{person} ·\n      {when}</p>'
            f'\n    {kept}\n    {last_line}\n    {done_form}\n    {actions}\n  </article>\n  ')
    return Markup("".join(html))  # nosec B704: escaped values, catalogue text and the page's Markup


def reciprocity_table(counts: dict, caption) -> Markup:
    """The promises kept per side (the board's agreement section, the agreement page), as the
    `reciprocity_table` macro wrote it, byte for byte (tests/test_agreement_items.py calls that macro
    beside it). `counts`: side -> {"on_time", "kept_late", "open", "late"}; the teacher's row only when
    the teacher's side holds promises.

    Escaping: the caption is escaped as the template's autoescape does (Markup, such as `_()` gives,
    kept); the rest is catalogue text and numbers."""
    _ = markup_gettext()
    names = {"students": _("Students"), "partner": _("Partner"), "teacher": _("Teacher")}
    rows = []
    for side in ("students", "partner", "teacher"):
        c = counts[side]
        shown = ""
        if side != "teacher" or sum(c.values()):
            late = f'<strong>{icon("alert")} {c["late"]}</strong>' if c["late"] else "0"
            shown = (f'\n    <tr><th scope="row">{names[side]}</th><td>{c["on_time"]}</td><td>{c["kept_late"]}</td>'
                     f'<td>{c["open"]}</td><td>{late}</td></tr>\n    ')
        rows.append(f"\n    {shown}\n  ")
    return Markup(  # nosec B704: the escaped caption, catalogue text and numbers
        f'\n<div class="table-wrap" tabindex="0">\n<table class="reciprocity">\n  <caption>{escape(caption)}</caption>'
        f'\n  <thead><tr><th scope="col">{_("Side")}</th><th scope="col">{_("Kept on time")}</th>'
        f'<th scope="col">{_("Kept late")}</th><th scope="col">{_("Open")}</th><th scope="col">{_("Late")}</th></tr></thead>'
        f'\n  <tbody>\n  {"".join(rows)}\n  </tbody>\n</table>\n</div>\n')
