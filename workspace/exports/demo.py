"""Demo: Sam Student's calendar address was renewed once; Tom Teacher has one; everyone else can create theirs.

Rows only: the audit log is for what people really did (and writing it would end the seeding request)."""
import secrets
from datetime import timedelta

from ..extensions import db
from ..models import CalendarFeed
from ..models.base import utcnow


def seed(demo: dict) -> None:
    people, now = demo["people"], utcnow()
    db.session.add_all([
        CalendarFeed(user_id=people["student1"].id, secret=secrets.token_urlsafe(32),
                     created_at=now - timedelta(days=30), renewed_at=now - timedelta(days=2)),
        CalendarFeed(user_id=people["teacher1"].id, secret=secrets.token_urlsafe(32), created_at=now, renewed_at=now),
    ])
    db.session.flush()
