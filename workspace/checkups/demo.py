"""Demo check-ups: confirmed, awaiting confirmation and corrected logs, feedback in every state,
action items done and overdue, a planned and an overdue check-up, rounds of values pulse."""
from datetime import date, datetime, time, timedelta, timezone

from ..extensions import db
from ..models import (
    ActionItem, CheckUp, CheckUpAttendee, Correction, CoursePrompt, CourseValueSetting, FeedbackItem, PulseRating,
)
from ..models.checkup import VALUE_KEYS


def _at(days: int, hour: int = 14) -> datetime:
    """`days` from today (negative: in the past) at `hour` UTC."""
    return datetime.combine(date.today() + timedelta(days=days), time(hour), tzinfo=timezone.utc)


def _checkup(project, days, state, logger=None, confirmer=None, summary="", decisions="", **fields):
    checkup = CheckUp(project=project, planned_at=_at(days), state=state, summary=summary, decisions=decisions,
                      **fields)
    if state != "planned":
        checkup.logged_by_id, checkup.logged_at = logger.id, _at(days, 18)
    if state == "confirmed":
        checkup.confirmed_by_id, checkup.confirmed_at = confirmer.id, _at(days + 1, 9)
    db.session.add(checkup)
    db.session.flush()
    return checkup


def _attend(checkup, *people, guests=()):
    for person in people:
        db.session.add(CheckUpAttendee(checkup_id=checkup.id, user_id=person.id))
    for name in guests:
        db.session.add(CheckUpAttendee(checkup_id=checkup.id, guest_name=name))


def _feedback(checkup, raised_by, text, state="open", where="", reason="", responder=None):
    db.session.add(FeedbackItem(
        checkup_id=checkup.id, project_id=checkup.project_id, raised_by=raised_by, text=text, state=state,
        integrated_where=where, reason=reason, responded_by_id=responder.id if responder else None,
        responded_at=checkup.planned_at + timedelta(days=3) if responder else None))


def _action(checkup, owner, text, due_in_days, done=False):
    db.session.add(ActionItem(checkup_id=checkup.id, project_id=checkup.project_id, text=text, owner_id=owner.id,
                              due_date=date.today() + timedelta(days=due_in_days), done=done,
                              done_at=checkup.planned_at + timedelta(days=2) if done else None))


def _pulse(checkup, person, side, scores, comments=None):
    for key, score in zip(VALUE_KEYS, scores):
        db.session.add(PulseRating(checkup_id=checkup.id, project_id=checkup.project_id, user_id=person.id, side=side,
                                   value_key=key, score=score, comment=(comments or {}).get(key, "")))


def seed(demo: dict) -> None:
    people, (cafe, food, green) = demo["people"], demo["projects"]
    s1, s2, s3, s4 = (people[f"student{n}"] for n in (1, 2, 3, 4))
    p1, p2 = people["partner1"], people["partner2"]

    # Digital skills café: a full history, with a log waiting for the partner and a next one planned.
    first = _checkup(cafe, -45, "confirmed", s1, p1, channel="on_site", location="Buurthuis De Brug, room 2",
                     agenda="Introductions\nWhat do the visitors need?",
                     summary="We visited the café and talked with six visitors about the municipality's website.",
                     decisions="Start with one-on-one help before any workshop.")
    _attend(first, s1, s2, p1, guests=["Henk, volunteer"])
    _feedback(first, "partner", "Speak slower and avoid English words like 'login'.", "integrated",
              where="Goal: a plain-language help sheet", responder=s1)
    _feedback(first, "partner", "Could you also help with online banking?", "not_integrated",
              reason="Banks ask us not to touch customers' accounts; we refer to the library's bank help desk.",
              responder=s2)
    _feedback(first, "teacher", "Ask the visitors themselves what they find hardest.")
    _action(first, s1, "Draft the help sheet", -30, done=True)
    _action(first, p1, "Share the café's opening hours and volunteer rota", -35, done=True)
    _pulse(first, s1, "student", [4, 4, 3, 3, 4, 4, 3, 3, 4])
    _pulse(first, p1, "partner", [3, 4, 3, 2, 4, 5, 3, 3, 3], {"empowerment": "We still depend on the students."})

    second = _checkup(cafe, -30, "confirmed", s2, p1, channel="video_call", location="https://meet.example.org/brug",
                      agenda="The help sheet draft", summary="We went through the help sheet draft line by line.",
                      decisions="Large print, one task per page.")
    _attend(second, s1, s2, p1)
    _feedback(second, "partner", "Add pictures of the screens.", "integrated", where="Deliverable: help sheet v2",
              responder=s2)
    db.session.add(Correction(checkup_id=second.id, text="The draft was shown on paper, not on the screen.",
                              author_id=p1.id, created_at=_at(-29), resolution="Changed 'on screen' to 'on paper'.",
                              resolved_by_id=s2.id, resolved_at=_at(-28)))
    _pulse(second, s1, "student", [4, 5, 4, 3, 4, 4, 4, 4, 4])
    _pulse(second, s2, "student", [5, 4, 4, 4, 4, 5, 4, 4, 4])
    _pulse(second, p1, "partner", [4, 4, 4, 3, 5, 5, 4, 4, 4])

    third = _checkup(cafe, -16, "logged", s1, channel="on_site", location="Buurthuis De Brug",
                     agenda="First trial session", summary="Eight visitors joined the first trial session.",
                     decisions="Repeat every Thursday morning.")
    _attend(third, s1, p1)
    _feedback(third, "students", "The café's wifi drops; can the centre fix it?")
    _feedback(third, "partner", "Keep the group under ten people.")
    _action(third, p1, "Ask the landlord about the wifi", -5)
    _action(third, s2, "Print twenty help sheets", 4)
    _pulse(third, s1, "student", [5, 5, 4, 4, 4, 5, 5, 4, 4])  # the partner has not rated yet: hidden from them
    _checkup(cafe, 5, "planned", channel="on_site", location="Buurthuis De Brug",
             agenda="How did the Thursday sessions go?\nHandover to the volunteers")

    # Fair food distribution: a correction waiting for the team, and a planned check-up never logged.
    food_first = _checkup(food, -35, "confirmed", s3, p2, channel="phone", summary="Call about queue times.",
                          decisions="Students count waiting times for two weeks.")
    _attend(food_first, s3, s4, p2)
    _feedback(food_first, "partner", "Count on Saturdays too, that is our busiest day.", "integrated",
              where="Note: Saturday counts added to the plan", responder=s3)
    _pulse(food_first, s3, "student", [4, 3, 3, 3, 3, 3, 3, 3, 3])
    _pulse(food_first, p2, "partner", [4, 3, 2, 2, 4, 3, 3, 3, 2], {"transparency": "We had not seen the plan yet."})
    food_second = _checkup(food, -20, "correction_pending", s4, channel="on_site", location="Voedselbank Oost",
                           summary="We presented the waiting times; families wait 90 minutes on average.",
                           decisions="Try time slots in March.")
    _attend(food_second, s3, s4, p2)
    db.session.add(Correction(checkup_id=food_second.id, author_id=p2.id, created_at=_at(-19),
                              text="We agreed to try time slots in April, not March: March is Ramadan this year."))
    _feedback(food_second, "partner", "Families without a phone must still be able to come.")
    _action(food_second, s4, "Design a paper slot card", -3)
    _pulse(food_second, s4, "student", [4, 4, 3, 3, 4, 3, 4, 3, 3])
    _pulse(food_second, p2, "partner", [4, 4, 3, 3, 4, 4, 4, 3, 3])
    _checkup(food, -3, "planned", channel="video_call", location="https://meet.example.org/voedselbank",
             agenda="Time slot trial")

    # Green courtyards: nothing held yet, the first check-up planned.
    _checkup(green, 7, "planned", channel="on_site", location="Courtyard Lindenhof", agenda="Meet the residents")

    # Sustainable Cities adapts the values: five in its pulse, and prompts of its own.
    cities = demo["courses"][1]
    asked = {"relevance", "reciprocity", "co_creation", "sustainable_relationships", "transparency"}
    for key in VALUE_KEYS:
        db.session.add(CourseValueSetting(course_id=cities.id, value_key=key, asked=key in asked))
    for position, text in enumerate(["Whose voice was missing in this week's decisions?",
                                     "What did a resident teach you about the neighbourhood?"]):
        db.session.add(CoursePrompt(course_id=cities.id, position=position, text=text))
    db.session.flush()
