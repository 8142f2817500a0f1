"""The per-project summary row behind the teacher dashboard, written in the same transaction as
every change it depends on, so a dashboard of 100 projects is one indexed read.

A flush that adds, changes or deletes a goal, responsibility, agreement (version, acceptance),
check-up, feedback item, pulse rating, deliverable, membership or timeline entry marks its project
and the kinds of input it touches; just before the transaction commits, those inputs are computed
again (`signals.project_inputs`, one query per kind) and written into the marked rows. Activity that is
only added needs no query: the last activity is the later of the stored one and the newest added (every
action adds one, so this saves every action a statement; a savepoint rolled back, or an entry changed or
deleted, reads it again). Writes that
bypass the session's objects (bulk SQL, an archive from before this table) are caught up by
`flask rebuild-summaries`; until then a project without a row is computed in full when shown.
"""
from datetime import datetime

import click
from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import (
    Activity, Agreement, AgreementAcceptance, AgreementVersion, CheckUp, Deliverable, FeedbackItem, Goal, Project,
    ProjectMember, PulseRating, Responsibility,
)
from ..models.base import as_utc, utcnow
from ..models.summary import ProjectSummary
from .signals import KINDS, project_inputs

# what a change of each kind of row touches (acceptances count members; the pulse carries check-up dates)
TOUCHES = {
    Goal: ("goals",), CheckUp: ("checkups", "pulse"), FeedbackItem: ("feedback",), PulseRating: ("pulse",),
    Deliverable: ("deliverables",), ProjectMember: ("members", "agreement"), Activity: ("activity",),
    Agreement: ("agreement", "responsibilities"), Responsibility: ("responsibilities",),
    AgreementVersion: ("agreement",), AgreementAcceptance: ("agreement",),
}
MARKS = "summary_marks"  # session.info: {("project" | "agreement" | "version", id): kinds}
ADDED_ACTIVITY = "summary_added_activity"  # session.info: {project id: the newest created_at of activity added}


def _mark(session, objects, added: bool = False) -> None:
    marks = None
    for obj in objects:
        kinds = TOUCHES.get(type(obj))
        if kinds is None:
            continue
        if added and type(obj) is Activity and obj.project_id is not None and obj.created_at is not None:
            newest = session.info.setdefault(ADDED_ACTIVITY, {})
            when = as_utc(obj.created_at)
            if obj.project_id not in newest or when > newest[obj.project_id]:
                newest[obj.project_id] = when
            continue
        if isinstance(obj, (Responsibility, AgreementVersion)):
            key = ("agreement", obj.agreement_id)
        elif isinstance(obj, AgreementAcceptance):
            key = ("version", obj.agreement_version_id)
        else:
            key = ("project", obj.project_id)
        if key[1] is not None:
            marks = session.info.setdefault(MARKS, {}) if marks is None else marks
            marks.setdefault(key, set()).update(kinds)


def mark_changed(session, obj) -> None:
    """A row written past the unit of work (a statement of its own) marks its project as a flush of the
    changed object would."""
    _mark(session, (obj,))


@event.listens_for(Session, "before_flush")
def _mark_deleted(session, _context, _instances):
    """Deleted rows before the flush: their attributes can still be loaded."""
    _mark(session, session.deleted)


@event.listens_for(Session, "after_flush")
def _mark_written(session, _context):
    """New and changed rows after the flush: a row added through a relationship has its ids only now."""
    _mark(session, session.new, added=True)
    _mark(session, session.dirty)


@event.listens_for(Session, "before_commit")
def _refresh_marked(session):
    if session.in_nested_transaction():  # a savepoint: SQLAlchemy fires commit/rollback events for it too
        return
    session.flush()  # the last changes mark their projects too
    marks = session.info.pop(MARKS, None) or {}
    added = session.info.pop(ADDED_ACTIVITY, None) or {}
    if not marks and not added:
        return
    projects = {project_id: set() for project_id in added}
    versions = {i: kinds for (what, i), kinds in marks.items() if what == "version"}
    agreements = {i: kinds for (what, i), kinds in marks.items() if what == "agreement"}
    if versions:
        for version_id, agreement_id in session.execute(
                select(AgreementVersion.id, AgreementVersion.agreement_id).where(AgreementVersion.id.in_(versions))):
            agreements.setdefault(agreement_id, set()).update(versions[version_id])
    if agreements:
        for agreement_id, project_id in session.execute(
                select(Agreement.id, Agreement.project_id).where(Agreement.id.in_(agreements))):
            projects.setdefault(project_id, set()).update(agreements[agreement_id])
    for (what, i), kinds in marks.items():
        if what == "project":
            projects.setdefault(i, set()).update(kinds)
    refresh(projects, session, {project_id: when for project_id, when in added.items()
                                if "activity" not in projects[project_id]})


@event.listens_for(Session, "after_rollback")
def _forget(session):
    if session.in_nested_transaction():  # a savepoint: SQLAlchemy fires commit/rollback events for it too
        # activity it added may be gone with it: those projects' last activity is read again at the commit
        added = session.info.pop(ADDED_ACTIVITY, None)
        if added:
            marks = session.info.setdefault(MARKS, {})
            for project_id in added:
                marks.setdefault(("project", project_id), set()).add("activity")
        return
    session.info.pop(MARKS, None)
    session.info.pop(ADDED_ACTIVITY, None)


# The rows to refresh, built once per process (every commit that changes a project asks it).
_STORED = (select(ProjectSummary.project_id, ProjectSummary.data)
           .where(ProjectSummary.project_id.in_(bindparam("ids", expanding=True)))
           .order_by(ProjectSummary.project_id).with_for_update())
_TABLE = ProjectSummary.__table__
# and the row written back (built once too: building and caching an UPDATE cost each action about as
# much as running it)
_WRITE = (_TABLE.update().where(_TABLE.c.project_id == bindparam("summary_project"))
          .values(data=bindparam("summary_data", type_=_TABLE.c.data.type),
                  updated_at=bindparam("summary_at", type_=_TABLE.c.updated_at.type)))


def refresh(projects: dict, session=None, added_activity: dict | None = None) -> None:
    """Compute again the given kinds of input ({project id: kinds}) and write them into the rows;
    a project without a row yet gets every kind. `added_activity` ({project id: the newest created_at
    of activity added}): the last activity is the later of the stored one and that, without a query."""
    session = session or db.session
    # Locked (PostgreSQL; SQLite serialises writers anyway), in id order: a concurrent change to the
    # same project waits, then reads this one's row, so neither writes back the other's stale kinds.
    stored = dict(session.execute(_STORED, {"ids": list(projects)}).all())
    unseen = set(projects) - set(stored)
    new = set(session.scalars(select(Project.id).where(Project.id.in_(unseen)))) if unseen else set()
    now = utcnow()
    if new:
        session.execute(_TABLE.insert(), [{"project_id": project_id, "data": data, "updated_at": now}
                                         for project_id, data in project_inputs(sorted(new), session=session).items()])
    by_kinds = {}
    for project_id in stored:
        by_kinds.setdefault(frozenset(projects[project_id]), []).append(project_id)
    added_activity = added_activity or {}
    for kinds, ids in by_kinds.items():
        for project_id, fresh in project_inputs(ids, [k for k in KINDS if k in kinds], session=session).items():
            if project_id in added_activity:
                last = stored[project_id].get("last_activity")
                newest = added_activity[project_id]
                if last is None or newest > datetime.fromisoformat(last):
                    fresh["last_activity"] = newest.isoformat()
            session.execute(_WRITE, {"summary_project": project_id, "summary_data": {**stored[project_id], **fresh},
                                     "summary_at": now})


def rebuild_all(batch: int = 500) -> int:
    """Every project's summary computed again from the data; returns how many."""
    ids = list(db.session.scalars(select(Project.id).order_by(Project.id)))
    db.session.execute(ProjectSummary.__table__.delete())
    for start in range(0, len(ids), batch):
        refresh({project_id: set(KINDS) for project_id in ids[start:start + batch]})
    return len(ids)


@click.command("rebuild-summaries")
def rebuild_summaries_command():
    """Compute every project's dashboard summary again (after `flask import` or bulk SQL)."""
    count = rebuild_all()
    db.session.commit()
    click.echo(f"project summaries rebuilt: {count}")
