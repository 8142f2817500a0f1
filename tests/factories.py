"""Callable factories that build real rows; every argument has a sensible default."""
import itertools
from datetime import date, timedelta

from workspace.extensions import db
from workspace.models import Course, CourseStaff, Organisation, OrganisationMember, Project, ProjectMember, User

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)
_HASHES: dict[str, str] = {}  # hashing is deliberately slow; hash each test password once


def _hash(password: str) -> str:
    if password not in _HASHES:
        from werkzeug.security import generate_password_hash

        _HASHES[password] = generate_password_hash(password)
    return _HASHES[password]


def create_user(name=None, email=None, password=PASSWORD, **flags) -> User:
    n = next(_seq)
    user = User(name=name or f"Person {n}", email=email or f"person{n}@example.org", **flags)
    user.password_hash = _hash(password)
    db.session.add(user)
    db.session.flush()
    return user


def create_organisation(name=None, **fields) -> Organisation:
    org = Organisation(name=name or f"Organisation {next(_seq)}", **fields)
    db.session.add(org)
    db.session.flush()
    return org


def create_course(name=None, teachers=(), **fields) -> Course:
    course = Course(name=name or f"Course {next(_seq)}", **fields)
    db.session.add(course)
    db.session.flush()
    for teacher in teachers:
        db.session.add(CourseStaff(course_id=course.id, user_id=teacher.id))
    db.session.flush()
    return course


def create_project(course=None, organisation=None, students=(), partners=(), title=None, **fields) -> Project:
    course = course or create_course()
    organisation = organisation or create_organisation()
    fields.setdefault("start_date", date.today() - timedelta(days=30))
    fields.setdefault("end_date", date.today() + timedelta(days=90))
    project = Project(course=course, organisation=organisation, title=title or f"Project {next(_seq)}", **fields)
    db.session.add(project)
    db.session.flush()
    for user in students:
        db.session.add(ProjectMember(project_id=project.id, user_id=user.id, role="student"))
    for user in partners:
        db.session.add(ProjectMember(project_id=project.id, user_id=user.id, role="partner"))
        if not db.session.scalar(db.select(OrganisationMember).filter_by(organisation_id=organisation.id, user_id=user.id)):
            db.session.add(OrganisationMember(organisation_id=organisation.id, user_id=user.id))
    db.session.flush()
    return project
