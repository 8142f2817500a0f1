"""The agreement's rules: versions, acceptance, responsibilities kept, consent."""
from ..extensions import db
from ..models.agreement import Agreement


def _agreement_of(project) -> Agreement | None:
    return db.session.scalar(db.select(Agreement).where(Agreement.project_id == project.id))


def cadence_days(project) -> int | None:
    """Days between check-ups the agreement sets, or None when it sets none (one query)."""
    return db.session.scalar(db.select(Agreement.cadence_days).where(Agreement.project_id == project.id))


def checkup_channel(project) -> str:
    """How team and partner meet ("video call", "at the partner's office"…), or "" when not agreed."""
    return db.session.scalar(db.select(Agreement.checkup_channel).where(Agreement.project_id == project.id)) or ""
