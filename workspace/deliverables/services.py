"""The rules of deliverables: who creates, submits and reviews versions, and when a
deliverable is handed over. Views call these; each flushes and records activity, never commits.

- Only students create deliverables and versions, and submit them.
- Only partners review, only the latest submitted version, once; an approval holds for that
  version only, so a newer version needs its own review.
- The partner ticks the handover checklist after approval; the last tick hands it over.

Every activity entry is about the deliverable itself (the summary names the version or item),
so the timeline links each one to the deliverable's page.
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.attributes import set_committed_value

from ..activity import record
from ..extensions import db
from ..models import Deliverable, DeliverableVersion, HandoverItem, Project, Review, StoredFile, VersionLink
from ..models.base import utcnow
from ..models.deliverable import APPROVED, CHANGES_REQUESTED, DECISIONS, DRAFT, HANDED_OVER, IN_REVIEW
from ..policy import project_role
from ..rules import Refused, check_version
from .files import CheckedFile, check_project_room

DEFAULT_HANDOVER = (
    _l("Source files handed over"),
    _l("Partner shown how to use and change it"),
    _l("Partner can carry on without the team"),
    _l("Where it is published is written down"),
)
FIELDS = ("title", "kind", "audience", "language", "channel", "description")


def _require(actor, project, role: str, message: str) -> None:
    if project_role(actor, project) != role:
        raise Refused(message, 403)


def _not_handed_over(deliverable: Deliverable) -> None:
    if deliverable.state == HANDED_OVER:
        raise Refused(_("This deliverable is handed over; it no longer changes."))


def _set_state(deliverable: Deliverable, state: str) -> None:
    now = utcnow()
    if deliverable.state != state:
        deliverable.state = state
        deliverable.state_changed_at = now
    deliverable.updated_at = now


def create_deliverable(actor, project: Project, goals=(), **fields) -> Deliverable:
    """A student starts a deliverable; it comes with the default handover checklist."""
    _require(actor, project, "student", _("Only the student team creates deliverables."))
    deliverable = Deliverable(project=project, created_by_id=actor.id, state=DRAFT, goals=list(goals),
                              due_date=fields.get("due_date"), **{key: fields.get(key) or "" for key in FIELDS})
    db.session.add(deliverable)
    for position, label in enumerate(DEFAULT_HANDOVER):
        deliverable.handover_items.append(HandoverItem(label=str(label), position=position, added_by_id=actor.id))
    db.session.flush()
    record(actor, "created", deliverable, _("%(name)s started the deliverable %(title)s",
                                            name=actor.name, title=deliverable.title), project=project)
    return deliverable


def update_deliverable(actor, deliverable: Deliverable, submitted_version, goals=(), **fields) -> None:
    """Change what a deliverable is, for whom and how it reaches them; stale forms are refused."""
    _require(actor, deliverable.project, "student", _("Only the student team edits deliverables."))
    check_version(deliverable, submitted_version)
    before = {key: getattr(deliverable, key) for key in FIELDS}
    before["goal_ids"] = sorted(goal.id for goal in deliverable.goals)
    before["due_date"] = deliverable.due_date.isoformat() if deliverable.due_date else None
    for key in FIELDS:
        setattr(deliverable, key, fields.get(key) or "")
    deliverable.due_date = fields.get("due_date")
    deliverable.goals = list(goals)
    deliverable.updated_at = utcnow()
    record(actor, "edited", deliverable, _("%(name)s edited the deliverable %(title)s",
                                           name=actor.name, title=deliverable.title),
           project=deliverable.project, before=before)
    db.session.flush()


def stored_bytes(project: Project) -> int:
    """What the project's files take now, read with the project row locked (PostgreSQL) so two
    uploads cannot both squeeze under the limit. FOR NO KEY UPDATE: it still queues two uploads,
    but not the rows that merely refer to the project (activity, reviews), which would deadlock
    with an upload that waits for the deliverable they changed."""
    db.session.execute(db.select(Project.id).where(Project.id == project.id).with_for_update(key_share=True))
    return db.session.scalar(
        db.select(db.func.coalesce(db.func.sum(StoredFile.size), 0)).where(StoredFile.project_id == project.id)
    )


def add_version(actor, deliverable: Deliverable, note: str, files: list[CheckedFile],
                links: list[tuple[str, str]]) -> DeliverableVersion:
    """A student adds the next version with its files and links. It waits as a draft until submitted."""
    _require(actor, deliverable.project, "student", _("Only the student team adds versions."))
    _not_handed_over(deliverable)
    if not files and not links:
        raise Refused(_("A version holds at least one file or link."), 422)
    check_project_room(stored_bytes(deliverable.project), sum(f.size for f in files))
    # Touch the deliverable first: a concurrent change then fails on the version check, not
    # on the version number.
    deliverable.updated_at = utcnow()
    db.session.flush()
    number = (db.session.scalar(db.select(db.func.max(DeliverableVersion.number))
                                .where(DeliverableVersion.deliverable_id == deliverable.id)) or 0) + 1
    version = DeliverableVersion(deliverable=deliverable, number=number, note=note, created_by_id=actor.id)
    db.session.add(version)
    for checked in files:
        version.files.append(StoredFile(
            project_id=deliverable.project_id, original_name=checked.original_name,
            content_type=checked.content_type, size=checked.size, sha256=checked.sha256, data=checked.data,
            uploaded_by_id=actor.id,
        ))
    for url, label in links:
        version.links.append(VersionLink(url=url, label=label))
    db.session.flush()
    record(actor, "added_version", deliverable, _(
        "%(name)s added version %(number)s of %(title)s (%(files)s files, %(links)s links)",
        name=actor.name, number=number, title=deliverable.title, files=len(files), links=len(links),
    ), project=deliverable.project)
    return version


def latest_version(deliverable: Deliverable) -> DeliverableVersion | None:
    return db.session.scalar(db.select(DeliverableVersion).where(DeliverableVersion.deliverable_id == deliverable.id)
                             .order_by(DeliverableVersion.number.desc()).limit(1))


def latest_submitted(deliverable: Deliverable) -> DeliverableVersion | None:
    return db.session.scalar(db.select(DeliverableVersion).where(
        DeliverableVersion.deliverable_id == deliverable.id, DeliverableVersion.submitted_at.is_not(None),
    ).order_by(DeliverableVersion.number.desc()).limit(1))


def submit_version(actor, version: DeliverableVersion) -> None:
    """A student sends the latest version to the partner for review."""
    deliverable = version.deliverable
    _require(actor, deliverable.project, "student", _("Only the student team submits versions."))
    _not_handed_over(deliverable)
    if version.submitted_at is not None:
        raise Refused(_("Version %(number)s is already submitted.", number=version.number))
    if latest_version(deliverable).id != version.id:
        raise Refused(_("Version %(number)s is not the latest version; submit the latest one.",
                        number=version.number))
    # Claimed with a conditional UPDATE: the version row was read when the request began, and a
    # submission of the same version may have committed since (PostgreSQL reads each statement
    # afresh; the deliverable, read later, would not tell). Only one submission finds it unsubmitted.
    now = utcnow()
    table = DeliverableVersion.__table__
    claimed = db.session.execute(
        table.update().where(table.c.id == version.id, table.c.submitted_at.is_(None))
        .values(submitted_at=now, submitted_by_id=actor.id)).rowcount
    if claimed != 1:
        raise Refused(_("Version %(number)s is already submitted.", number=version.number))
    set_committed_value(version, "submitted_at", now)
    set_committed_value(version, "submitted_by_id", actor.id)
    before = {"state": deliverable.state}
    _set_state(deliverable, IN_REVIEW)
    record(actor, "submitted", deliverable, _("%(name)s submitted version %(number)s of %(title)s for review",
                                          name=actor.name, number=version.number, title=deliverable.title),
           project=deliverable.project, before=before)
    db.session.flush()


def review_version(actor, version: DeliverableVersion, decision: str, comment: str) -> Review:
    """The partner approves the latest submitted version or requests changes with a comment."""
    deliverable = version.deliverable
    _require(actor, deliverable.project, "partner", _("Only the partner reviews deliverables."))
    _not_handed_over(deliverable)
    if decision not in DECISIONS:
        raise Refused(_("Choose to approve or to request changes."), 422)
    if decision == CHANGES_REQUESTED and not (comment or "").strip():
        raise Refused(_("Say which changes you need, so the team knows what to do."), 422)
    if version.submitted_at is None:
        raise Refused(_("Version %(number)s has not been submitted for review yet.", number=version.number))
    newest = latest_submitted(deliverable)
    if newest.id != version.id:
        raise Refused(_("Version %(newer)s was submitted after version %(number)s; review version %(newer)s instead.",
                        newer=newest.number, number=version.number))
    if version.reviews:
        raise Refused(_("Version %(number)s has been reviewed already.", number=version.number))
    review = Review(version=version, reviewer_id=actor.id, decision=decision, comment=(comment or "").strip())
    db.session.add(review)
    before = {"state": deliverable.state}
    _set_state(deliverable, decision)
    if decision == APPROVED:
        summary = _("%(name)s approved version %(number)s of %(title)s",
                    name=actor.name, number=version.number, title=deliverable.title)
    else:
        summary = _("%(name)s requested changes to version %(number)s of %(title)s",
                    name=actor.name, number=version.number, title=deliverable.title)
    record(actor, "reviewed", deliverable, summary, project=deliverable.project, before=before)
    db.session.flush()
    return review


def add_handover_item(actor, deliverable: Deliverable, label: str) -> HandoverItem:
    """Team or partner adds a point to the handover checklist they agree on."""
    if project_role(actor, deliverable.project) not in ("student", "partner"):
        raise Refused(_("Only the team and the partner change the handover checklist."), 403)
    _not_handed_over(deliverable)
    position = (db.session.scalar(db.select(db.func.max(HandoverItem.position))
                                  .where(HandoverItem.deliverable_id == deliverable.id)) or 0) + 1
    item = HandoverItem(deliverable=deliverable, label=label, position=position, added_by_id=actor.id)
    db.session.add(item)
    deliverable.updated_at = utcnow()
    db.session.flush()
    record(actor, "added_handover_item", deliverable,
           _("%(name)s added “%(label)s” to the handover checklist of %(title)s",
             name=actor.name, label=label, title=deliverable.title),
           project=deliverable.project)
    return item


def tick_handover_item(actor, item: HandoverItem) -> bool:
    """The partner ticks one point; ticking the last one hands the deliverable over. True when it did."""
    deliverable = item.deliverable
    _require(actor, deliverable.project, "partner", _("Only the partner ticks the handover checklist."))
    _not_handed_over(deliverable)
    if deliverable.state != APPROVED:
        raise Refused(_("The handover checklist is ticked once the partner has approved a version."))
    if item.ticked_at is not None:
        raise Refused(_("“%(label)s” is ticked already.", label=item.label))
    item.ticked_at = utcnow()
    item.ticked_by_id = actor.id
    record(actor, "ticked_handover_item", deliverable,
           _("%(name)s ticked “%(label)s” for %(title)s", name=actor.name, label=item.label, title=deliverable.title),
           project=deliverable.project)
    open_items = [other for other in deliverable.handover_items if other.ticked_at is None]
    if open_items:
        deliverable.updated_at = utcnow()
        db.session.flush()
        return False
    _set_state(deliverable, HANDED_OVER)
    deliverable.handed_over_at = utcnow()
    record(actor, "handed_over", deliverable, _("%(title)s is handed over to the partner", title=deliverable.title),
           project=deliverable.project, before={"state": APPROVED})
    db.session.flush()
    return True
