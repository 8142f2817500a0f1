"""`make loadtest`: locust (headless) drives a scripted mix of every role against gunicorn on
loopback, then judges the figures of issue 8: no answer of 500 or above, failures other than the
expected 409/429 at most 0.1%, p95 at most 500 ms. Exits 1 when one is missed.

Environment: LOADTEST_USERS (50 simulated people), LOADTEST_SECONDS (60),
LOADTEST_DATABASE_URL (a PostgreSQL server we may create and drop a database on; a SQLite file
in a temporary directory otherwise).

Steps: a fresh database; its schema from `flask db upgrade`; the demo data plus one
account per simulated person of each role (students and partners in the demo projects, teachers
on the demo courses); gunicorn with 2 sync workers and production settings (bench/run.py); locust
with bench/locustfile.py; a summary per kind of request.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
sys.path.insert(0, BENCH)
sys.path.insert(0, ROOT)

from run import Databases, free_port, machine, serve, server_cpu, stop  # noqa: E402  (bench/run.py)

USERS = int(os.environ.get("LOADTEST_USERS", "50"))
SECONDS = int(os.environ.get("LOADTEST_SECONDS", "60"))
MAX_FAILURE_RATE = 0.001
MAX_P95_MS = 500
EXPECTED = {409, 429}
BIN = os.path.dirname(sys.executable)


def build_schema(database: str) -> str:
    """The schema from `flask db upgrade`, as a real installation gets it; stops when it fails."""
    env = dict(os.environ, DATABASE_URL=database, WORKSPACE_CONFIG="production", SECRET_KEY="loadtest-" + os.urandom(16).hex(),
               FLASK_APP="wsgi")
    upgrade = subprocess.run([os.path.join(BIN, "flask"), "db", "upgrade"], cwd=ROOT, env=env,
                             capture_output=True, text=True)
    if upgrade.returncode != 0:
        sys.exit("flask db upgrade failed:\n" + upgrade.stderr)
    return "flask db upgrade"


def seed(users: int) -> dict:
    """The demo data plus `users` accounts of each role; returns the plan the locustfile reads."""
    from workspace.extensions import db
    from workspace.models import (
        Agreement, CheckUp, CourseStaff, Deliverable, Goal, OrganisationMember, Project, ProjectMember, StoredFile,
        User,
    )
    from workspace.seed import DEMO_PASSWORD, seed_demo

    seed_demo()
    db.session.flush()
    projects = db.session.scalars(db.select(Project).order_by(Project.id)).all()
    courses = sorted({p.course_id for p in projects})
    first = User(email="load-0@example.org", name="Load Zero")
    first.set_password(DEMO_PASSWORD)
    password_hash = first.password_hash  # hashed once: 3 × users accounts share it
    plan = {"password": DEMO_PASSWORD, "students": [], "partners": [], "teachers": [], "projects": {}}
    for role in ("students", "partners", "teachers"):
        for n in range(users):
            user = User(email=f"load-{role[:-1]}-{n}@example.org", name=f"Load {role[:-1].title()} {n}",
                        password_hash=password_hash, is_teacher=role == "teachers")
            db.session.add(user)
            db.session.flush()
            if role == "teachers":
                course = courses[n % len(courses)]
                in_course = [p for p in projects if p.course_id == course]
                db.session.add(CourseStaff(course_id=course, user_id=user.id))
                project = in_course[n // len(courses) % len(in_course)]
            else:
                project = projects[n % len(projects)]
                db.session.add(ProjectMember(project_id=project.id, user_id=user.id, role=role[:-1]))
                if role == "partners":
                    db.session.add(OrganisationMember(organisation_id=project.organisation_id, user_id=user.id))
            plan[role].append({"email": user.email, "id": user.id, "project": project.id, "course": project.course_id})
    for project in projects:
        def ids(model, *where):
            return list(db.session.scalars(db.select(model.id).where(model.project_id == project.id, *where)))

        plan["projects"][str(project.id)] = {
            "goals": ids(Goal), "checkups": ids(CheckUp), "open_checkups": ids(CheckUp, CheckUp.state != "confirmed"),
            "deliverables": ids(Deliverable), "files": ids(StoredFile),
            "agreement_number": db.session.scalar(
                db.select(Agreement.number).where(Agreement.project_id == project.id)),
        }
    db.session.commit()
    return plan


def prepare(database: str, users: int, plan_path: str) -> str:
    os.environ["DATABASE_URL"] = database
    os.environ.setdefault("SECRET_KEY", "loadtest-" + os.urandom(16).hex())  # start-up checks: 32+ characters
    from workspace import create_app
    from workspace.extensions import db

    app = create_app("production")
    with app.app_context():
        schema = build_schema(database)
        plan = seed(users)
        db.session.remove()
        db.engine.dispose()
    with open(plan_path, "w") as fh:
        json.dump(plan, fh)
    return schema


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))] if ordered else 0


def summarise(results: dict) -> dict:
    kinds, all_times = [], []
    totals = {"requests": 0, "failures": 0, "server_errors": 0, "expected": 0}
    for name in sorted(results["times"]):
        times, statuses = results["times"][name], {int(k): v for k, v in results["statuses"][name].items()}
        failures = results["failures"].get(name, 0)
        row = {"name": name, "requests": len(times), "failures": failures,
               "server_errors": sum(v for k, v in statuses.items() if k >= 500),
               "expected": sum(v for k, v in statuses.items() if k in EXPECTED),
               "p50_ms": round(statistics.median(times)), "p95_ms": round(percentile(times, 0.95)),
               "statuses": dict(sorted(statuses.items()))}
        kinds.append(row)
        all_times += times
        for key in totals:
            totals[key] += row[key]
    totals["failure_rate"] = totals["failures"] / totals["requests"] if totals["requests"] else 1.0
    totals["p50_ms"] = round(statistics.median(all_times)) if all_times else None
    totals["p95_ms"] = round(percentile(all_times, 0.95)) if all_times else None
    # The second half of the run, once every simulated person has signed in: the steady state.
    ended = [t for name in results["times"] for t in results["ended"][name]]
    middle = (min(ended) + max(ended)) / 2 if ended else 0
    steady = [ms for name in results["times"] for ms, t in zip(results["times"][name], results["ended"][name])
              if t >= middle]
    totals["p95_second_half_ms"] = round(percentile(steady, 0.95)) if steady else None
    return {"kinds": kinds, "totals": totals}


def verdict(totals: dict) -> list[tuple[str, bool]]:
    """The figures of issue 8, each with whether it is met."""
    return [
        (f"responses ≥ 500: {totals['server_errors']} (must be 0)", totals["server_errors"] == 0),
        (f"failures other than 409/429: {totals['failures']} of {totals['requests']} = "
         f"{100 * totals['failure_rate']:.3f}% (must be ≤ {100 * MAX_FAILURE_RATE:.1f}%)",
         totals["requests"] > 0 and totals["failure_rate"] <= MAX_FAILURE_RATE),
        (f"p95: {totals['p95_ms']} ms (must be ≤ {MAX_P95_MS} ms; second half of the run alone: "
         f"{totals['p95_second_half_ms']} ms)", (totals["p95_ms"] or 0) <= MAX_P95_MS),
    ]


def main() -> int:
    dbs = Databases(os.environ.get("LOADTEST_DATABASE_URL", ""))
    work = tempfile.mkdtemp(prefix="loadtest-")
    plan_path, results_path = os.path.join(work, "plan.json"), os.path.join(work, "results.json")
    proc = server_log = None
    print(f"loadtest: {USERS} simulated people for {SECONDS} s on {dbs.kind()}, locust headless, "
          f"gunicorn 2 sync workers on loopback", flush=True)
    try:
        database = dbs.url("load")
        schema = prepare(database, USERS, plan_path)
        print(f"  schema: {schema}", flush=True)
        port = free_port()
        server_log = open(os.path.join(work, "server.log"), "w")
        load_before = os.getloadavg()[0]
        proc = serve(database, port, log=server_log)
        server_cpu_before = server_cpu(proc.pid)
        env = dict(os.environ, LOADTEST_PLAN=plan_path, LOADTEST_RESULTS=results_path)
        started = time.monotonic()
        command = [os.path.join(BIN, "locust"), "-f", os.path.join(BENCH, "locustfile.py"), "--headless",
                   "--users", str(USERS), "--spawn-rate", str(max(1, USERS / 10)), "--run-time", f"{SECONDS}s",
                   "--host", f"http://127.0.0.1:{port}", "--stop-timeout", "10", "--only-summary",
                   "--loglevel", "WARNING", "--exit-code-on-error", "0"]
        locust = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        elapsed = time.monotonic() - started
        if locust.returncode or not os.path.exists(results_path):
            print(locust.stderr[-3000:], file=sys.stderr)
            print(f"locust did not run to the end (exit {locust.returncode})", file=sys.stderr)
            return 1
        with open(results_path) as fh:
            summary = summarise(json.load(fh))
        load_after = os.getloadavg()[0]
        cpu_used = server_cpu(proc.pid) - server_cpu_before
    finally:
        if proc is not None:
            stop(proc)
        if server_log is not None:
            server_log.close()
        dbs.cleanup()

    totals = summary["totals"]
    print(f"\n{datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC} · {machine()} · {dbs.kind()} · {USERS} users · "
          f"{SECONDS} s · {totals['requests'] / elapsed:.1f} requests/s · machine load {load_before:.1f} → "
          f"{load_after:.1f} · server CPU {1000 * cpu_used / max(1, totals['requests']):.0f} ms per request · "
          f"schema: {schema}\n")
    print("| kind | requests | failures | 409/429 | ≥ 500 | p50 ms | p95 ms | statuses |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for row in summary["kinds"] + [dict(totals, name="**all**", statuses={})]:
        statuses = ", ".join(f"{k}: {v}" for k, v in row["statuses"].items())
        print(f"| {row['name']} | {row['requests']} | {row['failures']} | {row['expected']} | {row['server_errors']} "
              f"| {row['p50_ms']} | {row['p95_ms']} | {statuses} |")
    checks = verdict(totals)
    with open(os.path.join(work, "server.log")) as fh:
        tracebacks = fh.read().count("Traceback")
    print(f"\nserver log: {os.path.join(work, 'server.log')} ({tracebacks} tracebacks)")
    for text, ok in checks:
        print(f"  {'ok  ' if ok else 'MISS'} {text}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
