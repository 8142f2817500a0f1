"""Who is told of a response under a reflection: the student when someone else responds, and the
teachers who responded before when the student replies. Texts name people, never the entry's
words; private entries are recorded without a project, so this listens for them here rather
than in notifications/events.py (which only follows project activity)."""
from flask import has_request_context, url_for
from flask_babel import gettext as _

from ..activity import LISTENERS
from ..extensions import db
from ..models import User
from ..models.reflection import Reflection, ReflectionResponse
from ..notifications.services import notify


def on_activity(entry, subject, project, actor) -> None:
    if entry.subject_type != "reflection" or entry.verb != "responded" or not has_request_context():
        return
    reflection: Reflection = subject
    if actor is not None and actor.id == reflection.author_id:
        earlier = set(db.session.scalars(db.select(ReflectionResponse.author_id)
                                         .where(ReflectionResponse.reflection_id == reflection.id)))
        earlier.discard(reflection.author_id)
        earlier.discard(None)
        users = db.session.scalars(db.select(User).where(User.id.in_(earlier))).all() if earlier else []
        text = _("%(name)s replied under their reflection", name=actor.name)
    else:
        users = [reflection.author]
        text = _("%(name)s responded to your reflection", name=actor.name if actor else _("Someone"))
    if not users:
        return
    db.session.flush()
    url = url_for("reflections.show", project_id=reflection.project_id, reflection_id=reflection.id)
    notify(users, "reflection", f"activity-{entry.id}", text, url, project=reflection.project, actor=actor)


LISTENERS.append(on_activity)
