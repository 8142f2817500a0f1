"""Two people acting on the same goal at the same moment, through a real HTTP server and real
database connections: one wins, the other gets 409 with the goal's current state and their own
text kept; never a silent overwrite. Runs on SQLite and on PostgreSQL (DATABASE_URL)."""
import http.cookiejar
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from werkzeug.serving import make_server

from workspace.extensions import db
from workspace.models import Activity, Goal, GoalComment, ProjectMember

from .conftest import TOKEN_RE
from .factories import PASSWORD, create_goal, create_user
from .test_goals import only_goal_sections  # noqa: F401  (autouse: the goal parts of pages only)

ROUNDS = 6


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person's cookies and CSRF token against the live server."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())
        self.token = None

    def request(self, path, data=None, headers=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def csrf(self, path):
        _status, html = self.request(path)
        match = TOKEN_RE.search(html)
        return match.group(1) or match.group(2)

    def login(self, user):
        status, _ = self.request("/login", {"email": user.email, "password": PASSWORD, "csrf_token": self.csrf("/login")})
        assert status == 303
        self.token = self.csrf("/home")

    def post(self, path, data):
        return self.request(path, {**data, "csrf_token": self.token}, {"HX-Request": "true"})


def test_two_partners_deciding_on_the_same_goal_at_once(world, live_server):
    second_partner = create_user("Petra Partner")
    db.session.add(ProjectMember(project_id=world.project.id, user_id=second_partner.id, role="partner"))
    goals = [create_goal(world.project, world.student, title=f"Goal {n}") for n in range(ROUNDS)]
    db.session.commit()
    ids = [(goal.id, goal.version) for goal in goals]
    db.session.rollback()

    approver, requester = Browser(live_server), Browser(live_server)
    approver.login(world.partner)
    requester.login(second_partner)

    for goal_id, version in ids:
        results = {}
        start = threading.Barrier(2)
        path = f"/projects/{world.project.id}/goals/{goal_id}"

        def run(name, browser, endpoint, data):
            start.wait()
            results[name] = browser.post(f"{path}/{endpoint}", {"version": version, "view": "board", **data})

        threads = [
            threading.Thread(target=run, args=("approve", approver, "approve", {})),
            threading.Thread(target=run, args=("changes", requester, "request-changes",
                                               {"comment": f"Please narrow goal {goal_id} down"})),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

        statuses = sorted(status for status, _ in results.values())
        assert statuses == [200, 409], results
        winner = "approve" if results["approve"][0] == 200 else "changes"
        loser_body = results["changes" if winner == "approve" else "approve"][1]
        assert "Someone else acted on this goal first" in loser_body

        db.session.rollback()  # end the test's own read snapshot (SQLite WAL) before looking
        goal = db.session.get(Goal, goal_id)
        comments = db.session.scalars(db.select(GoalComment).where(GoalComment.goal_id == goal_id)).all()
        verbs = db.session.scalars(db.select(Activity.verb).where(
            Activity.subject_type == "goal", Activity.subject_id == goal_id, Activity.verb != "proposed")).all()
        if winner == "approve":
            assert goal.state == "agreed" and comments == [] and verbs == ["agreed"]
            # The person who lost keeps what they wrote, and sees the goal as it is now.
            assert f"Please narrow goal {goal_id} down" in loser_body and "Agreed" in loser_body
        else:
            assert goal.state == "changes_requested" and len(comments) == 1 and verbs == ["requested changes"]
            assert "Changes requested" in loser_body
        assert goal.version == version + 1
