"""What reflections add to other pages: a board section (the student's own count and the team's
shared entries; for a teacher, how many there are) and timeline links for those who may open them."""
from flask import url_for
from sqlalchemy import func, or_

from ..extensions import db
from ..models.base import as_utc
from ..models.reflection import SHARED, Reflection
from ..policy import can, project_role
from ..sections import activity_link, activity_openable, board_section


@board_section("reflections", "reflections/_board.html")
def board(project, user) -> dict:
    if not can(user, "reflection.list", project):
        return {"project": project, "visible": False}
    mine = func.sum(db.case((Reflection.author_id == user.id, 1), else_=0))
    shared = func.sum(db.case((Reflection.visibility == SHARED, 1), else_=0))
    query = (db.select(func.count(Reflection.id), mine, shared, func.max(Reflection.created_at))
             .where(Reflection.project_id == project.id))
    if project_role(user, project) != "teacher":  # a student counts what they may read, not teammates' private ones
        query = query.where(or_(Reflection.author_id == user.id, Reflection.visibility == SHARED))
    total, own, team, last = db.session.execute(query).one()
    return {"project": project, "visible": True, "total": total or 0, "own": int(own or 0),
            "shared": int(team or 0), "last": as_utc(last), "can_write": can(user, "reflection.write", project)}


@activity_link("reflection")
def _reflection_link(project_id, subject_id):
    return url_for("reflections.show", project_id=project_id, reflection_id=subject_id)


@activity_openable("reflection")
def _openable(user, ids) -> set[int]:
    """Whether each entry may be opened is asked now, not when its timeline line was written: one made
    private since, or deleted, is a line without a link for everyone who would get 404 (the partner always)."""
    reflections = db.session.scalars(db.select(Reflection).where(Reflection.id.in_(ids))).all()
    return {r.id for r in reflections if can(user, "reflection.view", r)}
