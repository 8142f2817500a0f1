"""Single-use, expiring invitations to join a project (student, partner) or a course (teacher, or a
student enrolled in the course before any team: a class import, workspace/enrolment)."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

INVITABLE_ROLES = ("student", "partner", "teacher")


class Invitation(db.Model):
    __table_args__ = (
        CheckConstraint("role in ('student', 'partner', 'teacher')", name="invitation_role"),
        CheckConstraint(
            "(role = 'teacher' AND project_id IS NULL) OR (role = 'partner' AND project_id IS NOT NULL)"
            " OR role = 'student'",
            name="invitation_target",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A student's number from the class list, kept until the enrolment is made on accepting.
    student_number: Mapped[str] = mapped_column(String(40), default="", server_default="")

    course: Mapped["Course"] = relationship()  # noqa: F821
    project: Mapped["Project | None"] = relationship()  # noqa: F821
    invited_by: Mapped["User | None"] = relationship(foreign_keys=[invited_by_id])  # noqa: F821

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= utcnow():
            return "expired"
        return "pending"
