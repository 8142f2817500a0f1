"""What reflections add to other pages: a board section (the student's own count and the team's
shared entries; for a teacher, how many there are) and timeline links for those who may open them."""
from functools import cache

from sqlalchemy import bindparam, func, or_

from ..database import PlainRead
from ..extensions import db
from ..models.base import as_utc
from ..models.reflection import SHARED, Reflection
from ..policy import can, project_role
from ..sections import activity_link, activity_openable, board_section
from ..ui import template_url_for


@board_section("reflections", "reflections/_board.html")
def board(project, user) -> dict:
    if not can(user, "reflection.list", project):
        return {"project": project, "visible": False}
    # a student counts what they may read, not teammates' private ones
    query = _counts_statement(readable_only=project_role(user, project) != "teacher")
    total, own, team, last = query({"project_id": project.id, "user_id": user.id})[0]
    return {"project": project, "visible": True, "total": total or 0, "own": int(own or 0),
            "shared": int(team or 0), "last": as_utc(last), "can_write": can(user, "reflection.write", project)}


@cache
def _counts_statement(readable_only: bool):
    """Built once per process (for teachers, and for those who count only what they may read), with
    the project and the person as bound parameters; read as a plain row."""
    mine = func.sum(db.case((Reflection.author_id == bindparam("user_id"), 1), else_=0))
    shared = func.sum(db.case((Reflection.visibility == SHARED, 1), else_=0))
    query = (db.select(func.count(Reflection.id), mine, shared, func.max(Reflection.created_at))
             .where(Reflection.project_id == bindparam("project_id")))
    if readable_only:
        query = query.where(or_(Reflection.author_id == bindparam("user_id"), Reflection.visibility == SHARED))
    return PlainRead(query)


@activity_link("reflection")
def _reflection_link(project_id, subject_id):
    return template_url_for("reflections.show", project_id=project_id, reflection_id=subject_id)


@activity_openable("reflection")
def _openable(user, ids) -> set[int]:
    """Whether each entry may be opened is asked now, not when its timeline line was written: one made
    private since, or deleted, is a line without a link for everyone who would get 404 (the partner always)."""
    reflections = db.session.scalars(db.select(Reflection).where(Reflection.id.in_(ids))).all()
    return {r.id for r in reflections if can(user, "reflection.view", r)}
