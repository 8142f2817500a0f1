"""The navigation's "waiting for you" counts, sent as one statement built once per process
(workspace/sections.py), give each person what every feature's own counter gives."""
from workspace.extensions import db
from workspace.sections import WAITING, waiting_for

from . import factories as f


def test_one_statement_gives_every_counter_its_own_count(app, world, count_queries):
    f.create_goal(world.project, world.student, side="student")  # waits for the partner
    f.create_goal(world.project, world.partner, side="partner")  # waits for the students
    f.create_goal(world.other_project, world.other_partner, side="partner")
    f.create_agreement(world.project, accepted_by=[world.student])  # the partner has not accepted yet
    f.create_checkup(world.project, state="logged")  # for the partner to confirm
    f.create_deliverable(world.project, state="in_review")
    db.session.commit()
    people = [world.student, world.partner, world.teacher, world.other_student, world.other_partner,
              world.admin, world.loner]
    with app.test_request_context("/"):
        expected = {p.id: {name: counter(p) for name, counter in WAITING.items()} for p in people}
        assert any(sum(counts.values()) for counts in expected.values())
        for person in people:
            with count_queries() as queries:
                got = waiting_for(person)
            assert got == expected[person.id]
            assert list(got) == list(WAITING)
            assert len(queries) <= 1 + sum(not hasattr(c, "statement") for c in WAITING.values())
