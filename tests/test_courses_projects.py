"""Teachers set up courses and projects; each role lands on its own home."""
from workspace.extensions import db
from workspace.models import Activity, Course, CourseStaff, Organisation, Project, ProjectMember

from .factories import create_organisation, create_project


def test_each_role_lands_on_its_own_home(client, world):
    client.login(world.student)
    html = client.get("/home").get_data(as_text=True)
    assert "Your projects" in html and "Food bank routes" in html and "Other project" not in html
    assert "Your courses" not in html and "/admin/users" not in html
    client.login(world.partner)
    html = client.get("/home").get_data(as_text=True)
    assert "Your organisation" in html and "s projects" in html and "Food bank routes" in html
    client.login(world.teacher)
    html = client.get("/home").get_data(as_text=True)
    assert "Your courses" in html and "Community Lab" in html and "Food bank routes" in html
    assert "Other Course" not in html
    client.login(world.admin)
    html = client.get("/home").get_data(as_text=True)
    assert "Administration" in html and "/admin/users" in html
    client.login(world.loner)
    assert "You are not part of a project yet" in client.get("/home").get_data(as_text=True)


def test_teacher_creates_a_course_and_a_project(client, world):
    org = create_organisation("Repair Café Noord")
    db.session.commit()
    client.login(world.teacher)
    response = client.post_form("/courses/new", {"name": "Civic Design Studio", "term": "2027"})
    assert response.status_code == 303
    course = db.session.scalar(db.select(Course).filter_by(name="Civic Design Studio"))
    assert db.session.scalar(db.select(CourseStaff).filter_by(course_id=course.id, user_id=world.teacher.id))
    response = client.post_form(f"/courses/{course.id}/projects/new", {
        "title": "Fix it together", "organisation_id": org.id, "problem_statement": "Too much gets thrown away.",
        "start_date": "2027-02-01", "end_date": "2027-06-30",
    })
    assert response.status_code == 303
    project = db.session.scalar(db.select(Project).filter_by(title="Fix it together"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Fix it together" in page and "Repair Café Noord" in page and "Too much gets thrown away." in page
    assert "No students yet." in page
    verbs = set(db.session.scalars(db.select(Activity.verb).where(Activity.project_id == project.id)))
    assert "created" in verbs


def test_project_form_validation(client, world):
    client.login(world.teacher)
    response = client.post_form(f"/courses/{world.course.id}/projects/new", {
        "title": "", "organisation_id": 999999, "start_date": "not a date", "end_date": "2026-01-01",
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This field is required." in html and "Not a valid choice" in html and "Enter a date (yyyy-mm-dd)." in html
    response = client.post_form(f"/courses/{world.course.id}/projects/new", {
        "title": "x" * 201, "organisation_id": world.project.organisation_id,
        "start_date": "2026-05-01", "end_date": "2026-04-01",
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The end date cannot be before the start date." in html and "longer than 200" in html
    assert db.session.scalar(db.select(db.func.count()).select_from(Project)) == 2


def test_stale_project_edit_gets_409_with_the_current_version_and_keeps_input(client, world):
    client.login(world.teacher)
    version = world.project.version
    form = {"title": "First edit", "organisation_id": world.project.organisation_id, "problem_statement": "",
            "start_date": "2026-01-01", "end_date": "2026-12-31", "version": version}
    assert client.post_form(f"/projects/{world.project.id}/edit", form).status_code == 303
    stale = dict(form, title="Second edit from an old form")
    response = client.post_form(f"/projects/{world.project.id}/edit", stale)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else saved this project" in html
    assert "First edit" in html and 'value="Second edit from an old form"' in html
    assert db.session.get(Project, world.project.id).title == "First edit"


def test_remove_member_asks_for_confirmation(client, world):
    member_id = db.session.scalar(db.select(ProjectMember.id).filter_by(user_id=world.student.id))
    client.login(world.teacher)
    page = client.get(f"/projects/{world.project.id}/members/{member_id}/remove")
    assert "Remove Sam Student from Food bank routes?" in page.get_data(as_text=True)
    assert db.session.scalar(db.select(ProjectMember.id).filter_by(id=member_id)) is not None
    response = client.post_form(f"/projects/{world.project.id}/members/{member_id}/remove", {})
    assert response.status_code == 303
    assert db.session.scalar(db.select(ProjectMember.id).filter_by(id=member_id)) is None
    client.login(world.student)
    assert client.get(f"/projects/{world.project.id}").status_code == 404


def test_member_of_another_project_cannot_be_reached_through_this_project(client, world):
    other_member = db.session.scalar(db.select(ProjectMember).filter_by(user_id=world.other_student.id))
    client.login(world.teacher)
    response = client.post_form(f"/projects/{world.project.id}/members/{other_member.id}/remove", {})
    assert response.status_code == 404
    assert db.session.get(ProjectMember, other_member.id) is not None


def test_project_page_shows_course_partner_team_and_roles(client, world):
    client.login(world.partner)
    html = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    for text in ("Community Lab", "Sam Student", "Pat Partner", "Tina Teacher", "You are here as partner"):
        assert text in html
    assert "Edit the project" not in html


def test_home_makes_the_same_number_of_queries_with_more_projects(client, world, count_queries):
    client.login(world.teacher)
    client.get("/home")
    with count_queries() as few:
        client.get("/home")
    for _ in range(10):
        create_project(world.course, students=[world.student])
    db.session.commit()
    with count_queries() as many:
        client.get("/home")
    assert len(many) == len(few)


def test_project_page_queries_do_not_grow_with_members(client, world, count_queries):
    from .factories import create_user

    client.login(world.teacher)
    client.get(f"/projects/{world.project.id}")
    with count_queries() as few:
        client.get(f"/projects/{world.project.id}")
    for _ in range(15):
        db.session.add(ProjectMember(project_id=world.project.id, user_id=create_user().id, role="student"))
    db.session.commit()
    with count_queries() as many:
        client.get(f"/projects/{world.project.id}")
    assert len(many) == len(few)


def test_registering_an_organisation_from_the_project_form_returns_there_with_it_chosen(client, world):
    client.login(world.teacher)
    form_url = f"/courses/{world.course.id}/projects/new"
    page = client.get(form_url).get_data(as_text=True)
    link = f"/organisations/new?next={form_url}"
    assert f'href="{link}"' in page
    response = client.post_form(link, {"name": "Tool Library West"})
    org_id = db.session.scalar(db.select(Organisation.id).filter_by(name="Tool Library West"))
    assert response.status_code == 303 and response.headers["Location"] == f"{form_url}?organisation_id={org_id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'<option selected value="{org_id}">' in page or f'<option value="{org_id}" selected>' in page
    assert "Tool Library West is registered." in page


def test_registering_an_organisation_never_returns_to_another_site(client, world):
    client.login(world.teacher)
    response = client.post_form("/organisations/new?next=//evil.example/x", {"name": "Tool Library East"})
    org_id = db.session.scalar(db.select(Organisation.id).filter_by(name="Tool Library East"))
    assert response.status_code == 303 and response.headers["Location"] == f"/organisations/{org_id}"
