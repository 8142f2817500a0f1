"""Recording activity: every change writes one entry in the same transaction as the change."""
from .extensions import db
from .i18n import recall
from .models import Activity

# Called with (entry, subject, project, actor) after each entry is added: e.g. notifications.
LISTENERS: list = []


def record(actor, verb: str, subject, summary: str, *, project=None, course=None, before=None) -> Activity:
    """Add an activity entry to the session; the request's single commit stores it with the change."""
    if course is not None:
        course_id = course.id
    else:  # the project's course id, without loading the course (a statement per action)
        course_id = project.course_id if project is not None else None
    entry = Activity(
        actor_id=actor.id if actor is not None else None,
        project_id=project.id if project is not None else None,
        course_id=course_id,
        verb=verb,
        subject_type=type(subject).__name__.lower(),
        subject_id=getattr(subject, "id", None),
        summary=summary,
        summary_made=recall(summary),
        before=before,
    )
    db.session.add(entry)
    for listener in LISTENERS:
        listener(entry, subject, project, actor)
    return entry
