"""What deliverables add to other pages: the board section, the partner's review queue on the
home page, and the navigation badge. Each makes a fixed number of queries, whatever the
number of deliverables and versions."""
from flask import url_for
from sqlalchemy import and_
from sqlalchemy.orm import aliased, joinedload, selectinload

from ..extensions import db
from ..models import Deliverable, DeliverableVersion, HandoverItem, ProjectMember
from ..models.deliverable import IN_REVIEW
from ..sections import activity_link, board_section, home_section, waiting_counter
from .forms import ReviewForm


@board_section("deliverables", "deliverables/_board.html")
def board(project, user) -> dict:
    """Each deliverable's state, its latest version and handover progress: 3 queries."""
    deliverables = db.session.scalars(
        db.select(Deliverable).where(Deliverable.project_id == project.id)
        .order_by(Deliverable.created_at, Deliverable.id)
    ).all()
    latest = dict(db.session.execute(
        db.select(DeliverableVersion.deliverable_id, db.func.max(DeliverableVersion.number))
        .join(Deliverable).where(Deliverable.project_id == project.id).group_by(DeliverableVersion.deliverable_id)
    ).all())
    handover = {row.deliverable_id: (row.ticked, row.total) for row in db.session.execute(
        db.select(HandoverItem.deliverable_id, db.func.count(HandoverItem.ticked_at).label("ticked"),
                  db.func.count(HandoverItem.id).label("total"))
        .join(Deliverable).where(Deliverable.project_id == project.id).group_by(HandoverItem.deliverable_id)
    )}
    return {"project": project, "deliverables": deliverables, "latest": latest, "handover": handover}


@activity_link("deliverable")
def _deliverable_link(project_id, subject_id):
    return url_for("deliverables.show", project_id=project_id, deliverable_id=subject_id)


def _partner_of():
    return ProjectMember.role == "partner"


def review_queue(user) -> list[tuple[Deliverable, DeliverableVersion]]:
    """Deliverables in review in the partner's projects, each with the version to review: 3 queries."""
    newer = aliased(DeliverableVersion)
    newest_submitted = ~db.select(newer.id).where(
        newer.deliverable_id == DeliverableVersion.deliverable_id, newer.submitted_at.is_not(None),
        newer.number > DeliverableVersion.number,
    ).exists()
    return list(db.session.execute(
        db.select(Deliverable, DeliverableVersion)
        .join(ProjectMember, and_(ProjectMember.project_id == Deliverable.project_id,
                                  ProjectMember.user_id == user.id, _partner_of()))
        .join(DeliverableVersion, DeliverableVersion.deliverable_id == Deliverable.id)
        .where(Deliverable.state == IN_REVIEW, DeliverableVersion.submitted_at.is_not(None), newest_submitted)
        .options(joinedload(Deliverable.project), selectinload(DeliverableVersion.files),
                 selectinload(DeliverableVersion.links))
        .order_by(DeliverableVersion.submitted_at, Deliverable.id)
    ).all())


@home_section("deliverables", "deliverables/_home.html")
def home(user) -> dict | None:
    """A partner reviews submitted versions in place; nothing for people who are nobody's partner."""
    is_partner = db.session.scalar(
        db.select(ProjectMember.id).where(ProjectMember.user_id == user.id, _partner_of()).limit(1)
    )
    if is_partner is None:
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
