"""Invitations: a single-use link that expires, shown to copy and e-mailed, accepted by sign-up or login."""
import re
from datetime import timedelta

import pytest

from workspace.extensions import db
from workspace.models import CourseStaff, Invitation, OrganisationMember, ProjectMember, User
from workspace.models.base import utcnow

from .factories import PASSWORD


def _invite(client, world, email="newbie@example.org", role="student"):
    client.login(world.teacher)
    response = client.post_form(f"/projects/{world.project.id}/invite", {"email": email, "role": role})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    link = re.search(r'id="invitation-link"[^>]*value="([^"]+)"', html).group(1)
    client.logout()
    return link.split("localhost", 1)[-1]


def test_teacher_sees_the_link_and_it_is_emailed(client, world, sent_mail):
    path = _invite(client, world)
    assert path.startswith("/invitations/")
    assert sent_mail[-1]["to"] == "newbie@example.org"
    assert path in sent_mail[-1]["body"]
    assert "Food bank routes" in sent_mail[-1]["subject"]


def test_invitee_signs_up_and_lands_in_the_project(client, world):
    path = _invite(client, world, role="partner")
    page = client.get(path)
    assert "invites you to the project Food bank routes" in page.get_data(as_text=True)
    response = client.post(path, data={"name": "Nora New", "password": "long-enough-pw", "confirm": "long-enough-pw",
                                       "csrf_token": client.csrf_token(path)})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/projects/{world.project.id}"
    user = db.session.scalar(db.select(User).filter_by(email="newbie@example.org"))
    member = db.session.scalar(db.select(ProjectMember).filter_by(user_id=user.id))
    assert member.role == "partner" and member.project_id == world.project.id
    assert db.session.scalar(db.select(OrganisationMember).filter_by(user_id=user.id)) is not None
    board = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert "Nora New" in board and "You are here as partner" in board


def test_invitation_link_is_single_use(client, world):
    path = _invite(client, world)
    client.post(path, data={"name": "Nora", "password": "long-enough-pw", "confirm": "long-enough-pw",
                            "csrf_token": client.csrf_token(path)})
    client.logout()
    again = client.get(path)
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)


def test_expired_and_revoked_invitations_are_refused(client, world):
    path = _invite(client, world)
    inv = db.session.scalar(db.select(Invitation))
    inv.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get(path)
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    inv.expires_at = utcnow() + timedelta(days=1)
    inv.revoked_at = utcnow()
    db.session.commit()
    response = client.get(path)
    assert response.status_code == 410 and "withdrawn" in response.get_data(as_text=True)


def test_unknown_invitation_token(client, world):
    response = client.get("/invitations/not-a-real-token")
    assert response.status_code == 410
    assert "not valid" in response.get_data(as_text=True)


def test_logged_in_person_attaches_the_invitation_to_their_account(client, world):
    path = _invite(client, world, email="someone-else@example.org")
    client.login(world.other_student)
    page = client.get(path).get_data(as_text=True)
    assert "Accept the invitation" in page
    response = client.post_form(path, {}, token_from=path)
    assert response.status_code == 303
    assert db.session.scalar(db.select(ProjectMember).filter_by(user_id=world.other_student.id, project_id=world.project.id))
    assert client.get(f"/projects/{world.project.id}").status_code == 200


def test_existing_account_is_asked_to_log_in(client, world):
    path = _invite(client, world, email=world.loner.email)
    page = client.get(path).get_data(as_text=True)
    assert "exists already" in page
    response = client.post(path, data={"name": "x", "password": "long-enough-pw", "confirm": "long-enough-pw",
                                       "csrf_token": client.csrf_token(path)})
    assert response.status_code == 303 and "/login" in response.headers["Location"]
    assert db.session.scalar(db.select(ProjectMember).filter_by(user_id=world.loner.id)) is None


def test_sign_up_with_bad_input_changes_nothing(client, world):
    path = _invite(client, world)
    response = client.post(path, data={"name": "", "password": "short", "confirm": "different",
                                       "csrf_token": client.csrf_token(path)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This field is required." in html and "Use between 10 and 200 characters." in html
    assert db.session.scalar(db.select(User).filter_by(email="newbie@example.org")) is None
    assert db.session.scalar(db.select(Invitation)).accepted_at is None


def test_co_teacher_invitation_makes_a_course_teacher(client, world):
    client.login(world.teacher)
    response = client.post_form(f"/courses/{world.course.id}/invite", {"email": world.loner.email})
    path = re.search(r'value="(http[^"]+/invitations/[^"]+)"', response.get_data(as_text=True)).group(1).split("localhost", 1)[-1]
    client.logout()
    client.login(world.loner)
    assert client.post_form(path, {}, token_from=path).status_code == 303
    assert db.session.scalar(db.select(CourseStaff).filter_by(user_id=world.loner.id, course_id=world.course.id))
    assert db.session.get(User, world.loner.id).is_teacher
    assert client.get(f"/projects/{world.project.id}").status_code == 200
    assert client.get(f"/courses/{world.course.id}").status_code == 200


def test_teacher_withdraws_an_invitation(client, world):
    _invite(client, world)
    inv = db.session.scalar(db.select(Invitation))
    client.login(world.teacher)
    page = client.get(f"/courses/{world.course.id}").get_data(as_text=True)
    assert "newbie@example.org" in page
    response = client.post_form(f"/courses/{world.course.id}/invitations/{inv.id}/revoke", {})
    assert response.status_code == 303
    assert db.session.get(Invitation, inv.id).revoked_at is not None
    page = client.get(f"/courses/{world.course.id}").get_data(as_text=True)
    assert "The invitation of newbie@example.org is withdrawn." in page
    assert "No invitations are waiting." in page


@pytest.mark.parametrize("email", ["", "nope", "x@" + "y" * 260 + ".org"])
def test_invite_with_bad_email_changes_nothing(client, world, email, sent_mail):
    client.login(world.teacher)
    response = client.post_form(f"/projects/{world.project.id}/invite", {"email": email, "role": "student"})
    assert response.status_code == 422
    assert db.session.scalar(db.select(Invitation)) is None
    assert sent_mail == []


def test_invite_with_unknown_role_is_refused(client, world):
    client.login(world.teacher)
    response = client.post_form(f"/projects/{world.project.id}/invite", {"email": "a@example.org", "role": "admin"})
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_invitation_valid_for_fourteen_days_by_default(client, world):
    _invite(client, world)
    inv = db.session.scalar(db.select(Invitation))
    assert timedelta(days=13, hours=23) < inv.expires_at - inv.created_at <= timedelta(days=14, seconds=5)
    assert PASSWORD  # the factories' password is unchanged by invitations
