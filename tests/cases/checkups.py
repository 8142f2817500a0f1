"""Permission cases of the check-up routes."""
from datetime import date, timedelta

from workspace.extensions import db

from ..factories import create_action, create_checkup, create_feedback
from . import COURSE_STAFF, PROJECT_ROLES, Case

MEMBERS = frozenset({"student", "partner"})
STUDENTS = frozenset({"student"})
PARTNERS = frozenset({"partner"})


def _planned(world):
    checkup = create_checkup(world.project, state="planned", days_ago=-3)
    db.session.commit()
    return {"checkup": checkup}


def _logged(world):
    checkup = create_checkup(world.project, state="logged", days_ago=2)
    item = create_feedback(checkup)
    action = create_action(checkup, world.student)
    db.session.commit()
    return {"checkup": checkup, "item": item, "action": action}


def _correction(world):
    from workspace.models import Correction

    checkup = create_checkup(world.project, state="correction_pending", days_ago=2)
    correction = Correction(checkup=checkup, text="The date was wrong.", author_id=world.partner.id)
    db.session.add(correction)
    db.session.commit()
    return {"checkup": checkup, "correction": correction}


def _cu(suffix=""):
    return lambda w, o: f"/projects/{w.project.id}/checkups/{o['checkup'].id}{suffix}"


LIST = lambda w, o: f"/projects/{w.project.id}/checkups"  # noqa: E731
PLAN = {"planned_at": "2030-05-01T10:00", "channel": "video_call", "location": "https://meet.example.org/x",
        "agenda": "Goals"}

CASES = [
    Case("checkups.index", "GET", LIST, PROJECT_ROLES),
    Case("checkups.plan", "GET", lambda w, o: f"/projects/{w.project.id}/checkups/new", PROJECT_ROLES),
    Case("checkups.plan", "POST", lambda w, o: f"/projects/{w.project.id}/checkups/new", PROJECT_ROLES,
         data=lambda w, o: PLAN),
    Case("checkups.reschedule", "GET", _cu("/edit"), PROJECT_ROLES, setup=_planned),
    Case("checkups.reschedule", "POST", _cu("/edit"), PROJECT_ROLES, setup=_planned,
         data=lambda w, o: {**PLAN, "version": o["checkup"].version}),
    Case("checkups.show", "GET", _cu(), PROJECT_ROLES, setup=_logged),
    Case("checkups.log", "GET", _cu("/log"), MEMBERS, setup=_planned),
    Case("checkups.log", "POST", _cu("/log"), MEMBERS, setup=_planned,
         data=lambda w, o: {"summary": "We talked.", "version": o["checkup"].version}),
    Case("checkups.add_feedback", "POST", _cu("/feedback"), MEMBERS, setup=_logged,
         data=lambda w, o: {"feedback-raised_by": "partner", "feedback-text": "More pictures"}),
    Case("checkups.respond", "POST", lambda w, o: _cu(f"/feedback/{o['item'].id}/respond")(w, o), STUDENTS,
         setup=_logged,
         data=lambda w, o: {f"fb{o['item'].id}-state": "integrated", f"fb{o['item'].id}-where": "Goal 2",
                            f"fb{o['item'].id}-version": o["item"].version}),
    Case("checkups.add_action", "POST", _cu("/actions"), MEMBERS, setup=_logged,
         data=lambda w, o: {"action-text": "Call the school", "action-owner_id": w.partner.id,
                            "action-due_date": (date.today() + timedelta(days=5)).isoformat()}),
    Case("checkups.mark_action", "POST", lambda w, o: _cu(f"/actions/{o['action'].id}/done")(w, o), MEMBERS,
         setup=_logged, data=lambda w, o: {"done": "1"}),
    Case("checkups.confirm", "POST", _cu("/confirm"), PARTNERS, setup=_logged,
         data=lambda w, o: {"version": o["checkup"].version}),
    Case("checkups.correct", "POST", _cu("/corrections"), PARTNERS, setup=_logged,
         data=lambda w, o: {"correction-text": "Sara was there too."}),
    Case("checkups.resolve", "GET", lambda w, o: _cu(f"/corrections/{o['correction'].id}/resolve")(w, o), STUDENTS,
         setup=_correction),
    Case("checkups.resolve", "POST", lambda w, o: _cu(f"/corrections/{o['correction'].id}/resolve")(w, o), STUDENTS,
         setup=_correction,
         data=lambda w, o: {"resolution": "Fixed the date", "summary": "We met on Monday.",
                            "version": o["checkup"].version}),
    Case("checkups.pulse", "GET", _cu("/pulse"), MEMBERS, setup=_logged),
    Case("checkups.pulse", "POST", _cu("/pulse"), MEMBERS, setup=_logged,
         data=lambda w, o: {"score-relevance": "4", "comment-relevance": "Good"}),
    Case("checkups.find_item", "GET", lambda w, o: f"/projects/{w.project.id}/checkups/action/{o['action'].id}",
         PROJECT_ROLES, setup=_logged),
    Case("checkups.course_values", "GET", lambda w, o: f"/courses/{w.course.id}/values", COURSE_STAFF,
         COURSE_STAFF),
    Case("checkups.course_values", "POST", lambda w, o: f"/courses/{w.course.id}/values", COURSE_STAFF,
         COURSE_STAFF, data=lambda w, o: {"asked": ["relevance", "reciprocity"], "prompts": "What did you learn?"}),
]
