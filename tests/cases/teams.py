"""Permission cases of forming teams: the course's teachers (and admins) run the round, propose,
move and publish; the enrolled student ranks. A round exists for its course's teachers and
enrolled students only (404 for everyone else); a proposed placement for the teachers only."""
from datetime import timedelta

from workspace.extensions import db
from workspace.models import ChoiceRound, CourseEnrolment, Placement, ProjectMember
from workspace.models.base import utcnow

from . import COURSE_STAFF, Case

ROUND_VISIBLE = COURSE_STAFF | {"student"}


def _round(state="open"):
    """world.student enrolled without a team, and a round of world.course in `state`."""
    def setup(world):
        db.session.execute(db.delete(ProjectMember).where(ProjectMember.user_id == world.student.id))
        db.session.add(CourseEnrolment(course_id=world.course.id, user_id=world.student.id))
        choice_round = ChoiceRound(course_id=world.course.id, deadline=utcnow() + timedelta(days=2), min_size=1,
                                   max_size=3, state=state)
        db.session.add(choice_round)
        db.session.flush()
        if state == "proposed":
            db.session.add(Placement(round_id=choice_round.id, user_id=world.student.id, project_id=world.project.id))
        db.session.commit()
        return {"round": choice_round}
    return setup


def _open_form(world, objs):
    return {"deadline_date": "2031-03-01", "deadline_time": "17:00", "min_size": "1", "max_size": "3",
            "choices_count": "3"}


BASE = lambda w: f"/courses/{w.course.id}/teams"  # noqa: E731
R = lambda w, o: f"{BASE(w)}/{o['round'].id}"  # noqa: E731

CASES = [
    Case("teams.index", "GET", lambda w, o: BASE(w), COURSE_STAFF, visible=COURSE_STAFF),
    Case("teams.open_round", "GET", lambda w, o: f"{BASE(w)}/open", COURSE_STAFF, visible=COURSE_STAFF),
    Case("teams.open_round", "POST", lambda w, o: f"{BASE(w)}/open", COURSE_STAFF, visible=COURSE_STAFF,
         data=_open_form),
    Case("teams.remind", "POST", lambda w, o: f"{R(w, o)}/remind", COURSE_STAFF, visible=ROUND_VISIBLE,
         setup=_round()),
    Case("teams.propose", "GET", lambda w, o: f"{R(w, o)}/propose", COURSE_STAFF, visible=ROUND_VISIBLE,
         setup=_round()),
    Case("teams.propose", "POST", lambda w, o: f"{R(w, o)}/propose", COURSE_STAFF, visible=ROUND_VISIBLE,
         setup=_round()),
    Case("teams.move", "POST", lambda w, o: f"{R(w, o)}/placements/{w.student.id}", COURSE_STAFF,
         visible=COURSE_STAFF, setup=_round("proposed"), data=lambda w, o: {"project_id": str(w.project.id)}),
    Case("teams.publish", "GET", lambda w, o: f"{R(w, o)}/publish", COURSE_STAFF, visible=ROUND_VISIBLE,
         setup=_round("proposed")),
    Case("teams.publish", "POST", lambda w, o: f"{R(w, o)}/publish", COURSE_STAFF, visible=ROUND_VISIBLE,
         setup=_round("proposed")),
    Case("teams.choose", "GET", lambda w, o: f"{R(w, o)}/choose", frozenset({"student"}), visible=ROUND_VISIBLE,
         setup=_round()),
    Case("teams.choose", "POST", lambda w, o: f"{R(w, o)}/choose", frozenset({"student"}), visible=ROUND_VISIBLE,
         setup=_round(), data=lambda w, o: {"choice_1": str(w.project.id)}),
]
