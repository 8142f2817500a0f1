"""Goals both sides of a partnership agree on (co-creation), their revisions and discussion,
and the project's root cause / underlying need (relevance) with its own history."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

# The states of a goal; the transitions between them live in workspace/goals/services.py.
PROPOSED = "proposed"
CHANGES_REQUESTED = "changes_requested"
AGREED = "agreed"
ACHIEVEMENT_CLAIMED = "achievement_claimed"
ACHIEVED = "achieved"
DROP_PROPOSED = "drop_proposed"
DROPPED = "dropped"
GOAL_STATES = (PROPOSED, CHANGES_REQUESTED, AGREED, ACHIEVEMENT_CLAIMED, ACHIEVED, DROP_PROPOSED, DROPPED)
SIDES = ("student", "partner")

_states_sql = ", ".join(f"'{state}'" for state in GOAL_STATES)


class Goal(db.Model):
    __table_args__ = (
        CheckConstraint(f"state in ({_states_sql})", name="goal_state"),
        CheckConstraint("proposer_side in ('student', 'partner')", name="goal_proposer_side"),
        Index("ix_goal_project_position", "project_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # Why it matters to the partner and the community.
    partner_need: Mapped[str] = mapped_column(Text, default="")
    # How everyone will know it is met.
    success_criteria: Mapped[str] = mapped_column(Text, default="")
    target_date: Mapped[date | None]
    state: Mapped[str] = mapped_column(String(24), default=PROPOSED, index=True)
    # The side whose text is on the table: the other side must agree to it.
    proposer_side: Mapped[str] = mapped_column(String(16))
    proposer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Order chosen by the team on the board (smaller first).
    position: Mapped[int] = mapped_column(default=0)
    revision_number: Mapped[int] = mapped_column(default=1)
    # A claimed achievement: the students' account of the evidence.
    evidence: Mapped[str] = mapped_column(Text, default="")
    # A proposal to drop: by which side, why, and the state to return to if the other side declines.
    drop_side: Mapped[str | None] = mapped_column(String(16))
    drop_reason: Mapped[str] = mapped_column(Text, default="")
    state_before_drop: Mapped[str | None] = mapped_column(String(24))
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    project: Mapped["Project"] = relationship()  # noqa: F821
    proposer: Mapped["User | None"] = relationship()  # noqa: F821
    revisions: Mapped[list["GoalRevision"]] = relationship(
        back_populates="goal", cascade="all, delete-orphan", order_by="GoalRevision.number",
        passive_deletes=True,
    )
    comments: Mapped[list["GoalComment"]] = relationship(
        back_populates="goal", cascade="all, delete-orphan", order_by="GoalComment.created_at",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Goal {self.id} {self.state} {self.title!r}>"


class GoalRevision(db.Model):
    """The goal's text as proposed at one moment; every revision stays readable."""

    __table_args__ = (UniqueConstraint("goal_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    partner_need: Mapped[str] = mapped_column(Text, default="")
    success_criteria: Mapped[str] = mapped_column(Text, default="")
    target_date: Mapped[date | None]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    author_side: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    goal: Mapped[Goal] = relationship(back_populates="revisions")
    author: Mapped["User | None"] = relationship()  # noqa: F821


class GoalComment(db.Model):
    """One message in a goal's discussion; `kind` marks messages that came with a step
    (changes requested, sent back, drop proposed...) so the thread tells the whole story."""

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(24), default="comment")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    goal: Mapped[Goal] = relationship(back_populates="comments")
    author: Mapped["User | None"] = relationship()  # noqa: F821


class RootCauseRevision(db.Model):
    """Relevance: the root cause / underlying need behind the partner's problem, as students and
    partner refine it together. The latest revision is the current text; earlier ones stay."""

    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped["Project"] = relationship()  # noqa: F821
    author: Mapped["User | None"] = relationship()  # noqa: F821
