"""`flask create-admin` and `flask seed-demo`."""
from workspace.extensions import db
from workspace.models import Course, Organisation, Project, ProjectMember, User


def test_create_admin_asks_for_the_password(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "Boss@Example.org"], input="a-strong-password\na-strong-password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(User).filter_by(email="boss@example.org"))
    assert user.is_admin and user.check_password("a-strong-password")


def test_create_admin_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(args=["create-admin", "boss@example.org"], input="short\nshort\n")
    assert result.exit_code != 0
    assert db.session.scalar(db.select(User).filter_by(email="boss@example.org")) is None


def test_seed_demo_fills_an_empty_database_and_refuses_a_full_one(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    emails = set(db.session.scalars(db.select(User.email)))
    expected = {"admin@example.org", "teacher1@example.org", "teacher2@example.org"}
    expected |= {f"partner{n}@example.org" for n in (1, 2, 3)} | {f"student{n}@example.org" for n in range(1, 7)}
    assert expected <= emails
    assert {c.name for c in db.session.scalars(db.select(Course))} >= {"Community Impact Lab", "Sustainable Cities"}
    assert db.session.scalar(db.select(db.func.count()).select_from(Organisation)) >= 3
    lab_projects = db.session.scalars(db.select(Project).join(Course).where(Course.name == "Community Impact Lab")).all()
    assert len(lab_projects) >= 2
    student1 = db.session.scalar(db.select(User).filter_by(email="student1@example.org"))
    assert student1.check_password("demo-password")
    assert db.session.scalar(db.select(ProjectMember).filter_by(user_id=student1.id)).role == "student"

    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code != 0 and "--force" in again.output
    quiet = runner.invoke(args=["seed-demo", "--if-empty"])
    assert quiet.exit_code == 0 and "not loaded" in quiet.output
    forced = runner.invoke(args=["seed-demo", "--force"])
    assert forced.exit_code == 0, forced.output
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == len(emails)


def test_demo_accounts_can_log_in(app, client):
    app.test_cli_runner().invoke(args=["seed-demo"])
    token = client.csrf_token("/login")
    response = client.post("/login", data={"email": "partner1@example.org", "password": "demo-password", "csrf_token": token})
    assert response.status_code == 303
    assert "Digital skills café for seniors" in client.get("/home").get_data(as_text=True)
