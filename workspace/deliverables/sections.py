"""What deliverables add to other pages: the board section, the partner's review queue on the
home page, and the navigation badge. Each makes a fixed number of queries, whatever the
number of deliverables and versions."""
from functools import cache

from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from sqlalchemy import and_, bindparam, literal, union_all
from sqlalchemy.orm import aliased

from ..database import PlainRead
from ..extensions import db
from ..fast_format import format_date, format_number
from ..fast_gettext import markup_gettext
from ..models import (
    Deliverable, DeliverableVersion, HandoverItem, Project, ProjectMember, StoredFile, VersionLink,
)
from ..models.deliverable import IN_REVIEW, is_late
from ..policy import project_roles
from ..sections import activity_link, board_section, home_section, waiting_counter
from ..ui import escaped_link, icon, id_link, template_url_for
from .forms import KIND_LABELS, STATE_LABELS, ReviewForm


_PROJECT = bindparam("project_id")


class _BoardRow:
    """What the board's list shows of a deliverable: its columns, its latest version's number and its
    handover checklist's progress."""

    __slots__ = ("id", "title", "kind", "state", "due_date", "latest", "ticked", "total")

    def __init__(self, id, title, kind, state, due_date, latest, ticked, total):  # noqa: A002 (the column's name)
        self.id, self.title, self.kind, self.state, self.due_date = id, title, kind, state, due_date
        self.latest, self.ticked, self.total = latest, ticked, total

    @property
    def late(self) -> bool:
        return is_late(self.due_date, self.state)


def _per_deliverable(column, of):
    """`column` (an aggregate) over the rows of `of` that belong to the deliverable of the outer row."""
    return db.select(column).where(of.deliverable_id == Deliverable.id).scalar_subquery()


# The board's statement, built once per process with the project as a bound parameter (building a
# SELECT and its cache key cost more than the database's answer): plain rows, the latest version and
# the handover progress looked up per deliverable through their indexes.
_BOARD_DELIVERABLES = PlainRead(
    db.select(Deliverable.id, Deliverable.title, Deliverable.kind, Deliverable.state, Deliverable.due_date,
              _per_deliverable(db.func.max(DeliverableVersion.number), DeliverableVersion),
              _per_deliverable(db.func.count(HandoverItem.ticked_at), HandoverItem),
              _per_deliverable(db.func.count(HandoverItem.id), HandoverItem))
    .where(Deliverable.project_id == _PROJECT).order_by(Deliverable.created_at, Deliverable.id))


def board_items(deliverables, project_id: int) -> Markup:
    """The board's list items, written in Python: what the section's loop wrote with the template's
    macros (`kind_label`, `state_label`, `due`), byte for byte (tests/test_deliverables.py renders the
    loop beside it). The board shows every deliverable; a row cost about 100 µs through the macros.

    Escaping: the titles are escaped, the labels and catalogue texts as the template's autoescape
    treats them (`escape`: a lazy label is our own catalogue's text), dates and numbers escaped."""
    _ = markup_gettext()
    before, after = escaped_link(id_link("deliverables.show", "deliverable_id", project_id=project_id))
    no_version, alert = _("no version yet"), None
    out = []
    for d in deliverables:
        version = _("version %(n)s", n=d.latest) if d.latest else no_version
        handover = (f'· {_("handover %(ticked)s of %(total)s ticked", ticked=d.ticked, total=d.total)}'
                    if d.state in ("approved", "handed_over") else "")
        icon_name, word = STATE_LABELS.get(d.state, ("circle", d.state))
        due = ""
        if d.due_date:
            when = format_date(d.due_date)
            if d.late:
                alert = alert or icon("alert")
                due = f'· <span class="signal signal-bad">{alert} {_("late: due %(date)s", date=when)}</span>'
            else:
                due = f'· {_("due %(date)s", date=when)}'
        out.append(
            f'\n    <li>\n      <a href="{before}{d.id}{after}">{escape(d.title)}</a>'
            f'\n      <span class="meta">· {escape(KIND_LABELS.get(d.kind, d.kind))}\n        · {version}\n        {handover}</span>'
            f'\n      · <span class="deliverable-state state-{escape(d.state)}">{icon(icon_name)} {escape(word)}</span>'
            f'\n      {due}\n    </li>\n    ')
    return Markup("".join(out))  # nosec B704: escaped values and catalogue text


@board_section("deliverables", "deliverables/_board.html")
def board(project, user) -> dict:
    """Each deliverable's state, its latest version and handover progress: 1 query."""
    rows = _BOARD_DELIVERABLES({"project_id": project.id})
    return {"project": project, "deliverables": [_BoardRow(*row) for row in rows]}


@activity_link("deliverable")
def _deliverable_link(project_id, subject_id):
    return template_url_for("deliverables.show", project_id=project_id, deliverable_id=subject_id)


def _partner_of():
    return ProjectMember.role == "partner"


class _Row:
    """A plain record with the attributes `review_item` reads of the models."""

    def __init__(self, **fields):
        self.__dict__.update(fields)


@cache
def _review_queue_statements():
    """The queue and its versions' files and links as SELECTs built once per process: the person
    and the versions are bound parameters (`user_id`, `version_ids`)."""
    newer = aliased(DeliverableVersion)
    newest_submitted = ~db.select(newer.id).where(
        newer.deliverable_id == DeliverableVersion.deliverable_id, newer.submitted_at.is_not(None),
        newer.number > DeliverableVersion.number,
    ).exists()
    queue = (
        db.select(Deliverable.id, Deliverable.project_id, Deliverable.title, Project.title.label("project_title"),
                  DeliverableVersion.id.label("version_id"), DeliverableVersion.number, DeliverableVersion.note)
        .join(ProjectMember, and_(ProjectMember.project_id == Deliverable.project_id,
                                  ProjectMember.user_id == bindparam("user_id"), _partner_of()))
        .join(Project, Project.id == Deliverable.project_id)
        .join(DeliverableVersion, DeliverableVersion.deliverable_id == Deliverable.id)
        .where(Deliverable.state == IN_REVIEW, DeliverableVersion.submitted_at.is_not(None), newest_submitted)
        .order_by(DeliverableVersion.submitted_at, Deliverable.id)
    )
    # One statement for both: (version, kind, id, name or url, content type or label, size).
    versions = bindparam("version_ids", expanding=True)
    files = db.select(StoredFile.version_id, literal("file").label("kind"), StoredFile.id,
                      StoredFile.original_name.label("text"), StoredFile.content_type.label("detail"),
                      StoredFile.size).where(StoredFile.version_id.in_(versions))
    links = db.select(VersionLink.version_id, literal("link"), VersionLink.id, VersionLink.url,
                      VersionLink.label, literal(0)).where(VersionLink.version_id.in_(versions))
    return PlainRead(queue), union_all(files, links).order_by("kind", "id")


def review_queue(user) -> list[tuple[_Row, _Row]]:
    """Deliverables in review in the partner's projects, each with the version to review, as plain
    records of what the home shows: two queries (the queue, then its versions' files and links),
    no ORM objects hydrated."""
    queue, parts = _review_queue_statements()
    rows = queue({"user_id": user.id})
    versions = {row.version_id: _Row(id=row.version_id, number=row.number, note=row.note, files=[], links=[])
                for row in rows}
    if versions:
        for part in db.session.execute(parts, {"version_ids": list(versions)}):
            if part.kind == "file":
                stored = _Row(id=part.id, original_name=part.text, content_type=part.detail, size=part.size)
                stored.previewable = StoredFile.previewable.fget(stored)  # the model's own rule
                versions[part.version_id].files.append(stored)
            else:
                versions[part.version_id].links.append(_Row(id=part.id, url=part.text, label=part.detail))
    return [(_Row(id=row.id, project_id=row.project_id, title=row.title, project=_Row(title=row.project_title)),
             versions[row.version_id]) for row in rows]


def _size(_, n: int) -> str | Markup:
    """The `size` macro of deliverables/_macros.html: MB with one decimal, whole KB (Jinja's `round`,
    Python's rounding), or bytes."""
    if n >= 1048576:
        return f"{escape(format_number(n / 1048576, '0.0'))} MB"
    if n >= 1024:
        return f"{int(round(n / 1024, 0))} KB"
    return _("%(n)s bytes", n=n)


def _version_contents(_, project_id: int, version) -> str:
    """The `version_contents` macro of deliverables/_macros.html (a version's files and links)."""
    out = "\n"
    if version.files:
        out += f'\n<ul class="plain file-list" aria-label="{_("Files of version %(n)s", n=version.number)}">\n  '
        t_preview, t_new_tab = _("Preview"), _("opens in a new tab")
        for f in version.files:
            name = escape(f.original_name)
            url = escape(template_url_for("deliverables.download", project_id=project_id, file_id=f.id))
            preview = ""
            if f.previewable:
                at = escape(template_url_for("deliverables.download", project_id=project_id, file_id=f.id, preview=1))
                preview = (f' · <a href="{at}" target="_blank" rel="noopener" hx-boost="false">{t_preview}'
                           f'<span class="visually-hidden"> {name}</span> <span class="meta">({t_new_tab})</span></a>')
            out += (f'\n  <li>\n    <a href="{url}" download hx-boost="false">{name}</a>'
                    f'\n    <span class="meta">({_size(_, f.size)})</span>\n    {preview}\n  </li>\n  ')
        out += "\n</ul>\n"
    out += "\n"
    if version.links:
        out += f'\n<ul class="plain link-list" aria-label="{_("Links of version %(n)s", n=version.number)}">\n  '
        t_new_tab = _("opens in a new tab")
        for link in version.links:
            url = escape(link.url)
            shown = escape(link.label or link.url)
            after = f' <span class="meta">{url}</span>' if link.label else ""
            out += (f'\n  <li><a href="{url}" rel="noopener noreferrer" target="_blank" hx-boost="false">{shown}'
                    f'<span class="visually-hidden"> ({t_new_tab})</span></a>{after}</li>\n  ')
        out += "\n</ul>\n"
    return out + "\n"


def review_item(deliverable, version, review_form) -> Markup:
    """One version to review, as `deliverables/_home_item.html` wrote it with its macros, byte for byte
    (tests/test_home_render.py renders that template beside it): the home's queue and the answer to a
    review refused in place (with the form's errors and what was typed) both come from here.

    Escaping: user text (titles, notes, file names, links, the typed comment, the form's errors) is
    escaped; the rest is catalogue text, numbers or addresses."""
    _ = markup_gettext()
    did, number, project_id = deliverable.id, version.number, deliverable.project_id
    show = escape(template_url_for("deliverables.show", project_id=project_id, deliverable_id=did))
    url = escape(template_url_for("deliverables.review", project_id=project_id, deliverable_id=did,
                                  version_id=version.id))
    title, v_n = escape(deliverable.title), _("version %(n)s", n=number)
    comment = review_form.comment
    field = f"comment-{did}"
    invalid, described, flag, error = "", f"{field}-hint", "", ""
    if comment.errors:
        invalid, described = " field-invalid", f"{field}-hint {field}-error"
        flag = ' aria-invalid="true" data-focus'
        error = (f'<p class="error" id="{field}-error"><span class="visually-hidden">{_("Error:")}</span> '
                 f'{Markup(" ").join(comment.errors)}</p>')  # as Jinja's `join`: Markup and lazy texts kept
    return Markup(  # nosec B704: escaped values and catalogue text
        f'\n\n<li class="card review-item" id="home-review-{did}">'
        f'\n  <h3><a href="{show}#version-{number}">{title}</a>'
        f'\n    <span class="meta">· {v_n} · {escape(deliverable.project.title)}</span></h3>'
        f'\n  <p class="prose">{escape(version.note)}</p>'
        f'\n  {_version_contents(_, project_id, version)}'
        f'\n  \n  <form method="post" action="{url}" hx-post="{url}" hx-target="#home-review-{did}" hx-swap="outerHTML" novalidate>'
        f'\n    <input id="csrf_token" name="csrf_token" type="hidden" value="{escape(generate_csrf())}">'
        f'\n    <input type="hidden" name="next" value="home">'
        f'\n    \n    <div class="field{invalid}">'
        f'\n      <label for="{field}">{_("Comment")}</label>'
        f'\n      <p class="hint" id="{field}-hint">{escape(comment.description)}</p>'
        f'\n      <textarea id="{field}" name="comment" aria-describedby="{described}"{flag}>{escape(comment.data or "")}</textarea>'
        f'\n      {error}\n    </div>'
        f'\n    <button type="submit" name="decision" value="approved" class="button">{_("Approve")}'
        f'<span class="visually-hidden"> {title}, {v_n}</span></button>'
        f'\n    <button type="submit" name="decision" value="changes_requested" class="button button-secondary">'
        f'{_("Request changes")}<span class="visually-hidden"> {title}</span></button>\n  </form>\n</li>')


@home_section("deliverables", "deliverables/_home.html")
def home(user) -> dict | None:
    """A partner reviews submitted versions in place; nothing for people who are nobody's partner."""
    if "partner" not in project_roles(user).values():  # the policy's standing, read once per request
        return None
    return {"queue": review_queue(user), "review_form": ReviewForm(formdata=None)}


def _count_in_review(user):
    return (
        db.select(db.func.count(Deliverable.id))
        .join(ProjectMember, and_(ProjectMember.project_id == Deliverable.project_id,
                                  ProjectMember.user_id == user.id, _partner_of()))
        .where(Deliverable.state == IN_REVIEW)
    )


@waiting_counter("deliverables", statement=_count_in_review)
def waiting(user) -> int:
    """Versions waiting for this partner's review: one query."""
    return db.session.scalar(_count_in_review(user)) or 0
