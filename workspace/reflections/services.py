"""The rules of reflections: writing, editing, deleting, responding, and what the teacher sees.

Activity entries never carry the text of an entry. A private entry's entries are recorded for
the course only (no project), so they stay out of the project's timeline, which the partner
and the whole team read; a shared entry's appear there as "shared a reflection", no text.
"""
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_

from ..activity import record
from ..extensions import db
from ..models import Project
from ..models.base import as_utc, utcnow
from ..models.reflection import SHARED, VISIBILITIES, Reflection, ReflectionResponse
from ..rules import Refused, check_version
from .prompts import prompt_choices


def _record(actor, verb, reflection, summary, before=None):
    """Shared entries on the project's timeline; private ones only on the course's record."""
    if reflection.visibility == SHARED:
        return record(actor, verb, reflection, summary, project=reflection.project, before=before)
    return record(actor, verb, reflection, summary, course=reflection.project.course, before=before)


def _visibility(value) -> str:
    if value not in VISIBILITIES:
        raise Refused(_("Choose who may read the reflection."), 422)
    return value


def write(actor, project: Project, prompt: str, body: str, visibility: str) -> Reflection:
    """A student writes an entry; the prompt's words are kept with it as they read now."""
    with force_locale("en"):  # the workspace's own prompts kept in English, shown in each reader's language
        offered = dict(prompt_choices(project.course))
    if prompt and prompt not in offered:
        raise Refused(_("Choose one of the prompts offered."), 422)
    source = "course" if prompt.startswith("course:") else prompt
    reflection = Reflection(project=project, author_id=actor.id, prompt_source=source,
                            prompt_text=offered.get(prompt, ""), body=body, visibility=_visibility(visibility))
    db.session.add(reflection)
    db.session.flush()
    summary = (_("%(name)s shared a reflection with the team", name=actor.name) if reflection.visibility == SHARED
               else _("%(name)s wrote a private reflection", name=actor.name))
    _record(actor, "created", reflection, summary)
    return reflection


def edit(actor, reflection: Reflection, submitted_version, body: str, visibility: str) -> None:
    """The author changes the text or who may read it; a stale form raises StaleVersion."""
    check_version(reflection, submitted_version)
    before = {"visibility": reflection.visibility}
    reflection.body = body
    reflection.visibility = _visibility(visibility)
    reflection.updated_at = utcnow()
    db.session.flush()
    _record(actor, "edited", reflection, _("%(name)s edited a reflection", name=actor.name), before=before)


def delete(actor, reflection: Reflection) -> None:
    _record(actor, "deleted", reflection, _("%(name)s deleted a reflection", name=actor.name))
    db.session.delete(reflection)
    db.session.flush()


def respond(actor, reflection: Reflection, body: str) -> ReflectionResponse:
    """A teacher responds under the entry (the student is told), or the student replies."""
    response = ReflectionResponse(reflection=reflection, author_id=actor.id, body=body)
    db.session.add(response)
    db.session.flush()
    if actor.id == reflection.author_id:
        summary = _("%(name)s replied under their reflection", name=actor.name)
    else:
        summary = _("%(name)s responded to %(author)s's reflection", name=actor.name, author=reflection.author.name)
    _record(actor, "responded", reflection, summary)
    return response


# ---- reading ---------------------------------------------------------------------------------------

def readable(user, project, role: str):
    """The entries `user` may read in `project`: teachers all, students their own and shared ones."""
    query = db.select(Reflection).where(Reflection.project_id == project.id)
    if role != "teacher":
        query = query.where(or_(Reflection.author_id == user.id, Reflection.visibility == SHARED))
    return query


def response_counts(reflection_ids) -> dict[int, int]:
    if not reflection_ids:
        return {}
    return dict(db.session.execute(
        db.select(ReflectionResponse.reflection_id, func.count())
        .where(ReflectionResponse.reflection_id.in_(reflection_ids)).group_by(ReflectionResponse.reflection_id)
    ).all())


def course_counts(course) -> dict[tuple[int, int], tuple[int, object]]:
    """(project id, student id) -> (entries written, when the last was written): one query, no text."""
    rows = db.session.execute(
        db.select(Reflection.project_id, Reflection.author_id, func.count(), func.max(Reflection.created_at))
        .join(Project, Project.id == Reflection.project_id).where(Project.course_id == course.id)
        .group_by(Reflection.project_id, Reflection.author_id)
    ).all()
    return {(p, a): (n, as_utc(last)) for p, a, n, last in rows}

