"""Permission cases of partner questions: anyone may submit a question and, with its secret link,
follow, confirm, answer and withdraw it; only teachers and admins see the queue and act on it (a
question is unknown to everyone else: 404, the queue itself 403)."""
from datetime import date, timedelta

from workspace.extensions import db
from workspace.models import PartnerQuestion
from workspace.security import hash_token

from . import EVERYONE, SIGNED_IN, TEACHERS, Case

TOKEN = "case-token-for-the-partner-question"


def make_question(status="new", token=TOKEN, **fields):
    """A question straight in `status`, reachable at /questions/t/<token>."""
    values = dict(organisation_name="Wijkteam Noord", contact_name="Noor Contact", contact_email="noor@example.org",
                  problem="Lonely elderly people in the north of the city.", affected="Residents over 75",
                  hopes="A visiting network", availability="Weekday mornings", languages="Dutch",
                  themes="elderly, loneliness", consent=True)
    values.update(fields)
    question = PartnerQuestion(token_hash=hash_token(token), status=status, **values)
    db.session.add(question)
    db.session.commit()
    return question


def _question(status):
    def setup(world):
        from .. import factories

        # A course both teachers (and so every coordinator of the matrix) teach, to match to.
        course = factories.create_course("Shared Lab", teachers=[world.teacher, world.other_teacher])
        return {"question": make_question(status), "course": course}
    return setup


def _submission(world, objs):
    return {"organisation_name": "Repair Café Zuid", "contact_name": "Rita Repair", "contact_email": "rita@example.org",
            "problem": "Broken appliances end up in the bin.", "affected": "Households with little money",
            "hopes": "A repair guide", "availability": "Saturdays", "languages": "Dutch, English",
            "themes": "circular economy", "consent": "y", "homepage": ""}


def _match(world, objs):
    return {"course_id": objs["course"].id, "organisation_id": 0, "title": "Visiting network",
            "start_date": date.today().isoformat(), "end_date": (date.today() + timedelta(days=90)).isoformat()}


T = lambda w, o: f"/questions/t/{TOKEN}"  # noqa: E731
Q = lambda w, o: f"/questions/{o['question'].id}"  # noqa: E731

CASES = [
    Case("questions.new", "GET", lambda w, o: "/questions/new", EVERYONE, public=True),
    Case("questions.new", "POST", lambda w, o: "/questions/new", EVERYONE, public=True, data=_submission),
    Case("questions.sent", "GET", lambda w, o: "/questions/sent", EVERYONE, public=True),
    Case("questions.follow", "GET", T, EVERYONE, public=True, setup=_question("unconfirmed")),
    Case("questions.confirm", "POST", lambda w, o: f"{T(w, o)}/confirm", EVERYONE, public=True,
         setup=_question("unconfirmed"), data=lambda w, o: {}),
    Case("questions.answer", "POST", lambda w, o: f"{T(w, o)}/answer", EVERYONE, public=True,
         setup=_question("info_requested"), data=lambda w, o: {"message": "About forty people."}),
    Case("questions.withdraw", "GET", lambda w, o: f"{T(w, o)}/withdraw", EVERYONE, public=True,
         setup=_question("new")),
    Case("questions.withdraw", "POST", lambda w, o: f"{T(w, o)}/withdraw", EVERYONE, public=True,
         setup=_question("new"), data=lambda w, o: {}),
    Case("questions.queue", "GET", lambda w, o: "/questions", TEACHERS, visible=SIGNED_IN, setup=_question("new")),
    Case("questions.show", "GET", Q, TEACHERS, visible=TEACHERS, setup=_question("new")),
    Case("questions.ask", "POST", lambda w, o: f"{Q(w, o)}/ask", TEACHERS, visible=TEACHERS, setup=_question("new"),
         data=lambda w, o: {"message": "How many people are involved?"}),
    Case("questions.park", "POST", lambda w, o: f"{Q(w, o)}/park", TEACHERS, visible=TEACHERS,
         setup=_question("new"), data=lambda w, o: {"term": "2027–2028, semester 1", "message": ""}),
    Case("questions.decline", "POST", lambda w, o: f"{Q(w, o)}/decline", TEACHERS, visible=TEACHERS,
         setup=_question("new"), data=lambda w, o: {"message": "Outside what our courses cover."}),
    Case("questions.match", "POST", lambda w, o: f"{Q(w, o)}/match", TEACHERS, visible=TEACHERS,
         setup=_question("new"), data=_match),
]
