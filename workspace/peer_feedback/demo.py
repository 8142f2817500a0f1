"""Demo peer feedback in the Community Impact Lab, through the service functions people use: the
"Kick-off" round is released with flags showing (Sam rates everyone the same, Sanne is rated well
below the team and did not submit); the "Mid-term" round is open, Sam has submitted, the others not."""
from datetime import timedelta

from ..extensions import db
from ..models import PeerRound, ProjectMember
from ..models.base import utcnow
from ..policy import forget_standing
from ..seed import _user
from . import services


def seed(demo: dict) -> None:
    p = demo["people"]
    lab, today = demo["courses"][0], utcnow().date()
    cafe, food = demo["projects"][0], demo["projects"][1]
    sanne = p["student_sanne"] = _user("sanne.student@example.org", "Sanne Student")
    db.session.flush()
    db.session.add(ProjectMember(project_id=cafe.id, user_id=sanne.id, role="student"))
    db.session.flush()
    forget_standing()
    sam, sara, sven, sofia = p["student1"], p["student2"], p["student3"], p["student4"]

    kickoff = PeerRound(course_id=lab.id, title="Kick-off", opens_on=today - timedelta(days=40),
                        closes_on=today - timedelta(days=30))
    midterm = PeerRound(course_id=lab.id, title="Mid-term", opens_on=today - timedelta(days=3),
                        closes_on=today + timedelta(days=4))
    db.session.add_all([kickoff, midterm])
    db.session.flush()
    on = kickoff.opens_on + timedelta(days=2)
    services.submit(sam, kickoff, cafe, {sara.id: ([4, 4, 4, 4], ""), sanne.id: ([4, 4, 4, 4], "")}, today=on)
    services.submit(sara, kickoff, cafe, {sam.id: ([5, 4, 4, 5], "Sam prepared every meeting with the café."),
                                          sanne.id: ([1, 2, 2, 1], "Sanne missed three of the four visits.")}, today=on)
    services.submit(sven, kickoff, food, {sofia.id: ([4, 5, 3, 4], "")}, today=on)
    services.submit(sofia, kickoff, food, {sven.id: ([4, 3, 4, 4], "Sven could share his notes sooner.")}, today=on)
    services.release(p["teacher1"], kickoff)
    services.submit(sam, midterm, cafe, {sara.id: ([4, 4, 5, 4], ""), sanne.id: ([3, 3, 4, 3], "Better since week 5.")})
    db.session.flush()
    demo["peer_feedback"] = {"released": kickoff, "open": midterm}
