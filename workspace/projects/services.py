"""Creating projects, changing them and their team."""
from flask_babel import gettext as _

from ..activity import record
from ..extensions import db
from ..models import Project, ProjectMember, User
from ..rules import check_version


def partners_by_project(project_ids) -> dict[int, list[User]]:
    """The partner members of each given project, in one query (the daily asking commands use it)."""
    found: dict[int, list[User]] = {}
    for project_id, user in db.session.execute(
        db.select(ProjectMember.project_id, User).join(User, User.id == ProjectMember.user_id)
        .where(ProjectMember.project_id.in_(list(project_ids)), ProjectMember.role == "partner")
        .order_by(ProjectMember.project_id, User.id)
    ):
        found.setdefault(project_id, []).append(user)
    return found


def create_project(actor, course, **fields) -> Project:
    project = Project(course=course, **fields)
    db.session.add(project)
    db.session.flush()
    record(actor, "created", project, _("%(name)s created the project %(title)s", name=actor.name, title=project.title),
           project=project)
    return project


def update_project(actor, project: Project, submitted_version: int | None, **fields) -> None:
    """Apply the edit only if the form was made from the current version."""
    check_version(project, submitted_version)
    before = {key: _plain(getattr(project, key)) for key in fields}
    for key, value in fields.items():
        setattr(project, key, value)
    record(actor, "edited", project, _("%(name)s edited the project details", name=actor.name),
           project=project, before=before)
    db.session.flush()


def remove_member(actor, member) -> None:
    record(actor, "removed", member, _("%(name)s removed %(member)s (%(role)s) from the project",
                                       name=actor.name, member=member.user.name, role=_(member.role)),
           project=member.project, before={"user_id": member.user_id, "role": member.role})
    db.session.delete(member)


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
