"""Permission cases of enrolment: the course's teachers (and admins) see its students, import class lists,
mark students as left and run the join code; anyone signed in joins with a code; the join page and the
"send me a link" form are public (the code is the key)."""
import base64
import io

from workspace.enrolment.routes import _sign
from workspace.extensions import db
from workspace.models import CourseEnrolment, CourseJoinCode
from workspace.models.enrolment import LEFT

from . import COURSE_STAFF, EVERYONE, SIGNED_IN, Case

CSV = "name,email\nNew Person,new.person@example.org\n"


def _enrolment(status="enrolled"):
    def setup(world):
        enrolment = CourseEnrolment(course_id=world.course.id, user_id=world.student.id, status=status)
        db.session.add(enrolment)
        db.session.commit()
        return {"enrolment": enrolment}
    return setup


def _code(world):
    db.session.add(CourseJoinCode(course_id=world.course.id, code="PERM2345"))
    db.session.commit()
    return {"code": "PERM2345"}


def _signed(world, objs):
    data = base64.b64encode(CSV.encode()).decode()
    return {"csv_data": data, "signature": _sign(world.course.id, data)}


STUDENTS = lambda w, o: f"/courses/{w.course.id}/students"  # noqa: E731
ROW = lambda w, o: f"{STUDENTS(w, o)}/{o['enrolment'].id}"  # noqa: E731

CASES = [
    Case("enrolment.students", "GET", STUDENTS, COURSE_STAFF, visible=COURSE_STAFF),
    Case("enrolment.upload", "GET", lambda w, o: f"{STUDENTS(w, o)}/import", COURSE_STAFF, visible=COURSE_STAFF),
    Case("enrolment.upload", "POST", lambda w, o: f"{STUDENTS(w, o)}/import", COURSE_STAFF, visible=COURSE_STAFF,
         data=lambda w, o: {"file": (io.BytesIO(CSV.encode()), "class.csv")}),
    Case("enrolment.confirm_import", "POST", lambda w, o: f"{STUDENTS(w, o)}/import/confirm", COURSE_STAFF,
         visible=COURSE_STAFF, data=_signed),
    Case("enrolment.leave", "GET", lambda w, o: f"{ROW(w, o)}/leave", COURSE_STAFF, visible=COURSE_STAFF,
         setup=_enrolment()),
    Case("enrolment.leave", "POST", lambda w, o: f"{ROW(w, o)}/leave", COURSE_STAFF, visible=COURSE_STAFF,
         setup=_enrolment()),
    Case("enrolment.reenrol", "GET", lambda w, o: f"{ROW(w, o)}/reenrol", COURSE_STAFF, visible=COURSE_STAFF,
         setup=_enrolment(LEFT)),
    Case("enrolment.reenrol", "POST", lambda w, o: f"{ROW(w, o)}/reenrol", COURSE_STAFF, visible=COURSE_STAFF,
         setup=_enrolment(LEFT)),
    Case("enrolment.join_code", "POST", lambda w, o: f"/courses/{w.course.id}/join-code", COURSE_STAFF,
         visible=COURSE_STAFF, data=lambda w, o: {"action": "on"}),
    Case("enrolment.join_page", "GET", lambda w, o: f"/join/{o['code']}", EVERYONE, EVERYONE, setup=_code,
         public=True),
    Case("enrolment.join", "POST", lambda w, o: f"/join/{o['code']}", SIGNED_IN, EVERYONE, setup=_code),
    Case("enrolment.join_by_email", "POST", lambda w, o: f"/join/{o['code']}/email", EVERYONE, EVERYONE,
         setup=_code, public=True, data=lambda w, o: {"email": "someone.new@example.org"}),
    Case("enrolment.join_typed", "POST", lambda w, o: "/join", SIGNED_IN, EVERYONE, setup=_code,
         data=lambda w, o: {"code": o["code"]}),
]
