"""Deliverables (dissemination): what the team hands to the partner and the community, in
versions with files and links, reviewed by the partner, and handed over along a checklist.

Files live in the database (`StoredFile`), so every app server shares them and a backup
holds everything. The rules between these states live in workspace/deliverables/services.py.
"""
from datetime import date, datetime

from sqlalchemy import (CheckConstraint, Column, Date, ForeignKey, Index, LargeBinary, String, Table, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

KINDS = ("report", "toolkit", "presentation", "video", "workshop", "dataset", "website", "article", "other")

DRAFT = "draft"
IN_REVIEW = "in_review"
CHANGES_REQUESTED = "changes_requested"
APPROVED = "approved"
HANDED_OVER = "handed_over"
DELIVERABLE_STATES = (DRAFT, IN_REVIEW, CHANGES_REQUESTED, APPROVED, HANDED_OVER)
DECISIONS = (APPROVED, CHANGES_REQUESTED)


def _sql_in(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


# The goals a deliverable serves (co-creation meets dissemination).
deliverable_goal = Table(
    "deliverable_goal",
    db.metadata,
    Column("deliverable_id", ForeignKey("deliverable.id", ondelete="CASCADE"), primary_key=True),
    Column("goal_id", ForeignKey("goal.id", ondelete="CASCADE"), primary_key=True, index=True),
)


def is_late(due_date: date | None, state: str) -> bool:
    """A deliverable is late when its due day has passed and it is not handed over (`Deliverable.late`,
    also used by rows that hold only the columns, such as the board's)."""
    return due_date is not None and due_date < date.today() and state != HANDED_OVER


class Deliverable(db.Model):
    __table_args__ = (
        CheckConstraint(f"kind in ({_sql_in(KINDS)})", name="deliverable_kind"),
        CheckConstraint(f"state in ({_sql_in(DELIVERABLE_STATES)})", name="deliverable_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    # Who will use it, in which language, and how it reaches them.
    audience: Mapped[str] = mapped_column(String(300), default="")
    language: Mapped[str] = mapped_column(String(80), default="")
    channel: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # Optional: when the team means to hand it over. Past it and not handed over, it is late.
    due_date: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set by every change (also a new version), so concurrent changes meet the version check.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    project: Mapped["Project"] = relationship()  # noqa: F821
    created_by: Mapped["User | None"] = relationship()  # noqa: F821
    goals: Mapped[list["Goal"]] = relationship(secondary=deliverable_goal, order_by="Goal.position")  # noqa: F821
    versions: Mapped[list["DeliverableVersion"]] = relationship(
        back_populates="deliverable", cascade="all, delete-orphan", order_by="DeliverableVersion.number",
        passive_deletes=True,
    )
    handover_items: Mapped[list["HandoverItem"]] = relationship(
        back_populates="deliverable", cascade="all, delete-orphan",
        order_by=lambda: [HandoverItem.position, HandoverItem.id], passive_deletes=True,
    )

    @property
    def late(self) -> bool:
        return is_late(self.due_date, self.state)

    def __repr__(self) -> str:
        return f"<Deliverable {self.id} {self.state} {self.title!r}>"


class DeliverableVersion(db.Model):
    """One version of a deliverable: its files and links and a note on what changed."""

    __tablename__ = "deliverable_version"
    __table_args__ = (UniqueConstraint("deliverable_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deliverable_id: Mapped[int] = mapped_column(ForeignKey("deliverable.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    deliverable: Mapped[Deliverable] = relationship(back_populates="versions")
    created_by: Mapped["User | None"] = relationship(foreign_keys=[created_by_id])  # noqa: F821
    submitted_by: Mapped["User | None"] = relationship(foreign_keys=[submitted_by_id])  # noqa: F821
    files: Mapped[list["StoredFile"]] = relationship(
        back_populates="version", order_by="StoredFile.id", passive_deletes=True,
    )
    links: Mapped[list["VersionLink"]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="VersionLink.id", passive_deletes=True,
    )
    reviews: Mapped[list["Review"]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="Review.created_at", passive_deletes=True,
    )

    @property
    def project(self):
        return self.deliverable.project

    @property
    def decision(self) -> str | None:
        """The partner's verdict on this version, if any (one review per version)."""
        return self.reviews[-1].decision if self.reviews else None


class VersionLink(db.Model):
    """A link that is part of a version (a video, a website, a repository): https only."""

    __tablename__ = "version_link"
    __table_args__ = (CheckConstraint("url like 'https://%'", name="https_only"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("deliverable_version.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    label: Mapped[str] = mapped_column(String(200), default="")

    version: Mapped[DeliverableVersion] = relationship(back_populates="links")


class StoredFile(db.Model):
    """An uploaded file, its bytes in the database. The original name is only ever shown and
    sent back as a download name, never used as a path. `data` loads only when asked for."""

    __tablename__ = "stored_file"
    __table_args__ = (Index("ix_stored_file_project_size", "project_id", "size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliverable_version.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped["Project"] = relationship()  # noqa: F821
    version: Mapped[DeliverableVersion | None] = relationship(back_populates="files")

    @property
    def previewable(self) -> bool:
        return self.content_type == "application/pdf" or self.content_type.startswith("image/")


class Review(db.Model):
    """The partner's verdict on one version: approved, or changes requested with a comment."""

    __table_args__ = (CheckConstraint(f"decision in ({_sql_in(DECISIONS)})", name="review_decision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("deliverable_version.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decision: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[DeliverableVersion] = relationship(back_populates="reviews")
    reviewer: Mapped["User | None"] = relationship()  # noqa: F821


class HandoverItem(db.Model):
    """One point of the handover checklist, ticked by the partner (empowerment made concrete)."""

    __tablename__ = "handover_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    deliverable_id: Mapped[int] = mapped_column(ForeignKey("deliverable.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    ticked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    ticked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    deliverable: Mapped[Deliverable] = relationship(back_populates="handover_items")
    added_by: Mapped["User | None"] = relationship(foreign_keys=[added_by_id])  # noqa: F821
    ticked_by: Mapped["User | None"] = relationship(foreign_keys=[ticked_by_id])  # noqa: F821

    @property
    def project(self):
        return self.deliverable.project
