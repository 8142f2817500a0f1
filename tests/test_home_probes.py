"""The home page asks every probed section (workspace/sections.py `home_section(..., probe=)`) in one
statement and skips the loaders whose probe finds nothing: a probe must find a row for everyone its
loader has something for, or home would hide a section."""
import pytest

from workspace.extensions import db
from workspace.models import User
from workspace.sections import HOME, HOME_PROBES, _empty_home_sections, load_home

from .snapshots import demo_world


@pytest.fixture
def people(app):
    demo_world(app)
    return db.session.scalars(db.select(User).order_by(User.id)).all()


def test_a_probe_finds_something_for_everyone_its_section_has_something_for(app, people):
    assert set(HOME_PROBES) >= {"after_project", "evaluations", "checkup_actions", "teams"}
    shown = {name: 0 for name in HOME_PROBES}
    skipped = {name: 0 for name in HOME_PROBES}
    for person in people:
        with app.test_request_context("/"):
            empty = _empty_home_sections(person)
            for name in HOME_PROBES:
                has_something = HOME[name][1](person) is not None
                assert not (has_something and name in empty), (name, person.email)
                shown[name] += has_something
                skipped[name] += name in empty
    # the demo holds people with and without each section: the check above compared both cases
    assert all(shown.values()), shown
    assert all(skipped.values()), skipped


def test_sections_whose_probe_finds_nothing_cost_no_statement_of_their_own(app, people, count_queries, monkeypatch):
    partner = next(p for p in people if p.email == "partner1@example.org")
    with app.test_request_context("/"):
        empty = _empty_home_sections(partner)
        assert empty, "the demo partner has no open evaluation, after-project question or action item"

        def refused(user):
            raise AssertionError("a loader ran although its probe found nothing")

        for name in empty:
            monkeypatch.setitem(HOME, name, (HOME[name][0], refused))
        with count_queries() as queries:
            sections = load_home(partner)
        probes = [q for q in queries if "EXISTS" in q.upper() and "after_project_question" in q]
        assert len(probes) == 1
        assert {template for template, _context in sections}.isdisjoint(HOME[name][0] for name in empty)
