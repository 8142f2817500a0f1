"""Demo after-project questions, asked and answered through the same service functions people
use: last year's help desk (the follow-up's predecessor) was answered ("partly in use, carries
on"), and the kitchen garden, which ended just over six months ago, waits for Priya Partner's
answer on her home page."""
from datetime import timedelta

from sqlalchemy import update

from ..extensions import db
from ..models import Activity, Notification, Project, ProjectMember
from ..models.base import utcnow
from .services import answer, ask


def seed(demo: dict) -> None:
    followup = demo.get("followup")
    if followup is None:  # the follow-up demo makes last year's course and project
        return
    p = demo["people"]
    partner = p["partner1"]
    past, earlier = followup["past_course"], followup["earlier"]
    now = utcnow()
    answered = ask(earlier, [partner], email=False)
    answer(partner, answered, answered.version, "partly",
           "The Thursday help desk runs every week; the tablet shelf stopped when the tablets broke.",
           "yes", "Three volunteers run it with the handbook the students wrote.")
    answered.asked_at, answered.answered_at = now - timedelta(days=120), now - timedelta(days=112)
    db.session.execute(update(Notification).where(Notification.key == f"after-project-{answered.id}")
                       .values(created_at=now - timedelta(days=120), read_at=now - timedelta(days=112)))
    db.session.execute(update(Activity).where(Activity.subject_type == "afterprojectquestion",
                                              Activity.subject_id == answered.id)
                       .values(created_at=now - timedelta(days=115)))

    garden = Project(course=past, organisation=demo["organisations"][0], title="Intergenerational kitchen garden",
                     problem_statement="Young families and older residents live side by side but never meet.",
                     start_date=now.date() - timedelta(days=330), end_date=now.date() - timedelta(days=200))
    db.session.add(garden)
    db.session.flush()
    db.session.add_all([ProjectMember(project_id=garden.id, user_id=p["alumnus_lars"].id, role="student"),
                        ProjectMember(project_id=garden.id, user_id=partner.id, role="partner")])
    waiting = ask(garden, [partner], email=False)
    waiting.asked_at = now - timedelta(days=3)
    db.session.flush()
    demo["after_project"] = {"answered": earlier, "waiting": garden}
