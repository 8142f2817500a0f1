"""The partner's evaluation at the end of a project: per guiding value how the collaboration lived
up to it, what changed for the organisation, and whether they would work with the university again."""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

WORK_AGAIN = ("yes", "maybe", "no")


class PartnerEvaluation(db.Model):
    """One per project: asked when it ends (`flask ask-evaluations`) or by the teacher; the teacher
    closes it (no more edits) and releases it to the team."""

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), unique=True)
    # The value keys asked about, as the course had them selected when it was asked.
    value_keys: Mapped[list] = mapped_column(JSON, default=list)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    project: Mapped["Project"] = relationship()  # noqa: F821
    answers: Mapped[list["EvaluationAnswer"]] = relationship(back_populates="evaluation",
                                                             order_by="EvaluationAnswer.id")


class EvaluationAnswer(db.Model):
    """One partner's answer, editable until the evaluation is closed."""

    __table_args__ = (
        UniqueConstraint("evaluation_id", "user_id", name="uq_evaluation_answer_once"),
        CheckConstraint("work_again in ('yes', 'maybe', 'no')", name="evaluation_work_again"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("partner_evaluation.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # value key -> {"score": 1..5, "comment": "..."}
    scores: Mapped[dict] = mapped_column(JSON, default=dict)
    changed: Mapped[str] = mapped_column(Text, default="")
    work_again: Mapped[str] = mapped_column(String(8))
    work_again_why: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    evaluation: Mapped[PartnerEvaluation] = relationship(back_populates="answers")
    user: Mapped["User | None"] = relationship()  # noqa: F821

    @property
    def average(self) -> float | None:
        values = [s["score"] for s in self.scores.values()]
        return sum(values) / len(values) if values else None
