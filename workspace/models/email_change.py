"""A change of e-mail address waiting for the new address to confirm it (or the old one to cancel it)."""
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

CONFIRMED, CANCELLED, REPLACED = "confirmed", "cancelled", "replaced"


class EmailChange(db.Model):
    """The account keeps its address until the link sent to `new_email` is opened; the old address
    gets a link that cancels it. Only the SHA-256 of each link's token is stored."""

    __tablename__ = "email_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    old_email: Mapped[str] = mapped_column(String(254))
    new_email: Mapped[str] = mapped_column(String(254))
    confirm_hash: Mapped[str] = mapped_column(String(64), unique=True)
    cancel_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(12))  # confirmed | cancelled | replaced

    user: Mapped["User"] = relationship()  # noqa: F821

    def is_open(self) -> bool:
        return self.ended_at is None and self.expires_at > utcnow()
