"""Partner questions: a societal question an organisation submits without an account, confirmed
by e-mail, then handled by a coordinator (more information, a course, a later term, or no), each
step on the question's own timeline. The contact follows it through a secret link."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

UNCONFIRMED = "unconfirmed"  # submitted, the e-mail link not yet followed: staff do not see it
NEW = "new"  # confirmed (or the contact answered): waits for a coordinator
INFO_REQUESTED = "info_requested"  # waits for the contact's answer
MATCHED = "matched"
PARKED = "parked"
DECLINED = "declined"
WITHDRAWN = "withdrawn"
STATUSES = (UNCONFIRMED, NEW, INFO_REQUESTED, MATCHED, PARKED, DECLINED, WITHDRAWN)
CONFIRMED_STATUSES = STATUSES[1:]
# A coordinator may still act on these; the contact may still withdraw these (and an unconfirmed one).
OPEN = (NEW, INFO_REQUESTED, PARKED)


class PartnerQuestion(db.Model):
    __tablename__ = "partner_question"
    __table_args__ = (
        Index("ix_partner_question_status_waiting", "status", "waiting_since"),
        CheckConstraint("status IN ('unconfirmed', 'new', 'info_requested', 'matched', 'parked', 'declined', "
                        "'withdrawn')", name="partner_question_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the secret link's token
    status: Mapped[str] = mapped_column(String(16), default=UNCONFIRMED)
    organisation_name: Mapped[str] = mapped_column(String(200))
    # An existing organisation of the same name: a claim, until the confirming address belongs to
    # one of its members (then `organisation_id` is set) or a coordinator decides when matching.
    claimed_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"), index=True)
    contact_name: Mapped[str] = mapped_column(String(120))
    contact_email: Mapped[str] = mapped_column(String(254))
    problem: Mapped[str] = mapped_column(Text)
    affected: Mapped[str] = mapped_column(Text, default="")
    hopes: Mapped[str] = mapped_column(Text, default="")
    availability: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[str] = mapped_column(String(200), default="")
    themes: Mapped[str] = mapped_column(String(500), default="")
    consent: Mapped[bool] = mapped_column(default=False, server_default=true())
    term: Mapped[str] = mapped_column(String(60), default="")  # parked for, or the matched course's term
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="SET NULL"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Since when it waits in its present status: the queue shows the longest waiting first.
    waiting_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    claimed_organisation: Mapped["Organisation | None"] = relationship(  # noqa: F821
        foreign_keys=[claimed_organisation_id])
    organisation: Mapped["Organisation | None"] = relationship(foreign_keys=[organisation_id])  # noqa: F821
    course: Mapped["Course | None"] = relationship()  # noqa: F821
    project: Mapped["Project | None"] = relationship()  # noqa: F821
    events: Mapped[list["QuestionEvent"]] = relationship(
        back_populates="question", cascade="all, delete-orphan", passive_deletes=True,
        order_by="QuestionEvent.id")

    @property
    def theme_list(self) -> list[str]:
        return [t.strip() for t in self.themes.split(",") if t.strip()]


class QuestionEvent(db.Model):
    """One step on a question's timeline: who (None: the contact), what, when, and its message."""

    __tablename__ = "question_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("partner_question.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(String(300), default="")  # the term parked for, the course and project
    message: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(default=True, server_default=true())  # shown to the contact too
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    question: Mapped[PartnerQuestion] = relationship(back_populates="events")
    actor: Mapped["User | None"] = relationship()  # noqa: F821
