"""Demo data: the accounts, courses, organisations and projects listed in the README."""
from datetime import date, timedelta

from .extensions import db
from .models import Course, CourseStaff, Organisation, OrganisationMember, Project, ProjectMember, User

DEMO_PASSWORD = "demo-password"


def database_is_empty() -> bool:
    return db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def wipe() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.flush()
    db.session.expunge_all()  # the rows are gone; forget the objects that stood for them


def _user(email: str, name: str, **flags) -> User:
    user = User(email=email, name=name, **flags)
    user.set_password(DEMO_PASSWORD)
    db.session.add(user)
    return user


def seed_demo() -> dict:
    """Load the demo world; later features add their own states to it here."""
    people = {
        "admin": _user("admin@example.org", "Ada Admin", is_admin=True),
        "teacher1": _user("teacher1@example.org", "Tom Teacher", is_teacher=True),
        "teacher2": _user("teacher2@example.org", "Tessa Teacher", is_teacher=True),
    }
    partner_names = {1: "Priya Partner", 2: "Pieter Partner", 3: "Paula Partner"}
    for n, name in partner_names.items():
        people[f"partner{n}"] = _user(f"partner{n}@example.org", name)
    people["partner2"].locale = "nl"  # one demo account prefers Dutch: the whole workspace in Dutch
    student_names = {1: "Sam Student", 2: "Sara Student", 3: "Sven Student", 4: "Sofia Student",
                     5: "Samir Student", 6: "Stella Student"}
    for n, name in student_names.items():
        people[f"student{n}"] = _user(f"student{n}@example.org", name)

    orgs = [
        Organisation(name="Buurthuis De Brug", themes="community, inclusion, elderly",
                     description="A neighbourhood centre where residents of all ages meet, learn and help each other.",
                     website="https://debrug.example.org"),
        Organisation(name="Stichting Voedselbank Oost", themes="food security, poverty",
                     description="A volunteer food bank serving families in the east of the city.",
                     website="https://voedselbank-oost.example.org"),
        Organisation(name="Gemeente Groenstad", themes="climate, mobility, housing",
                     description="The municipality's sustainability department.",
                     website="https://groenstad.example.org"),
    ]
    db.session.add_all(orgs)
    lab = Course(name="Community Impact Lab", term="2026–2027, semester 1",
                 description="Student teams work with community organisations on a question the organisation brings.")
    cities = Course(name="Sustainable Cities", term="2026–2027, semester 1",
                    description="Teams help a municipality turn climate plans into neighbourhood action.")
    db.session.add_all([lab, cities])
    db.session.flush()
    db.session.add_all([
        CourseStaff(course_id=lab.id, user_id=people["teacher1"].id),
        CourseStaff(course_id=cities.id, user_id=people["teacher2"].id),
    ])
    for n, org in enumerate(orgs, start=1):
        db.session.add(OrganisationMember(organisation_id=org.id, user_id=people[f"partner{n}"].id))

    today = date.today()
    start, end = today - timedelta(days=60), today + timedelta(days=60)
    projects = [
        Project(course=lab, organisation=orgs[0], title="Digital skills café for seniors",
                problem_statement="Older visitors cannot use the online services of the municipality and feel left behind.",
                start_date=start, end_date=end),
        Project(course=lab, organisation=orgs[1], title="Fair food distribution",
                problem_statement="Queues at the food bank are long and families with young children wait for hours.",
                start_date=start, end_date=end),
        Project(course=cities, organisation=orgs[2], title="Green courtyards together",
                problem_statement="Residents do not take part in the greening of their courtyards.",
                start_date=start, end_date=end),
    ]
    db.session.add_all(projects)
    db.session.flush()
    teams = [(projects[0], ("student1", "student2"), "partner1"),
             (projects[1], ("student3", "student4"), "partner2"),
             (projects[2], ("student5", "student6"), "partner3")]
    for project, students, partner in teams:
        for key in students:
            db.session.add(ProjectMember(project_id=project.id, user_id=people[key].id, role="student"))
        db.session.add(ProjectMember(project_id=project.id, user_id=people[partner].id, role="partner"))
    db.session.flush()
    demo = {"people": people, "organisations": orgs, "courses": [lab, cities], "projects": projects}
    _seed_features(demo)
    from .dashboard.summary import rebuild_all

    rebuild_all()  # demos backdate rows with bulk SQL, which marks no project's dashboard summary
    return demo


def _seed_features(demo: dict) -> None:
    """Each feature shows itself in several states through its own `workspace/<feature>/demo.py`."""
    import importlib
    import importlib.util

    from . import FEATURES

    for name in FEATURES:
        if importlib.util.find_spec(f"workspace.{name}.demo") is not None:
            importlib.import_module(f"workspace.{name}.demo").seed(demo)
            db.session.flush()
