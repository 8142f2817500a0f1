"""Permission cases of the teacher dashboard."""
from . import COURSE_STAFF, Case

CASES = [
    Case("dashboard.show", "GET", lambda w, o: f"/courses/{w.course.id}/dashboard", COURSE_STAFF, COURSE_STAFF),
    Case("dashboard.export", "GET", lambda w, o: f"/courses/{w.course.id}/dashboard.csv", COURSE_STAFF, COURSE_STAFF),
    Case("dashboard.contributions", "GET", lambda w, o: f"/courses/{w.course.id}/contributions", COURSE_STAFF,
         COURSE_STAFF),
]
