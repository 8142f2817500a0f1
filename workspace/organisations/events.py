"""Who hears of an introduction: both organisations' partners when a teacher introduces them (each
side must answer), the other side and the teacher when a side accepts or declines."""
from flask import has_request_context, url_for
from flask_babel import gettext as _

from ..activity import LISTENERS
from ..extensions import db
from ..models import OrganisationMember, User
from ..notifications.services import notify


def _partners(organisation_id: int) -> list[User]:
    return db.session.scalars(
        db.select(User).join(OrganisationMember, OrganisationMember.user_id == User.id)
        .where(OrganisationMember.organisation_id == organisation_id)).all()


def _tell(users, entry, text, organisation_id, actor) -> None:
    url = url_for("organisations.show", organisation_id=organisation_id) + "#org-introductions"
    notify(users, "introduction", f"activity-{entry.id}", text, url, actor=actor)


def on_activity(entry, subject, project, actor) -> None:
    # Commands (demo data) make their own; people's actions in the workspace notify.
    if entry.subject_type != "introduction" or not has_request_context():
        return
    db.session.flush()
    if entry.verb == "introduced":
        text = _("%(news)s — please accept or decline the introduction", news=entry.summary)
        for organisation_id in (subject.organisation_id, subject.other_id):
            _tell(_partners(organisation_id), entry, text, organisation_id, actor)
    elif entry.verb in ("accepted", "declined"):
        # Tell the other side than the one that answered (stored in `before`), and the teacher.
        answered_for = (entry.before or {}).get("organisation_id")
        other_id = subject.other_id if answered_for == subject.organisation_id else subject.organisation_id
        _tell(_partners(other_id), entry, entry.summary, other_id, actor)
        if subject.introduced_by is not None:
            _tell([subject.introduced_by], entry, entry.summary, subject.organisation_id, actor)


LISTENERS.append(on_activity)
