"""Check-ups: planned and logged feedback meetings between team and partner, the feedback
items raised there (each closes its loop), action items, the partner's corrections, the values
pulse, and how a course adapts the guiding values."""
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import N_
from .base import UTCDateTime, utcnow

# The nine guiding values (key, label) in the guide's order; the pulse asks about them.
VALUES = (
    ("relevance", N_("Relevance")),
    ("meaningfulness", N_("Meaningfulness")),
    ("reciprocity", N_("Reciprocity")),
    ("empowerment", N_("Empowerment and capacity building")),
    ("humbleness", N_("Humbleness")),
    ("cultural_sensitivity", N_("Cultural sensitivity")),
    ("co_creation", N_("Collaboration and co-creation")),
    ("sustainable_relationships", N_("Sustainable relationships")),
    ("transparency", N_("Transparency and fairness")),
)
VALUE_KEYS = tuple(key for key, _ in VALUES)
VALUE_LABELS = dict(VALUES)

# States of a check-up; the transitions live in workspace/checkups/services.py.
PLANNED = "planned"
LOGGED = "logged"  # held and written down, waiting for the partner's confirmation
CONFIRMED = "confirmed"  # closed: the log is immutable except through a new correction
CORRECTION_PENDING = "correction_pending"  # the partner asked for a correction the team must resolve
CHECKUP_STATES = (PLANNED, LOGGED, CONFIRMED, CORRECTION_PENDING)

CHANNELS = ("on_site", "video_call", "phone", "other")
RAISED_BY = ("partner", "students", "teacher")
OPEN, INTEGRATED, NOT_INTEGRATED = "open", "integrated", "not_integrated"
FEEDBACK_STATES = (OPEN, INTEGRATED, NOT_INTEGRATED)
PULSE_SIDES = ("student", "partner")


def _in(column: str, options) -> str:
    return f"{column} in ({', '.join(repr(o) for o in options)})"


def is_held(state: str) -> bool:
    """A check-up has been held once it is no longer only planned (the rule of `CheckUp.held`, also
    used by rows that hold only the columns, such as the board's)."""
    return state != PLANNED


def is_overdue(done: bool, due_date: date) -> bool:
    """An action item is overdue when it is not done and its day has passed (`ActionItem.overdue`)."""
    return not done and due_date < date.today()


class CheckUp(db.Model):
    __tablename__ = "checkup"
    __table_args__ = (
        CheckConstraint(_in("state", CHECKUP_STATES), name="checkup_state"),
        Index("ix_checkup_project_planned", "project_id", "planned_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(20), default="on_site")
    location: Mapped[str] = mapped_column(String(500), default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default=PLANNED, index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[str] = mapped_column(Text, default="")
    planned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    logged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    project: Mapped["Project"] = relationship()  # noqa: F821
    logged_by: Mapped["User | None"] = relationship(foreign_keys=[logged_by_id])  # noqa: F821
    confirmed_by: Mapped["User | None"] = relationship(foreign_keys=[confirmed_by_id])  # noqa: F821
    attendees: Mapped[list["CheckUpAttendee"]] = relationship(
        back_populates="checkup", cascade="all, delete-orphan", order_by="CheckUpAttendee.id")
    feedback_items: Mapped[list["FeedbackItem"]] = relationship(
        back_populates="checkup", cascade="all, delete-orphan", order_by="FeedbackItem.id")
    action_items: Mapped[list["ActionItem"]] = relationship(
        back_populates="checkup", cascade="all, delete-orphan", order_by="ActionItem.id")
    corrections: Mapped[list["Correction"]] = relationship(
        back_populates="checkup", cascade="all, delete-orphan", order_by="Correction.id")

    @property
    def held(self) -> bool:
        return is_held(self.state)

    @property
    def closed(self) -> bool:
        return self.state == CONFIRMED


class CheckUpAttendee(db.Model):
    """Someone who was there: a project member, or a guest known only by name."""

    __table_args__ = (CheckConstraint("user_id is not null or guest_name <> ''", name="attendee_named"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkup_id: Mapped[int] = mapped_column(ForeignKey("checkup.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    guest_name: Mapped[str] = mapped_column(String(120), default="")

    checkup: Mapped[CheckUp] = relationship(back_populates="attendees")
    user: Mapped["User | None"] = relationship()  # noqa: F821

    @property
    def name(self) -> str:
        return self.user.name if self.user is not None else self.guest_name


class FeedbackItem(db.Model):
    """Feedback raised at a check-up and the team's answer to it: the loop it must close."""

    __table_args__ = (
        CheckConstraint(_in("raised_by", RAISED_BY), name="feedback_raised_by"),
        CheckConstraint(_in("state", FEEDBACK_STATES), name="feedback_state"),
        Index("ix_feedback_item_project_state", "project_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkup_id: Mapped[int] = mapped_column(ForeignKey("checkup.id", ondelete="CASCADE"), index=True)
    # Denormalised so the board counts open feedback of a project in one query.
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    raised_by: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=OPEN)
    # Integrated: where (a goal of the project and/or a note naming a deliverable or anything else).
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("goal.id", ondelete="SET NULL"))
    integrated_where: Mapped[str] = mapped_column(Text, default="")
    # Not integrated: why; the partner sees it.
    reason: Mapped[str] = mapped_column(Text, default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    checkup: Mapped[CheckUp] = relationship(back_populates="feedback_items")
    goal: Mapped["Goal | None"] = relationship()  # noqa: F821
    responded_by: Mapped["User | None"] = relationship(foreign_keys=[responded_by_id])  # noqa: F821

    @property
    def project(self):
        return self.checkup.project


class ActionItem(db.Model):
    """Something someone promised at a check-up: an owner from the project and a due date."""

    __table_args__ = (Index("ix_action_item_owner_done", "owner_id", "done"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkup_id: Mapped[int] = mapped_column(ForeignKey("checkup.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(500))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    due_date: Mapped[date]
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    checkup: Mapped[CheckUp] = relationship(back_populates="action_items")
    owner: Mapped["User | None"] = relationship()  # noqa: F821

    @property
    def project(self):
        return self.checkup.project

    @property
    def overdue(self) -> bool:
        return is_overdue(self.done, self.due_date)


class Correction(db.Model):
    """The partner's correction of a log; the log counts as confirmed once the team resolved it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    checkup_id: Mapped[int] = mapped_column(ForeignKey("checkup.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    checkup: Mapped[CheckUp] = relationship(back_populates="corrections")
    author: Mapped["User | None"] = relationship(foreign_keys=[author_id])  # noqa: F821
    resolved_by: Mapped["User | None"] = relationship(foreign_keys=[resolved_by_id])  # noqa: F821

    @property
    def project(self):
        return self.checkup.project


class PulseRating(db.Model):
    """One person's 1–5 score for one guiding value at one check-up; `side` is their role then."""

    __table_args__ = (
        UniqueConstraint("checkup_id", "user_id", "value_key", name="uq_pulse_rating_once"),
        CheckConstraint("score >= 1 and score <= 5", name="pulse_score_range"),
        CheckConstraint(_in("side", PULSE_SIDES), name="pulse_side"),
        CheckConstraint(_in("value_key", VALUE_KEYS), name="pulse_value_key"),
        Index("ix_pulse_rating_project", "project_id", "checkup_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkup_id: Mapped[int] = mapped_column(ForeignKey("checkup.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(16))
    value_key: Mapped[str] = mapped_column(String(40))
    score: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped["User"] = relationship()  # noqa: F821


class CourseValueSetting(db.Model):
    """Whether the course's pulse asks about a value (no row: it does), and what it means here."""

    __table_args__ = (
        UniqueConstraint("course_id", "value_key", name="uq_course_value_setting"),
        CheckConstraint(_in("value_key", VALUE_KEYS), name="course_value_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    value_key: Mapped[str] = mapped_column(String(40))
    asked: Mapped[bool] = mapped_column(Boolean, default=True)


class CoursePrompt(db.Model):
    """A reflection prompt of the course's own (the reflections feature shows them)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(300))
