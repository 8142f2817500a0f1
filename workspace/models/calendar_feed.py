"""A person's calendar subscription: the secret behind the address a calendar app polls."""
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class CalendarFeed(db.Model):
    """One per person. The address carries an HMAC of `secret` under the app's SECRET_KEY, so the
    address can be shown again on the profile, yet a copy of the database alone cannot open a feed.
    Renewing replaces `secret`: the old address stops working at once."""

    __tablename__ = "calendar_feed"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    renewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped["User"] = relationship()  # noqa: F821
