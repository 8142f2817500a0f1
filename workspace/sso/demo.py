"""Demo: one student already signed in once with the university account (the link shows on the admin's
user page); no provider is configured in the demo, so the login page shows no SSO buttons."""
from datetime import timedelta

from ..extensions import db
from ..models import ExternalIdentity
from ..models.base import utcnow


def seed(demo: dict) -> None:
    stella = demo["people"]["student6"]
    db.session.add(ExternalIdentity(provider="surf", subject="demo-stella-2f8a", user=stella, email=stella.email,
                                    created_at=utcnow() - timedelta(days=20), last_used_at=utcnow() - timedelta(days=2)))
