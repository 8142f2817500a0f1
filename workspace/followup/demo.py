"""Demo follow-up: last year's Community Impact Lab project with Buurthuis De Brug (goals achieved,
dropped and still open; an agreement accepted by everyone) continues this year as a follow-up,
made through `create_follow_up` like a teacher would. after_project/demo.py asks its partner
what lasted. Everything is made through the same service functions people use."""
from datetime import timedelta

from sqlalchemy import update

from ..agreement import services as agreement
from ..extensions import db
from ..goals import services as goals
from ..models import Activity, Course, CourseStaff, Project, ProjectMember
from ..models.base import utcnow
from ..policy import forget_standing
from ..seed import _user
from .services import create_follow_up


def seed(demo: dict) -> None:
    p = demo["people"]
    lab, brug = demo["courses"][0], demo["organisations"][0]
    today = utcnow().date()
    past = Course(name="Community Impact Lab", term="2025–2026, semester 1",
                  description="Last year's run of the lab: student teams with community organisations.")
    db.session.add(past)
    db.session.flush()
    db.session.add(CourseStaff(course_id=past.id, user_id=p["teacher1"].id))
    noor, lars = _user("noor.alumna@example.org", "Noor Student"), _user("lars.alumnus@example.org", "Lars Student")
    p.update(alumna_noor=noor, alumnus_lars=lars)
    earlier = Project(course=past, organisation=brug, title="Digital help desk in the library corner",
                      problem_statement="Residents bring letters and forms from the municipality they cannot read "
                                        "or fill in online.",
                      start_date=today - timedelta(days=420), end_date=today - timedelta(days=300))
    db.session.add(earlier)
    db.session.flush()
    db.session.add_all([ProjectMember(project_id=earlier.id, user_id=noor.id, role="student"),
                        ProjectMember(project_id=earlier.id, user_id=lars.id, role="student"),
                        ProjectMember(project_id=earlier.id, user_id=p["partner1"].id, role="partner")])
    db.session.flush()
    forget_standing()

    def propose(who, title, **fields):
        fields = {"description": "", "partner_need": "", "success_criteria": "", "target_date": None, **fields}
        return goals.propose_goal(who, earlier, title=title, **fields)

    desk = propose(noor, "A weekly help desk staffed by volunteers",
                   success_criteria="Ten Thursday sessions held with at least five visitors each.")
    goals.approve(p["partner1"], earlier, desk, desk.version)
    goals.claim_achieved(lars, earlier, desk, desk.version, "Twelve sessions, 6 to 11 visitors each.")
    goals.confirm_achieved(p["partner1"], earlier, desk, desk.version)
    letters = propose(p["partner1"], "Volunteers explain municipal letters on their own",
                      partner_need="The students leave in January; the questions do not.",
                      success_criteria="Three volunteers handle a session without students.")
    goals.approve(noor, earlier, letters, letters.version)
    propose(lars, "A lending shelf of second-hand tablets",
            description="Donated tablets, reset and labelled, lent out for two weeks.")
    app = propose(noor, "A chatbot that answers questions about letters")
    goals.propose_drop(p["partner1"], earlier, app, app.version, "Our visitors want a person, not a chatbot.")
    goals.confirm_drop(noor, earlier, app, app.version)
    goals.revise_root_cause(p["partner1"], earlier, "People are ashamed to ask for help with letters; a "
                            "familiar face in a familiar place lowers the threshold.", 0)

    a = agreement.start_agreement(noor, earlier)
    agreement.set_meetings(noor, a, a.version, 14, "In the library corner, Thursday after the help desk")
    agreement.add_role(p["partner1"], a, "Partner contact", "Opens the corner and recruits volunteers",
                       [p["partner1"].id])
    agreement.add_role(noor, a, "Team lead", "Plans the sessions", [noor.id])
    agreement.add_responsibility(p["partner1"], a, "Keep the library corner free on Thursdays", "partner",
                                 recurrence="every", every_n=1, every_unit="weeks",
                                 due_date=earlier.end_date - timedelta(days=3))
    agreement.add_responsibility(noor, a, "Write the volunteer handbook", "students",
                                 due_date=earlier.end_date - timedelta(days=10))
    for person in (noor, lars, p["partner1"]):
        agreement.accept(person, a, a.number)
    db.session.flush()
    # What happened last year is dated last year on the timeline.
    db.session.execute(update(Activity).where(Activity.project_id == earlier.id)
                       .values(created_at=utcnow() - timedelta(days=380)))

    follow_up = create_follow_up(p["teacher1"], earlier, lab, "Digital help desk, year two",
                                 today - timedelta(days=30), today + timedelta(days=90))
    db.session.add(ProjectMember(project_id=follow_up.id, user_id=p["student1"].id, role="student"))
    db.session.flush()
    forget_standing()
    demo["followup"] = {"past_course": past, "earlier": earlier, "follow_up": follow_up}
