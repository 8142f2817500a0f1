"""The load test's people (`make loadtest` runs this through scripts/loadtest.py; locust headless).

Students work on goals, check-ups and deliverables; partners answer goals and accept the
agreement; teachers read the dashboard and timelines; anonymous visitors open the login page.
Each simulated person signs in with an account of their own from the plan file the script wrote
(LOADTEST_PLAN) and waits 1–5 s between actions, like someone reading a page. Every request
records its kind, time and status; the tally goes to LOADTEST_RESULTS when locust stops.

Production session cookies are Secure and the test speaks plain http on loopback, so the session
cookie is carried by hand (and redirects are not followed: a 303 is the answer expected).
"""
import itertools
import json
import os
import random
import re
import time
from collections import Counter, defaultdict
from datetime import date, timedelta

from locust import HttpUser, between, events, task

PLAN = json.load(open(os.environ["LOADTEST_PLAN"])) if os.environ.get("LOADTEST_PLAN") else None
EXPECTED = {409, 429}  # a conflict lost to someone faster, a limit: answers the app is meant to give
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')
SESSION_RE = re.compile(r'(?:^|,\s*)session=([^;]*)')
GOAL_RE = re.compile(r'href="/projects/\d+/goals/(\d+)"')
APPROVE_RE = re.compile(r'action="(/projects/\d+/goals/\d+/approve)"[^>]*>\s*'
                        r'<input type="hidden" name="csrf_token" value="[^"]*">\s*'
                        r'<input type="hidden" name="version" value="(\d+)">')

_accounts = {role: itertools.count() for role in ("students", "partners", "teachers")}
tally = {"times": defaultdict(list), "ended": defaultdict(list), "statuses": defaultdict(Counter),
         "failures": Counter()}


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response=None, exception=None, **_):
    tally["times"][name].append(response_time)
    tally["ended"][name].append(time.time())
    tally["statuses"][name][getattr(response, "status_code", 0) or 0] += 1
    if exception is not None:
        tally["failures"][name] += 1


@events.quitting.add_listener
def _write(environment, **_):
    path = os.environ.get("LOADTEST_RESULTS")
    if path:
        with open(path, "w") as fh:
            json.dump({"times": tally["times"], "ended": tally["ended"], "failures": dict(tally["failures"]),
                       "statuses": {k: dict(v) for k, v in tally["statuses"].items()}}, fh)


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 5)
    role = None

    def on_start(self):
        self.cookie = ""
        self.csrf = ""
        self.account = None
        if self.role:
            accounts = PLAN[self.role]
            self.account = accounts[next(_accounts[self.role]) % len(accounts)]
            self.login()

    # -- HTTP with the session cookie carried by hand ----------------------------------------

    def call(self, method, path, name, ok=(200,), data=None, htmx=False):
        headers = {"Cookie": f"session={self.cookie}"} if self.cookie else {}
        if htmx:
            headers["HX-Request"] = "true"
        if method == "POST":
            headers["X-CSRFToken"] = self.csrf
        with self.client.request(method, path, name=name, data=data, headers=headers, allow_redirects=False,
                                 catch_response=True) as response:
            match = SESSION_RE.search(response.headers.get("Set-Cookie", ""))
            if match:
                self.cookie = match.group(1)
            if response.status_code in ok or response.status_code in EXPECTED:
                response.success()
            else:
                response.failure(f"{response.status_code} for {method} {path}")
            if response.status_code == 200 and "text/html" in response.headers.get("Content-Type", ""):
                token = CSRF_RE.search(response.text)
                if token:
                    self.csrf = token.group(1) or token.group(2)
            return response

    def login(self):
        self.call("GET", "/login", "login page")
        self.call("POST", "/login", "log in", ok=(303,), data={
            "email": self.account["email"], "password": PLAN["password"], "csrf_token": self.csrf})
        self.call("GET", "/home", "home")

    def pick(self, key):
        values = self.project.get(key) or []
        return random.choice(values) if values else None

    @property
    def project(self):
        return PLAN["projects"][str(self.account["project"])]

    def board(self):
        return self.call("GET", f"/projects/{self.account['project']}", "project board")

    def approve_one(self, page):
        """Agree to a goal the other side proposed, as shown on the board (409 if someone was first)."""
        forms = APPROVE_RE.findall(page.text) if page.status_code == 200 else []
        if forms:
            action, version = random.choice(forms)
            self.call("POST", action, "goal: agree (htmx)", data={"version": version, "view": "board"}, htmx=True)


class Student(Person):
    weight = 5
    role = "students"

    @task(5)
    def view_board(self):
        page = self.board()
        goals = GOAL_RE.findall(page.text) if page.status_code == 200 else []
        if goals:
            self.call("GET", f"/projects/{self.account['project']}/goals/{random.choice(goals)}", "goal page")

    @task(2)
    def home(self):
        self.call("GET", "/home", "home")

    @task(1)
    def propose_goal(self):
        pid = self.account["project"]
        self.call("GET", f"/projects/{pid}/goals/new", "goal: new form")
        self.call("POST", f"/projects/{pid}/goals/new", "goal: propose", ok=(303,), data={
            "csrf_token": self.csrf, "title": f"Residents join the garden ({random.randint(1, 10**6)})",
            "description": "A weekly open afternoon.", "partner_need": "More volunteers.",
            "success_criteria": "Twenty residents take part.", "target_date": ""})

    @task(1)
    def comment(self):
        goal = self.pick("goals")
        if goal:
            self.call("POST", f"/projects/{self.account['project']}/goals/{goal}/comments", "goal: comment (htmx)",
                      data={"body": "We talked to three residents about this."}, htmx=True)

    @task(1)
    def agree_to_partner_goal(self):
        self.approve_one(self.board())

    @task(2)
    def checkups(self):
        pid = self.account["project"]
        self.call("GET", f"/projects/{pid}/checkups", "check-ups")
        checkup = self.pick("checkups")
        if checkup:
            self.call("GET", f"/projects/{pid}/checkups/{checkup}", "check-up")

    @task(1)
    def add_checkup_items(self):
        pid, checkup = self.account["project"], self.pick("open_checkups")
        if not checkup:
            return
        self.call("GET", f"/projects/{pid}/checkups/{checkup}", "check-up")
        self.call("POST", f"/projects/{pid}/checkups/{checkup}/feedback", "check-up: feedback (htmx)", htmx=True,
                  data={"feedback-raised_by": "partner", "feedback-text": "Use simpler words in the survey."})
        self.call("POST", f"/projects/{pid}/checkups/{checkup}/actions", "check-up: action item (htmx)", htmx=True,
                  data={"action-text": "Send the minutes", "action-owner_id": self.account["id"],
                        "action-due_date": (date.today() + timedelta(days=7)).isoformat()})

    @task(2)
    def deliverables(self):
        pid = self.account["project"]
        self.call("GET", f"/projects/{pid}/deliverables", "deliverables")
        deliverable = self.pick("deliverables")
        if deliverable:
            self.call("GET", f"/projects/{pid}/deliverables/{deliverable}", "deliverable")
        stored = self.pick("files")
        if stored:
            self.call("GET", f"/projects/{pid}/files/{stored}", "file download")

    @task(1)
    def start_deliverable(self):
        pid = self.account["project"]
        self.call("GET", f"/projects/{pid}/deliverables/new", "deliverable: new form")
        self.call("POST", f"/projects/{pid}/deliverables/new", "deliverable: start", ok=(303,), data={
            "csrf_token": self.csrf, "title": f"Toolkit for volunteers ({random.randint(1, 10**6)})", "kind": "toolkit",
            "audience": "Volunteers", "language": "English", "channel": "Printed", "description": "A short guide."})

    @task(1)
    def timeline(self):
        self.call("GET", f"/projects/{self.account['project']}/timeline", "timeline")


class Partner(Person):
    weight = 2
    role = "partners"

    @task(3)
    def home(self):
        self.call("GET", "/home", "home")

    @task(3)
    def agree_to_goal(self):
        self.approve_one(self.board())

    @task(1)
    def accept_agreement(self):
        pid, number = self.account["project"], self.project.get("agreement_number")
        self.call("GET", f"/projects/{pid}/agreement", "agreement")
        if number:
            self.call("POST", f"/projects/{pid}/agreement/accept", "agreement: accept (htmx)", htmx=True,
                      data={"number": number})

    @task(1)
    def deliverable(self):
        deliverable = self.pick("deliverables")
        if deliverable:
            self.call("GET", f"/projects/{self.account['project']}/deliverables/{deliverable}", "deliverable")

    @task(1)
    def checkup(self):
        checkup = self.pick("checkups")
        if checkup:
            self.call("GET", f"/projects/{self.account['project']}/checkups/{checkup}", "check-up")


class Teacher(Person):
    weight = 2
    role = "teachers"

    @task(4)
    def dashboard(self):
        self.call("GET", f"/courses/{self.account['course']}/dashboard", "teacher dashboard")

    @task(3)
    def timeline(self):
        self.call("GET", f"/projects/{self.account['project']}/timeline", "timeline")

    @task(1)
    def contributions(self):
        self.call("GET", f"/courses/{self.account['course']}/contributions", "contributions")

    @task(1)
    def view_board(self):
        self.board()


class Visitor(Person):
    weight = 1

    @task(3)
    def login_page(self):
        self.call("GET", "/login", "login page")

    @task(1)
    def front(self):
        self.call("GET", "/", "front page", ok=(200, 302))

