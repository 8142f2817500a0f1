"""The board's goal cards are written in Python (workspace/goals/cards.py, issue 19): they must be
the HTML `goals/_card.html` gives with view="board", byte for byte, for every state, side, kind of
text, position in the group, focus and language."""
import re
from datetime import date

import pytest
from flask import render_template
from flask_login import login_user

from workspace.extensions import db
from workspace.goals.cards import BoardCards
from workspace.models import Goal, GoalComment, ProjectMember, User

from .factories import create_goal, create_user

STATES = ("proposed", "changes_requested", "agreed", "achievement_claimed", "achieved", "drop_proposed", "dropped")
HOSTILE = "<script>alert('x')</script> & “quotes” \"double\" {{ 7*7 }} %(n)s"


def _goals(world):
    """Every state proposed by either side, with and without each optional text."""
    student, partner = world.student, world.partner
    goals = []
    for state in STATES:
        for side, who in (("student", student), ("partner", partner)):
            goals.append(create_goal(world.project, who, side=side, state=state, title=f"{state} by {side}"))
        goals.append(create_goal(world.project, student, state=state, title=HOSTILE, description=HOSTILE,
                                 partner_need=HOSTILE, success_criteria=HOSTILE, target_date=date(2027, 3, 1),
                                 revision_number=4))
    only_need = create_goal(world.project, partner, side="partner", title="Only a need", partner_need="A need")
    goals.append(only_need)
    for state in ("achievement_claimed", "achieved"):
        bare = create_goal(world.project, student, state=state, title=f"{state} without evidence")
        bare.evidence = ""
        hostile = create_goal(world.project, partner, side="partner", state=state, title=f"{state}, hostile evidence")
        hostile.evidence = HOSTILE
        goals += [bare, hostile]
    dropped = create_goal(world.project, partner, side="partner", state="drop_proposed", title="Dropped by the partner")
    dropped.drop_side = "student"  # the other side proposed to drop what the partner proposed
    dropped.drop_reason = HOSTILE
    gone_for_good = create_goal(world.project, student, state="dropped", title="Dropped, with its reason")
    gone_for_good.drop_side, gone_for_good.drop_reason = "partner", HOSTILE
    goals += [dropped, gone_for_good]
    named = create_user(HOSTILE)
    db.session.add(ProjectMember(project_id=world.project.id, user_id=named.id, role="student"))
    db.session.flush()
    goals.append(create_goal(world.project, named, title="Proposed by someone with a hostile name"))
    leaver = create_user("Lee Leaver")
    db.session.add(ProjectMember(project_id=world.project.id, user_id=leaver.id, role="student"))
    db.session.flush()
    gone = create_goal(world.project, leaver, title="Proposed by someone who left")
    goals.append(gone)
    db.session.commit()
    db.session.delete(db.session.scalar(db.select(ProjectMember).where(ProjectMember.user_id == leaver.id)))
    db.session.delete(db.session.get(User, leaver.id))
    db.session.commit()
    return [goal.id for goal in goals]


def _template(goal, first, last, count, focus):
    context = {"goal": goal, "view": "board", "first": first, "last": last, "comment_count": count}
    context.update({name: value for name, value in focus.items() if value is not None})
    return str(render_template("goals/_card.html", **context))


FOCUS = [{}, {"focus_card": "GOAL"}, {"focus_goal": "GOAL", "focus_direction": "up"},
         {"focus_goal": "GOAL", "focus_direction": "down"}, {"focus_goal": "OTHER"}]


@pytest.mark.parametrize("locale", ["en", "nl"])
@pytest.mark.parametrize("role", ["student", "partner", "teacher", "admin"])
def test_a_board_card_written_in_python_is_the_card_template(app, world, role, locale):
    """One writer per page, as the board has: what it keeps per page (the words, addresses, the
    decisions per kind of card, the badges) must serve every card the same as the template."""
    ids = _goals(world)
    reader = world.as_role(role)
    reader.locale = locale
    reader.timezone = "America/Sao_Paulo"
    db.session.commit()
    compared, dutch = 0, False
    with app.test_request_context(f"/projects/{world.project.id}"):
        login_user(db.session.get(User, reader.id))
        goals = [db.session.get(Goal, goal_id) for goal_id in ids]
        assert goals[-1].proposer is None
        for focus_case in FOCUS:
            for target in (goals[0], goals[len(goals) // 2], goals[-1]):
                focus = {name: target.id if value == "GOAL" else target.id + 1 if value == "OTHER" else value
                         for name, value in focus_case.items()}
                cards = BoardCards(db.session.get(User, reader.id), **focus)
                for number, goal in enumerate(goals):
                    for first, last in ((True, True), (True, False), (False, True), (False, False)):
                        count = (0, 1, 2, 1234)[number % 4]
                        written = str(cards.card(goal, first, last, count))
                        assert written == _template(goal, first, last, count, focus), (goal.title, first, last, focus)
                        dutch = dutch or "Herziening 1, voorgesteld door" in written
                        compared += 1
    assert compared == len(FOCUS) * 3 * len(ids) * 4
    assert dutch == (locale == "nl")  # the reader's language, really


def test_the_board_section_wires_the_focus_to_the_right_cards(app, world):
    """`goals/_board.html` hands the focus of a decision (focus_card) and of a move (focus_goal,
    focus_direction) to the Python cards: each card in the section is the template's card with the
    same focus, first and last in its group."""
    from workspace.goals import sections

    ids = _goals(world)
    counts = {ids[0]: 3}
    for goal_id in ids[:2]:
        for n in range(counts.get(goal_id, 1)):
            db.session.add(GoalComment(goal_id=goal_id, author_id=world.student.id, body=f"Comment {n}"))
    db.session.commit()
    cases = [{}, {"focus_card": ids[3]}, {"focus_goal": ids[4], "focus_direction": "down"},
             {"focus_goal": ids[5], "focus_direction": "up"}]
    with app.test_request_context(f"/projects/{world.project.id}"):
        student = db.session.get(User, world.student.id)
        login_user(student)
        project = db.session.get(type(world.project), world.project.id)
        for focus in cases:
            section = sections.board(project, student)
            page = str(render_template("goals/_board.html", section=section, **focus))
            shown = _cards(page)
            assert len(shown) == len(ids)
            for state, group in section["groups"].items():
                for index, goal in enumerate(group):
                    expected = _template(goal, index == 0, index == len(group) - 1,
                                         section["comment_counts"].get(goal.id, 0), focus)
                    assert shown[goal.id] == expected.strip("\n"), (goal.title, focus)
            if "focus_card" in focus:
                assert 'data-focus' in shown[focus["focus_card"]].split("</p>", 1)[0]
            if "focus_goal" in focus:
                assert '<details class="menu goal-menu" open>' in shown[focus["focus_goal"]]
        assert "3 comments" in shown[ids[0]] and "1 comment" in shown[ids[1]]


def _cards(html: str) -> dict[int, str]:
    return {int(m.group(1)): m.group(0) for m in re.finditer(r'<article id="goal-(\d+)".*?</article>', html, re.S)}


def test_user_text_on_a_board_card_is_escaped(client, world):
    create_goal(world.project, world.student, title=HOSTILE, description=HOSTILE)
    db.session.commit()
    client.login(world.partner)
    page = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; “quotes” &#34;double&#34;" in page


def test_the_board_shows_each_sides_steps_on_its_cards(client, world):
    """What the Python cards offer, seen through the page: the other side agrees, the proposer revises."""
    goal = create_goal(world.project, world.student, title="Safer routes")
    db.session.commit()
    board = f"/projects/{world.project.id}"
    approve = f'action="/projects/{world.project.id}/goals/{goal.id}/approve"'
    client.login(world.partner)
    page = client.get(board).get_data(as_text=True)
    assert approve in page and "waiting for you" in page
    client.login(world.student)
    page = client.get(board).get_data(as_text=True)
    assert approve not in page and f"/goals/{goal.id}/edit" in page
    client.login(world.teacher)
    page = client.get(board).get_data(as_text=True)
    assert re.search(rf'<article id="goal-{goal.id}"', page) and approve not in page and "Actions" not in page
