"""Who may do what: the one place that decides access. Views and templates both ask `can()`.

Roles are per project: student and partner through project membership, teacher through
course staff, admin globally. Every view declares its rule with `@permission(...)`; a test
walks the URL map and fails on a view without one.
"""
from functools import cache, wraps

from flask import current_app, g, request
from flask_login import current_user

from .audit import deny as abort  # every refusal below is recorded in the audit log
from .contextlocal import app_g, unproxied
from .extensions import db, login_manager
from .models import ENROLLED, Course, CourseEnrolment, CourseStaff, IntroductionSide, Invitation, Organisation, OrganisationMember, Project, ProjectMember, User
from .models.lti import LaunchedContext, LtiPlatform
from .models.peer_feedback import PeerRound, TeamRound
from .models.question import PartnerQuestion
from .models.reflection import SHARED, Reflection
from .models.team_formation import ChoiceRound, Placement

PUBLIC = "public"
SIGNED_IN = "signed-in"
# Rules decided by the client's address, not by an account: Prometheus scrapes without one.
# Everybody else gets 404, as for a page that does not exist.
BY_ADDRESS = {"metrics.read"}
TEACHER = "teacher"
ADMIN = "admin"


# ---- the user's standing, read once per request ----------------------------------------------

def _standing(user) -> dict:
    """Project roles, staffed courses and organisations of the user: one statement per request."""
    cache = app_g().setdefault("_standing", {})
    if user.id not in cache:
        roles, courses, orgs = {}, set(), set()
        for kind, key, role in _standing_statement()({"standing_user_id": user.id}):
            if kind == "p":
                roles[key] = role
            elif kind == "c":
                courses.add(key)
            else:
                orgs.add(key)
        cache[user.id] = {"roles": roles, "courses": courses, "orgs": orgs}
    return cache[user.id]


@cache
def _standing_statement():
    """The three memberships as one UNION ALL, built once per process (the person is a bound parameter)
    and read as plain rows."""
    from sqlalchemy import String, bindparam, literal_column, null, union_all

    from .database import PlainRead

    user_id = bindparam("standing_user_id")
    no_role = null().cast(String)
    return PlainRead(union_all(
        db.select(literal_column("'p'"), ProjectMember.project_id, ProjectMember.role)
        .where(ProjectMember.user_id == user_id),
        db.select(literal_column("'c'"), CourseStaff.course_id, no_role).where(CourseStaff.user_id == user_id),
        db.select(literal_column("'o'"), OrganisationMember.organisation_id, no_role)
        .where(OrganisationMember.user_id == user_id),
    ))


def forget_standing() -> None:
    """Call after changing memberships within a request."""
    g.pop("_standing", None)
    g.pop("_enrolled", None)


def project_role(user, project: Project) -> str | None:
    """'student', 'partner', 'teacher', 'admin' or None: how the user stands in this project."""
    if user is None or not user.is_authenticated:
        return None
    standing = _standing(user)
    role = standing["roles"].get(project.id)
    if role:
        return role
    if project.course_id in standing["courses"]:
        return "teacher"
    if user.is_admin:
        return "admin"
    return None


def project_roles(user) -> dict[int, str]:
    """The user's role ('student' or 'partner') per project they belong to, from the standing read
    once per request: whether someone is anybody's partner costs no query of its own."""
    if user is None or not user.is_authenticated:
        return {}
    return dict(_standing(user)["roles"])


def staffed_courses(user) -> frozenset[int]:
    """Ids of the courses the user teaches, from the standing read once per request."""
    if user is None or not user.is_authenticated:
        return frozenset()
    return frozenset(_standing(user)["courses"])


def organisations_of(user) -> frozenset[int]:
    """Ids of the organisations the user speaks for, from the standing read once per request."""
    if user is None or not user.is_authenticated:
        return frozenset()
    return frozenset(_standing(user)["orgs"])


def teaches(user, course: Course) -> bool:
    return user.is_authenticated and (course.id in _standing(user)["courses"] or user.is_admin)


def enrolled_in(user, course: Course) -> bool:
    """An enrolled (not departed) student of the course; read lazily, once per request."""
    return course.id in enrolled_courses(user)


def enrolled_courses(user) -> frozenset[int]:
    """Ids of the courses the user is an enrolled (not departed) student of; read lazily, once per request."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cache = app_g().setdefault("_enrolled", {})
    if user.id not in cache:
        cache[user.id] = frozenset(row.course_id for row in _enrolled_statement()({"user_id": user.id}))
    return cache[user.id]


@cache
def _enrolled_statement():
    from sqlalchemy import bindparam

    from .database import PlainRead

    return PlainRead(db.select(CourseEnrolment.course_id).where(
        CourseEnrolment.user_id == bindparam("user_id"), CourseEnrolment.status == ENROLLED))


def speaks_for(user, organisation: Organisation) -> bool:
    return user.is_authenticated and organisation.id in _standing(user)["orgs"]


# ---- the rules --------------------------------------------------------------------------------

def _manages_project(user, project) -> bool:
    return project_role(user, project) in ("teacher", "admin")


def _project_of(obj):
    return obj if isinstance(obj, Project) else obj.project


def _course_of(obj) -> Course:
    """A course, or the course of a choice round or of a placement in one."""
    if isinstance(obj, Course):
        return obj
    return obj.course if isinstance(obj, ChoiceRound) else obj.round.course


def _reads_reflection(user, reflection) -> bool:
    role = project_role(user, reflection.project)
    if role == "teacher":
        return True
    return role == "student" and (reflection.author_id == user.id or reflection.visibility == SHARED)


def _scrapes(address) -> bool:
    from .ops.metrics import scrape_allowed

    return scrape_allowed(address)


RULES = {
    # global
    PUBLIC: lambda user, obj: True,
    SIGNED_IN: lambda user, obj: user.is_authenticated,
    "metrics.read": lambda user, address: _scrapes(address),
    ADMIN: lambda user, obj: user.is_admin,
    "course.create": lambda user, obj: user.is_teacher or user.is_admin,
    "styleguide.view": lambda user, obj: user.is_admin or current_app.debug,  # /styleguide: admins, or in development
    "organisation.create": lambda user, obj: user.is_teacher or user.is_admin,
    "organisation.list": lambda user, obj: user.is_teacher or user.is_admin,
    # courses
    "course.view": lambda user, course: teaches(user, course),
    "course.edit": lambda user, course: teaches(user, course),
    "course.invite": lambda user, course: teaches(user, course),
    "course.add_project": lambda user, course: teaches(user, course),
    "invitation.revoke": lambda user, inv: teaches(user, inv.course),
    # enrolling a class (workspace/enrolment): teachers import, mark left and run the join code;
    # anyone signed in may join with a code (the view checks the code, rate-limited).
    "course.enrol": lambda user, course: teaches(user, course),
    "enrolment.edit": lambda user, enrolment: teaches(user, enrolment.course),
    "course.join": lambda user, obj: user.is_authenticated,
    # projects
    "project.view": lambda user, project: project_role(user, project) is not None,
    "project.edit": _manages_project,
    "project.invite": _manages_project,
    "member.remove": lambda user, member: _manages_project(user, member.project),
    # follow-up projects and the after-project questions (workspace/followup, workspace/after_project)
    "project.follow_up": _manages_project,
    "after_project.answer": lambda user, question: project_role(user, question.project) == "partner",
    "after_project.see_answers": lambda user, org: user.is_admin or user.is_teacher or speaks_for(user, org),
    # the partner's evaluation at the end (workspace/evaluations): the project's partners answer, its
    # teachers ask, close and release; the team reads it once released; the organisation's own people
    # (and staff) see it on the organisation page.
    "evaluation.answer": lambda user, evaluation: project_role(user, evaluation.project) == "partner",
    "evaluation.manage": lambda user, obj: _manages_project(user, _project_of(obj)),
    "evaluation.read": lambda user, evaluation: project_role(user, evaluation.project) in (
        "teacher", "admin", "partner") or (project_role(user, evaluation.project) == "student"
                                           and evaluation.released_at is not None),
    "evaluation.see_for_organisation": lambda user, org: user.is_admin or user.is_teacher or speaks_for(user, org),
    # peer feedback inside the team (workspace/peer_feedback): the course's teachers set rounds and read
    # every rating; a student rates their own team's members; the partner sees nothing of it.
    "peer.manage": lambda user, obj: teaches(user, obj if isinstance(obj, Course) else obj.course),
    "peer.rate": lambda user, team_round: project_role(user, team_round.project) == "student",
    # organisations
    # Signed-in people see an organisation's page; outsiders only what it shares (organisations/services.py).
    "organisation.view": lambda user, org: user.is_authenticated,
    "organisation.insider": lambda user, org: user.is_admin or user.is_teacher or speaks_for(user, org),
    "organisation.edit": lambda user, org: user.is_admin or user.is_teacher or speaks_for(user, org),
    "organisation.rename": lambda user, org: user.is_admin or user.is_teacher,
    "organisation.share": lambda user, org: user.is_admin or speaks_for(user, org),
    "organisation.introduce": lambda user, org: user.is_admin or user.is_teacher,
    "introduction.answer": lambda user, side: speaks_for(user, side.organisation),
    # Declined introductions stay on the record for staff only; the organisations see pending and accepted ones.
    "introduction.see_declined": lambda user, org: user.is_admin or user.is_teacher,
    # admin
    "user.edit": lambda user, other: user.is_admin,
    # ---- deliverables
    "deliverable.list": lambda user, project: project_role(user, project) is not None,
    "deliverable.create": lambda user, project: project_role(user, project) == "student",
    "deliverable.view": lambda user, deliverable: project_role(user, deliverable.project) is not None,
    "deliverable.edit": lambda user, deliverable: project_role(user, deliverable.project) == "student",
    "deliverable.add_version": lambda user, deliverable: project_role(user, deliverable.project) == "student",
    "deliverable.submit": lambda user, version: project_role(user, version.project) == "student",
    "deliverable.review": lambda user, version: project_role(user, version.project) == "partner",
    "deliverable.add_handover_item": lambda user, deliverable: project_role(user, deliverable.project) in (
        "student", "partner"),
    "deliverable.tick_handover": lambda user, item: project_role(user, item.project) == "partner",
    "file.download": lambda user, stored: project_role(user, stored.project) is not None,
    # ---- the public showcase (workspace/showcase): its pages are PUBLIC and show only what the service
    # finds published; the team and the partner draft, only a partner publishes and withdraws.
    "showcase.edit": lambda user, deliverable: project_role(user, deliverable.project) in ("student", "partner"),
    "showcase.publish": lambda user, deliverable: project_role(user, deliverable.project) == "partner",
    "showcase.withdraw": lambda user, deliverable: project_role(user, deliverable.project) == "partner",
    # ---- agreement: members (students, partners) edit and accept, partners decide consent, each
    # side marks its own promises kept. Objects are the project or something with `.project`.
    "agreement.view": lambda user, obj: project_role(user, _project_of(obj)) is not None,
    "agreement.edit": lambda user, obj: project_role(user, _project_of(obj)) in ("student", "partner"),
    "agreement.accept": lambda user, obj: project_role(user, _project_of(obj)) in ("student", "partner"),
    "agreement.consent": lambda user, obj: project_role(user, _project_of(obj)) == "partner",
    "responsibility.mark_done": lambda user, resp: {"student": "students", "partner": "partner", "teacher": "teacher"}.get(
        project_role(user, resp.project)) == resp.side,
    # ---- checkups
    "checkup.list": lambda user, project: project_role(user, project) is not None,
    "checkup.plan": lambda user, project: project_role(user, project) is not None,
    "checkup.reschedule": lambda user, checkup: project_role(user, checkup.project) is not None,
    "checkup.view": lambda user, checkup: project_role(user, checkup.project) is not None,
    "checkup.log": lambda user, checkup: project_role(user, checkup.project) in ("student", "partner"),
    "checkup.add_item": lambda user, checkup: project_role(user, checkup.project) in ("student", "partner"),
    "checkup.confirm": lambda user, checkup: project_role(user, checkup.project) == "partner",
    "checkup.correct": lambda user, checkup: project_role(user, checkup.project) == "partner",
    "checkup.resolve": lambda user, correction: project_role(user, correction.project) == "student",
    "checkup.rate": lambda user, checkup: project_role(user, checkup.project) in ("student", "partner"),
    "feedback.respond": lambda user, item: project_role(user, item.project) == "student",
    "action.mark": lambda user, item: project_role(user, item.project) in ("student", "partner"),
    "course.values": lambda user, course: teaches(user, course),
    # ---- goals: students and partners propose, revise, agree and drop (the side rules live in
    # goals/services.py's state machine); students claim, partners confirm; teachers only comment.
    "goal.propose": lambda user, project: project_role(user, project) in ("student", "partner"),
    "goal.view": lambda user, goal: project_role(user, goal.project) is not None,
    "goal.revise": lambda user, goal: project_role(user, goal.project) in ("student", "partner"),
    "goal.respond": lambda user, goal: project_role(user, goal.project) in ("student", "partner"),
    "goal.drop": lambda user, goal: project_role(user, goal.project) in ("student", "partner"),
    "goal.claim": lambda user, goal: project_role(user, goal.project) == "student",
    "goal.confirm": lambda user, goal: project_role(user, goal.project) == "partner",
    "goal.comment": lambda user, goal: project_role(user, goal.project) is not None,
    "goal.reorder": lambda user, goal: project_role(user, goal.project) == "student",
    "relevance.view": lambda user, project: project_role(user, project) is not None,
    "relevance.edit": lambda user, project: project_role(user, project) in ("student", "partner"),
    # ---- exports: whoever may view a project takes all of it along (data portability); the
    # calendar feed is personal and opened by its secret address, not by a session.
    "export.view": lambda user, project: project_role(user, project) is not None,
    # ---- reflections: read by the author and the course's teachers, and when shared by the
    # project's other students; never by the partner (nor an admin who does not teach the course).
    "reflection.list": lambda user, project: project_role(user, project) in ("student", "teacher"),
    "reflection.write": lambda user, project: project_role(user, project) == "student",
    "reflection.view": lambda user, r: _reads_reflection(user, r),
    "reflection.edit": lambda user, r: r.author_id == user.id and project_role(user, r.project) == "student",
    "reflection.respond": lambda user, r: project_role(user, r.project) == "teacher" or (
        r.author_id == user.id and project_role(user, r.project) == "student"),
    # ---- forming teams (workspace/teams): the course's teachers run the choice round, propose, move,
    # publish and remind; enrolled students rank projects (the service refuses after the deadline).
    "course.teams": lambda user, obj: teaches(user, _course_of(obj)),
    "course.choose": lambda user, choice_round: enrolled_in(user, choice_round.course),
    # ---- partner questions: coordinators (teachers, admins) see the confirmed queue and act on it; the
    # contact needs no account (PUBLIC routes that check the secret link in questions/services.py).
    "question.queue": lambda user, obj: user.is_teacher or user.is_admin,
    "question.act": lambda user, question: user.is_teacher or user.is_admin,
    # ---- LTI 1.3 (workspace/lti): the protocol routes are PUBLIC and check their own signatures; a
    # launch held in this browser lets its Instructor link the platform course or answer a deep link.
    "lti.link_context": lambda user, launched: launched.user_id == user.id and launched.instructor
    and launched.context is not None and launched.context.course_id is None,
    "lti.deep_link": lambda user, launched: launched.user_id == user.id and launched.instructor
    and launched.deep_linking,
    "lti.sync": lambda user, course: teaches(user, course),
}

# Which rule decides whether someone may know an object exists at all. Not knowing it gives
# 404, the same answer as an id that does not exist: no one learns what other projects hold.
_SEE = {
    Project: "project.view",
    ProjectMember: lambda user, m: can(user, "project.view", m.project),
    Course: "course.view",
    Invitation: lambda user, inv: can(user, "course.view", inv.course),
    CourseEnrolment: lambda user, enrolment: can(user, "course.view", enrolment.course),
    Organisation: "organisation.view",
    IntroductionSide: lambda user, side: can(user, "organisation.insider", side.organisation),
    User: ADMIN,
    Reflection: "reflection.view",
    LtiPlatform: ADMIN,
    LaunchedContext: lambda user, launched: launched.user_id == user.id,  # someone else's launch does not exist
    # A choice round exists for the course's teachers and its enrolled students; a proposed placement
    # only for the teachers (students and partners see teams once published, as project members).
    ChoiceRound: lambda user, r: teaches(user, r.course) or enrolled_in(user, r.course),
    Placement: lambda user, placement: teaches(user, placement.round.course),
    PartnerQuestion: "question.queue",
    # Peer feedback does not exist for partners, nor for anyone outside the course's teachers and the team.
    PeerRound: lambda user, r: teaches(user, r.course),
    TeamRound: lambda user, tr: project_role(user, tr.project) in ("student", "teacher", "admin"),
}


def can(user, action: str, obj=None) -> bool:
    """True when `user` may do `action` (to `obj`). Unknown actions are refused."""
    rule = RULES.get(action)
    if rule is None:
        raise KeyError(f"no permission rule named {action!r}")
    user = unproxied(user)  # `current_user`: the rules read the person several times
    if action not in (PUBLIC,) and (user is None or not user.is_authenticated):
        return False
    return bool(rule(user, obj))


def can_see(user, obj) -> bool:
    for cls, rule in _SEE.items():
        if isinstance(obj, cls):
            return rule(user, obj) if callable(rule) else can(user, rule, obj)
    # Objects that belong to a project are visible to whoever sees the project.
    project = getattr(obj, "project", None)
    if isinstance(project, Project):
        return can(user, "project.view", project)
    raise TypeError(f"no visibility rule for {type(obj).__name__}")


# ---- the decorator every view wears ----------------------------------------------------------

def permission(action: str, load=None):
    """Declare and enforce a view's rule.

    `load(**view_args)` returns the object the rule is about (or None for an unknown id); the
    view then receives it as its first argument. Anonymous users are sent to log in, people
    who may not know the object get 404, people who see it but may not act get 403.
    """
    if action not in RULES:
        raise KeyError(f"no permission rule named {action!r}")

    def decorate(view):
        @wraps(view)
        def guarded(**kwargs):
            if action == PUBLIC:
                return view(**kwargs)
            if action in BY_ADDRESS:
                if not RULES[action](current_user, request.remote_addr):
                    abort(404)
                return view(**kwargs)
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if load is None:
                if not can(current_user, action):
                    abort(403)
                return view(**kwargs)
            obj = load(**kwargs)
            if obj is None or not can_see(current_user, obj):
                abort(404)
            if not can(current_user, action, obj):
                abort(403)
            return view(obj, **kwargs)

        guarded.permission = action
        return guarded

    return decorate


def get_or_none(model, ident):
    return db.session.get(model, ident)
