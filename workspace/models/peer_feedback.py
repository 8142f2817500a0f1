"""Peer feedback inside a team: at moments the teacher sets, each student rates each teammate on a
few dimensions (1–5) with a comment. Ratings are read by the course's teachers only; a student sees
the averages about themselves once the teacher releases the round."""
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import N_
from .base import UTCDateTime, utcnow

# Stored in English and shown through `|translated`; a course may change them on its round.
DEFAULT_DIMENSIONS = (
    N_("Contributing to the work"),
    N_("Keeping promises"),
    N_("Communicating"),
    N_("Co-operating with the partner"),
)


class PeerRound(db.Model):
    """A moment of peer feedback in a course (e.g. mid-term, end), open between two dates."""

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    opens_on: Mapped[date]
    closes_on: Mapped[date]
    dimensions: Mapped[list] = mapped_column(JSON, default=lambda: list(DEFAULT_DIMENSIONS))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    course: Mapped["Course"] = relationship()  # noqa: F821

    def is_open(self, today: date) -> bool:
        return self.released_at is None and self.opens_on <= today <= self.closes_on


class PeerRating(db.Model):
    """What one student said about one teammate in a round: a score per dimension and a comment."""

    __table_args__ = (UniqueConstraint("round_id", "rater_id", "rated_id", name="uq_peer_rating_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("peer_round.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    rated_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    # One 1–5 score per dimension, in the round's order.
    scores: Mapped[list] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


@dataclass
class TeamRound:
    """A round as one project's team meets it: what the student's rating page is about (not a table)."""

    project: "Project"  # noqa: F821
    round: PeerRound
