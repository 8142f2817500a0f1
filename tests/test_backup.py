"""`flask export` and `flask import`: an installation (or one project) goes out to one archive
and comes back into an empty database with every row and every file byte as it was."""
import json
import zipfile

from sqlalchemy import null, select

from workspace.backup import _selected
from workspace.extensions import db
from workspace.models import Activity, AuditEvent, Goal, Project, StoredFile, User
from workspace.seed import DEMO_PASSWORD, seed_demo, wipe

from . import factories

EVERY_BYTE = bytes(range(256)) * 3 + b"\x00\r\n\x1a"


def dump() -> dict:
    """Every row of every table, in primary-key order, read as stored (JSON as its text)."""
    dialect = db.engine.dialect.name
    out = {}
    for table in db.metadata.sorted_tables:
        query = select(*(_selected(c, dialect) for c in table.columns)).order_by(*table.primary_key.columns)
        out[table.name] = [tuple(row) for row in db.session.execute(query)]
    db.session.rollback()
    return out


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    db.session.expire_all()
    return result


def seed_with_edge_cases():
    """The demo world plus what it lacks: files of every byte and of none, JSON null beside SQL
    NULL, an audit entry, and a project pointing at a later one (its own table)."""
    demo = seed_demo()
    first, last = demo["projects"][0], demo["projects"][-1]
    version = db.session.scalar(select(StoredFile.version_id).where(StoredFile.project_id == first.id).limit(1))
    for name, data in (("every-byte.bin", EVERY_BYTE), ("empty.txt", b"")):
        db.session.add(StoredFile(project_id=first.id, version_id=version, original_name=name, size=len(data),
                                  content_type="application/octet-stream", sha256="0" * 64, data=data))
    db.session.add_all([AuditEvent(event="login.failed", ip="127.0.0.1",
                                   detail={"email": "x@example.org", "n": [1, None]}),
                        AuditEvent(event="login.ok", ip="::1", detail={})])
    for before in (None, null()):  # JSON null, SQL NULL
        db.session.add(Activity(project_id=first.id, course_id=first.course_id, verb="noted", subject_type="project",
                                subject_id=first.id, summary="A note", before=before))
    first.predecessor_id = last.id
    db.session.commit()
    return demo


def test_the_whole_installation_comes_back_identical(app, tmp_path):
    seed_with_edge_cases()
    before = dump()
    assert before["stored_file"] and before["audit_event"] and before["project"]
    column = [c.name for c in db.metadata.tables["activity"].columns].index("before")
    assert {None, "null"} <= {row[column] for row in before["activity"]}
    archive = tmp_path / "all.zip"

    result = run(app, "export", str(archive))
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(archive) as z:
        data = json.loads(z.read("data.json"))
        assert set(data["tables"]) == {t.name for t in db.metadata.sorted_tables}
        files = [n for n in z.namelist() if n.startswith("files/stored_file/data/")]
        assert len(files) == len(before["stored_file"])
        assert EVERY_BYTE in {z.read(n) for n in files}

    wipe()
    db.session.commit()
    assert all(not rows for rows in dump().values())
    result = run(app, "import", str(archive))
    assert result.exit_code == 0, result.output

    assert dump() == before
    stored = db.session.scalar(select(StoredFile).where(StoredFile.original_name == "every-byte.bin"))
    assert stored.data == EVERY_BYTE
    # New rows get fresh ids after the restored ones (PostgreSQL's sequences were moved on).
    highest = max(row[0] for row in before["user"])
    assert factories.create_user("Nina New").id > highest
    db.session.commit()


def test_one_project_comes_back_alone_and_its_student_reads_its_board(app, client, tmp_path):
    demo = seed_with_edge_cases()
    project, student = demo["projects"][0], demo["people"]["student1"]
    project_id, title, student_email = project.id, project.title, student.email
    goals = list(db.session.scalars(select(Goal.title).where(Goal.project_id == project_id)))
    other_titles = [p.title for p in demo["projects"][1:]]
    files = {f.id: f.data for f in db.session.scalars(select(StoredFile).where(StoredFile.project_id == project_id))}
    everyone = db.session.scalar(select(db.func.count()).select_from(User))
    archive = tmp_path / "project.zip"
    db.session.commit()

    result = run(app, "export", str(archive), "--project", str(project_id))
    assert result.exit_code == 0, result.output
    wipe()
    db.session.commit()
    result = run(app, "import", str(archive))
    assert result.exit_code == 0, result.output

    assert [p.id for p in db.session.scalars(select(Project))] == [project_id]
    restored = db.session.get(Project, project_id)
    assert restored.title == title and restored.predecessor_id is None  # the other project stayed behind
    assert 0 < db.session.scalar(select(db.func.count()).select_from(User)) < everyone
    for table in db.metadata.sorted_tables:  # nothing of another project came along
        if "project_id" in table.columns:
            assert set(db.session.scalars(select(table.c.project_id).distinct())) <= {project_id, None}, table.name
    assert db.session.scalar(select(db.func.count()).select_from(AuditEvent)) == 0
    client.login(db.session.scalar(select(User).filter_by(email=student_email)), password=DEMO_PASSWORD)
    response = client.get(f"/projects/{project_id}")
    assert response.status_code == 200
    board = response.get_data(as_text=True)
    assert title in board and all(t in board for t in goals)
    assert not any(t in board for t in other_titles)
    for file_id, data in files.items():
        download = client.get(f"/projects/{project_id}/files/{file_id}")
        assert download.status_code == 200 and download.data == data


def test_import_into_a_database_holding_data_refuses_and_changes_nothing(app, tmp_path):
    factories.create_project(factories.create_course(), students=[factories.create_user()])
    db.session.commit()
    archive = tmp_path / "small.zip"
    assert run(app, "export", str(archive)).exit_code == 0
    factories.create_user("Late Arrival")
    db.session.commit()
    before = dump()

    result = run(app, "import", str(archive))
    assert result.exit_code != 0
    assert "not empty" in result.output and "nothing was imported" in result.output
    assert dump() == before


def test_an_archive_that_is_not_a_backup_is_refused(app, tmp_path):
    not_zip, no_data = tmp_path / "notes.zip", tmp_path / "other.zip"
    not_zip.write_text("hello")
    with zipfile.ZipFile(no_data, "w") as z:
        z.writestr("readme.txt", "hi")
    for path in (not_zip, no_data):
        result = run(app, "import", str(path))
        assert result.exit_code != 0 and "Error:" in result.output
    result = run(app, "export", str(tmp_path / "x.zip"), "--project", "999999")
    assert result.exit_code != 0 and "no project 999999" in result.output


def test_an_archive_the_database_refuses_halfway_leaves_it_empty(app, tmp_path):
    factories.create_project(factories.create_course(), students=[factories.create_user(), factories.create_user()])
    db.session.commit()
    archive, broken = tmp_path / "good.zip", tmp_path / "broken.zip"
    assert run(app, "export", str(archive)).exit_code == 0
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(broken, "w") as target:
        data = json.loads(source.read("data.json"))
        members = data["tables"]["project_member"]["rows"]
        members.append(list(members[0]))  # the same row twice: its primary key clashes after users went in
        target.writestr("data.json", json.dumps(data))
    wipe()
    db.session.commit()

    result = run(app, "import", str(broken))
    assert result.exit_code != 0 and "nothing was imported" in result.output
    assert all(not rows for rows in dump().values())
