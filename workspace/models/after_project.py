"""After the project: months after a project ends its partner is asked whether the result is still
in use and whether they can carry on without the team (did the project build capacity?)."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

ANSWERS = ("yes", "partly", "no")


class AfterProjectQuestion(db.Model):
    """One per project, asked once (`flask ask-after-project`); the partner answers both questions."""

    __table_args__ = (
        CheckConstraint("still_in_use is null or still_in_use in ('yes', 'partly', 'no')", name="after_in_use"),
        CheckConstraint("carry_on is null or carry_on in ('yes', 'partly', 'no')", name="after_carry_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), unique=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Is the result still in use?
    still_in_use: Mapped[str | None] = mapped_column(String(8))
    still_in_use_comment: Mapped[str] = mapped_column(Text, default="")
    # Can the partner carry on without the team?
    carry_on: Mapped[str | None] = mapped_column(String(8))
    carry_on_comment: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    project: Mapped["Project"] = relationship()  # noqa: F821
    answered_by: Mapped["User | None"] = relationship()  # noqa: F821
