"""Uploads and downloads of deliverable files: limits, content checks, zip archives, and the
headers files are served with."""
import io
import zipfile

import pytest

from workspace.deliverables.demo import tiny_pdf, tiny_png
from workspace.deliverables.files import display_name
from workspace.extensions import db
from workspace.models import DeliverableVersion, StoredFile

from .factories import create_deliverable, create_deliverable_version


@pytest.fixture
def upload(client, world):
    """Post a new version with files as the student; returns the response."""
    deliverable = create_deliverable(world.project, title="Toolkit")
    db.session.commit()
    client.login(world.student)
    url = f"/projects/{world.project.id}/deliverables/{deliverable.id}/versions/new"

    def post(*files, links="", htmx=False):
        data = {"note": "With files", "links": links,
                "files": [(io.BytesIO(content), name) for name, content in files]}
        return client.post_form(url, data, htmx=htmx, headers={"HX-Boosted": "true"} if htmx else {})

    return post


def stored_count():
    return db.session.scalar(db.select(db.func.count(StoredFile.id)))


def zip_bytes(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return buffer.getvalue()


def test_files_are_stored_in_the_database_with_their_checksum(upload):
    pdf, png = tiny_pdf(), tiny_png()
    response = upload(("report.pdf", pdf), ("photo.png", png), ("data.csv", "a,b\n1,2\n".encode()))
    assert response.status_code == 303
    files = db.session.scalars(db.select(StoredFile).order_by(StoredFile.id)).all()
    assert [(f.original_name, f.content_type, f.size) for f in files] == [
        ("report.pdf", "application/pdf", len(pdf)), ("photo.png", "image/png", len(png)),
        ("data.csv", "text/csv; charset=utf-8", 8)]
    import hashlib

    assert files[0].sha256 == hashlib.sha256(pdf).hexdigest() and files[0].data == pdf


def test_a_fake_pdf_is_refused_and_nothing_is_stored(upload):
    response = upload(("report.pdf", b"<html><script>alert(1)</script></html>"), ("ok.png", tiny_png()))
    assert response.status_code == 422
    assert "report.pdf does not contain what its name says (.pdf)" in response.get_data(as_text=True)
    assert stored_count() == 0 and db.session.scalar(db.select(db.func.count(DeliverableVersion.id))) == 0


def test_unknown_types_and_binary_text_are_refused(upload):
    assert upload(("page.html", b"<html></html>")).status_code == 422
    assert upload(("tool.exe", b"MZ\x90\x00")).status_code == 422
    assert upload(("data.csv", b"\xff\xfe\x00a")).status_code == 422
    assert stored_count() == 0


def test_a_file_over_the_limit_gets_413_with_a_clear_message(app, upload, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_FILE_BYTES", 1000)
    response = upload(("big.pdf", b"%PDF-" + b"0" * 2000))
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "big.pdf is larger than 1000 bytes; nothing was stored." in body and "<main" in body
    assert stored_count() == 0


def test_a_project_over_its_total_gets_413(app, world, upload, monkeypatch):
    deliverable = create_deliverable(world.project)
    create_deliverable_version(deliverable, files=[("old.pdf", "application/pdf", b"%PDF-" + b"1" * 900)])
    db.session.commit()
    monkeypatch.setitem(app.config, "MAX_PROJECT_BYTES", 1000)
    response = upload(("new.pdf", b"%PDF-" + b"2" * 200))
    assert response.status_code == 413
    assert "files would pass its limit of" in response.get_data(as_text=True)
    assert stored_count() == 1


def test_a_request_over_the_content_length_is_answered_in_the_layout(app, upload, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 5000)
    response = upload(("huge.pdf", b"%PDF-" + b"0" * 10000))
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "The upload is too large." in body and '<nav aria-label="Main">' in body
    assert stored_count() == 0


def test_the_413_message_reaches_htmx_as_an_error_page_text(app, upload, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_FILE_BYTES", 1000)
    response = upload(("big.pdf", b"%PDF-" + b"0" * 2000), htmx=True)
    assert response.status_code == 413
    assert '<div class="error-page upload-problem" role="alert">' in response.get_data(as_text=True)


def test_zips_with_too_many_entries_or_a_huge_unpacked_size_are_refused(app, upload, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_ZIP_ENTRIES", 50)
    many = zip_bytes([(f"f{i}.txt", "x") for i in range(51)])
    response = upload(("sources.zip", many))
    assert response.status_code == 422 and "holds more than 50 files" in response.get_data(as_text=True)

    monkeypatch.setitem(app.config, "MAX_ZIP_UNCOMPRESSED_BYTES", 1024 * 1024)
    bomb = zip_bytes([("zeros.bin", b"\0" * (2 * 1024 * 1024))])
    assert len(bomb) < 10_000
    response = upload(("sources.zip", bomb))
    assert response.status_code == 422 and "would unpack to more than 1 MB" in response.get_data(as_text=True)
    assert stored_count() == 0

    assert upload(("sources.zip", zip_bytes([("main.py", "print('hi')")]))).status_code == 303


def test_office_documents_must_be_office_zips(upload):
    docx = zip_bytes([("[Content_Types].xml", "<Types/>"), ("word/document.xml", "<w/>")])
    assert upload(("report.docx", zip_bytes([("readme.txt", "hi")]))).status_code == 422
    assert upload(("report.docx", b"%PDF-1.4")).status_code == 422
    assert upload(("report.docx", docx)).status_code == 303


def test_names_are_never_paths():
    assert display_name("../../etc/passwd.txt") == "passwd.txt"
    assert display_name("C:\\Users\\sam\\report.pdf") == "report.pdf"
    assert display_name("bad\x00name\n.pdf") == "badname.pdf"
    assert display_name("") == "file"


# ---- downloads --------------------------------------------------------------------------------------

@pytest.fixture
def stored(world):
    deliverable = create_deliverable(world.project)
    version = create_deliverable_version(deliverable, files=[
        ("Verslag für Jan & Ans.pdf", "application/pdf", tiny_pdf()), ("photo.png", "image/png", tiny_png()),
        ("notes.txt", "text/plain; charset=utf-8", b"<html><script>alert(1)</script>"),
    ])
    db.session.commit()
    return {f.original_name: f for f in version.files}


def url_of(world, stored_file, **args):
    query = "?" + "&".join(f"{k}={v}" for k, v in args.items()) if args else ""
    return f"/projects/{world.project.id}/files/{stored_file.id}{query}"


def test_downloads_are_attachments_with_their_name_type_and_a_sandbox(client, world, stored):
    client.login(world.partner)
    pdf = stored["Verslag für Jan & Ans.pdf"]
    response = client.get(url_of(world, pdf))
    assert response.status_code == 200 and response.data == tiny_pdf()
    assert response.headers["Content-Type"] == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Verslag%20f%C3%BCr%20Jan%20&%20Ans.pdf" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "private" in response.headers["Cache-Control"]


def test_preview_is_inline_only_for_images_and_pdf(client, world, stored):
    client.login(world.student)
    for name in ("Verslag für Jan & Ans.pdf", "photo.png"):
        response = client.get(url_of(world, stored[name], preview=1))
        assert response.headers["Content-Disposition"].startswith("inline;"), name
    text = client.get(url_of(world, stored["notes.txt"], preview=1))
    assert text.headers["Content-Disposition"].startswith("attachment;")
    assert text.headers["Content-Type"].startswith("text/plain")
    assert "html" not in text.headers["Content-Type"]


def test_another_projects_file_is_not_found(client, world, stored):
    other = create_deliverable(world.other_project)
    theirs = create_deliverable_version(other, files=[("theirs.pdf", "application/pdf", tiny_pdf())]).files[0]
    db.session.commit()
    client.login(world.student)
    assert client.get(f"/projects/{world.project.id}/files/{theirs.id}").status_code == 404
    assert client.get(f"/projects/{world.other_project.id}/files/{theirs.id}").status_code == 404
    assert client.get(f"/projects/{world.project.id}/files/999999").status_code == 404


def test_the_version_page_links_downloads_and_previews(client, world, stored):
    client.login(world.student)
    deliverable_id = db.session.scalar(db.select(DeliverableVersion.deliverable_id))
    body = client.get(f"/projects/{world.project.id}/deliverables/{deliverable_id}").get_data(as_text=True)
    assert url_of(world, stored["photo.png"]) in body
    assert url_of(world, stored["photo.png"], preview=1) in body
    assert url_of(world, stored["notes.txt"], preview=1) not in body
