"""Permission cases of the goal routes. Side rules (approving your own proposal...) answer 403 from
the state machine, so each case sets up a goal the allowed roles can really act on."""
from workspace.extensions import db

from ..factories import create_goal
from . import PROJECT_ROLES, Case

SIDES = frozenset({"student", "partner"})
STUDENTS = frozenset({"student"})
PARTNERS = frozenset({"partner"})


def _goal(state, side="student"):
    def setup(world):
        proposer = world.student if side == "student" else world.partner
        goal = create_goal(world.project, proposer, side=side, state=state, title="Shorter queues")
        db.session.commit()
        return {"goal_id": goal.id, "version": goal.version}
    return setup


def _second_goal(world):
    """Two goals in one group, so moving the second up really changes the order."""
    create_goal(world.project, world.student, side="student", state="proposed", title="Listen first")
    return _goal("proposed")(world)


def G(path=""):
    return lambda w, o: f"/projects/{w.project.id}/goals/{o['goal_id']}{path}"


def step(**extra):
    return lambda w, o: {"version": o["version"], "view": "page", **extra}


CASES = [
    Case("goals.show", "GET", G(), PROJECT_ROLES, setup=_goal("proposed")),
    Case("goals.new", "GET", lambda w, o: f"/projects/{w.project.id}/goals/new", SIDES),
    Case("goals.new", "POST", lambda w, o: f"/projects/{w.project.id}/goals/new", SIDES,
         data=lambda w, o: {"title": "A new goal"}),
    Case("goals.edit", "GET", G("/edit"), SIDES, setup=_goal("agreed")),
    Case("goals.edit", "POST", G("/edit"), SIDES, setup=_goal("agreed"),
         data=lambda w, o: {"title": "A better goal", "version": o["version"]}),
    Case("goals.approve", "POST", G("/approve"), PARTNERS, setup=_goal("proposed"), data=step()),
    Case("goals.request_changes", "POST", G("/request-changes"), PARTNERS, setup=_goal("proposed"),
         data=step(comment="Please add a date")),
    Case("goals.claim", "POST", G("/claim"), STUDENTS, setup=_goal("agreed"), data=step(evidence="Done")),
    Case("goals.confirm", "POST", G("/confirm"), PARTNERS, setup=_goal("achievement_claimed"), data=step()),
    Case("goals.send_back", "POST", G("/send-back"), PARTNERS, setup=_goal("achievement_claimed"),
         data=step(comment="Not yet")),
    Case("goals.propose_drop", "POST", G("/drop"), SIDES, setup=_goal("agreed"), data=step(reason="Out of scope")),
    Case("goals.confirm_drop", "POST", G("/confirm-drop"), PARTNERS, setup=_goal("drop_proposed"), data=step()),
    Case("goals.keep", "POST", G("/keep"), SIDES, setup=_goal("drop_proposed"), data=step()),
    Case("goals.move", "POST", G("/move"), STUDENTS, setup=_second_goal, data=step(direction="up")),
    Case("goals.comment", "POST", G("/comments"), PROJECT_ROLES, setup=_goal("proposed"),
         data=lambda w, o: {"body": "A question"}),
    Case("goals.relevance", "GET", lambda w, o: f"/projects/{w.project.id}/relevance", PROJECT_ROLES),
    Case("goals.save_relevance", "POST", lambda w, o: f"/projects/{w.project.id}/relevance", SIDES,
         data=lambda w, o: {"text": "Families cannot plan their visit", "based_on": "0"}),
]
