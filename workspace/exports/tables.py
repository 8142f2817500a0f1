"""CSV tables of one project: goals, responsibilities, feedback and action items, deliverables.

Each is (header, rows) with a fixed number of queries; states are the workspace's own codes so a
spreadsheet can filter on them, and headers are in the reader's language.
"""
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, selectinload

from ..agreement.services import recurrence_text
from ..extensions import db
from ..models import (ActionItem, Agreement, CheckUp, Deliverable, DeliverableVersion, FeedbackItem, Goal,
                      Responsibility, User)


def _iso(value):
    return value.isoformat() if value is not None else ""


def goals(project):
    header = [_("id"), _("title"), _("state"), _("proposed by side"), _("target date"), _("description"),
              _("partner need"), _("success criteria"), _("evidence"), _("agreed at"), _("revisions"),
              _("last change")]
    rows = [[g.id, g.title, g.state, g.proposer_side, _iso(g.target_date), g.description, g.partner_need,
             g.success_criteria, g.evidence, _iso(g.agreed_at), g.revision_number, _iso(g.updated_at)]
            for g in db.session.scalars(db.select(Goal).where(Goal.project_id == project.id)
                                        .order_by(Goal.position, Goal.id))]
    return header, rows


def responsibilities(project):
    person, done_by = aliased(User), aliased(User)
    header = [_("id"), _("what"), _("side"), _("person"), _("due date"), _("recurrence"), _("done at"),
              _("done by"), _("note"), _("removed at")]
    rows = [[r.id, r.what, r.side, name or "", _iso(r.due_date), recurrence_text(r.recurrence, r.every_n, r.every_unit),
             _iso(r.done_at), done_name or "", r.note, _iso(r.removed_at)]
            for r, name, done_name in db.session.execute(
                db.select(Responsibility, person.name, done_by.name)
                .join(Agreement, Agreement.id == Responsibility.agreement_id)
                .outerjoin(person, person.id == Responsibility.person_id)
                .outerjoin(done_by, done_by.id == Responsibility.done_by_id)
                .where(Agreement.project_id == project.id)
                .order_by(Responsibility.due_date.is_(None), Responsibility.due_date, Responsibility.id))]
    return header, rows


def feedback(project):
    """Feedback items and action items of every check-up, one row each (the `kind` column tells which)."""
    owner = aliased(User)
    header = [_("kind"), _("id"), _("check-up date"), _("raised by"), _("owner"), _("text"), _("state"),
              _("due date"), _("integrated where"), _("reason not integrated"), _("responded at")]
    rows = [["feedback", f.id, _iso(planned.date()), f.raised_by, "", f.text, f.state, "", f.integrated_where,
             f.reason, _iso(f.responded_at)]
            for f, planned in db.session.execute(
                db.select(FeedbackItem, CheckUp.planned_at).join(CheckUp, CheckUp.id == FeedbackItem.checkup_id)
                .where(FeedbackItem.project_id == project.id).order_by(CheckUp.planned_at, FeedbackItem.id))]
    rows += [["action", a.id, _iso(planned.date()), "", name or "", a.text, "done" if a.done else "open",
              _iso(a.due_date), "", "", _iso(a.done_at)]
             for a, planned, name in db.session.execute(
                 db.select(ActionItem, CheckUp.planned_at, owner.name)
                 .join(CheckUp, CheckUp.id == ActionItem.checkup_id).outerjoin(owner, owner.id == ActionItem.owner_id)
                 .where(ActionItem.project_id == project.id).order_by(CheckUp.planned_at, ActionItem.id))]
    return header, rows


def deliverables(project):
    header = [_("id"), _("title"), _("kind"), _("state"), _("audience"), _("language"), _("channel"),
              _("versions"), _("latest version submitted at"), _("latest decision"), _("files in latest version"),
              _("goals"), _("due date"), _("handed over at")]
    rows = []
    for d in db.session.scalars(
        db.select(Deliverable).where(Deliverable.project_id == project.id)
        .options(selectinload(Deliverable.goals),
                 selectinload(Deliverable.versions).selectinload(DeliverableVersion.files),
                 selectinload(Deliverable.versions).selectinload(DeliverableVersion.reviews))
        .order_by(Deliverable.created_at, Deliverable.id)
    ):
        latest = d.versions[-1] if d.versions else None
        rows.append([d.id, d.title, d.kind, d.state, d.audience, d.language, d.channel, len(d.versions),
                     _iso(latest.submitted_at) if latest else "", (latest.decision or "") if latest else "",
                     "; ".join(f.original_name for f in latest.files) if latest else "",
                     "; ".join(g.title for g in d.goals), _iso(d.due_date), _iso(d.handed_over_at)])
    return header, rows


TABLES = {"goals": goals, "responsibilities": responsibilities, "feedback": feedback, "deliverables": deliverables}
