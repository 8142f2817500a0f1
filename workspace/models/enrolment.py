"""Course-level membership: a student enrolled in a course before (and beside) any team.

Enrolment comes from a CSV import, the course's join code, an LTI roster sync or an invitation.
A student who leaves is marked `left`, never deleted: nobody's work is removed.
"""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

ENROLLED = "enrolled"
LEFT = "left"
ENROLMENT_STATUSES = (ENROLLED, LEFT)
# Where an enrolment came from (shown to teachers; a roster sync only marks its own as left).
ENROLMENT_SOURCES = ("csv", "join", "lti", "invitation", "manual")


class CourseEnrolment(db.Model):
    """A student of a course, whether or not they are in a project team yet."""

    __table_args__ = (
        UniqueConstraint("course_id", "user_id", name="one_enrolment_per_course"),
        CheckConstraint("status in ('enrolled', 'left')", name="enrolment_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    student_number: Mapped[str] = mapped_column(String(40), default="")
    source: Mapped[str] = mapped_column(String(16), default="manual")
    status: Mapped[str] = mapped_column(String(16), default=ENROLLED)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course: Mapped["Course"] = relationship()  # noqa: F821
    user: Mapped["User"] = relationship()  # noqa: F821


class CourseJoinCode(db.Model):
    """A course's join code: students type it or open its link to enrol; the teacher switches it off or renews it."""

    __table_args__ = (UniqueConstraint("code", name="join_code_unique"),)

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped["Course"] = relationship()  # noqa: F821
