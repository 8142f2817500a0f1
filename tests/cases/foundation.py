"""Permission cases of the foundation's routes."""
from datetime import timedelta

from workspace.extensions import db
from workspace.models import Invitation, PasswordResetToken, ProjectMember
from workspace.models.base import utcnow
from workspace.security import new_token

from ..factories import PASSWORD, create_user
from . import COURSE_STAFF, EVERYONE, PROJECT_ROLES, SIGNED_IN, TEACHERS, Case

NOBODY = frozenset()


def _reset_token(world):
    token, digest = new_token()
    db.session.add(PasswordResetToken(user=world.loner, token_hash=digest, expires_at=utcnow() + timedelta(hours=1)))
    db.session.commit()
    return {"token": token}


def _invitation(world):
    token, digest = new_token()
    inv = Invitation(token_hash=digest, email="newcomer@example.org", role="student", course=world.course,
                     project=world.project, expires_at=utcnow() + timedelta(days=3))
    db.session.add(inv)
    db.session.commit()
    return {"token": token, "invitation_id": inv.id}


def _third_member(world):
    newcomer = create_user("Nina Newcomer")
    member = ProjectMember(project_id=world.project.id, user_id=newcomer.id, role="student")
    db.session.add(member)
    db.session.commit()
    return {"member_id": member.id}


def _project_form(world, objs):
    return {"title": "Renamed project", "organisation_id": world.project.organisation_id,
            "problem_statement": "x", "start_date": "2026-01-01", "end_date": "2026-12-31",
            "version": world.project.version}


P = lambda w, o: f"/projects/{w.project.id}"  # noqa: E731
C = lambda w, o: f"/courses/{w.course.id}"  # noqa: E731

CASES = [
    Case("main.index", "GET", lambda w, o: "/", EVERYONE, EVERYONE, public=True),
    Case("main.home", "GET", lambda w, o: "/home", SIGNED_IN, EVERYONE),
    Case("main.healthz", "GET", lambda w, o: "/healthz", EVERYONE, EVERYONE, public=True),
    Case("auth.login", "GET", lambda w, o: "/login", EVERYONE, EVERYONE, public=True),
    Case("auth.login", "POST", lambda w, o: "/login", EVERYONE, EVERYONE, public=True,
         data=lambda w, o: {"email": w.loner.email, "password": PASSWORD}),
    Case("auth.logout", "POST", lambda w, o: "/logout", SIGNED_IN, EVERYONE),
    Case("auth.forgot_password", "GET", lambda w, o: "/password/forgot", EVERYONE, EVERYONE, public=True),
    Case("auth.forgot_password", "POST", lambda w, o: "/password/forgot", EVERYONE, EVERYONE, public=True,
         data=lambda w, o: {"email": w.loner.email}),
    Case("auth.reset_password", "GET", lambda w, o: f"/password/reset/{o['token']}", EVERYONE, EVERYONE,
         public=True, setup=_reset_token),
    Case("auth.reset_password", "POST", lambda w, o: f"/password/reset/{o['token']}", EVERYONE, EVERYONE,
         public=True, setup=_reset_token, data=lambda w, o: {"password": "a-new-password-1", "confirm": "a-new-password-1"}),
    Case("auth.invitation", "GET", lambda w, o: f"/invitations/{o['token']}", EVERYONE, EVERYONE,
         public=True, setup=_invitation),
    Case("auth.invitation", "POST", lambda w, o: f"/invitations/{o['token']}", EVERYONE, EVERYONE,
         public=True, setup=_invitation,
         data=lambda w, o: {"name": "New Comer", "password": "a-new-password-1", "confirm": "a-new-password-1"}),
    Case("auth.profile", "GET", lambda w, o: "/profile", SIGNED_IN, EVERYONE),
    Case("auth.profile", "POST", lambda w, o: "/profile", SIGNED_IN, EVERYONE,
         data=lambda w, o: {"name": "Renamed", "timezone": "Europe/Amsterdam", "locale": "en"}),
    Case("auth.change_password", "GET", lambda w, o: "/profile/password", SIGNED_IN, EVERYONE),
    Case("auth.change_password", "POST", lambda w, o: "/profile/password", SIGNED_IN, EVERYONE,
         data=lambda w, o: {"current": PASSWORD, "password": "a-new-password-1", "confirm": "a-new-password-1"}),
    Case("courses.new", "GET", lambda w, o: "/courses/new", TEACHERS, EVERYONE),
    Case("courses.new", "POST", lambda w, o: "/courses/new", TEACHERS, EVERYONE,
         data=lambda w, o: {"name": "A new course", "term": "2027"}),
    Case("courses.show", "GET", C, COURSE_STAFF, COURSE_STAFF),
    Case("courses.edit", "GET", lambda w, o: f"/courses/{w.course.id}/edit", COURSE_STAFF, COURSE_STAFF),
    Case("courses.edit", "POST", lambda w, o: f"/courses/{w.course.id}/edit", COURSE_STAFF, COURSE_STAFF,
         data=lambda w, o: {"name": "Renamed course"}),
    Case("courses.invite_teacher", "GET", lambda w, o: f"/courses/{w.course.id}/invite", COURSE_STAFF, COURSE_STAFF),
    Case("courses.invite_teacher", "POST", lambda w, o: f"/courses/{w.course.id}/invite", COURSE_STAFF,
         COURSE_STAFF, data=lambda w, o: {"email": "coteacher@example.org"}),
    Case("courses.revoke_invitation", "POST",
         lambda w, o: f"/courses/{w.course.id}/invitations/{o['invitation_id']}/revoke", COURSE_STAFF,
         COURSE_STAFF, setup=_invitation),
    Case("projects.new", "GET", lambda w, o: f"/courses/{w.course.id}/projects/new", COURSE_STAFF, COURSE_STAFF),
    Case("projects.new", "POST", lambda w, o: f"/courses/{w.course.id}/projects/new", COURSE_STAFF, COURSE_STAFF,
         data=_project_form),
    Case("projects.show", "GET", P, PROJECT_ROLES),
    Case("projects.edit", "GET", lambda w, o: f"/projects/{w.project.id}/edit", COURSE_STAFF),
    Case("projects.edit", "POST", lambda w, o: f"/projects/{w.project.id}/edit", COURSE_STAFF, data=_project_form),
    Case("projects.invite_member", "GET", lambda w, o: f"/projects/{w.project.id}/invite", COURSE_STAFF),
    Case("projects.invite_member", "POST", lambda w, o: f"/projects/{w.project.id}/invite", COURSE_STAFF,
         data=lambda w, o: {"email": "someone@example.org", "role": "partner"}),
    Case("projects.remove", "GET", lambda w, o: f"/projects/{w.project.id}/members/{o['member_id']}/remove",
         COURSE_STAFF, setup=_third_member),
    Case("projects.remove", "POST", lambda w, o: f"/projects/{w.project.id}/members/{o['member_id']}/remove",
         COURSE_STAFF, setup=_third_member),
    Case("organisations.index", "GET", lambda w, o: "/organisations/", TEACHERS, EVERYONE),
    Case("organisations.new", "GET", lambda w, o: "/organisations/new", TEACHERS, EVERYONE),
    Case("organisations.new", "POST", lambda w, o: "/organisations/new", TEACHERS, EVERYONE,
         data=lambda w, o: {"name": "Fresh Foundation", "website": "https://fresh.example.org"}),
    # organisations.show and organisations.edit: tests/cases/organisations.py
    Case("admin.users", "GET", lambda w, o: "/admin/users", {"admin"}, EVERYONE),
    Case("admin.edit_user", "GET", lambda w, o: f"/admin/users/{w.loner.id}", {"admin"}, {"admin"}),
    Case("admin.edit_user", "POST", lambda w, o: f"/admin/users/{w.loner.id}", {"admin"}, {"admin"},
         data=lambda w, o: {"name": "Lou Renamed", "active": "y"}),
    Case("admin.courses", "GET", lambda w, o: "/admin/courses", {"admin"}, EVERYONE),
    Case("admin.courses", "POST", lambda w, o: "/admin/courses", {"admin"}, EVERYONE,
         data=lambda w, o: {"name": "Admin course", "teacher_id": w.teacher.id}),
]
