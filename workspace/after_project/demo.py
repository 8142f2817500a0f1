"""Demo after-project questions: last year's help desk (the follow-up's predecessor) was asked and
answered ("partly in use, carries on"), and the kitchen garden, which ended just over six months
ago, waits for Priya Partner's answer on her home page."""
from datetime import timedelta

from ..activity import record
from ..extensions import db
from ..models import AfterProjectQuestion, Project, ProjectMember
from ..models.base import utcnow
from ..notifications.services import notify
from .services import answer_url


def seed(demo: dict) -> None:
    followup = demo.get("followup")
    if followup is None:  # the follow-up demo makes last year's course and project
        return
    p = demo["people"]
    past, earlier = followup["past_course"], followup["earlier"]
    now = utcnow()
    answered = AfterProjectQuestion(
        project_id=earlier.id, asked_at=now - timedelta(days=120), answered_at=now - timedelta(days=112),
        answered_by_id=p["partner1"].id, still_in_use="partly",
        still_in_use_comment="The Thursday help desk runs every week; the tablet shelf stopped when the tablets broke.",
        carry_on="yes", carry_on_comment="Three volunteers run it with the handbook the students wrote.")
    db.session.add(answered)
    db.session.flush()
    record(p["partner1"], "answered", answered,
           f"{p['partner1'].name} answered the after-project questions: result still in use: Partly; can carry on "
           "without the team: Yes", project=earlier)

    garden = Project(course=past, organisation=demo["organisations"][0], title="Intergenerational kitchen garden",
                     problem_statement="Young families and older residents live side by side but never meet.",
                     start_date=now.date() - timedelta(days=330), end_date=now.date() - timedelta(days=200))
    db.session.add(garden)
    db.session.flush()
    db.session.add_all([ProjectMember(project_id=garden.id, user_id=p["alumnus_lars"].id, role="student"),
                        ProjectMember(project_id=garden.id, user_id=p["partner1"].id, role="partner")])
    waiting = AfterProjectQuestion(project_id=garden.id, asked_at=now - timedelta(days=3))
    db.session.add(waiting)
    db.session.flush()
    record(None, "asked", waiting, "The partner was asked whether the result of “Intergenerational kitchen garden” "
           "is still in use and whether they can carry on without the team", project=garden)
    notify([p["partner1"]], "after_project", f"after-project-{waiting.id}",
           "Some months after “Intergenerational kitchen garden”: is the result still in use, and can you carry on "
           "without the team? Two short questions.", answer_url(garden.id), project=garden, email=False)
    demo["after_project"] = {"answered": earlier, "waiting": garden}
