"""Reflections: a student's journal entries, each answering a prompt (a guiding value's or the
course's own), private to the student and the course's teachers or shared with the team, with
a thread of responses under it."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

PRIVATE = "private"  # the student and the course's teachers
SHARED = "shared"  # also the other students of the project; never the partner
VISIBILITIES = (PRIVATE, SHARED)


class Reflection(db.Model):
    __table_args__ = (
        Index("ix_reflection_project_author", "project_id", "author_id"),
        CheckConstraint("visibility IN ('private', 'shared')", name="reflection_visibility"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # Where the prompt came from ("value:relevance", "course", or "" for none) and its words as
    # they were when the entry was written: a course editing its prompts later rewrites nothing.
    prompt_source: Mapped[str] = mapped_column(String(60), default="")
    prompt_text: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(10), default=PRIVATE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    project: Mapped["Project"] = relationship()  # noqa: F821
    author: Mapped["User"] = relationship()  # noqa: F821
    responses: Mapped[list["ReflectionResponse"]] = relationship(
        back_populates="reflection", cascade="all, delete-orphan", passive_deletes=True,
        order_by="ReflectionResponse.id",
    )

    @property
    def is_private(self) -> bool:
        return self.visibility == PRIVATE


class ReflectionResponse(db.Model):
    """A teacher's response under an entry, or the student's reply to it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    reflection_id: Mapped[int] = mapped_column(ForeignKey("reflection.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reflection: Mapped[Reflection] = relationship(back_populates="responses")
    author: Mapped["User | None"] = relationship()  # noqa: F821

    @property
    def project(self):
        return self.reflection.project
