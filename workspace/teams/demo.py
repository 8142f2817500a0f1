"""Demo team forming in two phases: in Community Impact Lab a choice round is open (half of the
students without a team ranked, the others not yet); in a new course, Social Design Studio, with
five projects, the teams are proposed by the optimiser, one student was moved by hand (one team is
now below the minimum size, and the page says so), and they wait for the teacher to publish them."""
from datetime import date, timedelta

from ..extensions import db
from ..models import ENROLLED, Course, CourseEnrolment, CourseStaff, Project, User
from ..models.base import utcnow
from ..models.team_formation import Placement
from ..seed import _user
from . import services

LAB_STUDENTS = ("Noor Jansen", "Lucas de Vries", "Emma Bakker", "Daan Visser", "Julia Smit", "Milan Meijer",
                "Sanne de Boer", "Thijs Mulder", "Lotte de Groot", "Finn Bos", "Eva Vos", "Ravi Peters")
STUDIO_STUDENTS = ("Aisha Rahman", "Bas Koster", "Chloë Dekker", "Dirk Hendriks", "Elif Yilmaz", "Floor Kok",
                   "Gijs Wouters", "Hanna Jacobs", "Ilse Brouwer", "Jesse van Dijk")
STUDIO_PROJECTS = (
    (0, "Intergenerational storytelling walks", "Young and old residents hardly meet, and the neighbourhood's "
                                                "history disappears with its oldest residents."),
    (0, "A welcome kit for newcomers", "New residents do not know where to find help or how to join in."),
    (1, "Cooking with what is left", "Families throw away food they could cook with, because recipes ask for "
                                     "ingredients the food bank does not have."),
    (1, "Dignified waiting at the food bank", "Waiting in a queue outside feels humiliating for many visitors."),
    (2, "Cooler streets in summer", "Some streets get so hot in summer that older residents stay indoors for days."),
)
MOTIVATIONS = ("I volunteer in a neighbourhood centre.", "", "My own grandmother lives alone.", "")


def _enrolled(people: dict, course, numbers, names) -> list[User]:
    """Demo students student<n>@example.org enrolled in `course`; existing accounts and enrolments are reused."""
    students = []
    for n, name in zip(numbers, names):
        key = f"student{n}"
        user = people.get(key) or db.session.scalar(db.select(User).filter_by(email=f"{key}@example.org"))
        if user is None:
            user = _user(f"{key}@example.org", name)
            db.session.flush()
        people[key] = user
        if db.session.scalar(db.select(CourseEnrolment.id).filter_by(course_id=course.id, user_id=user.id)) is None:
            db.session.add(CourseEnrolment(course_id=course.id, user_id=user.id, source="csv", status=ENROLLED))
        students.append(user)
    db.session.flush()
    return students


def _open_lab(demo: dict) -> None:
    people, lab = demo["people"], demo["courses"][0]
    teacher = people["teacher1"]
    students = _enrolled(people, lab, range(10, 10 + len(LAB_STUDENTS)), LAB_STUDENTS)
    choice_round = services.open_round(teacher, lab, utcnow() + timedelta(days=6), 3, 9, 2, False)
    cafe, food = services.course_projects(lab)[:2]
    for n, student in enumerate(students[:6]):
        first, second = (cafe, food) if n % 3 else (food, cafe)
        services.save_ranking(student, choice_round, [(first.id, MOTIVATIONS[n % 4]), (second.id, "")])


def _propose_studio(demo: dict) -> None:
    people, orgs = demo["people"], demo["organisations"]
    teacher = people["teacher1"]
    studio = Course(name="Social Design Studio", term="2026–2027, semester 2",
                    description="Students design with residents and organisations, from the question to a tested idea.")
    db.session.add(studio)
    db.session.flush()
    db.session.add(CourseStaff(course_id=studio.id, user_id=teacher.id))
    start = date.today() + timedelta(days=14)
    projects = [Project(course=studio, organisation=orgs[org], title=title, problem_statement=problem,
                        start_date=start, end_date=start + timedelta(days=120))
                for org, title, problem in STUDIO_PROJECTS]
    db.session.add_all(projects)
    students = _enrolled(people, studio, range(40, 40 + len(STUDIO_STUDENTS)), STUDIO_STUDENTS)
    choice_round = services.open_round(teacher, studio, utcnow() + timedelta(days=1), 2, 3, 3, False)
    for n, student in enumerate(students):
        # Three projects are everyone's favourites: not every student can get their first choice.
        picks = list(dict.fromkeys([projects[n % 3], projects[(n + 1) % 5], projects[(n + 3) % 5]]))
        services.save_ranking(student, choice_round, [(p.id, MOTIVATIONS[(n + i) % 4]) for i, p in enumerate(picks)])
    choice_round.deadline = utcnow() - timedelta(days=1)  # the deadline passed, then the teacher proposed
    services.propose(teacher, choice_round)
    # The teacher moved one student by hand: the page now warns that a team is below the minimum size.
    placement = db.session.scalar(db.select(Placement).where(Placement.round_id == choice_round.id,
                                                             Placement.project_id == projects[4].id).limit(1))
    services.move(teacher, placement, projects[0].id)


def seed(demo: dict) -> None:
    _open_lab(demo)
    _propose_studio(demo)
