"""A person's calendar feed (RFC 5545): the check-ups and due dates of all their projects, at a
secret address a calendar app polls without signing in.

The address is `/calendar/<user id>/<token>.ics` where the token is an HMAC of the feed's random
secret under the app's SECRET_KEY: the profile can show the address again, a copy of the
database alone opens no feed, and renewing the secret ends the old address.
"""
import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, vText
from sqlalchemy import and_, or_

from ..activity import record
from ..audit import audit
from ..extensions import db
from ..models import (ActionItem, Agreement, CalendarFeed, CheckUp, CourseStaff, Deliverable, Goal, Project,
                      ProjectMember, Responsibility, User)
from ..models.base import utcnow
from ..models.deliverable import HANDED_OVER
from ..models.goal import ACHIEVED, DROPPED

# How far back the feed reaches; everything ahead is in it.
HISTORY = timedelta(days=365)
REFRESH = timedelta(hours=1)  # how often calendar apps are asked to look again
CHECKUP_LENGTH = timedelta(hours=1)  # check-ups have a start only; calendars need an end
SIDE_OF_ROLE = {"student": "students", "partner": "partner"}  # anyone else in the project is a teacher


def feed_of(user) -> CalendarFeed | None:
    return db.session.get(CalendarFeed, user.id)


def token_for(feed: CalendarFeed) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    mac = hmac.new(key, f"calendar-feed:{feed.user_id}:{feed.secret}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode()


def feed_url(feed: CalendarFeed) -> str:
    return url_for("exports.calendar_feed", user_id=feed.user_id, token=token_for(feed), _external=True)


def renew_feed(user) -> CalendarFeed:
    """Give the person a calendar address, or a new one: the old one stops working at once."""
    feed = feed_of(user)
    now = utcnow()
    if feed is None:
        feed = CalendarFeed(user_id=user.id, secret=secrets.token_urlsafe(32), created_at=now, renewed_at=now)
        db.session.add(feed)
        record(user, "created_calendar_feed", user, _("%(name)s created their calendar address", name=user.name))
        audit("calendar_feed_created", user=user)
    else:
        feed.secret, feed.renewed_at = secrets.token_urlsafe(32), now
        record(user, "renewed_calendar_feed", user,
               _("%(name)s renewed their calendar address; the old address no longer works", name=user.name))
        audit("calendar_feed_renewed", user=user)
    db.session.flush()
    return feed


def find_feed(user_id: int, token: str) -> CalendarFeed | None:
    """The feed this address opens, or None (a wrong token, a renewed address, an inactive account)."""
    row = db.session.execute(
        db.select(CalendarFeed, User).join(User, User.id == CalendarFeed.user_id).where(CalendarFeed.user_id == user_id)
    ).first()
    if row is None or not row.User.active:
        return None
    if not hmac.compare_digest(token_for(row.CalendarFeed).encode(), token.encode()):  # bytes: any input compares
        return None
    return row.CalendarFeed


# ---- what goes in the feed: seven queries whatever the number of projects ------------------------------

def _projects(user) -> dict[int, tuple[str, str]]:
    """project id -> (title, side) for the projects the person is a member of or teaches."""
    member = db.select(ProjectMember.project_id).where(ProjectMember.user_id == user.id)
    staffed = db.select(CourseStaff.course_id).where(CourseStaff.user_id == user.id)
    rows = db.session.execute(
        db.select(Project.id, Project.title, ProjectMember.role)
        .outerjoin(ProjectMember, and_(ProjectMember.project_id == Project.id, ProjectMember.user_id == user.id))
        .where(or_(Project.id.in_(member), Project.course_id.in_(staffed)))
    ).all()
    return {row.id: (row.title, SIDE_OF_ROLE.get(row.role, "teacher")) for row in rows}


def feed_events(user, today) -> list[dict]:
    """The person's events as plain dicts (kind, id, summary, start, ...), oldest first."""
    projects = _projects(user)
    if not projects:
        return []
    ids = sorted(projects)
    since = today - HISTORY
    since_moment = datetime.combine(since, datetime.min.time(), tzinfo=utcnow().tzinfo)
    events = []
    for c in db.session.execute(
        db.select(CheckUp.id, CheckUp.project_id, CheckUp.planned_at, CheckUp.state, CheckUp.location, CheckUp.agenda)
        .where(CheckUp.project_id.in_(ids), CheckUp.planned_at >= since_moment)
    ):
        events.append({
            "kind": "checkup", "id": c.id, "start": c.planned_at, "location": c.location,
            "summary": _("Check-up: %(project)s", project=projects[c.project_id][0]),
            "description": c.agenda if c.state == "planned" else _("Held; see the log in the workspace."),
            "url": url_for("checkups.show", project_id=c.project_id, checkup_id=c.id, _external=True),
        })
    for g in db.session.execute(
        db.select(Goal.id, Goal.project_id, Goal.title, Goal.target_date)
        .where(Goal.project_id.in_(ids), Goal.target_date >= since, Goal.state.not_in((ACHIEVED, DROPPED)))
    ):
        events.append({
            "kind": "goal", "id": g.id, "start": g.target_date,
            "summary": _("Goal due: %(title)s (%(project)s)", title=g.title, project=projects[g.project_id][0]),
            "url": url_for("goals.show", project_id=g.project_id, goal_id=g.id, _external=True),
        })
    for d in db.session.execute(
        db.select(Deliverable.id, Deliverable.project_id, Deliverable.title, Deliverable.due_date)
        .where(Deliverable.project_id.in_(ids), Deliverable.due_date >= since, Deliverable.state != HANDED_OVER)
    ):
        events.append({
            "kind": "deliverable", "id": d.id, "start": d.due_date,
            "summary": _("Deliverable due: %(title)s (%(project)s)", title=d.title, project=projects[d.project_id][0]),
            "url": url_for("deliverables.show", project_id=d.project_id, deliverable_id=d.id, _external=True),
        })
    for r in db.session.execute(
        db.select(Responsibility.id, Responsibility.what, Responsibility.side, Responsibility.person_id,
                  Responsibility.due_date, Agreement.project_id)
        .join(Agreement, Agreement.id == Responsibility.agreement_id)
        .where(Agreement.project_id.in_(ids), Responsibility.due_date >= since, Responsibility.removed_at.is_(None),
               Responsibility.done_at.is_(None))
    ):
        if r.person_id != user.id and r.side != projects[r.project_id][1]:
            continue  # the other side's promise
        events.append({
            "kind": "responsibility", "id": r.id, "start": r.due_date,
            "summary": _("Due: %(what)s (%(project)s)", what=r.what, project=projects[r.project_id][0]),
            "url": url_for("agreement.show", project_id=r.project_id, _external=True),
        })
    for a in db.session.execute(
        db.select(ActionItem.id, ActionItem.project_id, ActionItem.checkup_id, ActionItem.text, ActionItem.due_date)
        .where(ActionItem.project_id.in_(ids), ActionItem.owner_id == user.id, ActionItem.done.is_(False),
               ActionItem.due_date >= since)
    ):
        events.append({
            "kind": "action", "id": a.id, "start": a.due_date,
            "summary": _("Action item due: %(text)s (%(project)s)", text=a.text, project=projects[a.project_id][0]),
            "url": url_for("checkups.show", project_id=a.project_id, checkup_id=a.checkup_id, _external=True),
        })
    return sorted(events, key=lambda e: (str(e["start"]), e["kind"], e["id"]))


def calendar_bytes(user) -> bytes:
    """The feed as iCalendar text (CRLF, folded, escaped by the icalendar package), in the person's language."""
    now = utcnow()
    with force_locale(user.locale or "en"):
        events = feed_events(user, now.date())
        cal = Calendar()
        cal.add("prodid", "-//Co-creation workspace//Calendar feed//EN")
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        cal.add("x-wr-calname", vText(_("Co-creation workspace: %(name)s", name=user.name)))
        cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})  # RFC 7986
        cal.add("x-published-ttl", "PT1H")  # the same for Outlook
        for item in events:
            event = Event()
            event.add("uid", f"{item['kind']}-{item['id']}@{request.host}")
            event.add("dtstamp", now)
            event.add("summary", item["summary"])
            event.add("dtstart", item["start"])
            if item["kind"] == "checkup":
                event.add("duration", CHECKUP_LENGTH)
                if item["location"]:
                    event.add("location", item["location"])
            else:  # a whole day: DTEND is the day after (exclusive)
                event.add("dtend", item["start"] + timedelta(days=1))
                event.add("transp", "TRANSPARENT")
            if item.get("description"):
                event.add("description", item["description"])
            event.add("url", item["url"])
            cal.add_component(event)
    return cal.to_ical()
