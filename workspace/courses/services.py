"""Creating and changing courses."""
from flask_babel import gettext as _

from ..activity import record
from ..extensions import db
from ..models import Course, CourseStaff
from ..policy import forget_standing


def create_course(teacher, name: str, term: str, description: str, **thresholds) -> Course:
    """The creator becomes the course's first teacher."""
    course = Course(name=name, term=term, description=description, **thresholds)
    db.session.add(course)
    db.session.flush()
    db.session.add(CourseStaff(course_id=course.id, user_id=teacher.id))
    record(teacher, "created", course, _("%(name)s created the course %(course)s", name=teacher.name, course=name),
           course=course)
    forget_standing()
    return course


def update_course(actor, course: Course, **fields) -> None:
    before = {key: getattr(course, key) for key in fields}
    for key, value in fields.items():
        setattr(course, key, value)
    record(actor, "edited", course, _("%(name)s edited the course %(course)s", name=actor.name, course=course.name),
           course=course, before=before)
