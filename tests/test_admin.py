"""The admin manages users, organisations and courses."""
from workspace.extensions import db
from workspace.models import Activity, Course, Organisation, User

from .factories import PASSWORD


def test_admin_lists_and_searches_users(client, world):
    client.login(world.admin)
    html = client.get("/admin/users?q=olga").get_data(as_text=True)
    assert "Olga Student" in html and "Sam Student" not in html


def test_admin_gives_teacher_rights_and_deactivates(client, world):
    client.login(world.admin)
    response = client.post_form(f"/admin/users/{world.loner.id}", {"name": "Lou Loner", "is_teacher": "y"})
    assert response.status_code == 303
    loner = db.session.get(User, world.loner.id)
    assert loner.is_teacher and not loner.active
    assert db.session.scalar(db.select(Activity).filter_by(verb="admin_edited_user")).before["active"] is True
    token = client.csrf_token("/home")
    client.logout()
    response = client.post("/login", data={"email": loner.email, "password": PASSWORD, "csrf_token": client.csrf_token("/login")})
    assert response.status_code == 422 and token


def test_admin_cannot_lock_themselves_out(client, world):
    client.login(world.admin)
    response = client.post_form(f"/admin/users/{world.admin.id}", {"name": "Ada", "active": "y"})
    assert response.status_code == 422
    assert db.session.get(User, world.admin.id).is_admin


def test_admin_creates_a_course_for_a_teacher(client, world):
    client.login(world.admin)
    response = client.post_form("/admin/courses", {"name": "Urban Futures", "term": "2027", "teacher_id": world.other_teacher.id})
    assert response.status_code == 303
    course = db.session.scalar(db.select(Course).filter_by(name="Urban Futures"))
    assert [s.user_id for s in course.staff] == [world.other_teacher.id]
    response = client.post_form("/admin/courses", {"name": "", "teacher_id": 424242})
    assert response.status_code == 422


def test_organisations_are_created_and_edited_with_unique_names(client, world):
    client.login(world.admin)
    response = client.post_form("/organisations/new", {"name": "Library Oost", "website": "https://lib.example.org", "themes": "reading, inclusion"})
    assert response.status_code == 303
    org = db.session.scalar(db.select(Organisation).filter_by(name="Library Oost"))
    response = client.post_form("/organisations/new", {"name": "library oost"})
    assert response.status_code == 422
    assert "exists already" in response.get_data(as_text=True)
    response = client.post_form(f"/organisations/{org.id}/edit", {"name": "Library Oost", "website": "ftp://nope"})
    assert response.status_code == 422
    page = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "reading, inclusion" in page
