"""`make deploy-check` (issue 17): the shipped deployment files, run as they run in production, on loopback.

Starts, all on free loopback ports in a temporary directory (nothing shared is touched):
- a private PostgreSQL cluster (initdb/pg_ctl from /usr/lib/postgresql/*/bin, as the postgres user),
- a private Redis,
- gunicorn with deploy/gunicorn.conf.py (production configuration, 2 workers, TRUSTED_PROXIES=1),
- nginx (the Debian package) with deploy/nginx/workspace.conf, its certificate a self-signed one,
then checks, printing each:
1. pages through nginx over TLS, http → https, request ids, secrets masked in nginx's and gunicorn's logs;
2. static files served by nginx itself (gunicorn never sees them), far-future cached, compressed;
3. the client address from X-Forwarded-For (set by nginx) used by the login limit: one client is
   limited, another still allowed, and a forged X-Forwarded-For changes nothing;
4. /metrics answers on loopback, 404 through nginx for a client elsewhere;
5. /readyz 503 naming the database while PostgreSQL is stopped, 200 once it is back;
6. a graceful reload (HUP to the gunicorn master) under load (wrk, or a Python loop) with 0 failed requests.

Exit status: 0 every check passed, 1 a check failed, 2 not runnable here (a program is missing).
Run as root (PostgreSQL is started as the postgres user) or as a user who may run initdb itself.
"""
import glob
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORKERS = 2
LOGIN_LIMIT = 3
LOAD_SECONDS = 10
FAILED: list[str] = []


def say(ok: bool, what: str, detail: str = "") -> bool:
    print(f"  [{'ok' if ok else 'FAIL'}] {what}" + (f" — {detail}" if detail and not ok else ""), flush=True)
    if not ok:
        FAILED.append(what)
    return ok


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {seconds:.0f} s")


class Http:
    """One client at a loopback source address (127.0.0.2, …): what nginx sees as the client's address."""

    def __init__(self, port: int, source: str = "127.0.0.1", tls: bool = True):
        self.port, self.source, self.tls = port, source, tls
        self.cookie = ""
        self.context = ssl._create_unverified_context() if tls else None  # the check's self-signed certificate

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        cls = http.client.HTTPSConnection if self.tls else http.client.HTTPConnection
        kwargs = {"context": self.context} if self.tls else {}
        conn = cls("127.0.0.1", self.port, timeout=15, source_address=(self.source, 0), **kwargs)
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            if value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, response.headers, data

    def get(self, path: str, **headers):
        return self.request("GET", path, headers=headers)


# ---- the services ------------------------------------------------------------------------------------

def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        sys.exit(print("initdb not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)") or 2)
    return Path(found[-1]).parent


def as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class Postgres:
    def __init__(self, tmp: Path):
        self.bin, self.port = postgres_bin(), free_port()
        self.data, self.sockets, self.log = tmp / "pgdata", tmp / "pgsock", tmp / "postgres.log"
        for path in (self.data, self.sockets):
            path.mkdir()
            if os.geteuid() == 0:
                shutil.chown(path, "postgres", "postgres")
        if os.geteuid() == 0:
            self.log.touch()
            shutil.chown(self.log, "postgres", "postgres")
        subprocess.run(as_postgres([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                                    "--no-sync"]), check=True, capture_output=True)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/workspace"

    def start(self):
        subprocess.run(as_postgres([
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "start",
            "-o", f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off"]),
            check=True, capture_output=True)

    def stop(self, mode="fast"):
        subprocess.run(as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]),
                       capture_output=True)


def nginx_site(tmp: Path, https_port: int, http_port: int, app_port: int, stream_port: int) -> str:
    """The shipped site with the check's ports, paths and certificate; nothing else changed."""
    site = (ROOT / "deploy" / "nginx" / "workspace.conf").read_text()
    replacements = [
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"), ("listen [::]:443 ssl http2;", ""),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"), ("listen [::]:80;", ""),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
        ("server 127.0.0.1:8001;", f"server 127.0.0.1:{stream_port};"),
        ("/etc/letsencrypt/live/workspace.example.org/fullchain.pem", str(tmp / "cert.pem")),
        ("/etc/letsencrypt/live/workspace.example.org/privkey.pem", str(tmp / "key.pem")),
        ("/srv/workspace/static/", f"{ROOT}/static/"),
        ("/var/log/nginx/workspace.access.log", str(tmp / "nginx-access.log")),
        ("/var/log/nginx/workspace.error.log", str(tmp / "nginx-error.log")),
        # A port other than 443, as the site's comment says.
        ("proxy_set_header Host $host;", "proxy_set_header Host $host:$server_port;"),
        ("proxy_set_header X-Forwarded-Host $host;", "proxy_set_header X-Forwarded-Host $host:$server_port;"),
    ]
    for old, new in replacements:
        if old not in site:
            raise RuntimeError(f"deploy/nginx/workspace.conf no longer contains {old!r}: update scripts/deploy_check.py")
        site = site.replace(old, new)
    return site


def start_nginx(tmp: Path, site: str) -> subprocess.Popen:
    (tmp / "site.conf").write_text(site)
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / "nginx-temp" / name).mkdir(parents=True, exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""  # the checkout may be readable by root alone
    (tmp / "nginx.conf").write_text(f"""{user}worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-main-error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {tmp}/nginx-temp/body;
    proxy_temp_path {tmp}/nginx-temp/proxy;
    fastcgi_temp_path {tmp}/nginx-temp/fastcgi;
    uwsgi_temp_path {tmp}/nginx-temp/uwsgi;
    scgi_temp_path {tmp}/nginx-temp/scgi;
    include {tmp}/site.conf;
}}
""")
    test = subprocess.run(["nginx", "-t", "-c", str(tmp / "nginx.conf")], capture_output=True, text=True)
    if test.returncode != 0:
        raise RuntimeError("nginx -t refused the site:\n" + test.stderr)
    return subprocess.Popen(["nginx", "-c", str(tmp / "nginx.conf")], stdout=subprocess.DEVNULL,
                            stderr=open(tmp / "nginx-stderr.log", "wb"))


def children(pid: int) -> set[int]:
    found = set()
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":  # a worker that exited and awaits reaping is gone
            found.add(int(stat.split("/")[2]))
    return found


# ---- the checks --------------------------------------------------------------------------------------

def check_pages(https: int, http_port: int, tmp: Path, app_log: Path) -> None:
    client = Http(https)
    status, headers, body = client.get("/login")
    say(status == 200 and b"csrf_token" in body, "the login page through nginx over TLS", f"status {status}")
    say(bool(re.fullmatch(r"[0-9a-f]{32}", headers.get("X-Request-ID", ""))), "a request id on the response",
        headers.get("X-Request-ID", "none"))
    say(headers.get("Strict-Transport-Security", "").startswith("max-age"),
        "the app knows the request came over https (X-Forwarded-Proto)")
    status, headers, _ = Http(http_port, tls=False).get("/login")
    say(status == 301 and headers.get("Location", "").startswith("https://"), "http is redirected to https",
        f"{status} {headers.get('Location')}")
    token = "DeployCheck" + uuid.uuid4().hex
    for path in (f"/invitations/{token}", f"/password/reset/{token}?next=/home", f"/calendar/1/{token}.ics"):
        status, headers, _ = client.get(path)
        say(headers.get("Referrer-Policy") == "no-referrer", f"no-referrer on {path.split(token)[0]}…")
    time.sleep(0.5)  # access logs are written after the response
    nginx_log = (tmp / "nginx-access.log").read_text()
    say(token not in nginx_log and "/invitations/***" in nginx_log, "no token in nginx's access log")
    log = app_log.read_text()
    say(token not in log and "/invitations/***" in log, "no token in gunicorn's access log")
    say(f"rid={headers.get('X-Request-ID')}" in log and f"rid={headers.get('X-Request-ID')}" in nginx_log,
        "one request id in nginx's and gunicorn's access logs and on the response")


def check_static(https: int, app_log: Path) -> None:
    client = Http(https)
    _, _, body = client.get("/login")
    found = re.search(rb'href="(/static/[^"]+\.css\?v=[0-9a-f]+)"', body)
    if not say(found is not None, "the page links a versioned stylesheet"):
        return
    url = found.group(1).decode()
    before = app_log.read_text().count("/static/")
    status, headers, data = client.get(url, **{"Accept-Encoding": "gzip"})
    cache = headers.get("Cache-Control", "")
    say(status == 200 and "max-age=31536000" in cache and "immutable" in cache,
        "static files cached for a year", f"{status} {cache!r}")
    say(headers.get("Content-Encoding") == "gzip", "static files compressed", headers.get("Content-Encoding", "none"))
    time.sleep(0.5)
    say(app_log.read_text().count("/static/") == before, "static files served by nginx (gunicorn never saw it)")
    status, headers, _ = client.get(url.split("?")[0])
    say(status == 200 and "immutable" not in headers.get("Cache-Control", ""),
        "an unversioned static URL is not cached for a year", headers.get("Cache-Control", ""))


def _failed_login(client: Http, n: int) -> int:
    _, _, body = client.get("/login")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body).group(1).decode()
    form = f"email=nobody{n}%40example.org&password=wrong-password&csrf_token={token}".encode()
    status, _, _ = client.request("POST", "/login", body=form,
                                  headers={"Content-Type": "application/x-www-form-urlencoded",
                                           "Referer": f"https://127.0.0.1:{client.port}/login",
                                           "X-Forwarded-For": "127.0.0.3"})  # forged: must change nothing
    return status


def check_client_address(https: int, app_port: int) -> None:
    first, second = Http(https, "127.0.0.2"), Http(https, "127.0.0.3")
    answers = [_failed_login(first, n) for n in range(LOGIN_LIMIT + 1)]
    say(answers == [422] * LOGIN_LIMIT + [429], f"client 127.0.0.2 limited after {LOGIN_LIMIT} failed logins",
        str(answers))
    status = _failed_login(second, 99)
    say(status == 422, "client 127.0.0.3 (another X-Forwarded-For) still allowed", str(status))
    status, _, body = Http(app_port, tls=False).get("/metrics")
    say(status == 200 and b"workspace_responses_total" in body, "/metrics on loopback", str(status))
    counted = re.search(rb'workspace_responses_total\{endpoint="auth.login",method="POST",status="429"\} (\S+)', body)
    say(counted is not None and float(counted.group(1)) >= 1, "/metrics counts the refused logins per route")
    status, _, _ = first.get("/metrics")
    say(status == 404, "/metrics refused (404) to a client elsewhere, through nginx", str(status))


def check_readiness(https: int, postgres: Postgres) -> None:
    client = Http(https)
    status, _, body = client.get("/readyz")
    say(status == 200 and b'"database":"ok"' in body.replace(b" ", b"") and b'"redis":"ok"' in body.replace(b" ", b""),
        "/readyz 200 with the database and Redis answering", f"{status} {body[:200]!r}")
    postgres.stop("immediate")
    status, _, body = client.get("/readyz")
    say(status == 503 and b'"database":"failed"' in body.replace(b" ", b""),
        "/readyz 503 naming the database while PostgreSQL is stopped", f"{status} {body[:200]!r}")
    status, _, _ = client.get("/healthz")
    say(status == 200, "/healthz still 200 (the process is fine)", str(status))
    postgres.start()
    deadline, status = time.monotonic() + 30, 0
    while time.monotonic() < deadline and status != 200:
        status, _, _ = client.get("/readyz")
        time.sleep(0.3)
    say(status == 200, "/readyz 200 again once PostgreSQL is back", str(status))


def _python_load(https: int, seconds: float) -> tuple[int, int]:
    """A bounded loop of 4 clients: (requests, failures)."""
    counts, stop = [0, 0], time.monotonic() + seconds

    def run():
        client = Http(https)
        while time.monotonic() < stop:
            try:
                status, _, _ = client.get("/login")
                counts[0] += 1
                counts[1] += status != 200
            except OSError:
                counts[0] += 1
                counts[1] += 1

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counts[0], counts[1]


def check_reload(https: int, master: int) -> None:
    before = children(master)
    wrk = shutil.which("wrk")
    if wrk:
        load = subprocess.Popen([wrk, "-t2", "-c8", f"-d{LOAD_SECONDS}s", "--timeout", "10s",
                                 f"https://127.0.0.1:{https}/login"], stdout=subprocess.PIPE, text=True)
        time.sleep(LOAD_SECONDS / 3)
        os.kill(master, signal.SIGHUP)
        output = load.communicate(timeout=LOAD_SECONDS + 30)[0]
        done = re.search(r"(\d+) requests in", output)
        requests = int(done.group(1)) if done else 0
        failures = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
        failures += int((re.search(r"Non-2xx or 3xx responses: (\d+)", output) or [0, 0])[1])
    else:
        result = {}
        loader = threading.Thread(target=lambda: result.update(zip(("requests", "failures"),
                                                                   _python_load(https, LOAD_SECONDS))))
        loader.start()
        time.sleep(LOAD_SECONDS / 3)
        os.kill(master, signal.SIGHUP)
        loader.join()
        requests, failures = result["requests"], result["failures"]
    deadline = time.monotonic() + 35  # the old workers finish their requests within graceful_timeout (30 s)
    while (children(master) & before) and time.monotonic() < deadline:
        time.sleep(0.5)
    after = children(master)
    say(len(after) == WORKERS and not (after & before), "HUP replaced every worker",
        f"before {sorted(before)}, after {sorted(after)}")
    say(requests > 50 and failures == 0, f"graceful reload under load: {requests} requests, {failures} failed "
        f"({'wrk' if wrk else 'Python loop'})")


def make_schema(postgres: Postgres, env: dict) -> None:
    """`flask db upgrade`, as an installation gets it; from the models while they are ahead of the revisions."""
    def flask(*args):
        return subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True)

    upgrade = flask("db", "upgrade")
    if not say(upgrade.returncode == 0, "flask db upgrade on an empty database", upgrade.stderr[-2000:]):
        raise RuntimeError("no schema")
    if flask("db", "check").returncode == 0:
        return
    print("  [note] the models are ahead of the migrations: the schema comes from the models (db.create_all)")
    createdb = [str(postgres.bin / "dropdb"), "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "postgres", "workspace"]
    subprocess.run(createdb, check=True)
    subprocess.run([str(postgres.bin / "createdb"), *createdb[1:]], check=True)
    subprocess.run([str(BIN / "python"), "-c", "from workspace import create_app\nfrom workspace.extensions import db\n"
                    "app = create_app()\nwith app.app_context(): db.create_all()"],
                   cwd=ROOT, env=env, check=True, capture_output=True)


# ---- main ------------------------------------------------------------------------------------------

def main() -> int:
    missing = [tool for tool in ("nginx", "redis-server", "openssl") if not shutil.which(tool)]
    if missing:
        print("deploy-check needs " + ", ".join(missing) + " (apt-get install nginx redis-server openssl)")
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="deploy-check-"))
    os.chmod(tmp, 0o755)
    processes: list[subprocess.Popen] = []
    postgres = None
    try:
        print("Starting PostgreSQL, Redis, gunicorn and nginx on loopback", flush=True)
        postgres = Postgres(tmp)
        postgres.start()
        subprocess.run([str(postgres.bin / "createdb"), "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "postgres",
                        "workspace"], check=True)
        redis_port = free_port()
        processes.append(subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                                           "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL))
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                        "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")], check=True, capture_output=True)
        app_port, https, http_port = free_port(), free_port(), free_port()
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("MAIL_", "LOGIN_", "RATELIMIT", "PROMETHEUS", "WORKSPACE_", "WEB_CONCURRENCY"))}
        env.update(WORKSPACE_CONFIG="production", SECRET_KEY=uuid.uuid4().hex + uuid.uuid4().hex,
                   DATABASE_URL=postgres.url, REDIS_URL=f"redis://127.0.0.1:{redis_port}/0", TRUSTED_PROXIES="1",
                   FLASK_APP="wsgi", PUBLIC_URL=f"https://127.0.0.1:{https}",
                   LOGIN_FAILURES_PER_IP_PER_MINUTE=str(LOGIN_LIMIT), LOGIN_FAILURES_BEFORE_LOCKOUT="100",
                   WEB_CONCURRENCY=str(WORKERS), BIND=f"127.0.0.1:{app_port}", ACCESS_LOG=str(tmp / "gunicorn-access.log"),
                   PROMETHEUS_MULTIPROC_DIR=str(tmp / "metrics"))
        make_schema(postgres, env)
        gunicorn_log = open(tmp / "gunicorn.log", "wb")
        gunicorn = subprocess.Popen([str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
                                    cwd=ROOT, env=env, stdout=gunicorn_log, stderr=gunicorn_log)
        processes.append(gunicorn)
        wait_for(lambda: Http(app_port, tls=False).get("/healthz")[0] == 200, 40, "gunicorn")
        processes.append(start_nginx(tmp, nginx_site(tmp, https, http_port, app_port, free_port())))
        wait_for(lambda: Http(https).get("/healthz")[0] == 200, 20, "nginx")
        say(True, f"started: gunicorn {WORKERS} workers (deploy/gunicorn.conf.py), nginx (deploy/nginx/workspace.conf)")

        print("Pages, logs and static files through nginx", flush=True)
        check_pages(https, http_port, tmp, tmp / "gunicorn-access.log")
        check_static(https, tmp / "gunicorn-access.log")
        print("The client's address behind the proxy", flush=True)
        check_client_address(https, app_port)
        print("Readiness", flush=True)
        check_readiness(https, postgres)
        print("Graceful reload under load", flush=True)
        check_reload(https, gunicorn.pid)
        log = (tmp / "gunicorn.log").read_text(errors="replace")
        say("Traceback" not in log, "no traceback in gunicorn's log", log[-3000:])
    except (RuntimeError, subprocess.CalledProcessError) as error:
        say(False, "setting up the check", f"{error}\n{getattr(error, 'stderr', '') or ''}")
        for name in ("gunicorn.log", "nginx-error.log", "nginx-main-error.log", "postgres.log"):
            if (tmp / name).exists():
                print(f"--- {name}\n" + (tmp / name).read_text(errors="replace")[-2000:])
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        if postgres:
            postgres.stop("immediate")
        shutil.rmtree(tmp, ignore_errors=True)
    print("deploy-check " + ("passed" if not FAILED else f"FAILED: {len(FAILED)} check(s): " + "; ".join(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
