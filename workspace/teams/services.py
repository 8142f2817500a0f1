"""The rules of forming teams: opening a choice round, ranking, reminding, proposing with the
optimiser, moving students and publishing the teams as project memberships.

Activity entries are recorded for the course only (no project) until teams are published: a
ranking entry names the student, never the projects they chose; a proposal is the teachers' own.
"""
from collections import Counter

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..activity import record
from ..extensions import db
from ..models import ENROLLED, CourseEnrolment, Project, ProjectMember, User
from ..models.base import utcnow
from ..models.team_formation import OPEN, PROPOSED, PUBLISHED, ChoiceRound, Placement, ProjectChoice
from ..notifications.services import notify
from ..projects.services import partners_by_project
from ..policy import forget_standing
from ..rules import Refused
from .assignment import Infeasible, assign


# ---- reading ---------------------------------------------------------------------------------

def latest_round(course) -> ChoiceRound | None:
    return db.session.scalar(db.select(ChoiceRound).where(ChoiceRound.course_id == course.id)
                             .order_by(ChoiceRound.id.desc()).limit(1))


def course_projects(course) -> list[Project]:
    return list(db.session.scalars(db.select(Project).where(Project.course_id == course.id)
                                   .options(selectinload(Project.organisation)).order_by(Project.title, Project.id)))


def _in_a_team(course):
    """Users who are already students of a project of the course (they keep their team)."""
    return (db.select(ProjectMember.user_id).join(Project, Project.id == ProjectMember.project_id)
            .where(Project.course_id == course.id, ProjectMember.role == "student"))


def _waiting(course):
    """Enrolled students of the course without a team: the people a round places."""
    return (db.select(User).join(CourseEnrolment, CourseEnrolment.user_id == User.id)
            .where(CourseEnrolment.course_id == course.id, CourseEnrolment.status == ENROLLED,
                   User.id.not_in(_in_a_team(course))))


def not_chosen_query(choice_round: ChoiceRound):
    """Students waiting for a team who have ranked nothing in this round, by name."""
    chosen = db.select(ProjectChoice.user_id).where(ProjectChoice.round_id == choice_round.id)
    return _waiting(choice_round.course).where(User.id.not_in(chosen)).order_by(User.name, User.id)


def progress(choice_round: ChoiceRound) -> tuple[int, int]:
    """(students waiting for a team, of whom have ranked): two counts in one query."""
    waiting = _waiting(choice_round.course).subquery()
    chosen = db.select(ProjectChoice.user_id).where(ProjectChoice.round_id == choice_round.id).distinct().subquery()
    total, ranked = db.session.execute(
        db.select(func.count(waiting.c.id), func.count(chosen.c.user_id))
        .select_from(waiting).outerjoin(chosen, chosen.c.user_id == waiting.c.id)).one()
    return total, ranked


def choices_of(choice_round: ChoiceRound, user) -> list[ProjectChoice]:
    return list(db.session.scalars(db.select(ProjectChoice).where(
        ProjectChoice.round_id == choice_round.id, ProjectChoice.user_id == user.id).order_by(ProjectChoice.rank)))


def team_of(course, user) -> Project | None:
    """The project in which `user` is already a student in this course, if any."""
    return db.session.scalar(db.select(Project).join(ProjectMember, ProjectMember.project_id == Project.id)
                             .where(Project.course_id == course.id, ProjectMember.user_id == user.id,
                                    ProjectMember.role == "student").limit(1))


def is_closed(choice_round: ChoiceRound) -> bool:
    return choice_round.state != OPEN or utcnow() > choice_round.deadline


# ---- the teacher opens a round -------------------------------------------------------------------

def open_round(actor, course, deadline, min_size: int, max_size: int, choices_count: int,
               allow_unfilled: bool) -> ChoiceRound:
    """One unpublished round per course: a second is refused (also when two teachers open at once)."""
    current = latest_round(course)
    if current is not None and current.state != PUBLISHED:
        raise Refused(_("This course already has a choice round that is not published yet."))
    if deadline <= utcnow():
        raise Refused(_("Choose a deadline in the future."), 422)
    if not 1 <= min_size <= max_size:
        raise Refused(_("The minimum team size cannot be larger than the maximum."), 422)
    choice_round = ChoiceRound(course_id=course.id, opened_by_id=actor.id, deadline=deadline, min_size=min_size,
                               max_size=max_size, choices_count=choices_count, allow_unfilled=allow_unfilled)
    try:
        with db.session.begin_nested():
            db.session.add(choice_round)
            db.session.flush()
    except IntegrityError:
        raise Refused(_("This course already has a choice round that is not published yet.")) from None
    record(actor, "opened", choice_round, _("%(name)s opened a project choice round for %(course)s",
                                            name=actor.name, course=course.name), course=course)
    return choice_round


# ---- a student ranks -------------------------------------------------------------------------------

def save_ranking(actor, choice_round: ChoiceRound, ranked: list[tuple[int, str]]) -> list[ProjectChoice]:
    """Replace the student's ranking with `ranked` ([(project id, motivation)], best first)."""
    course = choice_round.course
    if choice_round.state != OPEN:
        raise Refused(_("The choice round is closed: your teacher is forming the teams."))
    if utcnow() > choice_round.deadline:
        raise Refused(_("The deadline for choosing projects has passed; your ranking can no longer change. "
                        "Ask your teacher if you need to change it."))
    if team_of(course, actor) is not None:
        raise Refused(_("You are already in a project team of this course."))
    if not ranked:
        raise Refused(_("Choose at least your first choice."), 422)
    ids = [project_id for project_id, _motivation in ranked]
    if len(set(ids)) != len(ids):
        raise Refused(_("Choose each project only once."), 422)
    if len(ids) > choice_round.choices_count:
        raise Refused(_("Choose at most %(num)s projects.", num=choice_round.choices_count), 422)
    known = set(db.session.scalars(db.select(Project.id).where(Project.course_id == course.id,
                                                               Project.id.in_(ids))))
    if known != set(ids):
        raise Refused(_("Choose projects of this course."), 422)
    db.session.execute(db.delete(ProjectChoice).where(ProjectChoice.round_id == choice_round.id,
                                                      ProjectChoice.user_id == actor.id))
    rows = [ProjectChoice(round_id=choice_round.id, user_id=actor.id, project_id=project_id, rank=rank,
                          motivation=motivation) for rank, (project_id, motivation) in enumerate(ranked, start=1)]
    try:
        with db.session.begin_nested():
            db.session.add_all(rows)
            db.session.flush()
    except IntegrityError:  # the same person saved at the same moment (a double click, a second window)
        raise Refused(_("Your choices were saved from another window at the same moment. Check them and save "
                        "again.")) from None
    record(actor, "ranked", choice_round, _("%(name)s saved their project choices", name=actor.name), course=course)
    return rows


# ---- reminding -------------------------------------------------------------------------------------

def remind(actor, choice_round: ChoiceRound) -> int:
    """One notification (and e-mail, through the outbox) to each student who has not chosen yet."""
    if is_closed(choice_round):
        raise Refused(_("The choice round is closed: there is no one to remind."))
    students = db.session.scalars(not_chosen_query(choice_round)).all()
    if not students:
        raise Refused(_("Every student has chosen already."))
    course = choice_round.course
    url = url_for("teams.choose", course_id=course.id, round_id=choice_round.id)
    text = _("Reminder: choose your projects for %(course)s", course=course.name)
    notify(students, "teams", f"teams-remind-{choice_round.id}-{utcnow().isoformat()}", text, url, actor=actor)
    record(actor, "reminded", choice_round, ngettext("%(name)s reminded %(num)s student to choose projects",
                                                     "%(name)s reminded %(num)s students to choose projects",
                                                     len(students), name=actor.name), course=course)
    return len(students)


# ---- proposing -------------------------------------------------------------------------------------

def propose(actor, choice_round: ChoiceRound) -> int:
    """Place every enrolled student without a team optimally; the choosing ends. Returns how many."""
    if choice_round.state == PUBLISHED:
        raise Refused(_("The teams of this round are published already."))
    course = choice_round.course
    students = [user.id for user in db.session.scalars(_waiting(course).order_by(User.id))]
    if not students:
        raise Refused(_("No enrolled student is waiting for a team."))
    projects = [project.id for project in course_projects(course)]
    preferences: dict[int, list[int]] = {}
    for user_id, project_id in db.session.execute(
            db.select(ProjectChoice.user_id, ProjectChoice.project_id)
            .where(ProjectChoice.round_id == choice_round.id).order_by(ProjectChoice.user_id, ProjectChoice.rank)):
        preferences.setdefault(user_id, []).append(project_id)
    try:
        result = assign(students, projects, preferences, choice_round.min_size, choice_round.max_size,
                        choice_round.allow_unfilled, existing_sizes(course))
    except Infeasible as infeasible:
        raise Refused(infeasible.message, 422) from None
    db.session.execute(db.delete(Placement).where(Placement.round_id == choice_round.id))
    try:
        with db.session.begin_nested():
            db.session.add_all(Placement(round_id=choice_round.id, user_id=s, project_id=p, rank=result.ranks[s])
                               for s, p in result.placement.items())
            choice_round.state, choice_round.proposed_at = PROPOSED, utcnow()
            db.session.flush()
    except IntegrityError:  # another teacher proposed at the same moment
        raise Refused(_("Another teacher proposed teams at the same moment. Look at their proposal first.")) from None
    record(actor, "proposed", choice_round, ngettext("%(name)s proposed teams for %(num)s student",
                                                     "%(name)s proposed teams for %(num)s students",
                                                     len(students), name=actor.name), course=course)
    return len(students)


def existing_sizes(course) -> dict[int, int]:
    """Project id -> students already in its team."""
    return dict(db.session.execute(
        db.select(ProjectMember.project_id, func.count()).join(Project, Project.id == ProjectMember.project_id)
        .where(Project.course_id == course.id, ProjectMember.role == "student").group_by(ProjectMember.project_id)
    ).all())


def summary(choice_round: ChoiceRound) -> dict:
    """How many got their 1st, 2nd, 3rd … choice, and who got none of theirs (or chose nothing)."""
    rows = db.session.execute(
        db.select(Placement.rank, User).join(User, User.id == Placement.user_id)
        .where(Placement.round_id == choice_round.id).order_by(User.name, User.id)).all()
    chose = set(db.session.scalars(db.select(ProjectChoice.user_id).where(ProjectChoice.round_id == choice_round.id)))
    by_rank = Counter(rank for rank, _user in rows if rank is not None)
    return {"placed": len(rows),
            "by_rank": [(rank, by_rank[rank]) for rank in range(1, choice_round.choices_count + 1)],
            "none_of_theirs": [user for rank, user in rows if rank is None and user.id in chose],
            "no_choice": [user for rank, user in rows if user.id not in chose], "chose": chose}


def team_sizes(choice_round: ChoiceRound) -> dict[int, int]:
    """Project id -> proposed team size (students already in the team included)."""
    sizes = Counter(existing_sizes(choice_round.course))
    sizes.update(dict(db.session.execute(
        db.select(Placement.project_id, func.count()).where(Placement.round_id == choice_round.id)
        .group_by(Placement.project_id)).all()))
    return dict(sizes)


def size_warning(choice_round: ChoiceRound, size: int) -> str:
    """Why a team's size is outside the round's limits, or ''."""
    if size > choice_round.max_size:
        return _("%(size)s students: more than the maximum of %(max)s.", size=size, max=choice_round.max_size)
    if size < choice_round.min_size and (size > 0 or not choice_round.allow_unfilled):
        return _("%(size)s students: fewer than the minimum of %(min)s.", size=size, min=choice_round.min_size)
    return ""


# ---- moving and publishing ------------------------------------------------------------------------

def move(actor, placement: Placement, project_id: int) -> Placement:
    """The teacher moves a student to another proposed team of the same course."""
    choice_round = placement.round
    if choice_round.state != PROPOSED:
        raise Refused(_("Only proposed teams can be changed."))
    project = db.session.scalar(db.select(Project).where(Project.id == project_id,
                                                         Project.course_id == choice_round.course_id))
    if project is None:
        raise Refused(_("Choose a project of this course."), 422)
    before = {"project_id": placement.project_id}
    rank = db.session.scalar(db.select(ProjectChoice.rank).where(
        ProjectChoice.round_id == choice_round.id, ProjectChoice.user_id == placement.user_id,
        ProjectChoice.project_id == project.id))
    placement.project_id, placement.rank, placement.moved = project.id, rank, True
    db.session.flush()
    record(actor, "moved", placement, _("%(name)s moved %(student)s to %(project)s", name=actor.name,
                                        student=placement.user.name, project=project.title),
           course=choice_round.course, before=before)
    return placement


def publish(actor, choice_round: ChoiceRound) -> int:
    """Placements become student memberships; every student and partner of a new team is told."""
    if choice_round.state != PROPOSED:
        raise Refused(_("Propose teams before publishing them."))
    placements = db.session.scalars(db.select(Placement).where(Placement.round_id == choice_round.id)
                                    .options(selectinload(Placement.user), selectinload(Placement.project))).all()
    members = set(db.session.execute(db.select(ProjectMember.project_id, ProjectMember.user_id).join(
        Project, Project.id == ProjectMember.project_id).where(Project.course_id == choice_round.course_id)).all())
    teams: dict[int, list[Placement]] = {}
    for placement in placements:
        if (placement.project_id, placement.user_id) not in members:
            db.session.add(ProjectMember(project_id=placement.project_id, user_id=placement.user_id, role="student"))
        teams.setdefault(placement.project_id, []).append(placement)
    choice_round.state, choice_round.published_at = PUBLISHED, utcnow()
    db.session.flush()
    forget_standing()
    course = choice_round.course
    partners = partners_by_project(teams)
    for team in teams.values():
        project = team[0].project
        names = ", ".join(sorted(p.user.name for p in team))
        record(actor, "team_published", project, _("%(name)s published the team: %(students)s", name=actor.name,
                                                   students=names), project=project)
        url = url_for("projects.show", project_id=project.id)
        notify([p.user for p in team], "teams", f"teams-published-{choice_round.id}",
               _("You are in the team of %(project)s", project=project.title), url, project=project, actor=actor)
        notify(partners.get(project.id, []), "teams", f"teams-published-{choice_round.id}-{project.id}",
               _("Your student team for %(project)s is formed: %(students)s", project=project.title,
                 students=names), url, project=project, actor=actor)
    record(actor, "published", choice_round, ngettext("%(name)s published %(num)s team",
                                                      "%(name)s published %(num)s teams", len(teams),
                                                      name=actor.name), course=course)
    return len(teams)
