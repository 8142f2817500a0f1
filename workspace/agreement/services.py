"""The agreement's rules: versions, acceptance, responsibilities kept on time, consent.

Every change to roles, responsibilities, cadence or consent ends in `_changed()`: while nobody
has accepted the current version it is rewritten in place; once someone has, the change makes
a new version that everyone accepts again. A version with an acceptance is never rewritten, so
a version accepted by everyone is immutable. Every function flushes and records activity; the
view commits.
"""
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import format_date, ngettext
from flask_babel import to_user_timezone
from sqlalchemy import bindparam
from sqlalchemy.orm import selectinload

from ..activity import record
from ..database import PlainRead
from ..extensions import db
from ..models import ProjectMember, User
from ..models.agreement import (
    BEFORE_CHECKUP, CONSENT_KINDS, EVERY, Agreement, AgreementAcceptance, AgreementRole, AgreementVersion,
    ConsentItem, Responsibility,
)
from ..models.base import utcnow
from ..rules import Refused, check_version

# Which project role holds which side's promises.
SIDE_OF_ROLE = {"student": "students", "partner": "partner", "teacher": "teacher"}


def _agreement_of(project) -> Agreement | None:
    return db.session.scalar(db.select(Agreement).where(Agreement.project_id == project.id))


_CADENCE = PlainRead(db.select(Agreement.cadence_days).where(Agreement.project_id == bindparam("project_id")))


def cadence_days(project) -> int | None:
    """Days between check-ups the agreement sets, or None when it sets none (one query)."""
    return _CADENCE.scalar({"project_id": project.id})


def checkup_channel(project) -> str:
    """How team and partner meet ("video call", "at the partner's office"…), or "" when not agreed."""
    return db.session.scalar(db.select(Agreement.checkup_channel).where(Agreement.project_id == project.id)) or ""


def today() -> date:
    """Today in the user's (or course's) time zone: what "late" is measured against."""
    return to_user_timezone(utcnow()).date()


# ---- who stands where ---------------------------------------------------------------------------

def _field_refused(message: str, field: str) -> Refused:
    """A refusal about one form field, so the form can show it next to that field."""
    error = Refused(message, 422)
    error.field = field
    return error


def _member_role(user, project) -> str | None:
    return db.session.scalar(
        db.select(ProjectMember.role).where(ProjectMember.project_id == project.id, ProjectMember.user_id == user.id)
    )


def _require_member(user, project) -> str:
    role = _member_role(user, project)
    if role is None:
        raise Refused(_("Only the project's students and partners change or accept the agreement."), 403)
    return role


def members_of(project) -> list[ProjectMember]:
    """Everyone who accepts the agreement: the project's students and partners."""
    return db.session.scalars(
        db.select(ProjectMember).where(ProjectMember.project_id == project.id)
        .options(selectinload(ProjectMember.user)).order_by(ProjectMember.role.desc(), ProjectMember.joined_at)
    ).all()


# ---- snapshots and versions ---------------------------------------------------------------------

def _open_responsibilities(agreement) -> list[Responsibility]:
    """What the agreement promises now: one-offs (done or not) and each series' open occurrence."""
    rows = db.session.scalars(
        db.select(Responsibility).where(Responsibility.agreement_id == agreement.id, Responsibility.removed_at.is_(None))
        .options(selectinload(Responsibility.person), selectinload(Responsibility.done_by))
        .order_by(Responsibility.due_date.is_(None), Responsibility.due_date, Responsibility.id)
    ).all()
    return [r for r in rows if not (r.is_recurring and r.done_at is not None)]


def recurrence_text(kind, n=None, unit=None) -> str:
    if kind == BEFORE_CHECKUP:
        return _("before every check-up")
    if kind == EVERY and unit == "weeks":
        return ngettext("every week", "every %(num)s weeks", n)
    if kind == EVERY:
        return ngettext("every day", "every %(num)s days", n)
    return ""


def snapshot(agreement, responsibilities=None) -> dict:
    """The agreement's content as plain data, stored with each version and compared between them."""
    if responsibilities is None:
        responsibilities = _open_responsibilities(agreement)
    return {
        "cadence_days": agreement.cadence_days,
        "checkup_channel": agreement.checkup_channel or "",
        "roles": [{"key": role.id, "name": role.name, "description": role.description,
                   "holders": [u.name for u in role.holders]} for role in agreement.roles],
        "responsibilities": [{
            "key": r.series_id or r.id, "what": r.what, "side": r.side,
            "person": r.person.name if r.person else None,
            "due": None if r.is_recurring or r.due_date is None else r.due_date.isoformat(),
            "recurrence": {"kind": r.recurrence, "n": r.every_n, "unit": r.every_unit} if r.is_recurring else None,
        } for r in responsibilities],
        "consent": [{"key": c.kind, "details": c.details, "state": c.state, "withdrawn": c.withdrawn}
                    for c in agreement.consent_items],
    }


def current_version(agreement, lock: bool = False) -> AgreementVersion:
    """The current version with its acceptances. `lock` serialises accepting and changing on
    PostgreSQL (SQLite writers queue anyway): an acceptance made while someone changes the
    agreement is either seen by the change (which then makes a new version) or refused as out of date."""
    query = (
        db.select(AgreementVersion).where(AgreementVersion.agreement_id == agreement.id,
                                          AgreementVersion.number == agreement.number)
        .options(selectinload(AgreementVersion.acceptances).selectinload(AgreementAcceptance.user))
    )
    if lock:
        query = query.with_for_update(of=AgreementVersion).execution_options(populate_existing=True)
    return db.session.scalar(query)


def _changed(actor, agreement) -> AgreementVersion:
    """Store the agreement's new content: a new version once the current one has an acceptance."""
    db.session.flush()
    db.session.expire(agreement, ["roles", "consent_items"])
    version = current_version(agreement, lock=True)
    content = snapshot(agreement)
    if version.snapshot == content:
        return version
    # Touching the agreement bumps its version column: two changes made at once cannot both
    # decide "this is version N+1", the second one's flush fails and it gets a 409.
    agreement.updated_at = utcnow()
    if version.acceptances:
        agreement.number += 1
        version = AgreementVersion(agreement_id=agreement.id, number=agreement.number, snapshot=content,
                                   created_by_id=actor.id)
        db.session.add(version)
        record(actor, "new_version", agreement,
               _("%(name)s changed the agreement: version %(number)s now needs everyone's acceptance again",
                 name=actor.name, number=agreement.number), project=agreement.project)
    else:
        version.snapshot = content
        version.created_at = utcnow()
    db.session.flush()
    return version


def start_agreement(actor, project) -> Agreement:
    """Open the project's agreement with the three consent items undecided, as version 1."""
    _require_member(actor, project)
    if _agreement_of(project) is not None:
        raise Refused(_("This project already has an agreement."), 409)
    agreement = Agreement(project_id=project.id, checkup_channel="")
    agreement.consent_items = [ConsentItem(kind=kind) for kind in CONSENT_KINDS]
    db.session.add(agreement)
    db.session.flush()
    db.session.add(AgreementVersion(agreement_id=agreement.id, number=1, snapshot=snapshot(agreement, []),
                                    created_by_id=actor.id))
    record(actor, "created", agreement, _("%(name)s started the partnership agreement", name=actor.name),
           project=project)
    db.session.flush()
    return agreement


def set_meetings(actor, agreement, submitted_version, cadence: int | None, channel: str) -> None:
    """How often and how team and partner meet (the check-up cadence and channel)."""
    _require_member(actor, agreement.project)
    check_version(agreement, submitted_version)
    before = {"cadence_days": agreement.cadence_days, "checkup_channel": agreement.checkup_channel}
    agreement.cadence_days, agreement.checkup_channel = cadence, channel
    record(actor, "edited", agreement, _("%(name)s changed how often and how the team and partner meet",
                                         name=actor.name), project=agreement.project, before=before)
    _changed(actor, agreement)


# ---- roles --------------------------------------------------------------------------------------

def _holders(project, user_ids) -> list[User]:
    if not user_ids:
        raise _field_refused(_("Choose at least one person who holds this role."), "holders")
    users = db.session.scalars(
        db.select(User).join(ProjectMember, ProjectMember.user_id == User.id)
        .where(ProjectMember.project_id == project.id, User.id.in_(user_ids))
    ).all()
    if len(users) != len(set(user_ids)):
        raise _field_refused(_("A role is held by people of this project only."), "holders")
    return users


def add_role(actor, agreement, name: str, description: str, holder_ids) -> AgreementRole:
    _require_member(actor, agreement.project)
    role = AgreementRole(agreement=agreement, name=name, description=description,
                         holders=_holders(agreement.project, holder_ids))
    db.session.add(role)
    db.session.flush()
    record(actor, "added", role, _("%(name)s added the role %(role)s to the agreement", name=actor.name, role=name),
           project=agreement.project)
    _changed(actor, agreement)
    return role


def edit_role(actor, role, submitted_version, name: str, description: str, holder_ids) -> None:
    _require_member(actor, role.project)
    check_version(role, submitted_version)
    before = {"name": role.name, "description": role.description, "holders": [u.name for u in role.holders]}
    role.name, role.description = name, description
    role.holders = _holders(role.project, holder_ids)
    record(actor, "edited", role, _("%(name)s changed the role %(role)s", name=actor.name, role=name),
           project=role.project, before=before)
    _changed(actor, role.agreement)


def remove_role(actor, role, submitted_version) -> None:
    _require_member(actor, role.project)
    check_version(role, submitted_version)
    agreement = role.agreement
    record(actor, "removed", role, _("%(name)s removed the role %(role)s", name=actor.name, role=role.name),
           project=agreement.project,
           before={"name": role.name, "description": role.description, "holders": [u.name for u in role.holders]})
    db.session.delete(role)
    _changed(actor, agreement)


# ---- responsibilities ---------------------------------------------------------------------------

def _check_person(project, side, person_id):
    """The person who keeps a promise stands on the side that makes it."""
    if person_id is None:
        return None
    person = db.session.get(User, person_id)
    role = _member_role(person, project) if person else None
    if role is None and person is not None and any(s.user_id == person.id for s in project.course.staff):
        role = "teacher"
    if role is None:
        raise _field_refused(_("Choose a person of this project."), "person_id")
    if SIDE_OF_ROLE[role] != side:
        raise _field_refused(_("%(person)s is not on that side of the partnership.", person=person.name), "person_id")
    return person


def _timing(recurrence, due_date, every_n, every_unit) -> dict:
    if recurrence == EVERY:
        if not every_n or every_n < 1 or every_unit not in ("days", "weeks"):
            raise _field_refused(_("Say how often: every how many days or weeks."), "every_n")
        return {"recurrence": EVERY, "every_n": every_n, "every_unit": every_unit, "due_date": due_date}
    return {"recurrence": recurrence or None, "every_n": None, "every_unit": None, "due_date": due_date}


def add_responsibility(actor, agreement, what, side, person_id=None, due_date=None, recurrence=None,
                       every_n=None, every_unit=None) -> Responsibility:
    _require_member(actor, agreement.project)
    person = _check_person(agreement.project, side, person_id)
    timing = _timing(recurrence, due_date, every_n, every_unit)
    if timing["recurrence"] == EVERY and timing["due_date"] is None:
        timing["due_date"] = today() + _interval(timing["every_n"], timing["every_unit"])
    resp = Responsibility(agreement=agreement, what=what, side=side, person=person, **timing)
    db.session.add(resp)
    db.session.flush()
    resp.series_id = resp.id
    record(actor, "added", resp, _("%(name)s added the responsibility “%(what)s” (%(side)s)", name=actor.name,
                                   what=what, side=_(side)), project=agreement.project)
    _changed(actor, agreement)
    return resp


def _plain(resp) -> dict:
    return {"what": resp.what, "side": resp.side, "person_id": resp.person_id,
            "due_date": resp.due_date.isoformat() if resp.due_date else None, "recurrence": resp.recurrence,
            "every_n": resp.every_n, "every_unit": resp.every_unit}


def edit_responsibility(actor, resp, submitted_version, what, side, person_id=None, due_date=None,
                        recurrence=None, every_n=None, every_unit=None) -> None:
    _require_member(actor, resp.project)
    check_version(resp, submitted_version)
    if resp.done_at is not None:
        raise Refused(_("This promise is kept already; add a new responsibility instead."), 409)
    person = _check_person(resp.project, side, person_id)
    timing = _timing(recurrence, due_date, every_n, every_unit)
    before = _plain(resp)
    resp.what, resp.side, resp.person = what, side, person
    for key, value in timing.items():
        setattr(resp, key, value)
    record(actor, "edited", resp, _("%(name)s changed the responsibility “%(what)s”", name=actor.name, what=what),
           project=resp.project, before=before)
    _changed(actor, resp.agreement)


def remove_responsibility(actor, resp, submitted_version) -> None:
    _require_member(actor, resp.project)
    check_version(resp, submitted_version)
    if resp.done_at is not None:
        raise Refused(_("A kept promise stays on record; it cannot be removed."), 409)
    resp.removed_at = utcnow()
    record(actor, "removed", resp, _("%(name)s removed the responsibility “%(what)s”", name=actor.name,
                                     what=resp.what), project=resp.project, before=_plain(resp))
    _changed(actor, resp.agreement)


def _interval(n, unit) -> timedelta:
    return timedelta(weeks=n) if unit == "weeks" else timedelta(days=n)


def mark_done(actor, resp, submitted_version, note: str = "", side_of_actor: str | None = None) -> Responsibility | None:
    """The side that holds a promise marks it kept; a recurring one gets its next occurrence.

    `side_of_actor` is the actor's project role (student, partner, teacher); marking another
    side's promise is refused. Returns the next occurrence, if any.
    """
    if side_of_actor is None or SIDE_OF_ROLE.get(side_of_actor) != resp.side:
        raise Refused(_("Only the %(side)s side marks this promise as kept.", side=_(resp.side)), 403)
    check_version(resp, submitted_version)
    if resp.done_at is not None or resp.removed_at is not None:
        raise Refused(_("This promise is already marked as kept."), 409)
    resp.done_at, resp.done_by_id, resp.note = utcnow(), actor.id, note
    kept = _("on time") if resp.kept_on_time() else _("late")
    record(actor, "done", resp, _("%(name)s kept the promise “%(what)s” (%(when)s)", name=actor.name,
                                  what=resp.what, when=kept), project=resp.project)
    following = None
    if resp.is_recurring:
        start = resp.due_date or today()
        if resp.recurrence == EVERY:
            due = start + _interval(resp.every_n, resp.every_unit)
        else:
            days = resp.agreement.cadence_days
            due = start + timedelta(days=days) if days else None
        following = Responsibility(agreement_id=resp.agreement_id, series_id=resp.series_id, what=resp.what,
                                   side=resp.side, person_id=resp.person_id, due_date=due, recurrence=resp.recurrence,
                                   every_n=resp.every_n, every_unit=resp.every_unit)
        db.session.add(following)
    db.session.flush()
    return following


# ---- consent ------------------------------------------------------------------------------------

def decide_consent(actor, item, submitted_version, state: str) -> None:
    """A partner gives or withholds consent explicitly; withholding what was given withdraws it."""
    if _member_role(actor, item.project) != "partner":
        raise Refused(_("Only the partner gives or withdraws consent."), 403)
    check_version(item, submitted_version)
    if state not in ("given", "withheld"):
        raise Refused(_("Choose to give or to withhold consent."), 422)
    if item.state == state:
        raise Refused(_("This consent is already recorded that way."), 409)
    before = {"state": item.state, "withdrawn": item.withdrawn}
    item.withdrawn = item.state == "given" and state == "withheld"
    item.state, item.decided_by_id, item.decided_at = state, actor.id, utcnow()
    verb = "withdrew" if item.withdrawn else state
    said = {"name": actor.name, "item": consent_label(item.kind)}  # made by one call: shown in each reader's language
    summary = (_("%(name)s gave consent: %(item)s", **said) if verb == "given" else
               _("%(name)s withheld consent: %(item)s", **said) if verb == "withheld" else
               _("%(name)s withdrew consent: %(item)s", **said))
    record(actor, verb, item, summary, project=item.project, before=before)
    _changed(actor, item.agreement)


def edit_consent_details(actor, item, submitted_version, details: str) -> None:
    """Describe what the consent covers (e.g. which data is shared and how it is handled)."""
    _require_member(actor, item.project)
    check_version(item, submitted_version)
    before = {"details": item.details}
    item.details = details
    record(actor, "edited", item, _("%(name)s described the consent: %(item)s", name=actor.name,
                                    item=consent_label(item.kind)), project=item.project, before=before)
    _changed(actor, item.agreement)


def consent_label(kind: str) -> str:
    return consent_labels().get(kind, kind)


def consent_labels() -> dict:
    """Every consent kind's label, translated (a page with several items asks once)."""
    return {"publish_results": _("Publishing the results"), "name_and_logo": _("Use of the organisation's name and logo"),
            "data": _("Data the partner shares, and how it is handled")}


# ---- acceptance ---------------------------------------------------------------------------------

def accept(actor, agreement, number) -> AgreementAcceptance:
    """Accept the current version; an out-of-date version (someone changed it meanwhile) is refused."""
    _require_member(actor, agreement.project)
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = None
    if number != agreement.number:
        raise Refused(_("The agreement changed since you opened it: read version %(number)s and accept that one.",
                        number=agreement.number), 409)
    version = current_version(agreement, lock=True)
    # Read the number again after the lock: a change committed meanwhile makes this one out of date.
    if db.session.scalar(db.select(Agreement.number).where(Agreement.id == agreement.id)) != number:
        raise Refused(_("The agreement changed since you opened it: read the new version and accept that one."), 409)
    if any(a.user_id == actor.id for a in version.acceptances):
        raise Refused(_("You already accepted version %(number)s.", number=number), 409)
    acceptance = AgreementAcceptance(agreement_version=version, user_id=actor.id)
    db.session.add(acceptance)
    record(actor, "accepted", agreement, _("%(name)s accepted version %(number)s of the agreement",
                                           name=actor.name, number=number), project=agreement.project)
    db.session.flush()
    return acceptance


# ---- reading ------------------------------------------------------------------------------------

def reciprocity(rows, on: date) -> dict:
    """Per side: promises kept on time, kept late, open (not yet due) and late (past due, not kept)."""
    counts = {side: {"on_time": 0, "kept_late": 0, "open": 0, "late": 0} for side in ("students", "partner", "teacher")}
    for side, due, done_at in rows:
        c = counts[side]
        if done_at is not None:
            c["on_time" if due is None or done_at.date() <= due else "kept_late"] += 1
        elif due is not None and due < on:
            c["late"] += 1
        else:
            c["open"] += 1
    return counts


_RECIPROCITY_ONE = PlainRead(
    db.select(Responsibility.side, Responsibility.due_date, Responsibility.done_at)
    .where(Responsibility.agreement_id == bindparam("agreement_id"), Responsibility.removed_at.is_(None)))


def reciprocity_of_one(agreement_id: int) -> dict:
    """`reciprocity` of one agreement's promises (one statement, built once per process)."""
    return reciprocity(_RECIPROCITY_ONE({"agreement_id": agreement_id}), today())


def diff(old: dict | None, new: dict) -> list[str]:
    """What changed between two snapshots, in words."""
    if old is None:
        return []
    changes = []
    if old.get("cadence_days") != new.get("cadence_days"):
        changes.append(_("Check-ups: %(old)s → %(new)s", old=_cadence(old.get("cadence_days")),
                         new=_cadence(new.get("cadence_days"))))
    if old.get("checkup_channel") != new.get("checkup_channel"):
        changes.append(_("Check-up channel: “%(old)s” → “%(new)s”", old=old.get("checkup_channel") or "–",
                         new=new.get("checkup_channel") or "–"))
    changes += _diff_list(old.get("roles", []), new.get("roles", []), _describe_role, _("Role"))
    changes += _diff_list(old.get("responsibilities", []), new.get("responsibilities", []), _describe_resp,
                          _("Responsibility"))
    changes += _diff_list(old.get("consent", []), new.get("consent", []), _describe_consent, _("Consent"))
    return changes


def _cadence(days) -> str:
    return _("every %(days)s days", days=days) if days else _("not agreed")


def _diff_list(old, new, describe, noun) -> list[str]:
    before = {item["key"]: item for item in old}
    after = {item["key"]: item for item in new}
    lines = []
    for key, item in after.items():
        if key not in before:
            lines.append(_("%(noun)s added: %(what)s", noun=noun, what=describe(item)))
        elif before[key] != item:
            old_text, new_text = describe(before[key]), describe(item)
            label = ""
            if ": " in old_text and old_text.split(": ", 1)[0] == new_text.split(": ", 1)[0]:
                label, old_text, new_text = old_text.split(": ", 1)[0] + ": ", old_text.split(": ", 1)[1], \
                    new_text.split(": ", 1)[1]
            lines.append(_("%(noun)s changed: %(label)s%(old)s → %(new)s", noun=noun, label=label, old=old_text,
                           new=new_text))
    for key, item in before.items():
        if key not in after:
            lines.append(_("%(noun)s removed: %(what)s", noun=noun, what=describe(item)))
    return lines


def _describe_role(r) -> str:
    return f"{r['name']} ({', '.join(r['holders'])})" + (f" – {r['description']}" if r["description"] else "")


def _describe_resp(r) -> str:
    rec = r["recurrence"]
    when = (rec and recurrence_text(rec["kind"], rec["n"], rec["unit"])) or (r["due"] and _("by %(date)s", date=format_date(date.fromisoformat(r["due"])))) \
        or _("no due date")
    who = f", {r['person']}" if r["person"] else ""
    return f"{r['what']} ({_(r['side'])}{who}, {when})"


def _describe_consent(c) -> str:
    state = _("withdrawn") if c.get("withdrawn") else _(c["state"])
    return f"{consent_label(c['key'])}: {state}" + (f" – {c['details']}" if c.get("details") else "")
