"""Profile the bench pages in-process (test client, production config): CPU ms per request,
queries, and optionally a cProfile of one page, to find where a page's time goes.

    python bench/inprocess.py --database sqlite:////tmp/bench.db [--scale 0.1] [--page board] [--cprofile] [--calls]

Generates the dataset first when the database is empty. `--instructions` counts the CPU instructions
per request under valgrind's callgrind (Debian package `valgrind`), switched on only around the
measured requests: the same tree and data give the same count to within a tenth of a percent, however
noisy the host, so two trees can be compared by it (a goal action changes the data: start each tree
from the same copy of the database)."""
import argparse
import cProfile
import logging
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--page", action="append")
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--calls", action="store_true",
                        help="function calls per request, as cProfile counts them (Python's and built-ins'): a measure of a page's work that a "
                             "noisy host does not move, to compare two trees (the ms are then the profiler's)")
    parser.add_argument("--generate", action="store_true")
    parser.add_argument("--sql", action="store_true", help="print the statements of the last request")
    parser.add_argument("--layers", action="store_true",
                        help="CPU time per request in each layer (the session and person, the view's reads, "
                             "rendering, the answer, the teardown), measured without a profiler")
    parser.add_argument("--callees", action="append", default=[],
                        help="with --cprofile: also print what functions matching this pattern call")
    parser.add_argument("--dump", help="with --cprofile: write each page's profile to DUMP.<page> (pstats format)")
    parser.add_argument("--callers", action="append", default=[],
                        help="with --cprofile: also print what calls the functions matching this pattern")
    parser.add_argument("--instructions", action="store_true",
                        help="CPU instructions per request, counted by valgrind's callgrind around the measured "
                             "requests only (deterministic; about 50 times slower)")
    parser.add_argument("--callgrind-out", help=argparse.SUPPRESS)  # set when run under callgrind
    args = parser.parse_args()
    if args.instructions and (args.cprofile or args.calls or args.layers or args.sql):
        parser.error("--instructions counts alone: not with --cprofile, --calls, --layers or --sql")
    if args.instructions and not args.callgrind_out:
        return under_callgrind(args)
    if (args.dump or args.callers or args.callees) and not args.cprofile:
        parser.error("--dump, --callers and --callees need --cprofile")
    if args.layers and (args.cprofile or args.calls):
        parser.error("--layers measures without the profiler: not with --cprofile or --calls")
    os.environ.update(DATABASE_URL=args.database, BENCH_QUERY_HEADER="1")
    os.environ.setdefault("SECRET_KEY", "bench-profile-" + "x" * 32)
    import generate
    import run

    if args.generate:
        info = generate.generate(args.database, args.scale)
        with open(args.database.rsplit("/", 1)[-1] + ".info", "w") as fh:
            fh.write(repr(info))
    with open(args.database.rsplit("/", 1)[-1] + ".info") as fh:
        info = eval(fh.read())  # noqa: S307 (our own file)
    from workspace import create_app

    app = create_app("production")
    import gc

    gc.freeze()  # as wsgi.py does: the app's long-lived objects out of the collector's walk
    logging.disable(logging.INFO)  # the mail log of every goal action
    app.config.update(SESSION_COOKIE_SECURE=False)
    pages = run.pages(info, run.bench_ids(args.database, info))
    for page in pages:
        if args.page and not any(p in page["name"] for p in args.page):
            continue
        client = app.test_client()
        if page["user"]:
            page_login(client, info[page["user"]], info["password"])
        headers = {"Accept-Encoding": "gzip", **({"HX-Request": "true"} if page.get("htmx") else {})}
        csrf = getattr(client, "csrf", "")

        def once():
            if "make" in page:
                fake = type("C", (), {"csrf": csrf})()
                method, path, form, done = page["make"](fake)
                resp = client.open(path, method=method, data=form, headers=headers)
                done(resp.status_code, resp.get_data())
            else:
                resp = client.get(page["path"], headers=headers)
            assert resp.status_code == 200, (page["name"], resp.status_code)
            return resp
        for _ in range(5):
            once()
        if args.sql:
            from sqlalchemy import event

            from workspace.extensions import db

            with app.app_context():
                engine = db.engine
            seen = []
            listener = lambda *a: seen.append(a[2].split("\n")[0][:150])  # noqa: E731
            event.listen(engine, "before_cursor_execute", listener)
            once()
            event.remove(engine, "before_cursor_execute", listener)
            print("\n".join(seen))
        profiler = cProfile.Profile() if args.cprofile or args.calls else None
        layers = Layers() if args.layers else None
        started = time.process_time()
        if profiler:
            profiler.enable()
        if args.callgrind_out:
            callgrind_control("on")
        for _ in range(args.n):
            resp = once()
        if args.callgrind_out:
            callgrind_control("off")
            counted = instructions_counted(args.callgrind_out)
            if not counted:  # callgrind_control found no callgrind in this process (a wrapper's child?)
                sys.exit("callgrind counted nothing: run the Python interpreter itself, not a wrapper script")
            print(f"{page['name']:<28} {counted / args.n:12,.0f} instructions per "
                  f"request  queries {resp.headers.get('X-Query-Count')}", flush=True)
            continue
        if profiler:
            profiler.disable()
        ms = 1000 * (time.process_time() - started) / args.n
        print(f"{page['name']:<28} {ms:7.2f} ms  queries {resp.headers.get('X-Query-Count')}  "
              f"bytes {len(resp.get_data())}", flush=True)
        if layers:
            layers.report(args.n)
        if args.calls:
            print(f"    function calls per request {pstats.Stats(profiler).total_calls / args.n:9.0f}", flush=True)
        if args.cprofile:
            if args.dump:
                profiler.dump_stats(f"{args.dump}.{page['name'].split(' (')[0].replace(' ', '-')}")
            stats = pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative"))
            stats.print_stats(45)
            for pattern in args.callees:
                stats.print_callees(pattern)
            for pattern in args.callers:
                stats.print_callers(pattern)


def under_callgrind(args) -> None:
    """Run this script again under callgrind with instrumentation off until the measured requests."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit("--instructions needs valgrind (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        argv = [a for a in sys.argv[1:] if a != "--instructions"]
        env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dictionaries, the same count
        status = subprocess.run([valgrind, "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
                                 f"--log-file={os.path.join(tmp, 'valgrind.log')}",  # the script's own errors still show
                                 sys.executable, os.path.abspath(__file__), *argv, "--callgrind-out", out], env=env)
        sys.exit(status.returncode)


def callgrind_control(state: str) -> None:
    subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def instructions_counted(out: str) -> int:
    """The instructions counted so far: callgrind dumps them on request (`callgrind_control -d`)."""
    before = set(os.listdir(os.path.dirname(out)))
    subprocess.run(["callgrind_control", "-d", str(os.getpid())], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    dumps = sorted(set(os.listdir(os.path.dirname(out))) - before)
    total = 0
    for name in dumps:
        with open(os.path.join(os.path.dirname(out), name)) as fh:
            match = re.search(r"^totals: (\d+)", fh.read(), re.M)
        total += int(match.group(1)) if match else 0
        os.remove(os.path.join(os.path.dirname(out), name))
    return total


class Layers:
    """CPU time spent in each layer of Flask's request handling, by wrapping its methods (no profiler:
    cProfile's cost per call inflates code that makes many small calls, such as template rendering).
    Layers nest; `rendering` is inside `view`, `view` inside `dispatch`."""

    WRAPPED = (("request", "flask.app", "Flask", "__call__"), ("context push (cookie)", "flask.ctx", "RequestContext", "push"),
               ("before request (session, person)", "flask.app", "Flask", "preprocess_request"),
               ("dispatch (loaders, policy, view)", "flask.app", "Flask", "dispatch_request"),
               ("after request (gzip, headers)", "flask.app", "Flask", "process_response"),
               ("teardown (mail, audit)", "flask.ctx", "RequestContext", "pop"))

    def __init__(self):
        import flask.templating
        import importlib

        self.spent = {}
        self.undo = []
        for label, module, owner, name in self.WRAPPED:
            cls = getattr(importlib.import_module(module), owner)
            self._wrap(cls, name, label)
        self._wrap(flask.templating, "_render", "rendering (templates)")

    def _wrap(self, owner, name, label):
        original = getattr(owner, name)
        spent = self.spent
        spent[label] = 0.0

        def timed(*args, **kwargs):
            begun = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] += time.process_time() - begun
        setattr(owner, name, timed)
        self.undo.append((owner, name, original))

    def report(self, n):
        for owner, name, original in self.undo:
            setattr(owner, name, original)
        for label, seconds in self.spent.items():
            print(f"    {label:<36} {1000 * seconds / n:7.2f} ms")


def page_login(client, email, password):
    import re

    page = client.get("/login").get_data(as_text=True)
    token = run.CSRF_RE.search(page)
    client.post("/login", data={"csrf_token": token.group(1) or token.group(2), "email": email,
                                "password": password})
    home = client.get("/home").get_data(as_text=True)
    match = run.CSRF_RE.search(home)
    client.csrf = match.group(1) or match.group(2)
    assert re.search("csrf", home)


import run  # noqa: E402

if __name__ == "__main__":
    main()
