"""The partnership agreement of a project: roles, responsibilities, check-up cadence, consent,
its versions and who accepted which version."""
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import N_
from .base import UTCDateTime, utcnow

SIDES = ("students", "partner", "teacher")
# Recurrences: None (a one-off with an optional due date), before every check-up, or every N days/weeks.
BEFORE_CHECKUP = "checkup"
EVERY = "every"
UNITS = ("days", "weeks")
CONSENT_KINDS = ("publish_results", "name_and_logo", "data")
CONSENT_STATES = (N_("undecided"), N_("given"), N_("withheld"))


class Agreement(db.Model):
    """One per project. `number` is the current version's number; `version` guards stale edits."""

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), unique=True)
    cadence_days: Mapped[int | None] = mapped_column(CheckConstraint("cadence_days > 0", name="cadence_positive"))
    checkup_channel: Mapped[str] = mapped_column(String(200), default="")
    number: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    project: Mapped["Project"] = relationship()  # noqa: F821
    roles: Mapped[list["AgreementRole"]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="AgreementRole.id")
    consent_items: Mapped[list["ConsentItem"]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="ConsentItem.id")


role_holder = Table(
    "agreement_role_holder", db.metadata,
    Column("role_id", ForeignKey("agreement_role.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class AgreementRole(db.Model):
    """A role someone holds in the partnership (team lead, partner contact…); one or more holders."""

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500), default="")
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    agreement: Mapped[Agreement] = relationship(back_populates="roles")
    holders: Mapped[list["User"]] = relationship(secondary=role_holder, order_by="User.name")  # noqa: F821

    @property
    def project(self):
        return self.agreement.project


class Responsibility(db.Model):
    """One promise (or one occurrence of a recurring promise): what, which side, by when.

    A recurring responsibility is a series of rows sharing `series_id`; marking one done creates
    the next occurrence. `removed_at` hides a promise from the agreement but keeps its history.
    """

    __table_args__ = (
        CheckConstraint("side in ('students', 'partner', 'teacher')", name="responsibility_side"),
        CheckConstraint("recurrence is null or recurrence in ('checkup', 'every')", name="responsibility_recurrence"),
        CheckConstraint("every_unit is null or every_unit in ('days', 'weeks')", name="responsibility_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    series_id: Mapped[int | None] = mapped_column(index=True)
    what: Mapped[str] = mapped_column(String(300))
    side: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    due_date: Mapped[date | None]
    recurrence: Mapped[str | None] = mapped_column(String(16))
    every_n: Mapped[int | None]
    every_unit: Mapped[str | None] = mapped_column(String(8))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    agreement: Mapped[Agreement] = relationship()
    person: Mapped["User | None"] = relationship(foreign_keys=[person_id])  # noqa: F821
    done_by: Mapped["User | None"] = relationship(foreign_keys=[done_by_id])  # noqa: F821

    @property
    def project(self):
        return self.agreement.project

    @property
    def is_recurring(self) -> bool:
        return self.recurrence is not None

    def is_late(self, today: date) -> bool:
        return self.done_at is None and self.due_date is not None and self.due_date < today

    def kept_on_time(self) -> bool:
        return self.done_at is not None and (self.due_date is None or self.done_at.date() <= self.due_date)


class ConsentItem(db.Model):
    """What the partner consents to; given or withheld explicitly by a partner, withdrawable."""

    __table_args__ = (
        UniqueConstraint("agreement_id", "kind"),
        CheckConstraint("state in ('undecided', 'given', 'withheld')", name="consent_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    # For data: which data the partner shares and how it is handled.
    details: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="undecided")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    agreement: Mapped[Agreement] = relationship(back_populates="consent_items")
    decided_by: Mapped["User | None"] = relationship()  # noqa: F821

    @property
    def project(self):
        return self.agreement.project


class AgreementVersion(db.Model):
    """A snapshot of the agreement (roles, responsibilities, cadence, consent) as one number."""

    __table_args__ = (UniqueConstraint("agreement_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    snapshot: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    agreement: Mapped[Agreement] = relationship()
    created_by: Mapped["User | None"] = relationship()  # noqa: F821
    acceptances: Mapped[list["AgreementAcceptance"]] = relationship(
        back_populates="agreement_version", cascade="all, delete-orphan", order_by="AgreementAcceptance.accepted_at")

    @property
    def project(self):
        return self.agreement.project


class AgreementAcceptance(db.Model):
    """A member accepted one version of the agreement, at a time."""

    __table_args__ = (UniqueConstraint("agreement_version_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_version_id: Mapped[int] = mapped_column(ForeignKey("agreement_version.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agreement_version: Mapped[AgreementVersion] = relationship(back_populates="acceptances")
    user: Mapped["User"] = relationship()  # noqa: F821
