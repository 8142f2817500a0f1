"""Forming teams: a course's project choice round, each student's ranked choices, and the proposed
placements the teacher adjusts before publishing them as project memberships."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

OPEN = "open"            # students rank their choices until the deadline
PROPOSED = "proposed"    # the optimiser proposed teams; only the course's teachers see them
PUBLISHED = "published"  # placements became project memberships
ROUND_STATES = (OPEN, PROPOSED, PUBLISHED)


class ChoiceRound(db.Model):
    """One round per course at a time (until it is published): deadline, team sizes, choices to rank."""

    __table_args__ = (
        CheckConstraint("min_size >= 1 AND max_size >= min_size", name="choice_round_sizes"),
        CheckConstraint("choices_count >= 1", name="choice_round_choices"),
        CheckConstraint("state in ('open', 'proposed', 'published')", name="choice_round_state"),
        # At most one unpublished round per course, also when two teachers open one at once.
        Index("one_unpublished_round_per_course", "course_id", unique=True,
              sqlite_where=sa.text("state != 'published'"), postgresql_where=sa.text("state != 'published'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    min_size: Mapped[int]
    max_size: Mapped[int]
    choices_count: Mapped[int] = mapped_column(default=3, server_default="3")
    # When set, the optimiser may leave a project without any student (never with fewer than min_size).
    allow_unfilled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    state: Mapped[str] = mapped_column(String(16), default=OPEN, server_default=OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course: Mapped["Course"] = relationship()  # noqa: F821


class ProjectChoice(db.Model):
    """A student's choice of rank `rank` (1 is the favourite) with an optional motivation."""

    __table_args__ = (
        UniqueConstraint("round_id", "user_id", "rank", name="one_choice_per_rank"),
        UniqueConstraint("round_id", "user_id", "project_id", name="one_rank_per_project"),
        CheckConstraint("rank >= 1", name="choice_rank_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("choice_round.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int]
    motivation: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped["Project"] = relationship()  # noqa: F821


class Placement(db.Model):
    """A student's proposed team; `rank` is the rank the student gave it (None: not among their choices)."""

    __table_args__ = (UniqueConstraint("round_id", "user_id", name="one_placement_per_student"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("choice_round.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int | None]
    moved: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    round: Mapped[ChoiceRound] = relationship()
    user: Mapped["User"] = relationship()  # noqa: F821
    project: Mapped["Project"] = relationship()  # noqa: F821
