"""Demo: more projects in "Community Impact Lab", each needing attention for another reason, one healthy."""
from datetime import date, timedelta

from ..extensions import db
from ..models import Activity, Organisation, Project, ProjectMember
from ..models.agreement import Agreement, AgreementAcceptance, AgreementVersion, Responsibility
from ..models.base import utcnow
from ..models.checkup import CheckUp
from ..models.goal import Goal
from ..seed import _user


def seed(demo: dict) -> None:
    lab = demo["courses"][0]
    now, today = utcnow(), date.today()
    specs = [
        ("Repair café network", "Repair Café Oost", "Repairs happen, but nobody knows the café exists.", 7),
        ("Homework help by phone", "Bibliotheek Noord", "Children call the library for help but nobody answers.", 8),
        ("Neighbourhood newsletter", "Wijkkrant Centrum", "The paper newsletter no longer reaches young families.", 9),
    ]
    made = []
    for title, org_name, problem, n in specs:
        org = Organisation(name=org_name, themes="community, information", description=problem)
        student = _user(f"student{n}@example.org", f"Student {n}")
        partner = _user(f"partner{n}@example.org", f"Partner {n}")
        db.session.add_all([org, student, partner])
        db.session.flush()
        project = Project(course=lab, organisation=org, title=title, problem_statement=problem,
                          start_date=today - timedelta(days=40), end_date=today + timedelta(days=80))
        db.session.add(project)
        db.session.flush()
        db.session.add_all([ProjectMember(project_id=project.id, user_id=student.id, role="student"),
                            ProjectMember(project_id=project.id, user_id=partner.id, role="partner")])
        made.append((project, student, partner))
    quiet, waiting, healthy = made

    # Quiet: created long ago, nothing since — no check-up held, no activity for weeks.
    _activity(quiet[1], quiet[0], "created the project page", now - timedelta(days=30))

    # Waiting: the partner has not answered a goal for 12 days and a partner promise is late.
    project, student, partner = waiting
    db.session.add(Goal(project_id=project.id, title="A call rota for the busiest evenings", proposer_side="student",
                        proposer_id=student.id, state="proposed", state_changed_at=now - timedelta(days=12)))
    db.session.add(CheckUp(project_id=project.id, planned_at=now - timedelta(days=5), state="confirmed",
                           summary="Talked through the call log.", logged_by_id=student.id,
                           logged_at=now - timedelta(days=5)))
    agreement = Agreement(project_id=project.id, cadence_days=14, number=1)
    db.session.add(agreement)
    db.session.flush()
    # Every agreement has its version 1 (as the service makes it); the agreement page shows it.
    db.session.add(AgreementVersion(agreement_id=agreement.id, number=1, snapshot={}, created_at=now - timedelta(days=14)))
    db.session.add(Responsibility(agreement_id=agreement.id, what="Share the call statistics", side="partner",
                                  due_date=today - timedelta(days=4)))
    _activity(student, project, "proposed the goal “A call rota for the busiest evenings”", now - timedelta(days=12))

    # Healthy: a recent confirmed check-up, agreed goals, an agreement everyone accepted.
    project, student, partner = healthy
    for goal_title in ("Ask twenty families what they read", "A one-page digital edition"):
        db.session.add(Goal(project_id=project.id, title=goal_title, proposer_side="partner",
                            proposer_id=partner.id, state="agreed", agreed_at=now - timedelta(days=20)))
    db.session.add(CheckUp(project_id=project.id, planned_at=now - timedelta(days=3), state="confirmed",
                           summary="Reviewed the first survey answers.", logged_by_id=student.id,
                           logged_at=now - timedelta(days=3), confirmed_by_id=partner.id))
    db.session.add(CheckUp(project_id=project.id, planned_at=now + timedelta(days=11), state="planned"))
    agreement = Agreement(project_id=project.id, cadence_days=14, number=1)
    db.session.add(agreement)
    db.session.flush()
    version = AgreementVersion(agreement_id=agreement.id, number=1, snapshot={}, created_at=now - timedelta(days=25))
    db.session.add(version)
    db.session.flush()
    db.session.add_all([AgreementAcceptance(agreement_version_id=version.id, user_id=u.id) for u in (student, partner)])
    _activity(partner, project, "confirmed the log of the check-up", now - timedelta(days=2))


def _activity(actor, project, what, when) -> None:
    db.session.add(Activity(actor_id=actor.id, project_id=project.id, course_id=project.course_id, verb="demo",
                            subject_type="project", subject_id=project.id, summary=f"{actor.name} {what}",
                            created_at=when))
