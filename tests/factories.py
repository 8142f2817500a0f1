"""Callable factories that build real rows; every argument has a sensible default."""
import itertools
from datetime import date, timedelta

from workspace.extensions import db
from workspace.models import Course, CourseStaff, Organisation, OrganisationMember, Project, ProjectMember, User

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)
_HASHES: dict[str, str] = {}
# The product hashes with werkzeug's default, scrypt: deliberately slow (about 0.15 s to hash and again to check
# each login here). The suite logs in some ten thousand times, so the people the factories make get a hash
# werkzeug checks at once (PBKDF2, one round); check_password_hash reads the method from the stored hash, so
# logging in takes the product's own path. Passwords set through the product (sign-up, reset, change) are
# hashed as in production: tests/test_auth.py asserts that.
FAST_HASH = "pbkdf2:sha256:1"


def _hash(password: str) -> str:
    if password not in _HASHES:
        from werkzeug.security import generate_password_hash

        _HASHES[password] = generate_password_hash(password, method=FAST_HASH)
    return _HASHES[password]


def create_user(name=None, email=None, password=PASSWORD, **flags) -> User:
    n = next(_seq)
    user = User(name=name or f"Person {n}", email=email or f"person{n}@example.org", **flags)
    user.password_hash = _hash(password)
    db.session.add(user)
    db.session.flush()
    return user


def create_organisation(name=None, **fields) -> Organisation:
    org = Organisation(name=name or f"Organisation {next(_seq)}", **fields)
    db.session.add(org)
    db.session.flush()
    return org


def create_course(name=None, teachers=(), **fields) -> Course:
    course = Course(name=name or f"Course {next(_seq)}", **fields)
    db.session.add(course)
    db.session.flush()
    for teacher in teachers:
        db.session.add(CourseStaff(course_id=course.id, user_id=teacher.id))
    db.session.flush()
    return course


def create_project(course=None, organisation=None, students=(), partners=(), title=None, **fields) -> Project:
    course = course or create_course()
    organisation = organisation or create_organisation()
    fields.setdefault("start_date", date.today() - timedelta(days=30))
    fields.setdefault("end_date", date.today() + timedelta(days=90))
    project = Project(course=course, organisation=organisation, title=title or f"Project {next(_seq)}", **fields)
    db.session.add(project)
    db.session.flush()
    for user in students:
        db.session.add(ProjectMember(project_id=project.id, user_id=user.id, role="student"))
    for user in partners:
        db.session.add(ProjectMember(project_id=project.id, user_id=user.id, role="partner"))
        if not db.session.scalar(db.select(OrganisationMember).filter_by(organisation_id=organisation.id, user_id=user.id)):
            db.session.add(OrganisationMember(organisation_id=organisation.id, user_id=user.id))
    db.session.flush()
    return project


def create_goal(project, proposer, side="student", state="proposed", title=None, **fields):
    """A goal straight in `state` (proposed by `side`), with its first revision."""
    from workspace.models import Goal, GoalRevision

    fields.setdefault("description", "")
    goal = Goal(project_id=project.id, title=title or f"Goal {next(_seq)}", proposer_side=side,
                proposer_id=proposer.id, state=state, position=next(_seq), **fields)
    if state == "drop_proposed":
        goal.drop_side, goal.state_before_drop, goal.drop_reason = side, "agreed", "No longer needed"
    if state in ("achievement_claimed", "achieved"):
        goal.evidence = goal.evidence or "The partner uses it every week."
    db.session.add(goal)
    db.session.flush()
    db.session.add(GoalRevision(goal_id=goal.id, number=1, title=goal.title, description=goal.description,
                                author_id=proposer.id, author_side=side))
    db.session.flush()
    return goal


# ---- agreement --------------------------------------------------------------------------------

def create_agreement(project, cadence_days=14, channel="video call", responsibilities=(), accepted_by=()):
    """An agreement as version 1 with the three consent items; `responsibilities` are dicts of fields."""
    from workspace.agreement.services import snapshot
    from workspace.models.agreement import (
        CONSENT_KINDS, Agreement, AgreementAcceptance, AgreementVersion, ConsentItem, Responsibility,
    )

    agreement = Agreement(project_id=project.id, cadence_days=cadence_days, checkup_channel=channel)
    agreement.consent_items = [ConsentItem(kind=kind) for kind in CONSENT_KINDS]
    db.session.add(agreement)
    db.session.flush()
    rows = [Responsibility(agreement_id=agreement.id, **{"what": "Reply within 5 working days", "side": "partner",
                                                          **fields}) for fields in responsibilities]
    db.session.add_all(rows)
    db.session.flush()
    for row in rows:
        row.series_id = row.id
    db.session.flush()
    version = AgreementVersion(agreement_id=agreement.id, number=1, snapshot=snapshot(agreement))
    db.session.add(version)
    db.session.flush()
    for user in accepted_by:
        db.session.add(AgreementAcceptance(agreement_version_id=version.id, user_id=user.id))
    db.session.flush()
    return agreement


# ---- checkups ------------------------------------------------------------------------------

def create_checkup(project, *, state="planned", days_ago=0, summary="We met.", **fields):
    """A check-up `days_ago` days in the past (negative: in the future) in the given state."""
    from datetime import datetime, timezone

    from workspace.models import CheckUp

    when = datetime.now(timezone.utc).replace(microsecond=0, second=0) - timedelta(days=days_ago)
    checkup = CheckUp(project=project, planned_at=when, state=state,
                      summary=summary if state != "planned" else "", **fields)
    if state != "planned":
        checkup.logged_at = when
    db.session.add(checkup)
    db.session.flush()
    return checkup


def create_feedback(checkup, text="Please use simpler words.", raised_by="partner", state="open", **fields):
    from workspace.models import FeedbackItem

    item = FeedbackItem(checkup=checkup, project_id=checkup.project_id, text=text, raised_by=raised_by, state=state,
                        **fields)
    db.session.add(item)
    db.session.flush()
    return item


def create_action(checkup, owner, text="Send the draft", due=None, done=False):
    from workspace.models import ActionItem

    item = ActionItem(checkup=checkup, project_id=checkup.project_id, text=text, owner_id=owner.id,
                      due_date=due or date.today() + timedelta(days=7), done=done)
    db.session.add(item)
    db.session.flush()
    return item


def create_rating(checkup, user, side, value_key="relevance", score=4, comment=""):
    from workspace.models import PulseRating

    rating = PulseRating(checkup_id=checkup.id, project_id=checkup.project_id, user_id=user.id, side=side,
                         value_key=value_key, score=score, comment=comment)
    db.session.add(rating)
    db.session.flush()
    return rating


# ---- deliverables

def create_deliverable(project, title=None, kind="report", state="draft", items=4, **fields):
    """A deliverable with `items` open handover items (rows only: no rules, no activity)."""
    from workspace.models import Deliverable, HandoverItem

    deliverable = Deliverable(project=project, title=title or f"Deliverable {next(_seq)}", kind=kind, state=state,
                              **fields)
    db.session.add(deliverable)
    for n in range(items):
        deliverable.handover_items.append(HandoverItem(label=f"Handover point {n + 1}", position=n))
    db.session.flush()
    return deliverable


def create_deliverable_version(deliverable, submitted_by=None, decision=None, reviewer=None, files=(), links=(),
                               note="What changed"):
    """The next version; submitted when `submitted_by` is given, reviewed when `decision` is."""
    import hashlib

    from workspace.models import DeliverableVersion, Review, StoredFile, VersionLink
    from workspace.models.base import utcnow

    number = len(deliverable.versions) + 1
    version = DeliverableVersion(deliverable=deliverable, number=number, note=note, files=[], links=[], reviews=[])
    db.session.add(version)
    if submitted_by is not None:
        version.submitted_at, version.submitted_by_id = utcnow(), submitted_by.id
    for name, content_type, data in files:
        version.files.append(StoredFile(project_id=deliverable.project_id, original_name=name, content_type=content_type,
                                        size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data))
    for url in links:
        version.links.append(VersionLink(url=url, label=""))
    if decision is not None:
        version.reviews.append(Review(decision=decision, reviewer_id=reviewer.id if reviewer else None, comment="ok"))
    db.session.add(version)
    db.session.flush()
    return version


# ---- enrolment

def enrol(course, user, source="manual", **fields):
    """`user` enrolled in `course` (status enrolled) as the enrolment pages would leave it."""
    from workspace.models import CourseEnrolment

    enrolment = CourseEnrolment(course_id=course.id, user_id=user.id, source=source, **fields)
    db.session.add(enrolment)
    db.session.flush()
    return enrolment
