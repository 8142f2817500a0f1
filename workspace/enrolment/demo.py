"""Demo enrolment: the demo students enrolled in their courses from a class list, a dozen more in
Community Impact Lab without a team yet, one who left, and a join code on for one course, off for the other."""
from datetime import timedelta

from ..extensions import db
from ..models import CourseEnrolment, CourseJoinCode
from ..models.base import utcnow
from ..models.enrolment import LEFT
from ..seed import _user

EXTRA_STUDENTS = ("Noor Jansen", "Lucas de Vries", "Emma Bakker", "Daan Visser", "Julia Smit", "Milan Meijer",
                  "Sanne de Boer", "Thijs Mulder", "Lotte de Groot", "Finn Bos", "Eva Vos", "Ravi Peters")


def seed(demo: dict) -> None:
    people = demo["people"]
    lab, cities = demo["courses"]
    started = utcnow() - timedelta(days=70)
    homes = {"student1": lab, "student2": lab, "student3": lab, "student4": lab, "student5": cities, "student6": cities}
    for n, (key, course) in enumerate(homes.items(), start=1):
        db.session.add(CourseEnrolment(course_id=course.id, user_id=people[key].id, source="csv",
                                       student_number=f"s{2026000 + n}", enrolled_at=started))
    for n, name in enumerate(EXTRA_STUDENTS, start=10):
        student = _user(f"student{n}@example.org", name)
        db.session.flush()
        people[f"student{n}"] = student
        db.session.add(CourseEnrolment(course_id=lab.id, user_id=student.id, source="csv" if n < 18 else "join",
                                       student_number=f"s{2026000 + n}", enrolled_at=started + timedelta(days=n)))
    gone = _user("student30@example.org", "Bram Hendriks")
    db.session.flush()
    people["student30"] = gone
    db.session.add(CourseEnrolment(course_id=lab.id, user_id=gone.id, source="csv", student_number="s2026030",
                                   status=LEFT, enrolled_at=started, left_at=utcnow() - timedelta(days=20)))
    db.session.add_all([CourseJoinCode(course_id=lab.id, code="LABJ2026", active=True),
                        CourseJoinCode(course_id=cities.id, code="CITY2026", active=False)])
