"""The whole project as one JSON document for the partner to keep (data portability).

The structure is stable (`format_version`); README.md describes it. People appear as
`{"id": ..., "name": ...}`, never with an e-mail address or anything of their account. The
values pulse appears as the workspace shows it to the person exporting: averages and unsigned
comments per side, a side hidden while the other has not rated yet. Files appear as metadata
and a download address, not their bytes. A fixed number of queries whatever the project holds.
"""
from collections import defaultdict

from flask import url_for
from sqlalchemy.orm import selectinload

from ..checkups.services import pulse_aggregates, side_of, visible_sides
from ..extensions import db
from ..models import (Activity, Agreement, AgreementRole, AgreementVersion, CheckUp, CourseStaff, Deliverable,
                      DeliverableVersion, Goal, ProjectMember, PulseRating, Responsibility, RootCauseRevision, User)
from ..models.base import utcnow

FORMAT = "cocreation-workspace/project"
FORMAT_VERSION = 1


def _iso(value):
    return value.isoformat() if value is not None else None


class _People:
    """Collects the user ids a document refers to, then names them all with one query."""

    def __init__(self):
        self.ids: set[int] = set()

    def ref(self, user_id):
        if user_id is None:
            return None
        self.ids.add(user_id)
        return _Ref(user_id)

    def resolve(self, document):
        names = dict(db.session.execute(db.select(User.id, User.name).where(User.id.in_(sorted(self.ids)))).all()) \
            if self.ids else {}
        return _replace(document, names)


class _Ref:
    __slots__ = ("user_id",)

    def __init__(self, user_id):
        self.user_id = user_id


def _replace(value, names):
    if isinstance(value, _Ref):
        return {"id": value.user_id, "name": names.get(value.user_id, "")}
    if isinstance(value, dict):
        return {key: _replace(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace(item, names) for item in value]
    return value


def project_document(project, viewer) -> dict:
    people = _People()
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": _iso(utcnow()),
        "exported_by": people.ref(viewer.id),
        "project": {
            "id": project.id, "title": project.title, "problem_statement": project.problem_statement,
            "start_date": _iso(project.start_date), "end_date": _iso(project.end_date),
            "created_at": _iso(project.created_at),
            "course": {"id": project.course.id, "name": project.course.name},
            "organisation": {"id": project.organisation.id, "name": project.organisation.name},
        },
        "members": _members(project, people),
        "root_cause": [
            {"number": r.number, "text": r.text, "author": people.ref(r.author_id), "created_at": _iso(r.created_at)}
            for r in db.session.scalars(db.select(RootCauseRevision).where(RootCauseRevision.project_id == project.id)
                                        .order_by(RootCauseRevision.number))
        ],
        "goals": _goals(project, people),
        "agreement": _agreement(project, people),
        "checkups": _checkups(project, viewer, people),
        "deliverables": _deliverables(project, people),
        "activity": [
            {"created_at": _iso(a.created_at), "actor": people.ref(a.actor_id), "verb": a.verb,
             "subject_type": a.subject_type, "subject_id": a.subject_id, "summary": a.summary}
            for a in db.session.scalars(db.select(Activity).where(Activity.project_id == project.id)
                                        .order_by(Activity.created_at, Activity.id))
        ],
    }
    return people.resolve(document)


def _members(project, people) -> list:
    rows = db.session.execute(
        db.select(ProjectMember.user_id, ProjectMember.role, ProjectMember.joined_at)
        .where(ProjectMember.project_id == project.id).order_by(ProjectMember.role, ProjectMember.joined_at)
    ).all()
    teachers = db.session.scalars(db.select(CourseStaff.user_id).where(CourseStaff.course_id == project.course_id)
                                  .order_by(CourseStaff.user_id)).all()
    return ([{"person": people.ref(r.user_id), "role": r.role, "joined_at": _iso(r.joined_at)} for r in rows]
            + [{"person": people.ref(user_id), "role": "teacher", "joined_at": None} for user_id in teachers])


def _goals(project, people) -> list:
    goals = db.session.scalars(
        db.select(Goal).where(Goal.project_id == project.id)
        .options(selectinload(Goal.revisions), selectinload(Goal.comments)).order_by(Goal.position, Goal.id)
    ).all()
    return [{
        "id": g.id, "title": g.title, "description": g.description, "partner_need": g.partner_need,
        "success_criteria": g.success_criteria, "target_date": _iso(g.target_date), "state": g.state,
        "proposer_side": g.proposer_side, "proposer": people.ref(g.proposer_id), "position": g.position,
        "evidence": g.evidence, "drop_reason": g.drop_reason, "agreed_at": _iso(g.agreed_at),
        "created_at": _iso(g.created_at), "updated_at": _iso(g.updated_at),
        "revisions": [{
            "number": r.number, "title": r.title, "description": r.description, "partner_need": r.partner_need,
            "success_criteria": r.success_criteria, "target_date": _iso(r.target_date),
            "author": people.ref(r.author_id), "author_side": r.author_side, "created_at": _iso(r.created_at),
        } for r in g.revisions],
        "discussion": [{"author": people.ref(c.author_id), "kind": c.kind, "body": c.body,
                        "created_at": _iso(c.created_at)} for c in g.comments],
    } for g in goals]


def _agreement(project, people) -> dict | None:
    agreement = db.session.scalar(
        db.select(Agreement).where(Agreement.project_id == project.id)
        .options(selectinload(Agreement.roles).selectinload(AgreementRole.holders),
                 selectinload(Agreement.consent_items))
    )
    if agreement is None:
        return None
    responsibilities = db.session.scalars(
        db.select(Responsibility).where(Responsibility.agreement_id == agreement.id)
        .order_by(Responsibility.created_at, Responsibility.id)
    ).all()
    versions = db.session.scalars(
        db.select(AgreementVersion).where(AgreementVersion.agreement_id == agreement.id)
        .options(selectinload(AgreementVersion.acceptances)).order_by(AgreementVersion.number)
    ).all()
    return {
        "current_version": agreement.number, "cadence_days": agreement.cadence_days,
        "checkup_channel": agreement.checkup_channel, "updated_at": _iso(agreement.updated_at),
        "roles": [{"name": r.name, "description": r.description, "holders": [people.ref(u.id) for u in r.holders]}
                  for r in agreement.roles],
        "responsibilities": [{
            "id": r.id, "series_id": r.series_id, "what": r.what, "side": r.side, "person": people.ref(r.person_id),
            "due_date": _iso(r.due_date), "recurrence": r.recurrence, "every_n": r.every_n,
            "every_unit": r.every_unit, "done_at": _iso(r.done_at), "done_by": people.ref(r.done_by_id),
            "note": r.note, "created_at": _iso(r.created_at), "removed_at": _iso(r.removed_at),
        } for r in responsibilities],
        "consent": [{"kind": c.kind, "state": c.state, "details": c.details, "withdrawn": c.withdrawn,
                     "decided_by": people.ref(c.decided_by_id), "decided_at": _iso(c.decided_at)}
                    for c in agreement.consent_items],
        "versions": [{
            "number": v.number, "created_at": _iso(v.created_at), "created_by": people.ref(v.created_by_id),
            "snapshot": v.snapshot,
            "acceptances": [{"person": people.ref(a.user_id), "accepted_at": _iso(a.accepted_at)}
                            for a in v.acceptances],
        } for v in versions],
    }


def _checkups(project, viewer, people) -> list:
    checkups = db.session.scalars(
        db.select(CheckUp).where(CheckUp.project_id == project.id)
        .options(selectinload(CheckUp.attendees), selectinload(CheckUp.feedback_items),
                 selectinload(CheckUp.action_items), selectinload(CheckUp.corrections))
        .order_by(CheckUp.planned_at, CheckUp.id)
    ).all()
    aggregates = pulse_aggregates(project)
    submitted: dict[int, set[str]] = defaultdict(set)
    for checkup_id, side, *_rest in aggregates:
        submitted[checkup_id].add(side)
    viewer_side = side_of(viewer, project)
    visible = {c.id: visible_sides(viewer_side, c, submitted[c.id]) for c in checkups}
    averages: dict[int, list] = defaultdict(list)
    for checkup_id, side, key, average, count in sorted(aggregates, key=lambda r: (r[0], r[1], r[2])):
        if side in visible.get(checkup_id, ()):
            averages[checkup_id].append({"side": side, "value": key, "average": round(float(average), 2),
                                         "ratings": count})
    comments: dict[int, list] = defaultdict(list)
    for rating in db.session.scalars(
        db.select(PulseRating).where(PulseRating.project_id == project.id, PulseRating.comment != "")
        .order_by(PulseRating.side, PulseRating.value_key, PulseRating.id)
    ):
        if rating.side in visible.get(rating.checkup_id, ()):
            comments[rating.checkup_id].append({"side": rating.side, "value": rating.value_key,
                                                "comment": rating.comment})
    return [{
        "id": c.id, "planned_at": _iso(c.planned_at), "channel": c.channel, "location": c.location,
        "agenda": c.agenda, "state": c.state, "summary": c.summary, "decisions": c.decisions,
        "logged_by": people.ref(c.logged_by_id), "logged_at": _iso(c.logged_at),
        "confirmed_by": people.ref(c.confirmed_by_id), "confirmed_at": _iso(c.confirmed_at),
        "attendees": [{"person": people.ref(a.user_id), "guest_name": a.guest_name} for a in c.attendees],
        "feedback_items": [{
            "id": f.id, "raised_by": f.raised_by, "text": f.text, "state": f.state, "goal_id": f.goal_id,
            "integrated_where": f.integrated_where, "reason": f.reason, "created_at": _iso(f.created_at),
            "responded_by": people.ref(f.responded_by_id), "responded_at": _iso(f.responded_at),
        } for f in c.feedback_items],
        "action_items": [{"id": a.id, "text": a.text, "owner": people.ref(a.owner_id), "due_date": _iso(a.due_date),
                          "done": a.done, "done_at": _iso(a.done_at)} for a in c.action_items],
        "corrections": [{"text": k.text, "author": people.ref(k.author_id), "created_at": _iso(k.created_at),
                         "resolution": k.resolution, "resolved_by": people.ref(k.resolved_by_id),
                         "resolved_at": _iso(k.resolved_at)} for k in c.corrections],
        "pulse": {"visible_sides": sorted(visible[c.id]), "averages": averages[c.id], "comments": comments[c.id]},
    } for c in checkups]


def _deliverables(project, people) -> list:
    deliverables = db.session.scalars(
        db.select(Deliverable).where(Deliverable.project_id == project.id)
        .options(selectinload(Deliverable.goals), selectinload(Deliverable.handover_items),
                 selectinload(Deliverable.versions).selectinload(DeliverableVersion.files),
                 selectinload(Deliverable.versions).selectinload(DeliverableVersion.links),
                 selectinload(Deliverable.versions).selectinload(DeliverableVersion.reviews))
        .order_by(Deliverable.created_at, Deliverable.id)
    ).all()
    return [{
        "id": d.id, "title": d.title, "kind": d.kind, "audience": d.audience, "language": d.language,
        "channel": d.channel, "description": d.description, "state": d.state,
        "created_by": people.ref(d.created_by_id), "created_at": _iso(d.created_at),
        "handed_over_at": _iso(d.handed_over_at), "goal_ids": [g.id for g in d.goals],
        "versions": [{
            "number": v.number, "note": v.note, "created_by": people.ref(v.created_by_id),
            "created_at": _iso(v.created_at), "submitted_by": people.ref(v.submitted_by_id),
            "submitted_at": _iso(v.submitted_at),
            "files": [{"id": f.id, "name": f.original_name, "content_type": f.content_type, "size": f.size,
                       "sha256": f.sha256, "created_at": _iso(f.created_at),
                       "download_url": url_for("deliverables.download", project_id=project.id, file_id=f.id,
                                               _external=True)} for f in v.files],
            "links": [{"url": link.url, "label": link.label} for link in v.links],
            "reviews": [{"reviewer": people.ref(r.reviewer_id), "decision": r.decision, "comment": r.comment,
                         "created_at": _iso(r.created_at)} for r in v.reviews],
        } for v in d.versions],
        "handover": [{"label": h.label, "ticked_by": people.ref(h.ticked_by_id), "ticked_at": _iso(h.ticked_at)}
                     for h in d.handover_items],
    } for d in deliverables]
