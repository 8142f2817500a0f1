"""What the agreement page shows, read as plain rows: one statement per section, no ORM objects.

The page (and its printable view, and the section an in-place action answers with) shows a few
columns of each role, promise, consent item, member and acceptance. Reading them with Core
`select()`s of those columns costs a fraction of loading and hydrating the ORM objects with
their relationships; what the template would work out per item (a promise's state, its side's
name, the consent item's label, the links of its actions) is worked out here once.
"""
from collections import namedtuple
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from ..database import PlainRead
from ..fast_format import PageFormats
from ..models import ProjectMember, User
from ..models.agreement import (
    SIDES, Agreement, AgreementAcceptance, AgreementRole, AgreementVersion, ConsentItem, Responsibility, role_holder,
)
from ..policy import can
from ..ui import id_link
from . import services
from .items import promise_items

# The rule `responsibility.mark_done` reads the promise's project and side only: asked once per side.
_Promise = namedtuple("_Promise", "project side")

Head = namedtuple("Head", "id number cadence_days checkup_channel")
Member = namedtuple("Member", "user_id role name accepted_at")
Role = namedtuple("Role", "id name description version holders")
Consent = namedtuple("Consent", "id kind label details state withdrawn version decided_by decided_at")
Version = namedtuple("Version", "id number snapshot created_at")


class Promise:
    """One responsibility as the page shows it."""

    __slots__ = ("id", "series_id", "what", "side", "person", "due_date", "recurrence", "every_n", "every_unit",
                 "done_at", "done_by", "note", "version", "is_recurring", "state", "when")

    def __init__(self, row, today):
        (self.id, self.series_id, self.what, self.side, self.person, self.due_date, self.recurrence, self.every_n,
         self.every_unit, self.done_at, self.done_by, self.note, self.version) = row
        self.is_recurring = self.recurrence is not None
        if self.done_at is not None:
            on_time = self.due_date is None or self.done_at.date() <= self.due_date
            self.state = "on_time" if on_time else "kept_late"
        elif self.due_date is not None and self.due_date < today:
            self.state = "late"
        else:
            self.state = "open"


# The page's statements, built once per process (building a select costs more than running it here),
# read as plain rows.
_decided_by, _person, _done_by = aliased(User), aliased(User), aliased(User)
_HEAD = PlainRead(
    select(Agreement.id, Agreement.number, Agreement.cadence_days, Agreement.checkup_channel,
           AgreementVersion.id, AgreementVersion.number, AgreementVersion.snapshot, AgreementVersion.created_at)
    .outerjoin(AgreementVersion, (AgreementVersion.agreement_id == Agreement.id)
               & AgreementVersion.number.in_([Agreement.number, Agreement.number - 1]))
    .where(Agreement.project_id == bindparam("project_id")))
_MEMBERS = PlainRead(
    select(ProjectMember.user_id, ProjectMember.role, User.name).join(User, User.id == ProjectMember.user_id)
    .where(ProjectMember.project_id == bindparam("project_id"))
    .order_by(ProjectMember.role.desc(), ProjectMember.joined_at, ProjectMember.id))
_ACCEPTED = PlainRead(select(AgreementAcceptance.user_id, AgreementAcceptance.accepted_at)
             .where(AgreementAcceptance.agreement_version_id == bindparam("version_id")))
_ROLES = PlainRead(
    select(AgreementRole.id, AgreementRole.name, AgreementRole.description, AgreementRole.version, User.name)
    .outerjoin(role_holder, role_holder.c.role_id == AgreementRole.id)
    .outerjoin(User, User.id == role_holder.c.user_id)
    .where(AgreementRole.agreement_id == bindparam("agreement_id")).order_by(AgreementRole.id, User.name, User.id))
_CONSENT = PlainRead(
    select(ConsentItem.id, ConsentItem.kind, ConsentItem.details, ConsentItem.state, ConsentItem.withdrawn,
           ConsentItem.version, _decided_by.name, ConsentItem.decided_at)
    .outerjoin(_decided_by, _decided_by.id == ConsentItem.decided_by_id)
    .where(ConsentItem.agreement_id == bindparam("agreement_id")).order_by(ConsentItem.id))
_PROMISES = PlainRead(
    select(Responsibility.id, Responsibility.series_id, Responsibility.what, Responsibility.side, _person.name,
           Responsibility.due_date, Responsibility.recurrence, Responsibility.every_n, Responsibility.every_unit,
           Responsibility.done_at, _done_by.name, Responsibility.note, Responsibility.version)
    .outerjoin(_person, _person.id == Responsibility.person_id)
    .outerjoin(_done_by, _done_by.id == Responsibility.done_by_id)
    .where(Responsibility.agreement_id == bindparam("agreement_id"), Responsibility.removed_at.is_(None))
    .order_by(Responsibility.due_date.is_(None), Responsibility.due_date, Responsibility.id))


def agreement_page(project, viewer) -> dict:
    """Everything the agreement page shows, in six statements whatever the number of items."""
    head = _HEAD({"project_id": project.id})
    member_rows = _MEMBERS({"project_id": project.id})
    # who may do what, asked of the policy once per page (per side for marking a promise kept)
    may = {"may_edit": can(viewer, "agreement.edit", project), "may_accept": can(viewer, "agreement.accept", project),
           "may_consent": can(viewer, "agreement.consent", project)}
    if not head:
        members = [Member(user_id, role, name, None) for user_id, role, name in member_rows]
        return {"project": project, "agreement": None, "members": members, **may}
    agreement_id, number, cadence_days, channel = head[0][:4]
    versions = {row[5]: Version(row[4], row[5], row[6], row[7]) for row in head if row[4] is not None}
    version, previous = versions[number], versions.get(number - 1)
    agreement = Head(agreement_id, number, cadence_days, channel)

    accepted = dict(_ACCEPTED({"version_id": version.id}))
    members = [Member(user_id, role, name, accepted.get(user_id)) for user_id, role, name in member_rows]

    roles, by_id = [], {}
    for role_id, name, description, role_version, holder in _ROLES({"agreement_id": agreement_id}):
        if role_id not in by_id:
            by_id[role_id] = Role(role_id, name, description, role_version, [])
            roles.append(by_id[role_id])
        if holder is not None:
            by_id[role_id].holders.append(holder)

    labels = services.consent_labels()
    consent = [Consent(item_id, kind, labels.get(kind, kind), *rest)
               for item_id, kind, *rest in _CONSENT({"agreement_id": agreement_id})]

    today = services.today()
    rows = [Promise(row, today) for row in _PROMISES({"agreement_id": agreement_id})]
    last_kept = {}
    for r in rows:
        if r.is_recurring and r.done_at is not None:
            last_kept[r.series_id] = r
    shown = [r for r in rows if not (r.is_recurring and r.done_at is not None)]
    formats = PageFormats()
    for r in shown:
        r.when = (services.recurrence_text(r.recurrence, r.every_n, r.every_unit) if r.is_recurring else None)

    pid = project.id
    return {
        "project": project, "agreement": agreement, "members": members, "version": version,
        "changes": services.diff(previous.snapshot, version.snapshot) if previous else [],
        "accepted_count": len(accepted), "i_accepted": viewer.id in accepted,
        "everyone_accepted": bool(members) and all(m.accepted_at is not None for m in members),
        "roles": roles, "consent_items": consent, "responsibilities": shown, "last_kept": last_kept,
        "promise_items": promise_items,
        "counts": services.reciprocity([(r.side, r.due_date, r.done_at) for r in rows], today),
        "formats": formats,
        # the printable view shows the version's snapshot (agreement/_snapshot.html)
        "consent_label": services.consent_label, "recurrence_text": services.recurrence_text,
        "as_date": date.fromisoformat,
        **may,
        "marks_side": {side for side in SIDES if can(viewer, "responsibility.mark_done", _Promise(project, side))},
        "side_names": {"students": _("Students"), "partner": _("Partner"), "teacher": _("Teacher")},
        "links": {
            "edit_role": id_link("agreement.edit_role", "role_id", project_id=pid),
            "remove_role": id_link("agreement.remove_role", "role_id", project_id=pid),
            "mark_done": id_link("agreement.mark_done", "responsibility_id", project_id=pid),
            "edit_responsibility": id_link("agreement.edit_responsibility", "responsibility_id", project_id=pid),
            "remove_responsibility": id_link("agreement.remove_responsibility", "responsibility_id", project_id=pid),
            "edit_consent": id_link("agreement.edit_consent", "consent_id", project_id=pid),
            "decide_consent": id_link("agreement.decide_consent", "consent_id", project_id=pid),
        },
    }
