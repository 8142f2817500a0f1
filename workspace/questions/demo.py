"""Demo partner questions: two waiting, one with information asked, one answered, one parked, one
declined, one matched to a course (its project and the contact's invitation), and one unconfirmed
that no coordinator sees yet."""
from datetime import date, timedelta

from ..extensions import db
from ..models import Invitation
from ..models.base import utcnow
from ..models.question import (
    DECLINED, INFO_REQUESTED, MATCHED, NEW, PARKED, UNCONFIRMED, PartnerQuestion, QuestionEvent,
)
from ..security import new_token

QUESTIONS = [
    # (status, days waiting, organisation, contact, problem, themes)
    (NEW, 12, "Huurdersvereniging Oost", "Hanna Huurder",
     "Tenants with mould in their homes do not know how to get the landlord to act.", "housing, health"),
    (NEW, 4, "Sportclub De Sprinters", "Sjoerd Sport",
     "Children from the new housing estate do not join any sports club.", "sport, inclusion, youth"),
    (NEW, 9, "Buurthuis De Brug", "Priya Partner",
     "Volunteers leave after a few months; we do not know why.", "community, volunteering"),
    (INFO_REQUESTED, 6, "Taalcafé Centrum", "Tariq Taal",
     "Newcomers practise Dutch with us, but few come back after the first visit.", "language, inclusion"),
    (PARKED, 20, "Kinderboerderij Het Erf", "Erik Erf",
     "School classes visit the farm, but teachers ask for lessons to go with it.", "education, nature"),
    (DECLINED, 30, "Makelaardij Snel", "Sanne Snel",
     "We want more people to visit our house viewings.", "marketing"),
    (MATCHED, 40, "Speeltuinvereniging Het Plein", "Bram Bakker",
     "Children play on the street because the playground is closed in the afternoons.",
     "youth, play, community"),
    (UNCONFIRMED, 1, "Repair Café Zuid", "Rita Repair",
     "Broken appliances end up in the bin while volunteers could repair them.", "circular economy"),
]


def _question(status, days, org, contact, problem, themes, organisation=None):
    created = utcnow() - timedelta(days=days)
    _token, digest = new_token()  # the demo's links are not known: the contacts' e-mails are not sent
    email = "partner1@example.org" if organisation is not None else \
        f"{contact.split()[0].lower()}@{org.split()[-1].lower()}.example.org"
    question = PartnerQuestion(
        token_hash=digest, status=status, organisation_name=org, contact_name=contact, contact_email=email,
        problem=problem, affected="The people our organisation works for.", hopes="A student team that listens "
        "to them first.", availability="Weekday afternoons, from February.", languages="Dutch, English",
        themes=themes, consent=True, created_at=created, waiting_since=created,
        confirmed_at=None if status == UNCONFIRMED else created + timedelta(hours=2),
        organisation_id=organisation.id if organisation is not None else None,
        claimed_organisation_id=organisation.id if organisation is not None else None)
    db.session.add(question)
    question.events.append(QuestionEvent(kind="submitted", created_at=created))
    if status != UNCONFIRMED:
        question.events.append(QuestionEvent(kind="confirmed", created_at=created + timedelta(hours=2)))
    if organisation is not None:  # the contact's address is a member's: linked when confirmed
        question.events.append(QuestionEvent(kind="organisation_verified", public=False,
                                             created_at=created + timedelta(hours=2)))
    return question


def seed(demo: dict) -> None:
    people = demo["people"]
    tom = people["teacher1"]
    lab = demo["courses"][0]
    brug = demo["organisations"][0]
    made = {}
    for status, days, org, contact, problem, themes in QUESTIONS:
        made[org] = _question(status, days, org, contact, problem, themes,
                              organisation=brug if org == brug.name else None)
    db.session.flush()
    later = timedelta(days=1)

    taal = made["Taalcafé Centrum"]
    taal.waiting_since = taal.created_at + later
    taal.events.append(QuestionEvent(kind="info_requested", actor_id=tom.id, created_at=taal.waiting_since, message=(
        "Thank you! How many newcomers visit in a month, and could students join one of your evenings?")))

    # The contact of the Sprinters answered a request: the question waits for a coordinator again.
    sprint = made["Sportclub De Sprinters"]
    sprint.waiting_since = sprint.created_at + 2 * later
    sprint.events.append(QuestionEvent(kind="info_requested", actor_id=tom.id, created_at=sprint.created_at + later,
                                       message="Which neighbourhood is the new estate in?"))
    sprint.events.append(QuestionEvent(kind="answered", created_at=sprint.waiting_since,
                                       message="Groenstad-West, the streets around the new school."))

    erf = made["Kinderboerderij Het Erf"]
    erf.term = "2027–2028, semester 1"
    erf.events.append(QuestionEvent(kind="parked", actor_id=tom.id, detail=erf.term, created_at=erf.created_at + later,
                                    message="Our education course runs next year; we would love to take it up then."))

    snel = made["Makelaardij Snel"]
    snel.decline_reason = "We work on societal questions; this is a commercial one."
    snel.events.append(QuestionEvent(kind="declined", actor_id=tom.id, message=snel.decline_reason,
                                     created_at=snel.created_at + later))

    _matched(made["Speeltuinvereniging Het Plein"], tom, lab)


def _matched(question, teacher, course) -> None:
    """Its organisation made from the question, the project in the course, the contact invited."""
    from ..models import Organisation, Project

    organisation = Organisation(name=question.organisation_name, themes=question.themes,
                                description="A volunteer association that runs the neighbourhood playground.")
    db.session.add(organisation)
    db.session.flush()
    today = date.today()
    project = Project(course=course, organisation=organisation, title="An open playground every afternoon",
                      problem_statement=question.problem, start_date=today - timedelta(days=10),
                      end_date=today + timedelta(days=110))
    db.session.add(project)
    db.session.flush()
    _token, digest = new_token()
    db.session.add(Invitation(token_hash=digest, email=question.contact_email, role="partner", course=course,
                              project=project, invited_by=teacher, expires_at=utcnow() + timedelta(days=14)))
    question.organisation_id, question.course_id, question.project_id = organisation.id, course.id, project.id
    question.term = course.term
    question.events.append(QuestionEvent(kind="matched", actor_id=teacher.id, detail=f"{course.name}: {project.title}",
                                         created_at=question.created_at + timedelta(days=2)))
