"""Goals over HTTP: proposing, agreeing, revising, claiming, dropping, discussing, ordering; the
state machine's refusals; validation; stale versions; the board, the goal page and partner home."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from workspace.extensions import db
from workspace.goals import services
from workspace.models import Activity, Goal, GoalComment, GoalRevision, ProjectMember, RootCauseRevision
from workspace.rules import Refused, StaleVersion

from .factories import create_goal, create_project, create_user


@pytest.fixture(autouse=True)
def only_goal_sections(monkeypatch):
    """Board, home and badge with the goal parts only: other features' data cannot change counts here."""
    from workspace import sections

    for name in ("BOARD", "HOME", "WAITING"):
        registry = getattr(sections, name)
        monkeypatch.setattr(sections, name, {"goals": registry["goals"]})


def url(goal, path=""):
    return f"/projects/{goal.project_id}/goals/{goal.id}{path}"


def act(client, goal, path, htmx=False, view="page", version=None, **data):
    form = {"version": goal.version if version is None else version, "view": view, **data}
    return client.post_form(url(goal, "/" + path), form, htmx=htmx)


def fresh(goal):
    db.session.expire_all()
    return db.session.get(Goal, goal.id)


def activities(goal, verb=None):
    query = db.select(Activity).where(Activity.subject_type == "goal", Activity.subject_id == goal.id)
    if verb:
        query = query.where(Activity.verb == verb)
    return db.session.scalars(query).all()


def text(response):
    return response.get_data(as_text=True)


# ---- the whole flow, without JavaScript --------------------------------------------------------

def test_a_student_proposal_is_agreed_by_the_partner(client, world):
    client.login(world.student)
    response = client.post_form(f"/projects/{world.project.id}/goals/new", {
        "title": "Families wait less than 30 minutes", "description": "Time slots per family",
        "partner_need": "Volunteers are overwhelmed", "success_criteria": "Median wait under 30 min",
        "target_date": world.project.start_date.isoformat(),
    })
    assert response.status_code == 303
    goal = db.session.scalar(db.select(Goal))
    assert response.headers["Location"].endswith(url(goal))
    assert (goal.state, goal.proposer_side, goal.proposer_id, goal.revision_number) == (
        "proposed", "student", world.student.id, 1)
    assert [r.title for r in goal.revisions] == ["Families wait less than 30 minutes"]
    assert len(activities(goal, "proposed")) == 1
    page = text(client.get(url(goal)))
    assert "Waiting for agreement" in page and "Agree to this goal" not in page

    client.logout()
    client.login(world.partner)
    home = text(client.get("/home"))
    assert "Goals waiting for your agreement" in home and "Families wait less than 30 minutes" in home
    response = act(client, goal, "approve", view="home")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/home#goal-{goal.id}")
    goal = fresh(goal)
    assert goal.state == "agreed" and goal.agreed_at is not None
    [entry] = activities(goal, "agreed")
    assert entry.actor_id == world.partner.id and entry.before["state"] == "proposed"
    assert "No goal waits for your agreement" in text(client.get("/home"))


def test_a_partner_proposal_is_agreed_by_a_student_and_teachers_only_comment(client, world):
    goal = create_goal(world.project, world.partner, side="partner")
    client.login(world.teacher)
    assert act(client, goal, "approve").status_code == 403
    assert client.post_form(url(goal, "/comments"), {"body": "Looks good to me"}).status_code == 303
    assert fresh(goal).state == "proposed"
    client.logout()
    client.login(world.student)
    assert act(client, goal, "approve").status_code == 303
    assert fresh(goal).state == "agreed"


# ---- the state machine refuses, with a message, and changes nothing ----------------------------

def test_approving_your_own_proposal_is_refused(client, world):
    goal = create_goal(world.project, world.student, side="student")
    client.login(world.student)
    response = act(client, goal, "approve")
    assert response.status_code == 403
    assert "Your side proposed this version of the goal" in text(response)
    assert fresh(goal).state == "proposed" and activities(goal, "agreed") == []
    with pytest.raises(Refused) as refused:
        services.approve(world.student, world.project, fresh(goal), goal.version)
    assert refused.value.status == 403


def test_approving_twice_is_refused(client, world):
    second_partner = create_user("Petra Partner")
    db.session.add(ProjectMember(project_id=world.project.id, user_id=second_partner.id, role="partner"))
    goal = create_goal(world.project, world.student)
    client.login(world.partner)
    assert act(client, goal, "approve").status_code == 303
    client.logout()
    client.login(second_partner)
    response = act(client, fresh(goal), "approve")
    assert response.status_code == 409 and "This goal is already agreed." in text(response)
    goal = fresh(goal)
    assert len(activities(goal, "agreed")) == 1 and goal.version == 2
    with pytest.raises(Refused, match="already agreed"):
        services.approve(world.partner, world.project, goal, goal.version)


def test_confirming_a_goal_nobody_claimed_is_refused(client, world):
    goal = create_goal(world.project, world.student, state="agreed")
    client.login(world.partner)
    response = act(client, goal, "confirm")
    assert response.status_code == 409 and "Nobody has claimed this goal achieved" in text(response)
    assert fresh(goal).state == "agreed"
    with pytest.raises(Refused, match="Nobody has claimed"):
        services.confirm_achieved(world.partner, world.project, fresh(goal), goal.version)


def test_editing_a_dropped_goal_is_refused(client, world):
    goal = create_goal(world.project, world.student, state="dropped", title="Old idea")
    client.login(world.student)
    response = client.post_form(url(goal, "/edit"), {"title": "Revived idea", "version": goal.version})
    assert response.status_code == 409 and "a dropped goal cannot be edited" in text(response)
    goal = fresh(goal)
    assert goal.title == "Old idea" and goal.revision_number == 1 and len(goal.revisions) == 1
    get = client.get(url(goal, "/edit"))
    assert get.status_code == 303
    with pytest.raises(Refused, match="dropped goal cannot be edited"):
        services.revise_goal(world.student, world.project, goal, goal.version, title="x", description="",
                             partner_need="", success_criteria="", target_date=None)


def test_acting_on_a_goal_of_another_project_is_refused(client, world):
    other = create_goal(world.other_project, world.other_student, title="Their goal")
    # The partner's own project id with the other project's goal id: not found, nothing changes.
    client.login(world.partner)
    response = client.post_form(f"/projects/{world.project.id}/goals/{other.id}/approve",
                                {"version": other.version, "view": "page"})
    assert response.status_code == 404
    assert client.get(f"/projects/{world.project.id}/goals/{other.id}").status_code == 404
    assert fresh(other).state == "proposed"
    with pytest.raises(Refused, match="another project") as refused:
        services.approve(world.partner, world.project, fresh(other), other.version)
    assert refused.value.status == 404


def test_stale_version_is_refused_in_the_service():
    goal = Goal(id=1, project_id=1, state="proposed", proposer_side="student", version=3)
    project = type("P", (), {"id": 1})()
    with pytest.raises(StaleVersion):
        services.check_step(None, project, goal, "approve", 2)


# ---- changes requested, revisions and what changed -------------------------------------------

def test_changes_requested_then_revised_then_agreed_with_every_revision_readable(client, world):
    goal = create_goal(world.project, world.student, title="Help seniors online", description="A weekly cafe")
    client.login(world.partner)
    response = act(client, goal, "request-changes", htmx=True, comment="Say *which* services")
    assert response.status_code == 200
    body = text(response)
    assert f'id="goal-{goal.id}"' in body and "Changes requested" in body and "<html" not in body
    assert 'id="waiting-badge"' in body and 'hx-swap-oob="true"' in body
    assert json.loads(response.headers["HX-Trigger"])["announce"].startswith("You asked for changes")
    goal = fresh(goal)
    assert goal.state == "changes_requested"
    assert [(c.kind, c.body) for c in goal.comments] == [("changes_requested", "Say *which* services")]

    client.logout()
    client.login(world.student)
    assert "badge-count" in text(client.get("/home"))  # waiting for the students to revise
    form = client.get(url(goal, "/edit"))
    assert form.status_code == 200 and "Help seniors online" in text(form)
    response = client.post_form(url(goal, "/edit"), {
        "title": "Help seniors use the municipality's services online", "description": "A weekly cafe",
        "version": goal.version})
    assert response.status_code == 303
    goal = fresh(goal)
    assert (goal.state, goal.revision_number, goal.proposer_side) == ("proposed", 2, "student")
    page = text(client.get(url(goal)))
    assert "Revision 2" in page and "Revision 1" in page
    assert "Changed: Goal" in page and "<ins>" in page and "municipality&#39;s" in page
    assert "<em>which</em>" in page  # the request's markdown, rendered
    assert activities(goal, "revised")[0].before["title"] == "Help seniors online"

    client.logout()
    client.login(world.partner)
    assert act(client, goal, "approve").status_code == 303
    assert fresh(goal).state == "agreed"


def test_editing_an_agreed_goal_makes_a_revision_the_other_side_must_agree(client, world):
    goal = create_goal(world.project, world.student, state="agreed", title="Map the routes")
    client.login(world.partner)
    response = client.post_form(url(goal, "/edit"), {"title": "Map the routes with drivers", "version": goal.version})
    assert response.status_code == 303
    goal = fresh(goal)
    assert (goal.state, goal.proposer_side, goal.revision_number) == ("proposed", "partner", 2)
    assert [r.title for r in goal.revisions] == ["Map the routes", "Map the routes with drivers"]
    assert act(client, goal, "approve").status_code == 403  # the partner now proposed it
    client.logout()
    client.login(world.student)
    assert act(client, goal, "approve").status_code == 303


def test_an_unchanged_revision_of_an_agreed_goal_is_refused(client, world):
    goal = create_goal(world.project, world.student, state="agreed", title="Same")
    client.login(world.student)
    response = client.post_form(url(goal, "/edit"), {"title": "Same", "version": goal.version})
    assert response.status_code == 422 and "You did not change anything" in text(response)
    assert fresh(goal).state == "agreed"


# ---- achieved and dropped ---------------------------------------------------------------------

def test_students_claim_achieved_and_the_partner_confirms_or_sends_back(client, world):
    goal = create_goal(world.project, world.student, state="agreed")
    client.login(world.student)
    empty = act(client, goal, "claim", htmx=True, evidence="  ")
    assert empty.status_code == 422 and "Describe the evidence" in text(empty)
    assert fresh(goal).state == "agreed"
    assert act(client, goal, "claim", evidence="The partner ran the cafe alone twice").status_code == 303
    assert fresh(goal).state == "achievement_claimed"
    assert act(client, fresh(goal), "confirm").status_code == 403  # students cannot confirm

    client.logout()
    client.login(world.partner)
    assert act(client, fresh(goal), "send-back", comment="Only one session so far").status_code == 303
    goal = fresh(goal)
    assert goal.state == "agreed" and goal.comments[-1].kind == "sent_back"

    client.logout()
    client.login(world.student)
    act(client, goal, "claim", evidence="Three sessions now")
    client.logout()
    client.login(world.partner)
    assert act(client, fresh(goal), "confirm").status_code == 303
    goal = fresh(goal)
    assert goal.state == "achieved" and goal.evidence == "Three sessions now"
    assert [a.verb for a in sorted(activities(goal), key=lambda a: a.id)] == [
        "claimed achieved", "sent back", "claimed achieved", "confirmed achieved"]


def test_either_side_proposes_to_drop_and_the_other_confirms_or_keeps(client, world):
    goal = create_goal(world.project, world.student, state="agreed")
    client.login(world.student)
    assert act(client, goal, "drop", reason="").status_code == 422
    assert act(client, goal, "drop", reason="The partner found another way").status_code == 303
    goal = fresh(goal)
    assert (goal.state, goal.drop_side, goal.state_before_drop) == ("drop_proposed", "student", "agreed")
    assert act(client, goal, "confirm-drop").status_code == 403  # the other side must confirm
    client.logout()
    client.login(world.partner)
    assert act(client, goal, "keep").status_code == 303
    goal = fresh(goal)
    assert goal.state == "agreed" and goal.drop_side is None

    assert act(client, goal, "drop", reason="No longer needed").status_code == 303
    client.logout()
    client.login(world.student)
    assert act(client, fresh(goal), "confirm-drop").status_code == 303
    assert fresh(goal).state == "dropped"


# ---- the same input kept on a stale version ----------------------------------------------------

def test_a_decision_on_a_stale_goal_gets_409_with_the_current_state_and_the_input_kept(client, world):
    goal = create_goal(world.project, world.student)
    seen_version = goal.version
    client.login(world.partner)
    assert act(client, goal, "approve").status_code == 303  # e.g. from another tab
    response = act(client, goal, "request-changes", htmx=True, version=seen_version, comment="Add the costs")
    assert response.status_code == 409
    body = text(response)
    assert "Someone else acted on this goal first" in body and "Agreed" in body and "Add the costs" in body
    assert fresh(goal).state == "agreed" and fresh(goal).comments == []
    plain = act(client, goal, "request-changes", version=seen_version, comment="Add the costs")
    assert plain.status_code == 409 and "<html" in text(plain) and "Add the costs" in text(plain)


def test_a_stale_revision_gets_409_with_the_current_text_and_the_input_kept(client, world):
    goal = create_goal(world.project, world.student, state="agreed", title="First words")
    seen = goal.version
    client.login(world.partner)
    client.post_form(url(goal, "/edit"), {"title": "Partner's words", "version": seen})
    client.logout()
    client.login(world.student)
    response = client.post_form(url(goal, "/edit"), {"title": "Student's words", "version": seen})
    assert response.status_code == 409
    body = text(response)
    assert "Someone else changed this goal" in body and "Partner&#39;s words" in body and "Student&#39;s words" in body
    assert fresh(goal).title == "Partner's words"


# ---- validation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fields, message", [
    ({"title": ""}, "Give the goal a title."),
    ({"title": "x" * 201}, "Use at most 200 characters."),
    ({"title": "ok", "description": "x" * 10001}, "Use at most 10,000 characters."),
    ({"title": "ok", "target_date": "not a date"}, "Not a valid date value."),
])
def test_bad_goal_input_is_refused_next_to_the_field(client, world, fields, message):
    client.login(world.student)
    response = client.post_form(f"/projects/{world.project.id}/goals/new", fields, htmx=True)
    assert response.status_code == 422 and message in text(response)
    assert 'class="error"' in text(response)
    assert db.session.scalar(db.select(db.func.count(Goal.id))) == 0


def test_a_target_date_before_the_project_starts_is_refused(client, world):
    client.login(world.student)
    before = (world.project.start_date - timedelta(days=1)).isoformat()
    response = client.post_form(f"/projects/{world.project.id}/goals/new", {"title": "Early", "target_date": before})
    assert response.status_code == 422 and "cannot be before the project starts" in text(response)
    assert db.session.scalar(db.select(db.func.count(Goal.id))) == 0
    title = "x" * 200
    assert client.post_form(f"/projects/{world.project.id}/goals/new", {"title": title}).status_code == 303


# ---- discussion ---------------------------------------------------------------------------------

def test_comments_render_markdown_safely(client, world):
    goal = create_goal(world.project, world.student)
    client.login(world.partner)
    body = "**Good** idea <script>alert(1)</script> [link](javascript:alert(1)) [site](https://example.org)"
    response = client.post_form(url(goal, "/comments"), {"body": body}, htmx=True)
    assert response.status_code == 200
    html = text(response)
    assert 'id="goal-%d-discussion"' % goal.id in html
    assert "<strong>Good</strong>" in html and "<script>alert" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html.replace("[link](javascript:", "")
    assert 'href="https://example.org"' in html
    assert json.loads(response.headers["HX-Trigger"]) == {"announce": "Your comment is added."}
    [comment] = db.session.scalars(db.select(GoalComment)).all()
    assert comment.author_id == world.partner.id and comment.body == body
    assert len(activities(goal, "commented")) == 1
    assert client.post_form(url(goal, "/comments"), {"body": "   "}).status_code == 422


# ---- board, ordering, counts, partner home ---------------------------------------------------

def test_the_board_groups_goals_by_state_with_counts_and_the_team_orders_them(client, world):
    a = create_goal(world.project, world.student, title="Goal A")
    b = create_goal(world.project, world.student, title="Goal B")
    create_goal(world.project, world.partner, side="partner", state="agreed", title="Goal C")
    client.login(world.student)
    board = text(client.get(f"/projects/{world.project.id}"))
    assert board.index("Goal A") < board.index("Goal B") < board.index("Goal C")
    assert "Waiting for agreement: <strong>2</strong>" in board and "Agreed: <strong>1</strong>" in board
    version = fresh(b).version
    response = client.post_form(url(b, "/move"), {"direction": "up", "view": "board"}, htmx=True)
    assert response.status_code == 200 and 'id="goals"' in text(response)
    board = text(client.get(f"/projects/{world.project.id}"))
    assert board.index("Goal B") < board.index("Goal A")
    assert fresh(b).version == version  # ordering never conflicts with a decision
    assert len(activities(b, "reordered")) == 1
    client.logout()
    client.login(world.partner)
    assert client.post_form(url(a, "/move"), {"direction": "up", "view": "board"}).status_code == 403


def test_an_action_on_the_board_moves_the_card_to_its_new_column_with_the_counts(client, world):
    goal = create_goal(world.project, world.student)
    client.login(world.partner)
    board = text(client.get(f"/projects/{world.project.id}"))
    waiting = board[board.index('id="goal-column-waiting"'):board.index('id="goal-column-agreed"')]
    assert f'id="goal-{goal.id}"' in waiting
    response = act(client, goal, "approve", htmx=True, view="board")
    body = text(response)
    # the whole goals section answers in place of the card: the card stands in "Agreed" at once
    assert response.headers["HX-Retarget"] == "#goals" and response.headers["HX-Reswap"] == "outerHTML"
    assert f'id="goal-counts-{world.project.id}"' in body and "Agreed: <strong>1</strong>" in body
    agreed = body[body.index('id="goal-column-agreed"'):body.index('id="goal-column-achieved"')]
    assert f'id="goal-{goal.id}"' in agreed and f'id="goal-{goal.id}"' not in body[:body.index('id="goal-column-agreed"')]
    assert body.count('hx-swap-oob="true"') == 1  # the navigation badge


def _transactions(request, words: bool = True, status: int = 200) -> list:
    """The transactions `request()` sends, each a list of its statements' first words ("BEGIN IMMEDIATE",
    "SELECT", "UPDATE"…), or with `words=False` of the statements."""
    from sqlalchemy import event

    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement.split()[0].upper() + (" IMMEDIATE" if "IMMEDIATE" in statement else "")
                          if words else statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        response = request()
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    begins = [i for i, s in enumerate(statements) if s.upper().startswith("BEGIN")] + [len(statements)]
    return [statements[a:b] for a, b in zip(begins, begins[1:])]


def _bare_post(client, goal, path, data, htmx=True):
    """The POST alone, its CSRF token and address read before: `_transactions` sees only its own."""
    address, form = url(goal, "/" + path), {**data, "csrf_token": client.csrf_token("/home")}
    return lambda: client.post(address, data=form, headers={"HX-Request": "true"} if htmx else {})


def _reads(transaction) -> bool:
    return transaction[0] == "BEGIN" and not {"INSERT", "UPDATE", "DELETE"} & set(transaction)


def test_a_decisions_answer_is_read_without_the_write_lock(client, world):
    """On SQLite a decision reads the person, the goal and the permission without the write lock, then
    takes it (BEGIN IMMEDIATE) for the change and commits; the answer written after it (the goals
    section) reads in a transaction of its own without the lock, so other workers' decisions need not
    wait while it is checked or rendered. The same for a move on the board and a comment."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("transactions begin with the write lock only on SQLite")
    goal = create_goal(world.project, world.student)
    client.login(world.partner)
    post = _bare_post(client, goal, "approve", {"version": goal.version, "view": "board"})
    checked, decided, answer, *mail = _transactions(post)
    assert _reads(checked) and "SELECT" in checked, (checked, decided)  # the person, the goal, the permission
    assert decided[0] == "BEGIN IMMEDIATE" and "UPDATE" in decided, decided
    assert _reads(answer) and "SELECT" in answer, answer
    assert mail and all(t[0] == "BEGIN IMMEDIATE" and "UPDATE" in t for t in mail), mail  # the e-mail: sent under the lock
    statements = _transactions(_bare_post(client, create_goal(world.project, world.student, title="Another"),
                                          "approve", {"version": 1, "view": "board"}), words=False)
    assert any("FROM goal" in s for s in statements[0]) and any(s.startswith("UPDATE goal") for s in statements[1])

    second = create_goal(world.project, world.partner, side="partner", title="Second")
    create_goal(world.project, world.partner, side="partner", title="Third")  # so that the second can move down
    db.session.commit()
    client.login(world.student)
    for path, data in (("move", {"direction": "down", "view": "board"}), ("comments", {"body": "Fine by us."})):
        checked, written, answer = _transactions(_bare_post(client, second, path, data))[:3]
        assert _reads(checked) and "SELECT" in checked, (path, checked)
        assert written[0] == "BEGIN IMMEDIATE" and {"UPDATE", "INSERT"} & set(written), (path, written)
        assert _reads(answer), (path, answer)


def _meanwhile(monkeypatch, goal, state):
    """Another worker moves `goal` to `state` (a new version) after a goal request has read and checked,
    just before it writes."""
    from workspace.goals import routes

    writing, table, goal_id = routes.writing, Goal.__table__, goal.id  # (the test's session reads nothing later)

    def then_change():
        writing()
        other = create_engine(db.engine.url, poolclass=NullPool)  # another worker's connection
        try:
            with other.begin() as connection:
                connection.execute(table.update().where(table.c.id == goal_id)
                                   .values(state=state, version=table.c.version + 1))
        finally:
            other.dispose()

    monkeypatch.setattr(routes, "writing", then_change)


def test_a_write_before_the_write_lock_is_taken_fails_in_the_tests(client, world, monkeypatch):
    """A goal request that wrote in its first transaction, begun without the lock, would fail under other
    workers' writes ("database is locked"), and only then: the test suite refuses it every time."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("transactions begin with the write lock only on SQLite")
    from workspace.goals import routes

    goal = create_goal(world.project, world.student)
    client.login(world.partner)
    monkeypatch.setattr(routes, "writing", lambda: None)  # the view forgets to take the lock
    response = act(client, goal, "approve", htmx=True, view="board")
    assert response.status_code == 500
    assert fresh(goal).state == "proposed" and activities(goal, "agreed") == []


def test_a_steps_note_joins_a_discussion_already_loaded(world):
    """The note of a step is written with a statement of its own: a goal whose discussion was read
    before shows it with the note, as when the note was added to the list."""
    goal = create_goal(world.project, world.student)
    db.session.commit()
    assert goal.comments == []
    services.request_changes(world.partner, world.project, goal, goal.version, "Name the streets.")
    assert [(c.kind, c.body) for c in goal.comments] == [("changes_requested", "Name the streets.")]
    assert goal.state == "changes_requested" and goal.version == 2 and goal not in db.session.dirty


def test_a_decision_on_a_goal_changed_after_it_was_read_is_refused_as_stale(client, world, monkeypatch):
    """The request reads the goal before it takes the write lock: a decision another person commits in
    between is caught by the goal's version under the lock, and nothing of the late one is written."""
    goal = create_goal(world.project, world.student)
    client.login(world.partner)
    client.get(f"/projects/{world.project.id}")
    _meanwhile(monkeypatch, goal, "changes_requested")
    post, answered = _bare_post(client, goal, "approve", {"version": goal.version, "view": "board"}), []
    transactions = _transactions(lambda: answered.append(post()) or answered[0], status=409)
    assert "Someone else acted on this goal first" in text(answered[0]) and "Changes requested" in text(answered[0])
    if db.engine.dialect.name == "sqlite":  # the refused decision's answer is read without the write lock
        assert transactions[1][0] == "BEGIN IMMEDIATE" and _reads(transactions[-1]), transactions
    assert fresh(goal).state == "changes_requested" and fresh(goal).agreed_at is None
    assert activities(goal, "agreed") == []


def test_a_move_reads_the_goals_group_again_under_the_write_lock(client, world, monkeypatch):
    """A goal moved on the board is swapped within the group its state is in when the move is written,
    not when the page was read: a decision in between that moved it to another column counts."""
    first = create_goal(world.project, world.student, title="First")
    create_goal(world.project, world.student, title="Second")
    third = create_goal(world.project, world.student, state="agreed", title="Third")
    client.login(world.student)
    client.get(f"/projects/{world.project.id}")
    _meanwhile(monkeypatch, first, "agreed")
    response = client.post_form(url(first, "/move"), {"direction": "down", "view": "board"}, htmx=True)
    assert response.status_code == 200, text(response)
    assert fresh(first).position > fresh(third).position  # moved below the goal of its new group


def test_the_partner_home_lists_every_goal_waiting_for_agreement_across_projects(client, world):
    second = create_project(world.course, organisation=world.project.organisation, students=[world.other_student],
                            partners=[world.partner], title="Second project")
    create_goal(world.project, world.student, title="Goal in the first")
    waiting = create_goal(second, world.other_student, title="Goal in the second")
    create_goal(world.project, world.partner, side="partner", title="Partner's own proposal")
    create_goal(world.project, world.student, state="agreed", title="Already agreed")
    create_goal(world.other_project, world.other_student, title="Someone else's goal")
    client.login(world.partner)
    home = text(client.get("/home"))
    assert "Goal in the first" in home and "Goal in the second" in home
    assert "Partner's own proposal" not in home and "Already agreed" not in home
    assert "Someone else&#39;s goal" not in home
    assert '<span class="badge-count">2</span>' in home
    assert home.count("Agree to this goal") == 2 and home.count("Request changes") == 2
    assert "Propose to drop" not in home  # one action each: agree or ask for changes
    response = act(client, waiting, "approve", htmx=True, view="home")
    body = text(response)
    assert response.status_code == 200 and "Agreed" in body
    assert 'id="goal-home-count"' in body and "(1)" in body
    assert '<span class="badge-count">1</span>' in body


def test_nobody_but_partners_gets_the_home_section(client, world):
    create_goal(world.project, world.partner, side="partner", title="For the students")
    client.login(world.student)
    home = text(client.get("/home"))
    assert "Goals waiting for your agreement" not in home
    assert '<span class="badge-count">1</span>' in home  # the students must agree to it


def test_the_board_goal_section_makes_the_same_number_of_queries_with_3_and_60_goals(client, world, count_queries):
    def add(n):
        for i in range(n):
            proposer, side = (world.student, "student") if i % 2 else (world.partner, "partner")
            goal = create_goal(world.project, proposer, side=side, state=services.BOARD_ORDER[i % 7])
            db.session.add(GoalComment(goal_id=goal.id, author_id=world.teacher.id, body="Hm"))
        db.session.commit()

    db.session.add(RootCauseRevision(project_id=world.project.id, number=1, text="Trust", author_id=world.student.id))
    add(3)
    client.login(world.student)
    path = f"/projects/{world.project.id}"
    client.get(path)
    with count_queries() as few:
        assert client.get(path).status_code == 200
    add(57)
    with count_queries() as many:
        page = client.get(path)
    assert page.status_code == 200 and text(page).count('class="card goal-card') == 60
    assert len(many) == len(few), "\n".join(many)


# ---- relevance: the root cause with its history -----------------------------------------------

def test_students_and_partner_refine_the_root_cause_with_history_and_stale_check(client, world):
    path = f"/projects/{world.project.id}/relevance"
    client.login(world.student)
    assert client.post_form(path, {"text": "Families cannot plan their visit", "based_on": "0"}).status_code == 303
    client.logout()
    client.login(world.partner)
    assert client.post_form(path, {"text": "Families cannot plan their visit or travel", "based_on": "1"}).status_code == 303
    stale = client.post_form(path, {"text": "My own idea", "based_on": "1"})
    assert stale.status_code == 409 and "My own idea" in text(stale) and "Someone else saved" in text(stale)
    assert client.post_form(path, {"text": "", "based_on": "2"}).status_code == 422
    revisions = db.session.scalars(db.select(RootCauseRevision).order_by(RootCauseRevision.number)).all()
    assert [r.number for r in revisions] == [1, 2]
    page = text(client.get(path))
    assert "<ins><span class=\"visually-hidden\">added: </span>or travel</ins>" in page.replace(" or", "or")
    board = text(client.get(f"/projects/{world.project.id}"))
    assert "Families cannot plan their visit or travel" in board
    client.logout()
    client.login(world.teacher)
    assert client.post_form(path, {"text": "Teacher's view", "based_on": "2"}).status_code == 403
    assert db.session.scalar(db.select(db.func.count(Activity.id)).where(Activity.verb == "refined the root cause")) == 2


# ---- demo data ----------------------------------------------------------------------------------

def test_the_demo_shows_goals_in_every_state_with_discussion(monkeypatch):
    import workspace
    from workspace.seed import seed_demo

    monkeypatch.setattr(workspace, "FEATURES", ("goals",))
    seed_demo()
    db.session.commit()
    goals = db.session.scalars(db.select(Goal)).all()
    assert {g.state for g in goals} == set(services.BOARD_ORDER)
    assert {g.proposer_side for g in goals} == {"student", "partner"}
    assert any(g.revision_number > 1 for g in goals)
    assert db.session.scalar(db.select(db.func.count(GoalComment.id))) >= 5
    assert db.session.scalar(db.select(db.func.count(GoalRevision.id))) > len(goals)
    assert len({g.project_id for g in goals}) == 3
    assert db.session.scalar(db.select(db.func.count(RootCauseRevision.id))) >= 2


def test_timeline_entries_link_to_the_goal(client, world):
    goal = create_goal(world.project, world.student, title="Linked goal")
    client.login(world.partner)
    act(client, goal, "approve")
    timeline = text(client.get(f"/projects/{world.project.id}/timeline"))
    assert "agreed to the goal “Linked goal”" in timeline
    assert f'href="/projects/{world.project.id}/goals/{goal.id}"' in timeline


def test_the_partner_home_section_makes_the_same_number_of_queries_with_3_and_30_goals(client, world, count_queries):
    def add(n):
        for _ in range(n):
            create_goal(world.project, world.student)
        db.session.commit()

    add(3)
    client.login(world.partner)
    client.get("/home")
    with count_queries() as few:
        client.get("/home")
    add(27)
    with count_queries() as many:
        home = text(client.get("/home"))
    assert home.count("Agree to this goal") == 30
    assert len(many) == len(few), "\n".join(many)
