"""What an organisation keeps about itself beyond its name (contact people, what it shares with
other organisations), and the introductions teachers make between organisations (sustainable
relationships, learning communities around shared themes)."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, false, true
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

# The parts of an organisation's page another organisation's partners (and students) may be
# shown; its own members, teachers and admins always see everything.
SHARABLE = ("description", "themes", "website", "contacts", "projects", "pulse")
SHARED_BY_DEFAULT = frozenset({"description", "themes", "website"})

PENDING, ACCEPTED, DECLINED = "pending", "accepted", "declined"
ANSWERS = (PENDING, ACCEPTED, DECLINED)


class OrganisationProfile(db.Model):
    """One row per organisation, made on its first edit; without it the defaults hold."""

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True)
    # Contact people, one per line ("name, role, e-mail or phone"), as the partner writes them.
    contacts: Mapped[str] = mapped_column(Text, default="")
    share_description: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    share_themes: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    share_website: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    share_contacts: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    share_projects: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    share_pulse: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Partners of one organisation may edit its profile at the same time: a stale form gets 409.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    organisation: Mapped["Organisation"] = relationship(  # noqa: F821
        backref=backref("profile", uselist=False, cascade="all, delete-orphan"))

    def __init__(self, **kwargs):
        for section in SHARABLE:  # the defaults, also before the row is flushed
            kwargs.setdefault(f"share_{section}", section in SHARED_BY_DEFAULT)
        kwargs.setdefault("contacts", "")
        super().__init__(**kwargs)

    def shared(self) -> set[str]:
        return {section for section in SHARABLE if getattr(self, f"share_{section}")}

    @property
    def contact_lines(self) -> list[str]:
        return [line.strip() for line in self.contacts.splitlines() if line.strip()]


class Introduction(db.Model):
    """A teacher introduces `organisation` to `other`; each side accepts or declines being introduced."""

    __table_args__ = (
        CheckConstraint("organisation_id <> other_id", name="introduction_two_sides"),
        CheckConstraint("answer in ('pending', 'accepted', 'declined')", name="introduction_answer"),
        CheckConstraint("other_answer in ('pending', 'accepted', 'declined')", name="introduction_other_answer"),
        Index("ix_introduction_pair", "organisation_id", "other_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    other_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    introduced_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Each side's answer: `answer` is the first organisation's, `other_answer` the other's.
    answer: Mapped[str] = mapped_column(String(16), default=PENDING)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    other_answer: Mapped[str] = mapped_column(String(16), default=PENDING)
    other_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    organisation: Mapped["Organisation"] = relationship(foreign_keys=[organisation_id])  # noqa: F821
    other: Mapped["Organisation"] = relationship(foreign_keys=[other_id])  # noqa: F821
    introduced_by: Mapped["User | None"] = relationship()  # noqa: F821

    @property
    def state(self) -> str:
        answers = {self.answer, self.other_answer}
        if DECLINED in answers:
            return DECLINED
        return ACCEPTED if answers == {ACCEPTED} else PENDING

    def answer_of(self, organisation_id: int) -> str:
        return self.answer if organisation_id == self.organisation_id else self.other_answer

    def counterpart(self, organisation_id: int):
        """The organisation on the other side from `organisation_id`."""
        return self.other if organisation_id == self.organisation_id else self.organisation


@dataclass(frozen=True)
class IntroductionSide:
    """One organisation's side of an introduction: what its members answer for."""

    introduction: Introduction
    organisation: "Organisation"  # noqa: F821
