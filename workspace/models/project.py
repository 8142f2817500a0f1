"""A project: one course, one partner organisation, a student team and partner members."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

STUDENT = "student"
PARTNER = "partner"
MEMBER_ROLES = (STUDENT, PARTNER)


class Project(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # Relevance: the problem as the partner first presented it.
    problem_statement: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date]
    end_date: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A follow-up project continues this one in a later course (workspace/followup).
    predecessor_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="SET NULL"), index=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="dates_in_order"),
        # A project continues at most once in the same course (two teachers at once included).
        UniqueConstraint("predecessor_id", "course_id", name="one_follow_up_per_course"),
    )

    course: Mapped["Course"] = relationship(back_populates="projects")  # noqa: F821
    organisation: Mapped["Organisation"] = relationship(back_populates="projects")  # noqa: F821
    members: Mapped[list["ProjectMember"]] = relationship(
        back_populates="project", cascade="all, delete-orphan"
    )
    predecessor: Mapped["Project | None"] = relationship(remote_side=[id], foreign_keys=[predecessor_id])


class ProjectMember(db.Model):
    """A person's role in one project: student (team) or partner (organisation side)."""

    __table_args__ = (
        UniqueConstraint("project_id", "user_id"),
        CheckConstraint("role in ('student', 'partner')", name="member_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[Project] = relationship(back_populates="members")
    user: Mapped["User"] = relationship()  # noqa: F821
