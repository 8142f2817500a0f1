"""Demo LTI: the example platform https://lms.example.org registered (on the admin page), Sustainable Cities
linked to its course SC-2026 and synced yesterday: two students who came from the platform, one who left."""
from datetime import timedelta

from ..extensions import db
from ..models import CourseEnrolment, LtiAccount, LtiContext
from ..models.base import utcnow
from ..models.enrolment import LEFT
from ..seed import _user
from .services import LTI_SOURCE, save_platform

ISSUER = "https://lms.example.org"


def seed(demo: dict) -> None:
    people = demo["people"]
    cities = demo["courses"][1]
    platform = save_platform(None, None, name="Example LMS", issuer=ISSUER, client_id="workspace-demo-client",
                             auth_login_url=f"{ISSUER}/mod/lti/auth.php", auth_token_url=f"{ISSUER}/mod/lti/token.php",
                             key_set_url=f"{ISSUER}/mod/lti/certs.php", deployment_ids=["1", "2"])
    now = utcnow()
    db.session.add(LtiContext(platform_id=platform.id, context_id="SC-2026", title="Sustainable Cities 2026–2027",
                              course_id=cities.id, memberships_url=f"{ISSUER}/mod/lti/services.php/SC-2026/memberships",
                              linked_at=now - timedelta(days=40), synced_at=now - timedelta(days=1)))
    accounts = [("teacher2", "lms-teacher-2"), ("student5", "lms-student-5"), ("student6", "lms-student-6")]
    for key, subject in accounts:
        db.session.add(LtiAccount(issuer=ISSUER, subject=subject, user_id=people[key].id))
    for n, (name, status) in enumerate((("Yara El Amrani", None), ("Jesse Kok", None), ("Mila Dekker", LEFT)), start=1):
        student = _user(f"lms.student{n}@example.org", name)
        db.session.flush()
        people[f"lms_student{n}"] = student
        db.session.add(LtiAccount(issuer=ISSUER, subject=f"lms-learner-{n}", user_id=student.id))
        db.session.add(CourseEnrolment(course_id=cities.id, user_id=student.id, source=LTI_SOURCE,
                                       enrolled_at=now - timedelta(days=38),
                                       **({"status": LEFT, "left_at": now - timedelta(days=1)} if status else {})))
