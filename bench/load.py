"""Load test: the pages research staff use all day, under bounded concurrent load, on loopback.

Usage:  .venv/bin/python bench/load.py [--users 20] [--duration 20] [--max-requests 3000]
                                       [--campaigns 50] [--cells-per-force 60] [--rebuild]
                                       [--workers 4] [--threads 4] [--only lists]
        .venv/bin/python bench/load.py --target http://127.0.0.1:8000 --username U --password P
        (or `make load`, `make load LOAD_ARGS="--users 10"`)
        .venv/bin/python bench/load.py --only workspace   (the campaign workspace only)

By default, self-contained:
  1. prepares a database: DATABASE_URL, default a SQLite file under bench/.cache/ (PostgreSQL is
     more realistic: DATABASE_URL=postgres://postgres@127.0.0.1:5432/foi_load; the database is
     created if missing); migrates, loads the reference data, builds the synthetic history
     (`build_synthetic_history`, kept between runs unless --rebuild) and a researcher login;
  2. starts gunicorn on 127.0.0.1 on a free port, production-like (DEBUG off, gthread workers);
     static files are not served: the load fetches the HTML pages only;
  3. logs in (session cookie and CSRF token, like a browser) and, one URL after the other, runs
     --users concurrent clients in a closed loop (each sends its next request when the last
     answered, keep-alive), for --duration seconds or --max-requests requests per URL,
     whichever comes first;
  4. prints requests/s, median, 95th percentile and max latency and errors per URL (any status
     but 200, or a failed connection), writes bench/.cache/load-results.json, stops the server.

With --target, nothing is prepared or started: the pages of an already running server (such as
`make run`'s) are loaded with the given login. Only loopback addresses are accepted.

Exit status: 0, or 1 if any request failed or a list page's p95 is over --p95-goal ms.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
VENV_BIN = Path(sys.executable).parent
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
USERNAME = "load-researcher"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=20, help="concurrent clients (default 20)")
    p.add_argument("--duration", type=float, default=20.0, help="seconds per URL (default 20)")
    p.add_argument("--max-requests", type=int, default=3000, help="most requests per URL (default 3000)")
    p.add_argument("--campaigns", type=int, default=50)
    p.add_argument("--cells-per-force", type=int, default=60)
    p.add_argument("--rebuild", action="store_true", help="rebuild the synthetic history")
    p.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4)")
    p.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    p.add_argument("--think", type=float, default=0.0,
                   help="mean seconds a user waits between pages (default 0: back to back, the worst case)")
    p.add_argument("--only", choices=["lists", "workspace", "all"], default="all",
                   help="lists: skip the report and export; workspace: the campaign workspace only")
    p.add_argument("--p95-goal", type=float, default=300.0, help="p95 goal for the list pages, ms (default 300)")
    p.add_argument("--board-goal", type=float, default=150.0,
                   help="goal for a campaign workspace (44 rows) served to one user at a time, ms (default 150)")
    p.add_argument("--board-requests", type=int, default=60,
                   help="requests of the workspace one after the other for its server time (default 60)")
    p.add_argument("--target", help="load an already running server at this loopback URL instead")
    p.add_argument("--username", help="with --target: a staff login")
    p.add_argument("--password", help="with --target: its password")
    return p.parse_args(argv)


# --- preparing the database (in a child process, with the server's environment) ------------------

def server_env(database_url: str) -> dict:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database_url, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECRET_KEY": env.get("LOAD_SECRET_KEY") or secrets.token_urlsafe(50),
        "MEDIA_ROOT": str(CACHE / "media"), "STATIC_ROOT": str(CACHE / "static"),
        "EMAIL_FILE_PATH": str(CACHE / "mail"), "LOG_LEVEL": "WARNING", "CONN_MAX_AGE": "60", "DJANGO_SETTINGS_MODULE": "foi_tracker.settings",
        # Loopback, plain HTTP: the HTTPS settings DEBUG=0 turns on are turned off.
        "SECURE_SSL_REDIRECT": "0", "SECURE_COOKIES": "0", "SECURE_HSTS_SECONDS": "0",
    })
    for name in ("REDIS_URL", "EMAIL_URL", "SECURE_PROXY_SSL"):
        env.pop(name, None)  # tasks in-process (the pages loaded queue none)
    return env


def ensure_postgres_database(database_url: str) -> None:
    url = urllib.parse.urlparse(database_url)
    if not url.scheme.startswith("postgres"):
        return
    import psycopg

    name = url.path.lstrip("/")
    admin_url = url._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


PREPARE = r"""
import json, sys
import django
django.setup()
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse
from collection.requests.models import Campaign
from collection.roles import RESEARCHERS

args = json.loads(sys.argv[1])
call_command("migrate", interactive=False, verbosity=0)
call_command("load_reference_data", verbosity=0)
user, _ = User.objects.get_or_create(username=args["username"], defaults={"is_staff": True})
user.is_staff = True
user.set_password(args["password"])
user.save()
user.groups.add(Group.objects.get(name=RESEARCHERS))
have = Campaign.objects.filter(slug__startswith="synth-").count()
if args["rebuild"] or have != args["campaigns"]:
    call_command("build_synthetic_history", campaigns=args["campaigns"], cells_per_force=args["cells"],
                 replace=True, owner=args["username"])
else:
    print(f"{have} synthetic campaigns already there (--rebuild to rebuild)")
# A campaign in the middle of the history: sent, mostly answered, with counts.
middle = Campaign.objects.filter(slug__startswith="synth-").order_by("slug")[args["campaigns"] // 2]
urls = {
    "campaign list": reverse("admin:collection_campaign_changelist"),
    "request list": reverse("admin:collection_foirequest_changelist"),
    "requests ?deadline=overdue": reverse("admin:collection_foirequest_changelist") + "?deadline=overdue",
    "requests ?campaign": reverse("admin:collection_foirequest_changelist") + f"?campaign__id__exact={middle.pk}",
    "requests ?status=sent": reverse("admin:collection_foirequest_changelist") + "?status=sent",
}
try:
    urls["campaign workspace"] = reverse("admin:collection_campaign_workspace", args=[middle.pk])
except NoReverseMatch:
    pass
notes = []
for label, name, extra in (("report", "admin:reports_campaign_report", []),
                           ("export csv", "admin:reports_campaign_export", ["csv"])):
    try:
        urls[label] = reverse(name, args=[middle.pk, *extra])
    except NoReverseMatch:
        notes.append(f"{label}: no URL {name} (the reports app has no such page yet): skipped")
print("URLS " + json.dumps({"urls": urls, "notes": notes}))
"""


def prepare(args, env) -> tuple[dict, list, str]:
    password = secrets.token_urlsafe(16)
    payload = json.dumps({"username": USERNAME, "password": password, "rebuild": args.rebuild,
                          "campaigns": args.campaigns, "cells": args.cells_per_force})
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", PREPARE, payload], cwd=ROOT, env=env, capture_output=True,
                            text=True)
    if result.returncode != 0:
        sys.exit(f"preparing the database failed:\n{result.stdout}\n{result.stderr}")
    for line in result.stdout.splitlines():
        if not line.startswith("URLS "):
            print(line)
    found = json.loads(next(line for line in result.stdout.splitlines() if line.startswith("URLS "))[5:])
    print(f"database ready in {time.monotonic() - started:.1f}s")
    return found["urls"], found["notes"], password


# --- the server --------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args, env) -> tuple[subprocess.Popen, int]:
    port = free_port()
    gunicorn = VENV_BIN / "gunicorn"
    if not gunicorn.exists():
        sys.exit("gunicorn is not installed: make install (requirements/dev.txt)")
    CACHE.mkdir(exist_ok=True)
    log = open(CACHE / "gunicorn.log", "w")
    proc = subprocess.Popen(
        [str(gunicorn), "foi_tracker.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
         "--threads", str(args.threads), "--worker-class", "gthread", "--keep-alive", "30", "--timeout", "60",
         "--backlog", "256"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"gunicorn exited ({proc.returncode}); see {CACHE / 'gunicorn.log'}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/admin/login/")
            if conn.getresponse().status == 200:
                conn.close()
                print(f"gunicorn on 127.0.0.1:{port}: {args.workers} workers x {args.threads} threads (pid {proc.pid})")
                return proc, port
        except OSError:
            pass
        time.sleep(0.3)
    stop_server(proc)
    sys.exit("gunicorn did not answer within 30 s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: the master and its workers only
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# --- the client --------------------------------------------------------------------------------

def login(host, port, username, password) -> str:
    """Log in through the admin's form like a browser; return the Cookie header to send."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("GET", "/admin/login/")
    response = conn.getresponse()
    body = response.read().decode()
    cookies = dict(re.findall(r"(csrftoken)=([^;]+)", " ".join(response.headers.get_all("Set-Cookie") or [])))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    form = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token,
                                   "next": "/admin/"})
    conn.request("POST", "/admin/login/", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookies['csrftoken']}",
        "Referer": f"http://{host}:{port}/admin/login/"})
    response = conn.getresponse()
    response.read()
    session = re.search(r"sessionid=([^;]+)", " ".join(response.headers.get_all("Set-Cookie") or []))
    conn.close()
    if response.status != 302 or not session:
        sys.exit(f"login as {username} failed (status {response.status})")
    return f"csrftoken={cookies['csrftoken']}; sessionid={session.group(1)}"


def load_one(host, port, path, cookie, users, duration, max_requests, think=0.0) -> dict:
    """`users` threads, closed loop, keep-alive, until `duration` s or `max_requests` requests;
    each user waits `think` seconds on average (0.5 to 1.5 times) before its next request."""
    import random

    latencies, errors, lock = [], [], threading.Lock()
    issued = [0]
    stop_at = time.monotonic() + duration

    def user():
        conn = http.client.HTTPConnection(host, port, timeout=60)
        if think:  # users arrive spread over one think time, not all in the same instant
            time.sleep(random.uniform(0, think))
        while time.monotonic() < stop_at:
            with lock:
                if issued[0] >= max_requests:
                    break
                issued[0] += 1
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": cookie, "Accept": "text/html"})
                response = conn.getresponse()
                response.read()
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)
                    if response.status != 200:
                        errors.append(f"status {response.status}")
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=60)
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    errors.append(type(error).__name__)
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=60)
            if think:
                time.sleep(min(think * random.uniform(0.5, 1.5), max(0.0, stop_at - time.monotonic())))
        conn.close()

    threads = [threading.Thread(target=user, daemon=True) for _ in range(users)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    ms = sorted(x * 1000 for x in latencies)

    def pct(p):
        return ms[min(len(ms) - 1, max(0, round(p / 100 * len(ms) + 0.5) - 1))] if ms else float("nan")

    return {"requests": len(ms) + sum(1 for e in errors if not e.startswith("status")), "seconds": round(wall, 2),
            "rps": round(len(ms) / wall, 1) if wall else 0.0, "median_ms": round(statistics.median(ms), 1) if ms else None,
            "p95_ms": round(pct(95), 1) if ms else None, "max_ms": round(ms[-1], 1) if ms else None,
            "errors": len(errors), "error_kinds": sorted(set(errors))}


def one_at_a_time(host, port, path, cookie, n) -> dict:
    """`n` requests of one page, each sent when the last has answered: on loopback, with nothing
    else running, the time of each is the server's time to render the page."""
    conn = http.client.HTTPConnection(host, port, timeout=60)
    ms, errors = [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": cookie, "Accept": "text/html"})
        response = conn.getresponse()
        response.read()
        ms.append((time.perf_counter() - t0) * 1000)
        errors += response.status != 200
    conn.close()
    ms.sort()
    return {"requests": n, "median_ms": round(statistics.median(ms), 1),
            "p95_ms": round(ms[min(n - 1, round(0.95 * n + 0.5) - 1)], 1), "max_ms": round(ms[-1], 1),
            "errors": errors, "rps": None, "seconds": round(sum(ms) / 1000, 2)}


def server_cpu_seconds(pid: int | None) -> float | None:
    """CPU time (user + system) used so far by the gunicorn master and its workers (Linux /proc)."""
    if pid is None:
        return None
    try:
        pids = [pid] + [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        ticks = 0
        for one in pids:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def warm(host, port, path, cookie) -> int:
    conn = http.client.HTTPConnection(host, port, timeout=120)
    conn.request("GET", path, headers={"Cookie": cookie})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


def main(argv=None) -> int:
    args = parse_args(argv)
    CACHE.mkdir(exist_ok=True)
    proc = None
    notes = []
    if args.target:
        url = urllib.parse.urlparse(args.target)
        if url.hostname not in LOOPBACK or url.scheme != "http":
            sys.exit("--target must be http:// on a loopback address")
        if not (args.username and args.password):
            sys.exit("--target needs --username and --password")
        host, port, username, password = url.hostname, url.port or 80, args.username, args.password
        base = reverse_free_urls()
        urls = base
        notes.append("--target: the report and export need a campaign id; pass none, so they are skipped")
    else:
        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{CACHE / 'load.sqlite3'}"
        ensure_postgres_database(database_url)
        env = server_env(database_url)
        print(f"database: {re.sub(r'//[^@/]*@', '//***@', database_url)}")
        urls, notes, password = prepare(args, env)
        username = USERNAME
        proc, port = start_server(args, env)
        host = "127.0.0.1"
    results = {}
    try:
        cookie = login(host, port, username, password)
        if args.only == "lists":
            urls = {k: v for k, v in urls.items() if k not in ("report", "export csv")}
        elif args.only == "workspace":
            urls = {k: v for k, v in urls.items() if k == "campaign workspace"}
        print(f"\n{args.users} concurrent users" + (f" (think time {args.think:g} s)" if args.think else "")
              + f", up to {args.duration:g} s or {args.max_requests} requests per URL\n")
        header = (f"{'page':28} {'requests':>8} {'req/s':>7} {'median':>8} {'p95':>8} {'max':>8} {'errors':>6}"
                  f" {'cpu/req':>8}")
        print(header)
        print("-" * len(header))
        for label, path in urls.items():
            status = warm(host, port, path, cookie)
            if status != 200:
                notes.append(f"{label}: {path} answered {status} when warming up")
            cpu_before = server_cpu_seconds(proc.pid if proc else None)
            r = load_one(host, port, path, cookie, args.users, args.duration, args.max_requests, args.think)
            cpu_after = server_cpu_seconds(proc.pid if proc else None)
            if cpu_before is not None and cpu_after is not None and r["requests"]:
                r["server_cpu_ms_per_request"] = round(1000 * (cpu_after - cpu_before) / r["requests"], 1)
            results[label] = {"path": path, **r}
            print(f"{label:28} {r['requests']:>8} {r['rps']:>7.1f} {r['median_ms']:>6.0f}ms {r['p95_ms']:>6.0f}ms "
                  f"{r['max_ms']:>6.0f}ms {r['errors']:>6} "
                  + (f"{r['server_cpu_ms_per_request']:>6.0f}ms" if "server_cpu_ms_per_request" in r else f"{'-':>8}")
                  + (f"  {r['error_kinds']}" if r["errors"] else ""))
        board = urls.get("campaign workspace")
        if board:
            server_time = one_at_a_time(host, port, board, cookie, args.board_requests)
            results["campaign workspace, one user"] = {"path": board, **server_time}
            print(f"\ncampaign workspace (44 forces), one request at a time ({server_time['requests']} requests): "
                  f"median {server_time['median_ms']:.0f} ms, p95 {server_time['p95_ms']:.0f} ms, "
                  f"max {server_time['max_ms']:.0f} ms (goal {args.board_goal:g} ms)")
    finally:
        if proc is not None:
            stop_server(proc)
    for note in notes:
        print("note:", note)
    print("cpu/req: gunicorn's CPU time per request (the database's not included); "
          f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    summary = {"users": args.users, "think_s": args.think, "duration_per_url_s": args.duration, "max_requests_per_url": args.max_requests,
               "workers": args.workers, "threads": args.threads, "cpus": os.cpu_count(),
               "database": "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite",
               "campaigns": args.campaigns, "cells_per_force": args.cells_per_force, "results": results,
               "load_average_after": os.getloadavg(),
               "notes": notes}
    (CACHE / "load-results.json").write_text(json.dumps(summary, indent=2))
    print(f"\nresults in {CACHE / 'load-results.json'}")
    failed = [k for k, r in results.items() if r["errors"]]
    slow = [k for k, r in results.items() if k not in ("report", "export csv", "campaign workspace, one user")
            and (r["p95_ms"] or 0) > args.p95_goal]
    board = results.get("campaign workspace, one user")
    slow_board = board is not None and (board["median_ms"] or 0) > args.board_goal
    if failed or slow or slow_board:
        print(f"NOT MET: errors on {failed or 'none'}; list pages over p95 {args.p95_goal:g} ms: {slow or 'none'}"
              + (f"; the workspace's median {board['median_ms']} ms is over {args.board_goal:g} ms" if slow_board else ""))
        return 1
    print(f"goal met: no errors, list pages p95 under {args.p95_goal:g} ms"
          + (f", the workspace served in a median {board['median_ms']} ms (under {args.board_goal:g})" if board else ""))
    return 0


def reverse_free_urls() -> dict:
    return {
        "campaign list": "/admin/collection/campaign/",
        "request list": "/admin/collection/foirequest/",
        "requests ?deadline=overdue": "/admin/collection/foirequest/?deadline=overdue",
        "requests ?status=sent": "/admin/collection/foirequest/?status=sent",
    }


if __name__ == "__main__":
    sys.exit(main())
