"""The API under load, beside bare Pyramid in the same run.

Two servers, each served the production way (gunicorn, ``--workers 2 --worker-class gthread
--threads 16``), as separate processes on free ports:

- this app, from an ini generated from production.ini (PostgreSQL, in a fresh database that is
  dropped at the end; ``--db sqlite`` for a throwaway SQLite file) but with the embedded broker
  and its worker threads, so an export renders without RabbitMQ;
- a bare Pyramid app: one route ``/projects/{id}/`` answering a small JSON dict, no database.

The app gets a user (``openshot-api create-user``), a project with one uploaded media file, one
clip and one effect, and a second 10 s 1280x720 project to export. A load generator in this
script (threads, one keep-alive ``http.client`` connection each; 8 by default) then measures
requests/s and p50/p99 latency, for a fixed time after a warm-up, of:

1. bare Pyramid ``GET /projects/{id}/``;
2. ``GET /projects/{id}/`` with a token;
3. the same with Basic authentication;
4. the same with a token while the 10 s 720p project is exported (the load starts right after
   ``POST /exports/``; only requests made while the render is in progress count).

The client is Python too and needs CPU of its own: on a machine with at least 2 CPUs the servers
are pinned to one half of them and this script to the other (``taskset``; ``--no-pin`` shares
them all). The CPU used by the servers and by the client is printed beside each result.

    python benchmarks/api_load.py [--duration 10] [--warmup 2] [--connections 8] [--db sqlite] [--no-pin]

Prints a table, then the ratios with their targets last.
"""
import argparse
import base64
import http.client
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from configparser import RawConfigParser
from urllib.parse import urlsplit

import psutil
import requests

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.dirname(sys.executable)
PG_DSN = os.environ.get("OPENSHOT_API_TEST_PG", "host=127.0.0.1 port=5432 dbname=test")
FF = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]

TARGET_TOKEN_VS_BARE = 0.25
TARGET_BASIC_VS_TOKEN = 0.8
TARGET_P99_RENDER_MS = 20.0


# --- the bare Pyramid app (imported by gunicorn as ``api_load:bare_app()``) ---------------------

def bare_app():
    """Pyramid with one JSON route and nothing else: the floor under any Pyramid API."""
    from pyramid.config import Configurator

    def project(request):
        project_id = int(request.matchdict["id"])
        return {"url": request.route_url("project", id=project_id), "id": project_id, "name": "bare",
                "width": 320, "height": 240}

    with Configurator() as config:
        config.add_route("project", "/projects/{id}/")
        config.add_view(project, route_name="project", renderer="json", request_method="GET")
        return config.make_wsgi_app()


# --- processes and cleanup ----------------------------------------------------------------------

class Cleanup:
    """Actions run in reverse order at the end, whatever happens (an error, Ctrl-C, SIGTERM)."""

    def __init__(self):
        self.actions = []

    def add(self, what, action):
        self.actions.append((what, action))

    def run(self):
        while self.actions:
            what, action = self.actions.pop()
            try:
                action()
            except Exception as exc:  # go on cleaning up the rest
                print(f"cleanup: {what} failed: {exc}", file=sys.stderr)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_environment():
    """This environment without OPENSHOT_API_* overrides, so the generated ini is what is served."""
    return {k: v for k, v in os.environ.items() if not k.startswith("OPENSHOT_API_")}


def pin_prefix(cpus):
    if not cpus:
        return []
    if shutil.which("taskset"):
        return ["taskset", "-c", ",".join(map(str, sorted(cpus)))]
    raise SystemExit("taskset is not installed; run with --no-pin")


def gunicorn(app_args, port, args, log_path, cpus):
    """gunicorn serving ``app_args`` (``--paste INI`` or a module target) on ``port``; without the
    control socket, whose default path is one per user and would be shared with other servers."""
    command = pin_prefix(cpus) + [
        os.path.join(BIN, "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
        "--worker-class", "gthread", "--threads", str(args.threads), "--graceful-timeout", "5", "--no-control-socket",
        *app_args]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=clean_environment(),
                                   cwd=os.path.dirname(log_path), start_new_session=True)
    return process, command


def stop_process_tree(process):
    """SIGTERM the process group, then kill whatever of the tree is left (render children run in
    sessions of their own)."""
    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue
    _gone, alive = psutil.wait_procs(children, timeout=5)
    for child in alive:
        try:
            child.terminate()
        except psutil.NoSuchProcess:
            pass
    _gone, alive = psutil.wait_procs(alive, timeout=5)
    for child in alive:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass


def wait_until_up(process, url, log_path, headers=None, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url, headers=headers, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            with open(log_path, errors="replace") as src:
                tail = src.read()[-3000:]
            raise RuntimeError(f"the server did not answer {url}:\n{tail}")
        time.sleep(0.2)


def tree_cpu_seconds(pid):
    """CPU seconds (user + system) of a process and all its descendants alive now."""
    total = 0.0
    try:
        procs = [psutil.Process(pid)] + psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


# --- the database and the ini -----------------------------------------------------------------

def postgres_database(cleanup):
    """A fresh database ``bench_api_<pid>`` on the local PostgreSQL, dropped at the end; None when
    PostgreSQL is not reachable."""
    import psycopg2
    try:
        conn = psycopg2.connect(PG_DSN, connect_timeout=3)
    except psycopg2.OperationalError:
        return None
    conn.autocommit = True
    name = f"bench_api_{os.getpid()}"
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
        cur.execute("SELECT current_user")
        user = cur.fetchone()[0]
    conn.close()

    def drop():
        conn = psycopg2.connect(PG_DSN, connect_timeout=10)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()
    cleanup.add(f"drop database {name}", drop)
    return f"postgresql+psycopg2://{user}@127.0.0.1:5432/{name}"


def write_ini(folder, url):
    """production.ini with this run's database, folders and secret, and the embedded broker with
    its worker threads (so exports render without RabbitMQ); the rest as in production."""
    parser = RawConfigParser(interpolation=None)
    parser.optionxform = str  # keep the keys' case
    parser.read(os.path.join(REPO_ROOT, "production.ini"))
    app = parser["app:main"]
    app.update({
        "sqlalchemy.url": url,
        "openshot_api.session_secret": secrets.token_hex(32),
        "openshot_api.var_dir": os.path.join(folder, "var"),
        "openshot_api.work_dir": os.path.join(folder, "work"),
        "openshot_api.storage": "local",
        "openshot_api.storage.root": os.path.join(folder, "media"),
        "openshot_api.broker": "embedded",
        "openshot_api.embedded_worker": "true",
    })
    path = os.path.join(folder, "bench.ini")
    with open(path, "w") as out:
        parser.write(out)
    return path


def cli(*args):
    result = subprocess.run([os.path.join(BIN, "openshot-api"), *args], env=clean_environment(),
                            capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"openshot-api {args[0]} failed:\n{result.stderr[-3000:]}")
    return result.stdout


# --- the data the load reads ------------------------------------------------------------------

def make_media(folder):
    small = os.path.join(folder, "red.mp4")
    subprocess.run(FF + ["-f", "lavfi", "-i", "color=red:s=320x240:d=1", "-pix_fmt", "yuv420p", small], check=True)
    ten = os.path.join(folder, "ten-720p.mp4")
    subprocess.run(FF + ["-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30:d=10", "-f", "lavfi", "-i",
                         "sine=frequency=440:duration=10", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                         "-c:a", "aac", "-shortest", ten], check=True)
    return small, ten


def create_data(base, token, small, ten):
    """The project the load reads (one file, one clip, one effect) and a 10 s 720p project to
    export; every object made through the HTTP API."""
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"

    def post(path, **kw):
        response = session.post(base + path, timeout=120, **kw)
        if response.status_code != 201:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:500]}")
        return response.json()

    def project_with_clip(name, width, height, media, end):
        project = post("/projects/", json={"name": name, "width": width, "height": height, "fps_num": 30,
                                           "fps_den": 1, "json": "{}"})
        with open(media, "rb") as src:
            file = post("/files/", data={"project": project["url"], "json": "{}"},
                        files={"media": (os.path.basename(media), src)})
        post("/clips/", json={"project": project["url"], "file": file["url"], "position": 0.0, "start": 0.0,
                              "end": end, "layer": 1, "json": "{}"})
        return project

    project = project_with_clip("load", 320, 240, small, 1.0)
    post("/effects/", json={"project": project["url"], "type": "Negate", "position": 0.0, "start": 0.0,
                            "end": 1.0, "layer": 1, "json": "{}"})
    render = project_with_clip("render", 1280, 720, ten, 10.0)
    return project, render


# --- the load generator -----------------------------------------------------------------------

def percentile(ordered, fraction):
    return ordered[max(0, min(len(ordered) - 1, int(round(fraction * len(ordered) + 0.5)) - 1))]


def run_load(port, path, headers, args, server_pid, stop_at=None):
    """``args.connections`` threads, each with one keep-alive connection, GET ``path`` for
    ``args.warmup`` + ``args.duration`` seconds; requests that start after the warm-up and end
    before the end count. ``stop_at()`` may give a time (perf_counter) after which nothing counts."""
    headers = {"Host": f"127.0.0.1:{port}", **headers}
    started = time.perf_counter()
    measure_from = started + args.warmup
    measure_until = measure_from + args.duration
    samples, errors = [], []
    lock = threading.Lock()

    def client():
        mine, failed = [], []
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            begin = time.perf_counter()
            if begin >= measure_until:
                break
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                status = repr(exc)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            end = time.perf_counter()
            if begin >= measure_from and end <= measure_until:
                if status == 200:
                    mine.append((end, end - begin))
                else:
                    failed.append((end, status))
        conn.close()
        with lock:
            samples.extend(mine)
            errors.extend(failed)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(args.connections)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, measure_from - time.perf_counter()))
    cpu_client, cpu_server, wall = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), tree_cpu_seconds(server_pid), \
        time.perf_counter()
    time.sleep(max(0.0, measure_until - time.perf_counter()))
    cpu_client = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - cpu_client
    cpu_server = tree_cpu_seconds(server_pid) - cpu_server
    wall = time.perf_counter() - wall
    for thread in threads:
        thread.join()
    window = args.duration
    until = stop_at() if stop_at else None
    if until is not None and until < measure_until:
        samples = [s for s in samples if s[0] <= until]
        errors = [e for e in errors if e[0] <= until]
        window = max(0.0, until - measure_from)
    latencies = sorted(latency for _end, latency in samples)
    return {
        "requests": len(latencies), "seconds": window,
        "rps": len(latencies) / window if window > 0 else 0.0,
        "p50": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99": percentile(latencies, 0.99) * 1000 if latencies else float("nan"),
        "errors": len(errors), "error_kinds": sorted({str(status) for _end, status in errors})[:3],
        "server_cores": cpu_server / wall, "client_cores": cpu_client / wall,
        # CPU of the server per request: what the throughput would be on an idle core, and the
        # figure that moves least when other jobs share the machine.
        "cpu_ms": cpu_server / wall * window / len(latencies) * 1000 if latencies else float("nan"),
    }


class ExportWatch:
    """Polls an export every 0.5 s on a connection of its own; ``done_at`` is the perf_counter
    time it was first seen completed or failed."""

    def __init__(self, port, url, token):
        self.port, self.path, self.token = port, urlsplit(url).path, token
        self.done_at, self.status, self.progress = None, None, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self._stop.is_set():
            try:
                conn.request("GET", self.path, headers={"Authorization": f"Token {self.token}"})
                state = json.loads(conn.getresponse().read())
            except (OSError, http.client.HTTPException, ValueError):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                state = {}
            self.status, self.progress = state.get("status", self.status), state.get("progress", self.progress)
            if self.status in ("completed", "failed"):
                self.done_at = time.perf_counter()
                break
            self._stop.wait(0.5)
        conn.close()

    def wait(self, timeout):
        self._thread.join(timeout)
        self._stop.set()


# --- the run ----------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per scenario")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before measuring")
    parser.add_argument("--connections", type=int, default=8, help="concurrent keep-alive connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes of each server")
    parser.add_argument("--threads", type=int, default=16, help="gunicorn threads per worker")
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default=None,
                        help="database of the app (default: PostgreSQL when it answers, else SQLite)")
    parser.add_argument("--no-pin", action="store_true", help="let servers and client share every CPU")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, ini)")
    args = parser.parse_args()

    cleanup = Cleanup()

    def terminated(signum, _frame):
        raise SystemExit(f"stopped by signal {signum}")
    signal.signal(signal.SIGTERM, terminated)
    signal.signal(signal.SIGHUP, terminated)
    try:
        rows, notes = run(args, cleanup)
    finally:
        cleanup.run()
    report(rows, notes)


def run(args, cleanup):
    folder = tempfile.mkdtemp(prefix="openshot-api-load-")
    if not args.keep:
        cleanup.add("remove the temporary folder", lambda: shutil.rmtree(folder, ignore_errors=True))
    notes = []
    cpus = sorted(os.sched_getaffinity(0))
    if args.no_pin or len(cpus) < 2:
        server_cpus, client_cpus = [], []
        notes.append(f"pinning: none; servers and client share CPUs {cpus}")
    else:
        half = len(cpus) // 2
        server_cpus, client_cpus = cpus[:half], cpus[half:]
        notes.append(f"pinning: servers (and their render children) on CPU {','.join(map(str, server_cpus))}, "
                     f"load client on CPU {','.join(map(str, client_cpus))} (taskset / sched_setaffinity)")
    notes.append(f"machine: {os.cpu_count()} CPUs, {psutil.virtual_memory().total / 2 ** 30:.0f} GiB; "
                 "load average before: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    notes.append("client: Python threads with http.client keep-alive connections; it needs CPU too (the client "
                 "CPU column), which without pinning it takes from the servers"
                 + ("" if not shutil.which("wrk") else " (wrk is installed but not used)"))

    url = None
    if args.db != "sqlite":
        url = postgres_database(cleanup)
        if url is None and args.db == "postgresql":
            raise SystemExit("PostgreSQL does not answer")
    db = "PostgreSQL" if url else "SQLite"
    url = url or f"sqlite:///{folder}/openshot.sqlite"
    ini = write_ini(folder, url)
    notes.append(f"app: production.ini with the embedded broker, {db}; both servers: gunicorn --workers "
                 f"{args.workers} --worker-class gthread --threads {args.threads}; {args.connections} connections, "
                 f"{args.warmup:g} s warm-up + {args.duration:g} s measured per scenario")
    small, ten = make_media(folder)
    cli("initdb", ini)
    username, password = "bench", secrets.token_hex(12)
    token = cli("create-user", ini, "--username", username, "--password", password).strip().splitlines()[-1]

    app_port, bare_port = free_port(), free_port()
    app_log, bare_log = os.path.join(folder, "app.log"), os.path.join(folder, "bare.log")
    app, app_command = gunicorn(["--paste", ini], app_port, args, app_log, server_cpus)
    cleanup.add("stop the app server", lambda: stop_process_tree(app))
    bare, bare_command = gunicorn(["--pythonpath", HERE, "api_load:bare_app()"], bare_port, args, bare_log,
                                  server_cpus)
    cleanup.add("stop the bare server", lambda: stop_process_tree(bare))
    token_header = {"Authorization": f"Token {token}"}
    wait_until_up(app, f"http://127.0.0.1:{app_port}/__lbheartbeat__", app_log)
    wait_until_up(bare, f"http://127.0.0.1:{bare_port}/projects/1/", bare_log)
    if client_cpus:
        os.sched_setaffinity(0, client_cpus)

    base = f"http://127.0.0.1:{app_port}"
    project, render = create_data(base, token, small, ten)
    path = urlsplit(project["url"]).path
    basic = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    for header in (token_header, {"Authorization": basic}):
        answer = requests.get(project["url"], headers=header, timeout=30)
        assert answer.status_code == 200 and answer.json()["clips"] and answer.json()["effects"], answer.text

    idle = {name: tree_cpu_seconds(pid) for name, pid in (("app", app.pid), ("bare", bare.pid))}
    time.sleep(5)
    notes.append("idle CPU, no requests for 5 s: " + ", ".join(
        f"{name} server {(tree_cpu_seconds(pid) - idle[name]) / 5:.3f} cores"
        for name, pid in (("app", app.pid), ("bare", bare.pid))) + " (included in CPU/req below)")
    rows = [
        ("bare Pyramid GET /projects/{id}/", run_load(bare_port, "/projects/1/", {}, args, bare.pid)),
        ("app GET /projects/{id}/, Token", run_load(app_port, path, token_header, args, app.pid)),
        ("app GET /projects/{id}/, Basic", run_load(app_port, path, {"Authorization": basic}, args, app.pid)),
    ]
    started = time.perf_counter()
    export = requests.post(base + "/exports/", headers=token_header, timeout=60, json={
        "project": render["url"], "video_codec": "libx264", "audio_codec": "aac"})
    if export.status_code != 201:
        raise RuntimeError(f"POST /exports/: {export.status_code} {export.text[:500]}")
    watch = ExportWatch(app_port, export.json()["url"], token)
    under = run_load(app_port, path, token_header, args, app.pid, stop_at=lambda: watch.done_at)
    rows.append(("app GET /projects/{id}/, Token, export rendering", under))
    watch.wait(300)
    if watch.done_at is None:
        notes.append(f"export: still {watch.status} ({watch.progress:.0%}) 300 s after the load ended")
    else:
        notes.append(f"export of the 10 s 720p project: {watch.status} {watch.done_at - started:.1f} s after its "
                     f"POST; the render covered {under['seconds']:.1f} s of the {args.duration:g} s measured")
    notes.append("load average after: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    notes.append("app server: " + " ".join(app_command))
    notes.append("bare server: " + " ".join(bare_command))
    if not args.keep:
        return rows, notes
    notes.append(f"kept: {folder}")
    return rows, notes


def report(rows, notes):
    for note in notes:
        print(note)
    print()
    print(f"{'scenario':50s} {'requests':>8s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s} {'errors':>6s} "
          f"{'server CPU':>10s} {'CPU/req':>8s} {'client CPU':>10s}")
    for name, r in rows:
        print(f"{name:50s} {r['requests']:8d} {r['rps']:8.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['errors']:6d} "
              f"{r['server_cores']:9.2f}c {r['cpu_ms']:5.2f} ms {r['client_cores']:9.2f}c"
              + (f"  ({', '.join(r['error_kinds'])})" if r["errors"] else ""))
    print("(server/client CPU: cores used on average while measuring, 1.00c = one core busy all the time;\n"
          " CPU/req: server CPU per request; under render both include the render's processes)")
    print()
    bare, token, basic, under = (r for _name, r in rows)
    figures = [
        ("token rps / bare rps", token["rps"] / bare["rps"], f">= {TARGET_TOKEN_VS_BARE}",
         token["rps"] / bare["rps"] >= TARGET_TOKEN_VS_BARE),
        ("Basic rps / token rps", basic["rps"] / token["rps"], f">= {TARGET_BASIC_VS_TOKEN}",
         basic["rps"] / token["rps"] >= TARGET_BASIC_VS_TOKEN),
        ("p99 under render (ms)", under["p99"], f"< {TARGET_P99_RENDER_MS:g}", under["p99"] < TARGET_P99_RENDER_MS),
    ]
    print(f"server CPU per request, bare / token: {bare['cpu_ms'] / token['cpu_ms']:.2f} "
          "(the first ratio on CPU time instead of requests/s; it moves less with other jobs' load)")
    for name, value, target, ok in figures:
        print(f"{name:24s} {value:7.2f}   target {target:7s} {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
