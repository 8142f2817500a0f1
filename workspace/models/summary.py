"""The teacher dashboard's inputs per project, kept current in the transaction of every change."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class ProjectSummary(db.Model):
    """One row per project: `dashboard.signals.project_inputs` as of the last change (JSON)."""

    __tablename__ = "project_summary"

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
