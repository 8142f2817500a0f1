"""Bad input never breaks a form handler, and a refused input changes nothing (figure 3).

Hypothesis sends BADINPUT_EXAMPLES generated inputs (100 by default, 300 with `make test-thorough`)
to every form handler (every POST case in tests/cases/ with form data): starting from the case's
valid data it replaces or omits fields with empty, huge (20,000 characters), unicode, control
characters, HTML and script, SQL-looking text, wrong types, several values for one field, and ids
of the other project. Every answer must be below 500, and an answer of 400 or more must leave every
table as it was (the audit log, which records refusals by design, excepted). The world is built
once per route, not per input.

Every table is read afresh after a refused input that sent the database a statement which may
write (anything but a read, or the audit log's INSERT); an input whose answer sent none cannot have
changed a table, and reading some 70 tables after each of thousands of inputs was a fifth of the
test's time. `test_the_write_watch_sees_every_kind_of_write` keeps that watch honest, and every
table is read once more after a handler's last input.
"""
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sqlalchemy import event
from sqlalchemy import text as sql
from sqlalchemy.engine import Engine

from workspace.extensions import db

from .cases import all_cases
from .factories import PASSWORD, _hash
from .test_csrf_routes import allowed_role

EXAMPLES = int(os.environ.get("BADINPUT_EXAMPLES", "100"))  # `make test-thorough` sends 300
UNCHANGED_EXCEPT = {"audit_event"}
OMIT = object()

FIXED_BAD = [
    "", " ", "\t\n", "A" * 20_000, "é" * 20_000, "<p>" * 7_000, "0" * 20_000,
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)",
    "' OR '1'='1", "1; DROP TABLE \"user\"; --", "%' UNION SELECT password_hash FROM \"user\" --",
    "abc", "-1", "0", "1.5", "1e309", "99999999999999999999999", "NaN", "true", "null", "[]", "{}",
    "2026-02-30", "9999-99-99", "0000-00-00", "1900-01-01", "2026-01-01T25:61",
    "\u202egnp.exe", "\ufeff", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🎉", "\u0000", "a\u0000b", "\x1b[31mred", "\r\n\r\n",
]


def _form_cases():
    return [c for c in all_cases() if c.method == "POST" and c.data is not None and allowed_role(c)]


def _bad_value(world):
    other_ids = [str(world.other_project.id), str(world.other_course.id), str(world.other_student.id), "999999"]
    text = st.one_of(
        st.sampled_from(FIXED_BAD),
        st.text(max_size=40),
        st.text(alphabet=st.characters(max_codepoint=31), min_size=1, max_size=8),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.sampled_from(other_ids),
    )
    return st.one_of(text, st.lists(text, min_size=2, max_size=3))  # several values for one field


def _mutated(draw, world, valid: dict) -> dict:
    keys = sorted(valid)
    chosen = draw(st.lists(st.sampled_from(keys), unique=True, min_size=1, max_size=len(keys))) if keys else []
    data = dict(valid)
    for key in chosen:
        value = draw(st.one_of(st.just(OMIT), _bad_value(world)))
        if value is OMIT:
            del data[key]
        else:
            data[key] = value
    if draw(st.booleans()):
        data[draw(st.sampled_from(["id", "project_id", "user_id", "version", "state", "is_admin", "x" * 300]))] = \
            draw(_bad_value(world))
    return data


def snapshot() -> dict:
    """Every row of every table (except the audit log), read afresh."""
    db.session.commit()
    tables = {}
    for table in db.metadata.sorted_tables:
        if table.name in UNCHANGED_EXCEPT:
            continue
        order = list(table.primary_key.columns) or list(table.columns)
        tables[table.name] = [tuple(row) for row in db.session.execute(table.select().order_by(*order))]
    db.session.commit()
    return tables


class WriteWatch:
    """Notes, by its SQL, each statement sent through any SQLAlchemy engine that may change a table
    other than the audit log: every statement that is not a read (SELECT, PRAGMA, transaction control)
    or the audit log's INSERT as SQLAlchemy writes it. Unknown statements (a WITH, a REPLACE…) and any
    text holding several statements count as writes."""
    READS = re.compile(r"\s*(SELECT|PRAGMA|SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT|SET|SHOW)\b", re.IGNORECASE)
    AUDIT = re.compile(r"INSERT INTO audit_event \(")

    def __init__(self):
        self.writes = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        several = ";" in statement.rstrip().rstrip(";")
        if several or not (self.READS.match(statement) or self.AUDIT.match(statement)):
            self.writes.append(statement)

    def __enter__(self):
        event.listen(Engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        event.remove(Engine, "before_cursor_execute", self)


class Route:
    """One route's world, built on the first input and kept for the others."""

    def __init__(self, client, world, case):
        self.client, self.world, self.case = client, world, case
        self.objs = case.setup(world) if case.setup else {}
        self.role = allowed_role(case)
        self.user = world.as_role(self.role)
        self.sign_in()

    def sign_in(self):
        if self.user is None:
            self.client.delete_cookie("session")
            self.token = self.client.csrf_token("/login")
            return
        self.user.password_hash = _hash(PASSWORD)  # a generated input may have changed it
        db.session.commit()
        self.client.login(self.user)
        self.token = self.client.csrf_token("/profile")
        self.before = snapshot()

    def after_success(self):
        """The input was taken: start from a fresh session and the changed world."""
        if self.user is None or self.client.get("/profile").status_code != 200:
            self.sign_in()
        self.before = snapshot()


@pytest.fixture
def watch():
    with WriteWatch() as watching:
        yield watching


@pytest.fixture
def routes(client, world, app, monkeypatch):
    # Hundreds of inputs to the login form are not a brute-force attack: lift the limits here.
    for key in ("LOGIN_FAILURES_PER_IP_PER_MINUTE", "LOGIN_FAILURES_BEFORE_LOCKOUT", "PASSWORD_RESETS_PER_IP"):
        monkeypatch.setitem(app.config, key, 10**9)
    made = {}

    def route(case):
        if case.id not in made:
            made[case.id] = Route(client, world, case)
            made[case.id].before = snapshot()
        return made[case.id]

    yield route
    # A backstop for the write watch: after the last input, the tables are as the last taken input left them.
    for made_route in made.values():
        after = snapshot()
        changed = [name for name in after if after[name] != made_route.before[name]]
        assert changed == [], f"a refused input changed {changed} without the watch seeing a write"


@pytest.mark.parametrize("case", _form_cases(), ids=lambda c: c.id)
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(draw=st.data())
def test_bad_input_is_refused_cleanly(routes, watch, case, draw):
    route = routes(case)
    valid = dict(case.data(route.world, route.objs))
    data = _mutated(draw.draw, route.world, valid)
    data["csrf_token"] = route.token
    watch.writes.clear()
    response = route.client.open(case.url(route.world, route.objs), method=case.method, data=data)
    status = response.status_code
    assert status < 500, f"{status} for {data!r:.500}\n{response.get_data(as_text=True)[:1000]}"
    if status >= 400 and watch.writes:
        after = snapshot()
        changed = [name for name in after if after[name] != route.before[name]]
        assert changed == [], f"refused with {status} but changed {changed} for {data!r:.500}"
    elif status < 400:
        route.after_success()


def test_the_write_watch_sees_every_kind_of_write(client, world):
    """Reads and the audit log's INSERT pass; every other statement that may write is seen, whether
    the ORM, Core or plain SQL sends it."""
    from workspace.models import AuditEvent, Project

    with WriteWatch() as watch:
        db.session.scalar(db.select(Project).limit(1))
        db.session.add(AuditEvent(event="test", detail={}))
        db.session.flush()
        assert watch.writes == []
        world.project.title = "Renamed"
        db.session.flush()
        db.session.execute(db.update(Project).where(Project.id == world.other_project.id).values(title="Other"))
        db.session.execute(sql("DELETE FROM goal WHERE id = -1"))
        db.session.execute(sql("WITH gone AS (SELECT 1) DELETE FROM goal WHERE id = -1"))
        db.session.execute(sql("select 1; "))  # one statement, its semicolon aside: a read
        watch(None, None, "SELECT 1; UPDATE project SET title = 'x'", {}, None, False)  # several (PostgreSQL runs them)
        watch(None, None, "INSERT INTO audit_event (event) VALUES ('x'); DELETE FROM goal", {}, None, False)
        watch(None, None, 'insert into "Audit_Event" (event) values (1)', {}, None, False)
        kinds = [statement.split()[0].upper() for statement in watch.writes]
        assert kinds == ["UPDATE", "UPDATE", "DELETE", "WITH", "SELECT", "INSERT", "INSERT"], watch.writes
        db.session.rollback()
        with db.engine.connect() as other:  # another engine's connection is watched too
            other.execute(sql("DELETE FROM goal WHERE id = -2"))
            other.rollback()
        assert watch.writes[-1] == "DELETE FROM goal WHERE id = -2"
        client.login(world.student)
        watch.writes.clear()  # a request through the app: its writes are seen too
        response = client.post_form(f"/projects/{world.project.id}/checkups/new", {
            "planned_at": "2030-03-04T10:30", "channel": "video_call", "location": "https://meet.example.org/abc",
            "agenda": "Goals"})
        assert response.status_code == 303
        assert any(re.match(r'\s*INSERT\s+INTO\s+"?check_?up"?', statement, re.IGNORECASE) for statement in watch.writes), \
            watch.writes
