"""Findings of the review of the organisation, follow-up, after-project, reflection, export and
backup features: each test shows a problem that was found, and stays to keep it fixed."""
import json
import zipfile

from workspace.extensions import db
from workspace.models import Reflection, User

from . import factories


def test_one_project_backup_brings_nothing_of_another_projects_private_reflection(app, client, tmp_path):
    """Private reflections are recorded for the course only: the course's other projects' entries
    (and the students they name, with their e-mail and password hash) stay out of one project's archive."""
    course = factories.create_course()
    mine = factories.create_project(course, students=[factories.create_user("Mia Mine")])
    outsider = factories.create_user("Otto Outsider", email="otto@example.org")
    other = factories.create_project(course, students=[outsider])
    mine_id, other_id = mine.id, other.id
    db.session.commit()
    client.login(outsider)
    response = client.post_form(f"/projects/{other_id}/reflections/new",
                                {"prompt": "", "body": "Only for my teacher", "visibility": "private"})
    assert response.status_code == 303
    reflection_id = db.session.scalar(db.select(Reflection.id).where(Reflection.project_id == other_id))

    archive = tmp_path / "project.zip"
    result = app.test_cli_runner().invoke(args=["export", str(archive), "--project", str(mine_id)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(archive) as z:
        tables = json.loads(z.read("data.json"))["tables"]

    def rows(name):
        return [dict(zip(tables[name]["columns"], row)) for row in tables[name]["rows"]]

    assert not [a for a in rows("activity") if a["subject_type"] == "reflection" and a["subject_id"] == reflection_id]
    assert outsider.id not in {u["id"] for u in rows("user")}
    assert "otto@example.org" not in json.dumps(tables)
    assert db.session.get(User, outsider.id) is not None


def test_an_id_too_large_for_the_database_is_404_not_500(client):
    """The public calendar address (and every other <int:...> URL) with an id beyond a 64-bit integer:
    SQLite overflowed and answered 500, to anyone, without signing in."""
    huge = "9" * 20
    assert client.get(f"/calendar/{huge}/token.ics").status_code == 404
    user = factories.create_user()
    db.session.commit()
    client.login(user)
    assert client.get(f"/projects/{huge}").status_code == 404
    assert client.get(f"/organisations/{huge}").status_code == 404


def test_a_students_board_counts_only_the_reflections_they_may_read(client, world):
    """A teammate's private entry is not the student's to know of: not in the count, nor its date."""
    from datetime import datetime, timezone

    from workspace.models import ProjectMember

    teammate = factories.create_user("Tess Teammate")
    db.session.add(ProjectMember(project_id=world.project.id, user_id=teammate.id, role="student"))
    db.session.add(Reflection(project_id=world.project.id, author_id=teammate.id, body="Mine alone",
                              visibility="private", created_at=datetime(2026, 3, 9, 12, tzinfo=timezone.utc)))
    db.session.commit()
    client.login(world.student)
    board = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    section = board[board.index('id="reflections-section"'):]
    section = section[:section.index("</section>")]
    assert "(0)" in section and "2026" not in section and "9 Mar" not in section
    client.login(world.teacher)
    board = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert "1 written, 0 of them shared with the team." in board


def test_one_project_backup_keeps_the_projects_reflections_and_no_other_projects(app, client, world, tmp_path):
    """One project's archive is the operator's complete copy of the project: its private and shared
    entries and the responses under them travel with it (like the password hashes it holds)."""
    client.login(world.student)
    for body, visibility in (("Private doubts", "private"), ("Shared lesson", "shared")):
        response = client.post_form(f"/projects/{world.project.id}/reflections/new",
                                    {"prompt": "", "body": body, "visibility": visibility})
        assert response.status_code == 303
    private = db.session.scalar(db.select(Reflection).filter_by(visibility="private"))
    client.login(world.teacher)
    assert client.post_form(f"/projects/{world.project.id}/reflections/{private.id}/responses",
                            {"body": "Tell me more about the doubts"}).status_code == 303

    archive = tmp_path / "project.zip"
    result = app.test_cli_runner().invoke(args=["export", str(archive), "--project", str(world.project.id)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(archive) as z:
        data = z.read("data.json").decode()
    assert "Shared lesson" in data
    assert "Private doubts" in data and "Tell me more" in data


def test_an_address_saved_before_the_http_rule_is_shown_as_text_not_a_link(client, world):
    """Before this release teachers' URL check let `javascript://…` through; such an address, now shown to
    every signed-in person, is text, never a link."""
    organisation = world.project.organisation
    organisation.website = "javascript://example.org/%0Aalert(1)"
    db.session.commit()
    client.login(world.other_partner)
    page = client.get(f"/organisations/{organisation.id}").get_data(as_text=True)
    assert "javascript://example.org" in page and 'href="javascript:' not in page
    organisation.website = "https://example.org/about"
    db.session.commit()
    assert 'href="https://example.org/about"' in client.get(f"/organisations/{organisation.id}").get_data(as_text=True)
