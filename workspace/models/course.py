"""Courses and the teachers who staff them."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class Course(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    term: Mapped[str] = mapped_column(String(60), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Thresholds of the teacher dashboard: days before something needs attention.
    attention_checkup_days: Mapped[int] = mapped_column(default=21, server_default="21")
    attention_wait_days: Mapped[int] = mapped_column(default=7, server_default="7")
    attention_quiet_days: Mapped[int] = mapped_column(default=14, server_default="14")
    # Months after a project's end date its partner is asked whether the result lasted (workspace/after_project).
    after_project_months: Mapped[int] = mapped_column(default=6, server_default="6")

    staff: Mapped[list["CourseStaff"]] = relationship(
        back_populates="course", cascade="all, delete-orphan"
    )
    projects: Mapped[list["Project"]] = relationship(  # noqa: F821
        back_populates="course", order_by="Project.title"
    )


class CourseStaff(db.Model):
    """A teacher of the course, and so a teacher of every project in it."""

    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)

    course: Mapped[Course] = relationship(back_populates="staff")
    user: Mapped["User"] = relationship()  # noqa: F821
