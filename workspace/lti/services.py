"""LTI rules: registering platforms, the people a launch brings in (by issuer and sub), linking a
platform course to a workspace course, and the roster from the Names and Role Provisioning Service.

Flush, never commit: the view (or the command) commits once."""
import hashlib
from dataclasses import dataclass

import requests
from flask_babel import gettext as _
from pylti1p3.exception import LtiServiceException
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector
from sqlalchemy import func

from ..activity import record
from ..courses.services import create_course
from ..extensions import db
from ..models import (
    ENROLLED, LEFT, Course, CourseEnrolment, CourseStaff, LtiAccount, LtiContext, LtiDeployment, LtiPlatform,
    OrganisationMember, User,
)
from ..models.base import utcnow
from ..policy import forget_standing
from ..rules import Refused
from .tool import outbound, private_key_pem, registration_of

LTI_SOURCE = "lti"
CONTEXT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/context"
ROLES_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/roles"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DEEP_LINKING_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"
COURSE_PARAMETER = "workspace_course"  # the custom parameter a deep link carries
NO_EMAIL_DOMAIN = "lti.invalid"  # platforms may keep e-mail private; the account still needs a unique address


# ---- registrations ---------------------------------------------------------------------------

def save_platform(actor, platform: LtiPlatform | None, *, name: str, issuer: str, client_id: str,
                  auth_login_url: str, auth_token_url: str, key_set_url: str, deployment_ids: list[str]) -> LtiPlatform:
    """Register a platform or change its registration; the deployment ids are replaced by the list given."""
    clash = db.session.scalar(db.select(LtiPlatform).where(
        LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id))
    if clash is not None and clash is not platform:
        raise Refused(_("This issuer and client id are registered already."), 422)
    new = platform is None
    if new:
        platform = LtiPlatform()
        db.session.add(platform)
    before = None if new else {"issuer": platform.issuer, "client_id": platform.client_id,
                               "deployments": [d.deployment_id for d in platform.deployments]}
    platform.name, platform.issuer, platform.client_id = name, issuer, client_id
    platform.auth_login_url, platform.auth_token_url, platform.key_set_url = auth_login_url, auth_token_url, key_set_url
    wanted = list(dict.fromkeys(d for d in deployment_ids if d))
    platform.deployments[:] = [d for d in platform.deployments if d.deployment_id in wanted]
    kept = {d.deployment_id for d in platform.deployments}
    platform.deployments.extend(LtiDeployment(deployment_id=d) for d in wanted if d not in kept)
    private_key_pem()  # the tool's key exists (and is stored) before the platform ever asks for it
    db.session.flush()
    who = actor.name if actor is not None else _("The operator")
    record(actor, "registered" if new else "edited", platform,
           _("%(name)s registered the learning platform %(issuer)s", name=who, issuer=issuer) if new else
           _("%(name)s changed the registration of the learning platform %(issuer)s", name=who, issuer=issuer),
           before=before)
    return platform


def remove_platform(actor, platform: LtiPlatform) -> None:
    """Forget the registration and its course links; the people and enrolments it brought stay."""
    record(actor, "removed", platform, _("%(name)s removed the learning platform %(issuer)s",
                                        name=actor.name, issuer=platform.issuer))
    db.session.delete(platform)
    db.session.flush()


# ---- people ----------------------------------------------------------------------------------

def _placeholder_email(issuer: str, subject: str) -> str:
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:24]
    return f"lti-{digest}@{NO_EMAIL_DOMAIN}"


def _speaks_for_an_organisation(user: User) -> bool:
    return db.session.scalar(db.select(OrganisationMember.id).where(OrganisationMember.user_id == user.id)
                             .limit(1)) is not None


def account_for(platform: LtiPlatform, subject: str, email: str | None, name: str | None) -> User:
    """The account of the platform's person: found by (issuer, sub), else linked by e-mail, else created."""
    issuer = platform.issuer
    link = db.session.scalar(db.select(LtiAccount).where(LtiAccount.issuer == issuer, LtiAccount.subject == subject))
    if link is not None:
        return link.user
    email = (email or "").strip().lower()
    user = db.session.scalar(db.select(User).where(func.lower(User.email) == email)) if email else None
    if user is not None and user.is_admin:
        # A platform's word on an e-mail address is not enough to sign in as an administrator.
        raise Refused(_("This e-mail address belongs to an administrator's account, which cannot be opened from "
                        "a learning platform. Sign in with the password."), 403)
    if user is not None and (user.sso_only or _speaks_for_an_organisation(user)):
        # Nor to get round the admin's "university sign-in only", nor to open a partner's account: partners never
        # come from a learning platform, and their organisation's data is not the platform's to hand out.
        raise Refused(_("This e-mail address belongs to an account that cannot be opened from a learning platform. "
                        "Sign in the way you usually do."), 403)
    if user is None:
        user = User(email=email or _placeholder_email(issuer, subject),
                    name=(name or "").strip()[:120] or _("Platform user"))
        db.session.add(user)
        db.session.flush()
        record(user, "joined_lti", user, _("%(name)s signed in for the first time with %(provider)s",
                                           name=user.name, provider=platform.label))
    else:
        record(user, "linked_lti", user, _("%(name)s linked their account to %(provider)s", name=user.name,
                                           provider=platform.label))
    db.session.add(LtiAccount(issuer=issuer, subject=subject, user_id=user.id))
    db.session.flush()
    return user


CONTEXT_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


def role_of(roles: list[str]) -> str | None:
    """"teacher" for the context's Instructor, "student" for its Learner, else None.

    Only context roles count (the full membership URI, or the bare name LTI 1.3 allows for them): an
    institution or system role such as institution/person#Instructor says nothing about this course."""
    names = {role.removeprefix(CONTEXT_ROLE) for role in map(str, roles or [])}
    if "Instructor" in names:
        return "teacher"
    if "Learner" in names:
        return "student"
    return None


def make_teacher(user: User, course: Course) -> None:
    user.is_teacher = True
    if db.session.scalar(db.select(CourseStaff.id).filter_by(course_id=course.id, user_id=user.id)) is None:
        db.session.add(CourseStaff(course_id=course.id, user_id=user.id))
        record(user, "joined", course, _("%(name)s joined %(course)s as teacher from the learning platform",
                                         name=user.name, course=course.name), course=course)
    forget_standing()


def enrol(user: User, course: Course, enrolments: dict | None = None) -> bool:
    """Enrol as a student from the platform; True when that is new (or a return after leaving)."""
    if enrolments is None:
        enrolments = {user.id: db.session.scalar(db.select(CourseEnrolment).filter_by(course_id=course.id,
                                                                                      user_id=user.id))}
    row = enrolments.get(user.id)
    if row is None:
        db.session.add(CourseEnrolment(course_id=course.id, user_id=user.id, source=LTI_SOURCE, status=ENROLLED))
    elif row.status == LEFT:
        row.status, row.left_at, row.source = ENROLLED, None, LTI_SOURCE
    else:
        return False
    forget_standing()
    return True


# ---- launches --------------------------------------------------------------------------------

@dataclass
class Arrival:
    """What a verified launch means here: who, as what, from which context, and that context's course."""

    user: User
    role: str | None
    platform: LtiPlatform
    context: LtiContext | None


def arrive(platform: LtiPlatform, claims: dict) -> Arrival:
    """Take in a verified launch: the account, the context (with its roster address), and the role in its course."""
    user = account_for(platform, str(claims["sub"]), claims.get("email"), claims.get("name"))
    role = role_of(claims.get(ROLES_CLAIM, []))
    context = remember_context(platform, claims)
    if role == "teacher":
        user.is_teacher = True  # an Instructor of the platform may start courses here
    if context is not None and context.course is not None:
        if role == "teacher":
            make_teacher(user, context.course)
        elif role == "student" and enrol(user, context.course):
            record(user, "enrolled", context.course, _("%(name)s joined %(course)s from the learning platform",
                                                       name=user.name, course=context.course.name),
                   course=context.course)
    elif context is not None and role == "teacher":
        _link_from_deep_link(user, context, claims)
    return Arrival(user=user, role=role, platform=platform, context=context)


def remember_context(platform: LtiPlatform, claims: dict) -> LtiContext | None:
    claim = claims.get(CONTEXT_CLAIM) or {}
    if not claim.get("id"):
        return None
    context = db.session.scalar(db.select(LtiContext).where(
        LtiContext.platform_id == platform.id, LtiContext.context_id == str(claim["id"])))
    if context is None:
        context = LtiContext(platform_id=platform.id, context_id=str(claim["id"]))
        db.session.add(context)
    context.title = str(claim.get("title") or claim.get("label") or context.title or "")[:255]
    memberships = (claims.get(NRPS_CLAIM) or {}).get("context_memberships_url")
    if memberships:
        context.memberships_url = str(memberships)[:1000]
    db.session.flush()
    return context


def _link_from_deep_link(user: User, context: LtiContext, claims: dict) -> None:
    """A link placed by deep linking names its course: the first instructor launch links it when they teach it."""
    wanted = str((claims.get(CUSTOM_CLAIM) or {}).get(COURSE_PARAMETER, ""))
    course = db.session.get(Course, int(wanted)) if wanted.isdigit() and len(wanted) < 18 else None
    if course is not None and db.session.scalar(
            db.select(CourseStaff.id).filter_by(course_id=course.id, user_id=user.id)) is not None:
        link_context(user, context, course)


def teachable_courses(user: User) -> list[Course]:
    """The courses a person staffs that no platform course is linked to yet."""
    return db.session.scalars(
        db.select(Course).join(CourseStaff, CourseStaff.course_id == Course.id)
        .outerjoin(LtiContext, LtiContext.course_id == Course.id)
        .where(CourseStaff.user_id == user.id, LtiContext.id.is_(None))
        .order_by(Course.name, Course.id)
    ).all()


def link_context(user: User, context: LtiContext, course: Course) -> None:
    if context.course_id is not None:
        raise Refused(_("This platform course is linked to a workspace course already."))
    if db.session.scalar(db.select(LtiContext.id).where(LtiContext.course_id == course.id)) is not None:
        raise Refused(_("That workspace course is linked to another platform course already."), 422)
    context.course_id, context.linked_at = course.id, utcnow()
    db.session.flush()
    record(user, "linked", course, _("%(name)s linked %(course)s to the platform course %(title)s",
                                     name=user.name, course=course.name, title=context.title or context.context_id),
           course=course)
    make_teacher(user, course)


def link_to_new_course(user: User, context: LtiContext, name: str, term: str) -> Course:
    course = create_course(user, name, term, "")
    link_context(user, context, course)
    return course


# ---- the roster (Names and Role Provisioning Service) --------------------------------------

@dataclass
class SyncResult:
    added: int = 0
    left: int = 0
    unchanged: int = 0


def fetch_members(context: LtiContext) -> list[dict]:
    """The platform's members of the context, through an access token signed with the tool's key."""
    if not context.memberships_url:
        raise Refused(_("The learning platform has not offered its class list for this course yet. "
                        "Launch the workspace from the platform course once, then sync again."))
    connector = ServiceConnector(registration_of(context.platform), outbound())
    service = NamesRolesProvisioningService(connector, {"context_memberships_url": context.memberships_url})
    try:
        return service.get_members()
    except (LtiServiceException, requests.RequestException, ValueError, KeyError):
        raise Refused(_("The learning platform did not give the class list. Try again later, or ask its "
                        "administrator to allow the Names and Role Provisioning Service for this tool."), 502) from None


def sync_roster(actor, context: LtiContext) -> SyncResult:
    """Enrol the platform's active learners; mark platform-made enrolments of those gone as left; delete nothing."""
    course = context.course
    members = fetch_members(context)
    issuer = context.platform.issuer
    learners = {str(m["user_id"]): m for m in members
                if m.get("user_id") and role_of(m.get("roles", [])) == "student" and m.get("status", "Active") == "Active"}
    linked = dict(db.session.execute(db.select(LtiAccount.subject, LtiAccount.user_id).where(
        LtiAccount.issuer == issuer, LtiAccount.subject.in_(list(learners)))).all()) if learners else {}
    user_ids = set()
    for subject, member in learners.items():
        try:
            user_ids.add(linked.get(subject) or account_for(context.platform, subject, member.get("email"),
                                                           member.get("name")).id)
        except Refused:
            continue  # an administrator's address: never enrolled from the platform's word
    enrolments = {row.user_id: row for row in db.session.scalars(
        db.select(CourseEnrolment).where(CourseEnrolment.course_id == course.id))}
    result = SyncResult()
    users = {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    for user_id in user_ids:
        if enrol(users[user_id], course, enrolments):
            result.added += 1
        else:
            result.unchanged += 1
    now = utcnow()
    for row in enrolments.values():
        if row.source == LTI_SOURCE and row.status == ENROLLED and row.user_id not in user_ids:
            row.status, row.left_at = LEFT, now
            result.left += 1
    context.synced_at = now
    who = actor.name if actor is not None else _("The daily roster sync")
    record(actor, "synced_roster", course, _(
        "%(name)s synced the class of %(course)s with the learning platform: %(added)s added, %(left)s left, "
        "%(unchanged)s unchanged", name=who, course=course.name, added=result.added, left=result.left,
        unchanged=result.unchanged), course=course)
    db.session.flush()
    return result


def linked_contexts() -> list[LtiContext]:
    return db.session.scalars(db.select(LtiContext).where(LtiContext.course_id.is_not(None))
                              .order_by(LtiContext.id)).all()


def context_of(course: Course) -> LtiContext | None:
    return db.session.scalar(db.select(LtiContext).where(LtiContext.course_id == course.id))
