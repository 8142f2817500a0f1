"""Permission cases of peer feedback: the course's teachers (and admins) set, read and release rounds;
only a student of the team rates; for the partner, other courses' people and outsiders the rounds do
not exist (404), and a teacher of the course sees a student's rating page exists but may not rate (403)."""
from datetime import date, timedelta

from workspace.extensions import db
from workspace.models import PeerRound, ProjectMember

from ..factories import create_user
from . import COURSE_STAFF, Case

STUDENT = frozenset({"student"})
RATE_VISIBLE = frozenset({"student", "teacher", "admin"})


def _round(world):
    today = date.today()
    peer_round = PeerRound(course_id=world.course.id, title="Mid-term", opens_on=today - timedelta(days=1),
                           closes_on=today + timedelta(days=6))
    mate = create_user("Tess Teammate")
    db.session.add(peer_round)
    db.session.add(ProjectMember(project_id=world.project.id, user_id=mate.id, role="student"))
    db.session.commit()
    return {"round": peer_round, "mate": mate}


def _round_form(world, objs):
    return {"title": "End of the project", "opens_on": "2027-05-01", "closes_on": "2027-05-10",
            "dimensions": "Contributing to the work\nKeeping promises",
            "version": objs["round"].version if objs else ""}


def _ratings(world, objs):
    mate = objs["mate"]
    data = {f"s{mate.id}_{i}": "4" for i in range(len(objs["round"].dimensions))}
    data[f"c{mate.id}"] = "Always on time."
    return data


COURSE = lambda w, o: f"/courses/{w.course.id}/peer-feedback"  # noqa: E731
ROUND = lambda w, o: f"{COURSE(w, o)}/{o['round'].id}"  # noqa: E731
RATE = lambda w, o: f"/projects/{w.project.id}/peer-feedback/{o['round'].id}"  # noqa: E731

CASES = [
    Case("peer_feedback.index", "GET", COURSE, COURSE_STAFF, visible=COURSE_STAFF),
    Case("peer_feedback.new", "GET", lambda w, o: f"{COURSE(w, o)}/new", COURSE_STAFF, visible=COURSE_STAFF),
    Case("peer_feedback.new", "POST", lambda w, o: f"{COURSE(w, o)}/new", COURSE_STAFF, visible=COURSE_STAFF,
         data=_round_form),
    Case("peer_feedback.edit", "GET", lambda w, o: f"{ROUND(w, o)}/edit", COURSE_STAFF, visible=COURSE_STAFF,
         setup=_round),
    Case("peer_feedback.edit", "POST", lambda w, o: f"{ROUND(w, o)}/edit", COURSE_STAFF, visible=COURSE_STAFF,
         setup=_round, data=_round_form),
    Case("peer_feedback.summary", "GET", ROUND, COURSE_STAFF, visible=COURSE_STAFF, setup=_round),
    Case("peer_feedback.release", "POST", lambda w, o: f"{ROUND(w, o)}/release", COURSE_STAFF,
         visible=COURSE_STAFF, setup=_round),
    Case("peer_feedback.rate", "GET", RATE, STUDENT, visible=RATE_VISIBLE, setup=_round),
    Case("peer_feedback.rate", "POST", RATE, STUDENT, visible=RATE_VISIBLE, setup=_round, data=_ratings),
]
