"""What forming teams adds to the home page: an enrolled student's open choice rounds before their
deadline (ranked or not yet, and until when) and, once published, their team with its teammates.
Three queries at most."""
from functools import cache

from sqlalchemy import and_, bindparam, exists, literal, or_

from ..extensions import db
from ..models import ENROLLED, Course, CourseEnrolment, Project, ProjectMember, User
from ..models.base import utcnow
from ..models.team_formation import OPEN, PUBLISHED, ChoiceRound, Placement, ProjectChoice
from ..policy import enrolled_courses
from ..sections import home_section


@cache
def _statements():
    """The open rounds and the published teams as SELECTs built once per process (building them cost
    more than running them): the person is the bound parameter `user_id`, the time `now`."""
    user_id = bindparam("user_id")
    in_team = exists().where(ProjectMember.user_id == user_id, ProjectMember.role == "student",
                             ProjectMember.project_id == Project.id, Project.course_id == ChoiceRound.course_id)
    ranked = exists().where(ProjectChoice.round_id == ChoiceRound.id, ProjectChoice.user_id == user_id)
    rounds = (
        db.select(ChoiceRound, Course, ranked).join(Course, Course.id == ChoiceRound.course_id)
        .join(CourseEnrolment, and_(CourseEnrolment.course_id == ChoiceRound.course_id,
                                    CourseEnrolment.user_id == user_id, CourseEnrolment.status == ENROLLED))
        .where(ChoiceRound.state == OPEN, ChoiceRound.deadline > bindparam("now"), ~in_team)
        .order_by(ChoiceRound.deadline))
    placed = (
        db.select(Project, Course).join(Placement, Placement.project_id == Project.id)
        .join(ChoiceRound, ChoiceRound.id == Placement.round_id).join(Course, Course.id == Project.course_id)
        .where(Placement.user_id == user_id, ChoiceRound.state == PUBLISHED)
        .order_by(ChoiceRound.published_at.desc()))
    return rounds, placed


def _probe(user):
    """Anything for this person: a published placement, or an open round of a course they are enrolled in."""
    placed = exists().where(Placement.user_id == user.id, ChoiceRound.id == Placement.round_id,
                            ChoiceRound.state == PUBLISHED)
    open_round = exists().where(CourseEnrolment.user_id == user.id, CourseEnrolment.status == ENROLLED,
                                ChoiceRound.course_id == CourseEnrolment.course_id, ChoiceRound.state == OPEN)
    return db.select(literal(1)).where(or_(placed, open_round))


@home_section("teams", "teams/_home.html", probe=_probe)
def home(user) -> dict | None:
    rounds_statement, placed_statement = _statements()
    # open rounds are for enrolled students only (the policy's enrolments, read once per request, know)
    rounds = (db.session.execute(rounds_statement, {"user_id": user.id, "now": utcnow()}).all()
              if enrolled_courses(user) else [])
    placed = db.session.execute(placed_statement, {"user_id": user.id}).all()
    if not rounds and not placed:
        return None
    mates: dict[int, list[str]] = {}
    if placed:
        for project_id, name in db.session.execute(
                db.select(ProjectMember.project_id, User.name).join(User, User.id == ProjectMember.user_id)
                .where(ProjectMember.project_id.in_([p.id for p, _c in placed]), ProjectMember.role == "student",
                       User.id != user.id).order_by(User.name)):
            mates.setdefault(project_id, []).append(name)
    return {"rounds": rounds, "teams": [(project, course, mates.get(project.id, [])) for project, course in placed]}
