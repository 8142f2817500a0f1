"""`make bench`: generate a dataset, serve it with gunicorn (2 sync workers, production settings)
on loopback, drive 8 concurrent logged-in clients at each main page for a bounded time, then do
the same on a dataset a tenth the size. Prints a table and writes bench/results.json.

Environment: BENCH_SCALE (default 1), BENCH_SECONDS per page (default 5), BENCH_CLIENTS (8),
BENCH_DATABASE_URL (a PostgreSQL URL whose server we may create and drop databases on;
SQLite files under a temporary directory otherwise).

The load generator is `wrk` when it is installed (BENCH_CLIENT=python forces the other): 2
threads and BENCH_CLIENTS connections per page, the session cookie as a header, bench/wrk.lua
for its report and bench/wrk_goals.lua for the goal action's decisions. Otherwise a Python
thread pool (http.client, one connection per request, as gunicorn's sync workers close every
connection). Cookies are handled by hand, since production session cookies are Secure and we
speak plain http on loopback. Under wrk, queries and bytes come from a few requests of the
Python client before each run.

Each page gets the CPU time per request of the server (gunicorn's process group, from /proc)
and of the client, and its multiple of /healthz's server CPU per request (`× healthz`): the
client shares the 2 cores with the server, so the CPU multiple shows the server's own cost.
"""
import gzip
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from urllib.parse import urlencode

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)

import generate  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
WRK = None if os.environ.get("BENCH_CLIENT") == "python" else shutil.which("wrk")
PROBES = 12  # requests of the Python client that give a page's queries and bytes under wrk
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


class Client:
    """One session (cookie jar of one cookie) against the server."""

    def __init__(self, port: int):
        self.port = port
        self.cookie = ""
        self.csrf = ""

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        hdrs = {"User-Agent": "bench", "Accept-Encoding": "gzip"}  # as a browser does
        if self.cookie:
            hdrs["Cookie"] = self.cookie
        if body is not None:
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        hdrs.update(headers or {})
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            for key, value in resp.getheaders():
                if key.lower() == "set-cookie" and value.startswith("session="):
                    self.cookie = value.split(";", 1)[0]
            resp.wire_bytes = len(data)
            if resp.getheader("Content-Encoding") == "gzip":
                data = gzip.decompress(data)
            return resp.status, data, resp
        finally:
            conn.close()

    def login(self, email, password):
        status, page, _ = self.request("GET", "/login")
        token = _csrf(page)
        status, _, resp = self.request("POST", "/login", urlencode(
            {"csrf_token": token, "email": email, "password": password}))
        if status not in (302, 303):
            raise RuntimeError(f"login of {email} failed: {status}")
        _, page, _ = self.request("GET", "/home")
        self.csrf = _csrf(page)
        return self


def _csrf(page: bytes) -> str:
    match = CSRF_RE.search(page.decode("utf-8", "replace"))
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1) or match.group(2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(database: str, port: int, log=None) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=database, WORKSPACE_CONFIG="production", BENCH_QUERY_HEADER="1",
               SECRET_KEY="bench-" + os.urandom(16).hex(), PUBLIC_URL=f"http://127.0.0.1:{port}")
    proc = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--workers", "2", "--worker-class", "sync",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if Client(port).request("GET", "/healthz")[0] == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def bench_ids(database: str, info: dict) -> dict:
    from sqlalchemy import create_engine, text

    engine = create_engine(database)
    with engine.connect() as conn:
        pid = info["project"]
        ids = {
            "checkup": conn.execute(text("SELECT min(id) FROM checkup WHERE project_id = :p AND state = 'confirmed'"),
                                    {"p": pid}).scalar(),
            "goals": [tuple(r) for r in conn.execute(text(
                "SELECT project_id, id, state, proposer_side, version FROM goal WHERE project_id IN (%s) "
                "AND state IN ('proposed', 'changes_requested', 'agreed', 'drop_proposed') ORDER BY id"
                % ",".join(str(p) for p in info["partner_projects"])))],
        }
    engine.dispose()
    return ids


VERSION_RE = re.compile(r'name="version" value="(\d+)"')


class GoalSteps:
    """The partner's goal decisions, each one a real step with the goal's current version.

    Goals the students proposed are agreed to or sent back with a request for changes (the
    decisions on a partner's queue); after that a goal cycles through a proposal to drop it and
    keeping it, so that every request changes a goal (new version, activity, notification) and
    answers with its card, however long the run. A goal is never handed to two requests at once.
    """

    def __init__(self, goals):
        self.lock = threading.Lock()
        self.goals = [{"project": p, "id": g, "state": st, "proposer": side, "version": v, "before": None}
                      for p, g, st, side, v in goals]
        self.busy = set()
        self.n = 0

    def take(self, csrf):
        while True:
            with self.lock:
                for _ in range(len(self.goals)):
                    goal = self.goals[self.n % len(self.goals)]
                    self.n += 1
                    if goal["id"] not in self.busy:
                        self.busy.add(goal["id"])
                        return goal, self._request(goal, csrf)
            time.sleep(0.001)

    def _request(self, goal, csrf):
        base = f"/projects/{goal['project']}/goals/{goal['id']}"
        form = {"csrf_token": csrf, "version": goal["version"], "view": "board"}
        if goal["state"] == "proposed" and goal["proposer"] == "student":
            if goal["id"] % 2:
                return "approve", "agreed", f"{base}/approve", form
            return "request_changes", "changes_requested", f"{base}/request-changes", dict(
                form, comment="Please name the streets the survey covers.")
        if goal["state"] == "drop_proposed":
            return "keep", goal["before"] or "agreed", f"{base}/keep", form
        return "propose_drop", "drop_proposed", f"{base}/drop", dict(
            form, reason="The partner's volunteers are needed elsewhere this term.")

    def done(self, goal, step, status, data):
        with self.lock:
            if status != 200:  # refused (it should not be): leave the goal out from now on
                self.goals = [g for g in self.goals if g is not goal] or self.goals
            else:
                _, new_state, _, _ = step
                if new_state == "drop_proposed":
                    goal["before"] = goal["state"]
                goal["state"] = new_state
                # the answer may hold the whole goals section: the version in this goal's own form
                html = data.decode("utf-8", "replace")
                start = html.find(f"/goals/{goal['id']}/")
                match = VERSION_RE.search(html, max(start, 0))
                goal["version"] = int(match.group(1)) if match else goal["version"] + 1
            self.busy.discard(goal["id"])


def pages(info: dict, ids: dict) -> list[dict]:
    pid = info["project"]
    steps = GoalSteps(ids["goals"])

    def goal_action(client):
        goal, step = steps.take(client.csrf)
        _, _, path, form = step
        return "POST", path, form, lambda status, data: steps.done(goal, step, status, data)
    goal_action.steps = steps

    return [
        {"name": "healthz", "user": None, "path": "/healthz"},
        {"name": "login page", "user": None, "path": "/login"},
        {"name": "project board", "user": "student", "path": f"/projects/{pid}"},
        {"name": "agreement", "user": "student", "path": f"/projects/{pid}/agreement"},
        {"name": "check-up", "user": "student", "path": f"/projects/{pid}/checkups/{ids['checkup']}"},
        {"name": "partner home (5 projects)", "user": "partner", "path": "/home"},
        {"name": "dashboard (25 projects)", "user": "teacher25", "path": "/courses/1/dashboard"},
        {"name": "dashboard (100 projects)", "user": "teacher100", "path": "/courses/2/dashboard"},
        {"name": "timeline", "user": "student", "path": f"/projects/{pid}/timeline"},
        {"name": "file download", "user": "student", "path": f"/projects/{pid}/files/{info['file']}"},
        # Last: its decisions change the partner's goals, which the pages above show.
        {"name": "goal action (fragment)", "user": "partner", "make": goal_action, "htmx": True},
    ]


def server_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by gunicorn's master and workers (one process group)."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ..., utime (12), stime (13)
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def drive_wrk(port: int, page: dict, session: Client | None, pgid: int) -> dict:
    """The page under wrk; its queries, bytes and statuses from a few Python requests before it."""
    probe = drive(port, page, session, None, count=PROBES)
    env = dict(os.environ, BENCH_WRK_REPORT=os.path.join(HERE, "wrk.lua"))
    threads = 2
    command = [WRK, "-t", str(threads), "-c", str(CLIENTS), "-d", f"{max(1, round(SECONDS))}s", "--timeout", "30s"]
    if session is not None:
        command += ["-H", f"Cookie: {session.cookie}"]
    if "make" in page:  # the goal action: stateful decisions in Lua, one connection per thread
        threads = CLIENTS
        steps = page["make"].steps
        with tempfile.NamedTemporaryFile("w", suffix=".goals", delete=False) as fh:
            for goal in steps.goals:
                fh.write(f"{goal['project']} {goal['id']} {goal['state']} {goal['proposer']} {goal['version']}\n")
        env.update(BENCH_GOALS=fh.name, BENCH_CSRF=session.csrf, BENCH_THREADS=str(threads))
        command[2] = str(threads)
        command += ["-s", os.path.join(HERE, "wrk_goals.lua"), f"http://127.0.0.1:{port}/"]
    else:
        command += ["-H", "Accept-Encoding: gzip", "-s", os.path.join(HERE, "wrk.lua"),
                    f"http://127.0.0.1:{port}{page['path']}"]
    children = os.times()
    server_before = server_cpu(pgid)
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"wrk failed on {page['name']}: {done.stderr or done.stdout}")
    out = done.stdout
    server_used = server_cpu(pgid) - server_before
    after = os.times()
    client_used = after.children_user + after.children_system - children.children_user - children.children_system
    if "make" in page:
        os.unlink(fh.name)
    report = json.loads(next(line for line in out.splitlines() if line.startswith("BENCH "))[6:])
    n, elapsed = report["requests"], report["duration_us"] / 1e6
    statuses = dict(probe["statuses"])
    statuses["wrk ≥400"] = report["status_4xx_5xx"]
    if report["socket_errors"]:
        statuses["wrk socket errors"] = report["socket_errors"]
    return dict(probe, **{
        "rps": round(n / elapsed, 1), "p50_ms": round(report["p50_us"] / 1000, 1),
        "p95_ms": round(report["p95_us"] / 1000, 1), "statuses": statuses, "requests": n,
        "server_cpu_ms": round(1000 * server_used / n, 2) if n else None,
        "client_cpu_ms": round(1000 * client_used / n, 2) if n else None,
        "server_cores": round(server_used / elapsed, 2), "client_cores": round(client_used / elapsed, 2),
    })


def drive(port: int, page: dict, session: Client | None, pgid: int | None = None, count: int | None = None) -> dict:
    """The page under the Python client: CLIENTS threads for SECONDS (or `count` requests in one thread)."""
    latencies, statuses, sizes, queries, wire = [], Counter(), [], Counter(), []
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    def worker():
        client = Client(port)
        if session is not None:
            client.cookie, client.csrf = session.cookie, session.csrf
        local = []
        while (len(local) < count) if count else (time.monotonic() < deadline):
            headers = {"HX-Request": "true"} if page.get("htmx") else {}
            done = None
            if "make" in page:
                method, path, form, done = page["make"](client)
                body = urlencode(form)
            else:
                method, path, body = "GET", page["path"], None
            started = time.perf_counter()
            status, data, resp = client.request(method, path, body, headers)
            if done is not None:
                done(status, data)
            local.append((time.perf_counter() - started, status, len(data), resp.getheader("X-Query-Count"),
                          resp.wire_bytes))
        with lock:
            for elapsed, status, size, header, wire_size in local:
                wire.append(wire_size)
                latencies.append(elapsed)
                statuses[status] += 1
                sizes.append(size)
                queries[header] += 1

    started, client_cpu = time.monotonic(), time.process_time()
    server_before = server_cpu(pgid) if pgid else 0.0
    threads = [threading.Thread(target=worker) for _ in range(1 if count else CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    client_cpu = time.process_time() - client_cpu
    server_used = server_cpu(pgid) - server_before if pgid else 0.0
    latencies.sort()
    q = queries.most_common(1)[0][0] if queries else None
    return {
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
        "queries": int(q) if q not in (None, "") else None,
        "query_counts": {str(k): v for k, v in queries.items()},
        "bytes": int(statistics.median(sizes)) if sizes else 0,
        "wire_bytes": int(statistics.median(wire)) if wire else 0,
        "statuses": {str(k): v for k, v in statuses.items()}, "requests": len(latencies),
        # CPU per request on each side of the loopback, in ms; and cores busy (of os.cpu_count()).
        "server_cpu_ms": round(1000 * server_used / len(latencies), 2) if latencies else None,
        "client_cpu_ms": round(1000 * client_cpu / len(latencies), 2) if latencies else None,
        "server_cores": round(server_used / elapsed, 2),
        "client_cores": round(client_cpu / elapsed, 2),
    }


class Dataset:
    """One generated database served by its own gunicorn, with its bench users signed in."""

    def __init__(self, database: str, scale: float):
        started = time.monotonic()
        self.info = info = generate.generate(database, scale)
        self.meta = {"projects": info["projects_total"], "rows": info["rows"],
                     "generate_seconds": round(time.monotonic() - started, 1)}
        print(f"  scale {scale:g}: {info['projects_total']} projects, {info['rows']} rows generated in "
              f"{self.meta['generate_seconds']} s", flush=True)
        self.port = free_port()
        self.pages = pages(info, bench_ids(database, info))
        self.proc = serve(database, self.port)
        password = info["password"]
        self.sessions = {role: Client(self.port).login(info[role], password)
                         for role in ("student", "partner", "teacher25", "teacher100")}

    def drive(self, index: int) -> dict:
        page = self.pages[index]
        session = self.sessions.get(page["user"]) if page["user"] else None
        return (drive_wrk if WRK else drive)(self.port, page, session, self.proc.pid)

    def stop(self):
        stop(self.proc)


def run_both(full_url: str, small_url: str, scale: float):
    """Both servers run at once; each page is measured on the full and then on the tenth dataset,
    back to back, so a noisy neighbour on the machine hits both figures alike."""
    full = small = None
    try:
        full = Dataset(full_url, scale)
        small = Dataset(small_url, scale / 10)
        results_full, results_small = {}, {}
        for index, page in enumerate(full.pages):
            a, b = full.drive(index), small.drive(index)
            results_full[page["name"]], results_small[page["name"]] = a, b
            print(f"    {page['name']:<28} {a['rps']:>7} rps (tenth {b['rps']:>7})  p95 {a['p95_ms']} ms  "
                  f"server {a['server_cpu_ms']} ms CPU/req ({a['server_cores']} cores), client {a['client_cpu_ms']} "
                  f"ms/req ({a['client_cores']} cores)  {a['statuses']}", flush=True)
    finally:
        for dataset in (full, small):
            if dataset is not None:
                dataset.stop()
    return results_full, full.meta, results_small, small.meta


def client_name() -> str:
    return f"wrk ({WRK})" if WRK else "the Python thread-pool client (wrk not installed)"


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu)
    except OSError:
        pass
    return f"{platform.node()} · {os.cpu_count()} CPUs · {cpu} · Python {platform.python_version()} · {platform.system()}"


class Databases:
    """SQLite files in a temporary directory, or PostgreSQL databases of our own."""

    def __init__(self, pg: str | None = None):
        self.pg = (os.environ.get("BENCH_DATABASE_URL", "") if pg is None else pg).strip()
        self.tmp = tempfile.mkdtemp(prefix="bench-")
        self.created = []

    def url(self, name: str) -> str:
        if not self.pg:
            return f"sqlite:///{self.tmp}/{name}.db"
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        base = make_url(self.pg.replace("postgresql://", "postgresql+psycopg://", 1)
                        if self.pg.startswith("postgresql://") else self.pg)
        dbname = f"ws_bench_{name}_{os.getpid()}"
        admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}"'))
            conn.execute(text(f'CREATE DATABASE "{dbname}"'))
        admin.dispose()
        self.created.append((base, dbname))
        return base.set(database=dbname).render_as_string(hide_password=False)

    def kind(self) -> str:
        return "postgresql" if self.pg else "sqlite"

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self.created:
            from sqlalchemy import create_engine, text

            for base, dbname in self.created:
                admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
                admin.dispose()


def main() -> None:
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    started = time.monotonic()
    dbs = Databases()
    print(f"bench: scale {scale:g} and {scale / 10:g}, {CLIENTS} clients, {SECONDS:g} s per page, "
          f"{dbs.kind()}, load from {client_name()}", flush=True)
    try:
        full, full_meta, small, small_meta = run_both(dbs.url("full"), dbs.url("tenth"), scale)
    finally:
        dbs.cleanup()
    ceiling = full["healthz"]["rps"] or 1
    unit = full["healthz"]["server_cpu_ms"]
    rows = []
    for name, r in full.items():
        rows.append({
            "name": name, "rps": r["rps"], "ratio_to_healthz": round(r["rps"] / ceiling, 3),
            "p50_ms": r["p50_ms"], "p95_ms": r["p95_ms"], "queries": r["queries"], "bytes": r["bytes"],
            "rps_small_dataset": small[name]["rps"],
            "server_cpu_ms": r["server_cpu_ms"], "client_cpu_ms": r["client_cpu_ms"],
            # the figure: this page's server CPU per request as a multiple of /healthz's
            "times_healthz": round(r["server_cpu_ms"] / unit, 1) if r["server_cpu_ms"] and unit else None,
            "times_healthz_tenth": round(small[name]["server_cpu_ms"] / small["healthz"]["server_cpu_ms"], 1)
            if small[name]["server_cpu_ms"] and small["healthz"]["server_cpu_ms"] else None,
        })
    result = {"machine": machine(), "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "load_average": os.getloadavg(), "client": client_name(),
              "database": dbs.kind(), "scale": scale, "pages": rows}
    with open(os.path.join(HERE, "results.json"), "w") as fh:
        json.dump(result, fh, indent=2)

    print()
    print(f"{result['date']} · load average {result['load_average'][0]:.1f} · {result['machine']} · "
          f"{result['client']} · {result['database']} · scale {scale:g} "
          f"({full_meta['projects']} projects, {full_meta['rows']} rows, generated in {full_meta['generate_seconds']} s)"
          f" vs {small_meta['projects']} projects")
    print()
    print("| page | server CPU ms/req | × healthz (tenth) | p50 ms | p95 ms | queries (full/tenth) | bytes (gzipped) "
          "| rps | rps tenth | full/tenth (CPU) | client CPU ms/req | statuses |")
    print("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|")
    for row in rows:
        name = row["name"]
        qs = f"{row['queries']}/{small[name]['queries']}"
        if len(full[name]["query_counts"]) > 1:
            qs += " (varies: " + ", ".join(f"{k}×{v}" for k, v in full[name]["query_counts"].items()) + ")"
        # cost flat with data: the tenth's server CPU per request over the full dataset's (≥ 0.9 wanted)
        ratio = small[name]["server_cpu_ms"] / row["server_cpu_ms"] if row["server_cpu_ms"] else 0
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(full[name]["statuses"].items()))
        print(f"| {name} | {row['server_cpu_ms']} | {row['times_healthz']}× ({row['times_healthz_tenth']}×) "
              f"| {row['p50_ms']} | {row['p95_ms']} | {qs} | {row['bytes']} ({full[name]['wire_bytes']}) | {row['rps']} "
              f"| {row['rps_small_dataset']} | {ratio:.2f} | {row['client_cpu_ms']} | {statuses} |")
    print(f"\nwrote bench/results.json in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
