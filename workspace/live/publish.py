"""Publish a small event (name and ids, never text) to Redis once the request's transaction commits.

`activity.record` is called for every change, so listening there covers every feature. Events wait
on the database session until it commits; a rollback drops them. Without REDIS_URL nothing is
collected or published and pages work as before.
"""
import json
import logging
import os
import time

import redis
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db

log = logging.getLogger(__name__)
PENDING = "live_events"

# Which live part of a page a change touches: subject type → (event name, attribute holding the part's id).
PARTS = {
    "goal": ("goal-changed", "id"),
    "checkup": ("checkup-changed", "id"),
    "feedbackitem": ("checkup-changed", "checkup_id"),
    "actionitem": ("checkup-changed", "checkup_id"),
    "correction": ("checkup-changed", "checkup_id"),
    "deliverable": ("deliverable-changed", "id"),
    "agreement": ("agreement-changed", "id"),
    "agreementrole": ("agreement-changed", "agreement_id"),
    "responsibility": ("agreement-changed", "agreement_id"),
    "consentitem": ("agreement-changed", "agreement_id"),
}
BADGE = "badge-changed"
QUIET_SECONDS = 10  # after Redis failed, requests publish nothing for this long


def channel(kind: str, ident: int) -> str:
    """`project:<id>` or `user:<id>`, after the configured prefix (tests use one of their own)."""
    return f"{current_app.config['LIVE_CHANNEL_PREFIX']}{kind}:{ident}"


def _client():
    """One Redis client per process and address; None when live updates are off."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    clients = current_app.extensions.setdefault("live_redis", {})
    if url not in clients:
        clients[url] = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
    return clients[url]


def collect(entry, subject, project, actor) -> None:
    """activity.LISTENERS: keep the change on the session until the transaction ends."""
    if project is None or not current_app.config.get("REDIS_URL"):
        return
    db.session.info.setdefault(PENDING, []).append((subject, project, actor.id if actor is not None else None))


def _messages(session) -> list[tuple[str, dict]]:
    """The (channel, payload) pairs of the collected changes, with the badges of everyone in those projects."""
    from ..models import CourseStaff, Project, ProjectMember

    messages, projects = [], {}
    for subject, project, actor_id in session.info.pop(PENDING, []):
        if project.id is None:
            continue
        projects.setdefault(project.id, set()).add(actor_id)
        part = PARTS.get(type(subject).__name__.lower())
        if part is None:  # no live part shows it (a reflection, the project's details): badges only
            continue
        name, attribute = part
        payload = {"event": name, "project": project.id, "actor": actor_id, "id": getattr(subject, attribute)}
        if payload not in (message for _, message in messages):
            messages.append((channel("project", project.id), payload))
    if projects:
        people = session.execute(
            db.select(ProjectMember.user_id).where(ProjectMember.project_id.in_(projects))
            .union(db.select(CourseStaff.user_id).join(Project, Project.course_id == CourseStaff.course_id)
                   .where(Project.id.in_(projects)))
        ).scalars()
        actors = set().union(*projects.values())
        messages += [(channel("user", person), {"event": BADGE}) for person in sorted(set(people) - actors)]
    return messages


def _before_commit(session) -> None:
    """Name the messages while the transaction is still open (new rows get their ids in the flush)."""
    if session.in_nested_transaction():  # a savepoint: SQLAlchemy fires commit/rollback events for it too
        return
    if session.info.get(PENDING):
        session.flush()
        session.info["live_ready"] = _messages(session)


def _after_commit(session) -> None:
    if session.in_nested_transaction():  # a savepoint: SQLAlchemy fires commit/rollback events for it too
        return
    messages = session.info.pop("live_ready", None)
    client = messages and _client()
    state = current_app.extensions.setdefault("live_state", {"quiet_until": 0.0}) if client else None
    if not client or time.monotonic() < state["quiet_until"]:
        return
    try:
        with client.pipeline(transaction=False) as pipe:
            for name, payload in messages:
                pipe.publish(name, json.dumps(payload, separators=(",", ":")))
            pipe.execute()
    except redis.RedisError as error:  # the change is saved; only the live update is lost
        # Redis is down: don't make every request wait for its timeout; try again in a few seconds.
        state["quiet_until"] = time.monotonic() + QUIET_SECONDS
        log.warning("live update not published: %s", error)


def _after_rollback(session) -> None:
    if session.in_nested_transaction():  # a savepoint: SQLAlchemy fires commit/rollback events for it too
        return
    session.info.pop(PENDING, None)
    session.info.pop("live_ready", None)


def init_app(app) -> None:
    """Listen to activity and to the session's commits and rollbacks (once per process)."""
    from .. import activity

    app.config.setdefault("REDIS_URL", os.environ.get("REDIS_URL", "").strip())
    app.config.setdefault("STREAM_URL", os.environ.get("STREAM_URL", "/stream/").strip())
    app.config.setdefault("LIVE_CHANNEL_PREFIX", os.environ.get("LIVE_CHANNEL_PREFIX", "").strip() or "workspace:")
    app.config.setdefault("STREAM_HEARTBEAT_SECONDS", float(os.environ.get("STREAM_HEARTBEAT_SECONDS", "15")))
    app.config.setdefault("STREAM_RECHECK_SECONDS", float(os.environ.get("STREAM_RECHECK_SECONDS", "60")))
    if collect not in activity.LISTENERS:
        activity.LISTENERS.append(collect)
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)

