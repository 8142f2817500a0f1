"""Many people acting on the same few goals and deliverables at once, over HTTP (issue 8, figure 4).

Each process is one person with their own session; they act as fast as the server answers:

- students revise the goals (each revision with a title no one else writes), edit the
  deliverable, add a version to it (a link) and submit the latest draft;
- partners read their home page (the goals waiting for them and the version waiting for review)
  and agree to a goal, ask for changes, or review the version.

Students act on the version they last saw, partners on what their home page showed a moment
ago, so many actions meet a newer version. Every answer is recorded with what was sent; the
caller checks that each action either applied or was refused, and that the database holds
exactly the applied ones (tests/test_reliability_concurrency.py).

    python scripts/concurrent_actions.py --base http://127.0.0.1:8000 --plan plan.json --actions 1020

plan.json: {"project": 1, "goals": {"3": 1, "4": 1}, "deliverable": {"id": 2, "version": 1},
            "students": ["s1@example.org", ...], "partners": [...], "password": "..."}
(goal id -> its version now). Prints a JSON report: one list of actions per process.

Exit status 0, or 3 when some answer was an error. Outcomes: "applied" (2xx or 303), "stale"
(409: someone acted first; the answer shows the current version), "refused" (409 from a rule
because the state moved on, e.g. the version to review was replaced by a newer one or was
reviewed already), "error" (anything else: never expected).
"""
import argparse
import http.cookiejar
import json
import multiprocessing
import random
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')
VERSION_RE = re.compile(r'name="version" value="(\d+)"')
STALE_MARKERS = (
    "Someone else acted on this goal first",  # goal decision, htmx card
    "Someone else changed this goal while you were editing",  # goal revision form
    "Someone else saved this deliverable while you were editing",  # deliverable form
    "This deliverable changed while you were looking at it",  # deliverable in-place action
    "Someone changed this deliverable at the same moment",  # new version form
)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Person:
    """One browser: its cookies and CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())
        self.token = None

    def request(self, path, data=None, htmx=False):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        headers = {"HX-Request": "true"} if htmx else {}
        req = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with self.opener.open(req, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def login(self, email, password):
        _status, html = self.request("/login")
        match = TOKEN_RE.search(html)
        status, _ = self.request("/login", {"email": email, "password": password,
                                            "csrf_token": match.group(1) or match.group(2)})
        if status != 303:
            raise RuntimeError(f"login of {email} answered {status}")
        _status, html = self.request("/home")
        match = TOKEN_RE.search(html)
        self.token = match.group(1) or match.group(2)

    def post(self, path, data, htmx=False):
        return self.request(path, {**data, "csrf_token": self.token}, htmx=htmx)


def outcome(status: int, body: str) -> str:
    if 200 <= status < 300 or status == 303:
        return "applied"
    if status == 409:
        return "stale" if any(marker in body for marker in STALE_MARKERS) else "refused"
    return "error"


def _version_in(body: str):
    match = VERSION_RE.search(body)
    return int(match.group(1)) if match else None


class Student:
    def __init__(self, person, plan, name, rng):
        self.person, self.plan, self.name, self.rng = person, plan, name, rng
        self.project = plan["project"]
        self.goals = {int(goal_id): version for goal_id, version in plan["goals"].items()}
        self.deliverable = plan["deliverable"]["id"]
        self.deliverable_version = plan["deliverable"]["version"]
        self.count = 0

    def act(self, claim) -> dict | None:
        if not claim():
            return None
        self.count += 1
        roll = self.rng.random()
        if roll < 0.6:
            return self.revise_goal()
        if roll < 0.85:
            return self.edit_deliverable()
        if roll < 0.93:
            return self.add_version()
        return self.submit_latest()

    def revise_goal(self):
        goal_id = self.rng.choice(sorted(self.goals))
        base = self.goals[goal_id]
        title = f"{self.name} revision {self.count}"
        status, body = self.person.post(f"/projects/{self.project}/goals/{goal_id}/edit", {
            "title": title, "description": f"Text of {title}", "partner_need": "", "success_criteria": "",
            "target_date": "", "version": base})
        result = outcome(status, body)
        self.goals[goal_id] = base + 1 if result == "applied" else (_version_in(body) or base)
        return {"kind": "goal.revise", "goal": goal_id, "base": base, "text": title, "status": status,
                "outcome": result}

    def edit_deliverable(self):
        base = self.deliverable_version
        title = f"{self.name} deliverable {self.count}"
        status, body = self.person.post(f"/projects/{self.project}/deliverables/{self.deliverable}/edit", {
            "title": title, "kind": "report", "audience": "Volunteers", "language": "English",
            "channel": "Newsletter", "description": f"Text of {title}", "version": base})
        result = outcome(status, body)
        # Any other applied action on the deliverable moves its version on too: learn it from a
        # 409, or guess one more than before after our own edit.
        self.deliverable_version = base + 1 if result == "applied" else (_version_in(body) or base)
        return {"kind": "deliverable.edit", "deliverable": self.deliverable, "base": base, "text": title,
                "status": status, "outcome": result}

    def add_version(self):
        note = f"{self.name} version note {self.count}"
        status, body = self.person.post(
            f"/projects/{self.project}/deliverables/{self.deliverable}/versions/new",
            {"note": note, "links": f"https://example.org/{self.name}/{self.count} Draft"})
        return {"kind": "deliverable.add_version", "deliverable": self.deliverable, "text": note, "status": status,
                "outcome": outcome(status, body)}

    def submit_latest(self):
        _status, page = self.person.request(f"/projects/{self.project}/deliverables/{self.deliverable}")
        match = re.search(rf"/deliverables/{self.deliverable}/versions/(\d+)/submit", page)
        if not match:  # the latest version is submitted already: make a new one instead
            return self.add_version()
        status, body = self.person.post(f"/projects/{self.project}{match.group(0)}", {}, htmx=True)
        return {"kind": "deliverable.submit", "deliverable": self.deliverable, "version_id": int(match.group(1)),
                "status": status, "outcome": outcome(status, body)}


STALL_SECONDS = 30  # a partner with nothing to do for this long reports a stall (students or server stuck)


class Partner:
    def __init__(self, person, plan, name, rng):
        self.person, self.plan, self.name, self.rng = person, plan, name, rng
        self.project = plan["project"]
        self.goal_ids = {int(goal_id) for goal_id in plan["goals"]}
        self.count = 0
        self.stalled = False
        self.todo: list = []

    def _waiting(self):
        """What the home page offers now: goals to agree to (id, version) and versions to review."""
        _status, html = self.person.request("/home")
        goals = []
        for chunk in html.split('<article id="goal-')[1:]:
            goal_id = int(chunk.split('"', 1)[0])
            version = _version_in(chunk)
            if goal_id in self.goal_ids and version is not None and "/approve" in chunk:
                goals.append((goal_id, version))
        reviews = re.findall(r"/projects/\d+/deliverables/\d+/versions/\d+/review", html)
        return goals, sorted(set(reviews))

    def act(self, claim) -> dict | None:
        """One action from what the last read of the home page offered; read again when all are done
        (one read serves several actions, so later ones may meet a newer version: 409)."""
        if not self.todo:
            # Wait by the clock, not by a number of reads: on a loaded machine (the test suite runs on
            # every core) the students' requests queue behind the partner's own reads.
            deadline = time.monotonic() + STALL_SECONDS
            goals, reviews = self._waiting()
            while not (goals or reviews) and time.monotonic() < deadline:
                if claim.spent():
                    return None  # every action is taken: the students stopped, nothing more will come
                time.sleep(0.1)  # nothing waits for a partner yet: the students are busy
                goals, reviews = self._waiting()
            if not (goals or reviews):
                self.stalled = True  # reported: the caller decides (the students stopped, or the server did)
                return None
            self.todo = [("goal", goal) for goal in goals]
            if reviews and (not goals or self.rng.random() < 0.4):
                self.todo.append(("review", self.rng.choice(reviews)))
            self.rng.shuffle(self.todo)
        if not claim():
            return None
        self.count += 1
        what, target = self.todo.pop()
        if what == "review":
            decision = self.rng.choice(["approved", "changes_requested"])
            comment = f"{self.name} review {self.count}"
            status, body = self.person.post(target, {"decision": decision, "comment": comment, "next": "home"},
                                            htmx=True)
            return {"kind": f"deliverable.review.{decision}", "deliverable": int(target.split("/")[4]),
                    "version_id": int(target.split("/")[6]), "text": comment, "status": status,
                    "outcome": outcome(status, body)}
        goal_id, base = target
        path = f"/projects/{self.project}/goals/{goal_id}"
        if self.rng.random() < 0.5:
            status, body = self.person.post(f"{path}/approve", {"version": base, "view": "home"}, htmx=True)
            kind, text = "goal.approve", None
        else:
            text = f"{self.name} asks for changes {self.count}"
            status, body = self.person.post(f"{path}/request-changes",
                                            {"version": base, "view": "home", "comment": text}, htmx=True)
            kind = "goal.request_changes"
        return {"kind": kind, "goal": goal_id, "base": base, "text": text, "status": status,
                "outcome": outcome(status, body)}


def _work(args):
    """One process: log in, wait for everyone, then act until the shared count is reached."""
    base, plan, role, email, seed, start, counter, lock, total = args
    person = Person(base)
    person.login(email, plan["password"])
    name = email.split("@")[0]
    actor = (Student if role == "student" else Partner)(person, plan, name, random.Random(seed))
    start.wait(timeout=120)
    began = time.monotonic()
    results = []

    def claim() -> bool:
        with lock:
            if counter.value >= total:
                return False
            counter.value += 1
            return True

    claim.spent = lambda: counter.value >= total  # a partner waiting for work stops then: no stall

    while True:
        t0 = time.monotonic()
        result = actor.act(claim)
        if result is None:
            break
        result.update(actor=email, seconds=round(time.monotonic() - t0, 4), at=round(t0 - began, 3))
        results.append(result)
    return {"actor": email, "role": role, "seconds": round(time.monotonic() - began, 2),
            "stalled": getattr(actor, "stalled", False), "actions": results}


def run(base: str, plan: dict, actions: int, seed: int = 1) -> dict:
    """Run every student and partner of the plan in a process of its own; return the report."""
    people = [("student", email) for email in plan["students"]] + [("partner", email) for email in plan["partners"]]
    context = multiprocessing.get_context("spawn")
    manager = context.Manager()
    try:
        start, counter, lock = manager.Barrier(len(people)), manager.Value("i", 0), manager.Lock()
        began = time.monotonic()
        with context.Pool(len(people)) as pool:
            reports = pool.map(_work, [(base, plan, role, email, seed + n, start, counter, lock, actions)
                                       for n, (role, email) in enumerate(people)])
    finally:
        manager.shutdown()
    return {"processes": len(people), "seconds": round(time.monotonic() - began, 2), "people": reports}


def summary(report: dict) -> dict:
    actions = [a for person in report["people"] for a in person["actions"]]
    counts: dict = {}
    for action in actions:
        key = f"{action['kind']}:{action['outcome']}"
        counts[key] = counts.get(key, 0) + 1
    return {"actions": len(actions), "processes": report["processes"], "seconds": report["seconds"],
            "statuses": sorted({a["status"] for a in actions}), "by_kind_and_outcome": dict(sorted(counts.items()))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--plan", required=True, help="JSON file: project, goals, deliverable, people, password")
    parser.add_argument("--actions", type=int, default=1020, help="actions in total, shared by everyone")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", help="write the full report (every action) here")
    args = parser.parse_args(argv)
    with open(args.plan) as fh:
        plan = json.load(fh)
    report = run(args.base, plan, args.actions, args.seed)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(report, fh)
    print(json.dumps(summary(report), indent=2))
    errors = [a for person in report["people"] for a in person["actions"] if a["outcome"] == "error"]
    return 3 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
