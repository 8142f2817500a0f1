"""What introductions add to a partner's home and the navigation badge: introductions waiting for
their organisation's answer (one query each)."""
from functools import cache

from sqlalchemy import and_, or_
from sqlalchemy.orm import joinedload

from ..database import BoundPerson
from ..extensions import db
from ..models import Introduction, OrganisationMember
from ..models.organisation_profile import DECLINED, PENDING
from ..policy import organisations_of
from ..sections import home_section, waiting_counter


def _waiting_query(user, *columns):
    """Introductions where the user speaks for a side that has not answered, and nobody declined."""
    member = OrganisationMember
    return (db.select(*columns)
            .join(member, or_(and_(member.organisation_id == Introduction.organisation_id,
                                   Introduction.answer == PENDING),
                              and_(member.organisation_id == Introduction.other_id,
                                   Introduction.other_answer == PENDING)))
            .where(member.user_id == user.id, Introduction.answer != DECLINED, Introduction.other_answer != DECLINED))


@cache
def _home_statement():
    """Built once per process (building it cost more than running it); the person is `user_id`."""
    return (_waiting_query(BoundPerson(), Introduction, OrganisationMember.organisation_id)
            .options(joinedload(Introduction.organisation), joinedload(Introduction.other),
                     joinedload(Introduction.introduced_by))
            .order_by(Introduction.created_at))


@home_section("introductions", "organisations/_home_introductions.html")
def home(user) -> dict | None:
    if not organisations_of(user):  # nobody's voice: no introduction waits for them (and no query)
        return None
    rows = db.session.execute(_home_statement(), {"user_id": user.id}).all()
    if not rows:
        return None
    return {"waiting": [(introduction, organisation_id) for introduction, organisation_id in rows]}


def _count_waiting(user):
    return _waiting_query(user, db.func.count(Introduction.id))


@waiting_counter("introductions", statement=_count_waiting)
def waiting(user) -> int:
    return db.session.scalar(_count_waiting(user)) or 0
