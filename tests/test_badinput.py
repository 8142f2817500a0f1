"""Bad input never breaks a form handler, and a refused input changes nothing (figure 3).

Hypothesis sends BADINPUT_EXAMPLES generated inputs (100 by default, 300 with `make test-thorough`)
to every form handler (every POST case in tests/cases/ with form data): starting from the case's
valid data it replaces or omits fields with empty, huge (20,000 characters), unicode, control
characters, HTML and script, SQL-looking text, wrong types, several values for one field, and ids
of the other project. Every answer must be below 500, and an answer of 400 or more must leave every
table as it was (the audit log, which records refusals by design, excepted). The world is built
once per route, not per input.
"""
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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

    return route


@pytest.mark.parametrize("case", _form_cases(), ids=lambda c: c.id)
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(draw=st.data())
def test_bad_input_is_refused_cleanly(routes, case, draw):
    route = routes(case)
    valid = dict(case.data(route.world, route.objs))
    data = _mutated(draw.draw, route.world, valid)
    data["csrf_token"] = route.token
    response = route.client.open(case.url(route.world, route.objs), method=case.method, data=data)
    status = response.status_code
    assert status < 500, f"{status} for {data!r:.500}\n{response.get_data(as_text=True)[:1000]}"
    if status >= 400:
        after = snapshot()
        changed = [name for name in after if after[name] != route.before[name]]
        assert changed == [], f"refused with {status} but changed {changed} for {data!r:.500}"
    else:
        route.after_success()
