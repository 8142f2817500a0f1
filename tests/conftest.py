"""Test fixtures: one app per run on a real database (SQLite, or PostgreSQL via DATABASE_URL),
emptied after every test; a client that speaks HTTP with CSRF tokens like a browser."""
import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.pool import NullPool

from workspace import create_app
from workspace.extensions import db

from . import factories
from .snapshots import drop_copies, kept, non_empty_tables

TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def pytest_sessionstart(session):
    """Compile the message catalogues (.mo, build output) that are missing or older than their .po,
    as `make install` does, so that running pytest directly on a fresh clone speaks Dutch too."""
    from .catalogues import compile_catalogues

    compile_catalogues()


@pytest.fixture(scope="session", autouse=True)
def _demo_password_hashed_fast():
    """`seed_demo()` gives each of its ~50 accounts the one demo password, hashed with scrypt (deliberately
    slow, about 0.15 s to hash and as long to check), and about twenty tests seed the demo and log in as
    its people: within a test session the demo password gets the factories' fast hash
    (`factories.FAST_HASH`), hashed once. Every other password is hashed as in production; checking a
    password is unchanged (werkzeug reads the method from the stored hash)."""
    from workspace.models import user as user_module
    from workspace.seed import DEMO_PASSWORD

    real = user_module.generate_password_hash

    def generate_password_hash(password, *args, **kwargs):
        if password != DEMO_PASSWORD or args or kwargs:
            return real(password, *args, **kwargs)
        return factories._hash(password)  # the fast hash, made once

    user_module.generate_password_hash = generate_password_hash
    yield
    user_module.generate_password_hash = real


def _database_url(tmpdir: str) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    return "sqlite:///" + os.path.join(tmpdir, "test.db")


@contextmanager
def _worker_database(url: str, worker: str):
    """Under pytest-xdist each worker gets its own PostgreSQL database, `<name>_<worker>` next to the
    given one (made afresh, dropped at the end): workers empty tables and end connections freely."""
    given = make_url(url)
    name = f"{given.database}_{worker}"
    admin = create_engine(given.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    quoted = admin.dialect.identifier_preparer.quote(name)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))  # left by a killed run
        connection.execute(text(f"CREATE DATABASE {quoted}"))
    try:
        yield given.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = _database_url(str(tmp_path_factory.mktemp("db")))  # SQLite: a file in this worker's tmp dir
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, … under `pytest -n`
    if not worker or not url.startswith("postgresql"):
        yield url
        return
    with _worker_database(url, worker) as own:
        yield own


@pytest.fixture(scope="session")
def app(database_url):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        if db.engine.dialect.name == "postgresql":  # the kept copies (tests/snapshots.py)
            drop_copies()
        db.engine.dispose()


_RESTART_SEQUENCES = text(  # PostgreSQL: every id sequence starts again at 1, in one statement
    "SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace")


def _empty_tables():
    """A DELETE of each table that holds rows (most tests write a handful of the ~70), children first.
    Not TRUNCATE on PostgreSQL: it gives each table new files and syncs them to disk, about a second
    per test on a slow disk; a DELETE of a few rows is written to the log like any change."""
    db.session.rollback()
    tables = db.metadata.sorted_tables
    holding = non_empty_tables(tables)
    for table in reversed(tables):
        if table.name in holding:
            db.session.execute(table.delete())
    if db.engine.dialect.name == "postgresql":  # SQLite: ids start again at 1 once a table is empty
        db.session.execute(_RESTART_SEQUENCES)  # also those of tables a test filled and emptied itself
    db.session.commit()


@pytest.fixture(autouse=True)
def ctx(app):
    """An app context for factories and assertions; the tables are emptied afterwards."""
    with app.app_context():
        app.extensions["sent_mail"] = []
        app.extensions["limits"].clear()  # login and reset counters start afresh in every test
        yield
        db.session.remove()
        _empty_tables()
        db.session.remove()


class Client(FlaskClient):
    """A test client that fetches and sends the CSRF token the way the pages do.

    Each request runs in its own app context, as in production: the test's own context (used
    by factories and assertions) would otherwise be shared, and with it `g` and the session.
    """

    def open(self, *args, **kwargs):
        # End the test's own transaction: what factories made is stored, and what the
        # request changes is read afresh afterwards.
        db.session.commit()
        kwargs.setdefault("buffered", True)  # read file responses whole, so their files close
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def csrf_token(self, path="/login") -> str:
        html = self.get(path, follow_redirects=True).get_data(as_text=True)
        match = TOKEN_RE.search(html)
        assert match, f"no CSRF token on {path}"
        return match.group(1) or match.group(2)

    def post_form(self, path, data=None, token_from=None, htmx=False, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token(token_from or "/home"))
        headers = kwargs.pop("headers", {})
        if htmx:
            headers["HX-Request"] = "true"
        return self.post(path, data=data, headers=headers, **kwargs)

    def login(self, user, password=factories.PASSWORD):
        self.delete_cookie("session")  # a fresh browser session for whoever logs in next
        response = self.post("/login", data={
            "email": user.email, "password": password, "csrf_token": self.csrf_token("/login"),
        })
        assert response.status_code == 303, response.get_data(as_text=True)
        return response

    def logout(self):
        return self.post("/logout", data={"csrf_token": self.csrf_token("/home")})


@pytest.fixture
def client(app):
    app.test_client_class = Client
    return app.test_client()


@pytest.fixture
def sent_mail(app):
    return app.extensions["sent_mail"]


@dataclass
class World:
    """Two courses, each with a project, and every role inside and outside the first project."""

    admin: object
    teacher: object
    student: object
    partner: object
    course: object
    project: object
    other_teacher: object
    other_student: object
    other_partner: object
    other_course: object
    other_project: object
    loner: object

    def as_role(self, role):
        return None if role == "anonymous" else getattr(self, role)


@pytest.fixture
def world():
    """Made once per test process and copied back for each test (tests/snapshots.py)."""
    return kept("world", _make_world)


def _make_world() -> World:
    f = factories
    teacher, other_teacher = f.create_user("Tina Teacher", is_teacher=True), f.create_user("Otto Teacher", is_teacher=True)
    student, partner = f.create_user("Sam Student"), f.create_user("Pat Partner")
    other_student, other_partner = f.create_user("Olga Student"), f.create_user("Oscar Partner")
    course = f.create_course("Community Lab", teachers=[teacher])
    other_course = f.create_course("Other Course", teachers=[other_teacher])
    project = f.create_project(course, students=[student], partners=[partner], title="Food bank routes")
    other_project = f.create_project(other_course, students=[other_student], partners=[other_partner], title="Other project")
    w = World(
        admin=f.create_user("Ada Admin", is_admin=True), teacher=teacher, student=student, partner=partner,
        course=course, project=project, other_teacher=other_teacher, other_student=other_student,
        other_partner=other_partner, other_course=other_course, other_project=other_project,
        loner=f.create_user("Lou Loner"),
    )
    db.session.commit()
    return w


@pytest.fixture
def count_queries(app):
    """Counts SQL statements sent while the returned context manager is open."""
    from contextlib import contextmanager

    @contextmanager
    def counter():
        statements = []

        def before(conn, cursor, statement, *args):
            if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "PRAGMA")):
                statements.append(statement)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counter


@pytest.fixture(scope="session")
def tmp_dir():
    with tempfile.TemporaryDirectory() as d:
        yield d
