"""Benchmark: the server CPU time of the admin's list pages, per page view.

Usage:  .venv/bin/python bench/bench_lists.py [--campaigns 50] [--cells-per-force 60] [--repeat 20] [--json-out F]

Works on the database DATABASE_URL names (SQLite by default: a file under bench/.cache/;
PostgreSQL is what production runs). Builds the synthetic history once (`build_synthetic_history`,
the same as bench/load.py, a returned file for each request answered with data and a chaser sent
for each request with a due date), then serves each list in-process through Django's test client
as a logged-in researcher, 100 rows a page, in a process set up as foi_tracker/wsgi.py sets up a
web worker (foi_tracker/serving.py), and prints
the median and best process CPU time of a view (Python's own work: the ORM, the columns, the
template; the database server's time is not in it on PostgreSQL), and the queries of one view.
Goal: at most 25 ms (median) for a 100-row list, on SQLite and on PostgreSQL, with Django's own
machinery (no copy of it) except where a fast path buys a whole multiple.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

GOAL_MS = 25.0
PER_PAGE = 100
USERNAME = "bench-lists-researcher"


def files_for_history(username: str) -> None:
    """A returned file for each synthetic request answered with data (the command makes none), so
    the returned files' list has full pages to measure."""
    import hashlib

    from django.contrib.auth import get_user_model

    from collection.requests.models import FoiRequest, Outcome
    from collection.returns.models import ReturnedFile, ReturnStatus

    answered = FoiRequest.objects.filter(campaign__slug__startswith="synth-", outcome__in=Outcome.with_data(),
                                         returned_files__isnull=True)
    user = get_user_model().objects.get(username=username)
    files = []
    for r in answered.select_related("force").order_by("pk"):
        sha = hashlib.sha256(f"bench-lists-{r.pk}".encode()).hexdigest()
        files.append(ReturnedFile(request=r, file=f"returns/synth/{sha[:12]}.xlsx",
                                  original_name=f"{r.force.force_id}.xlsx", sha256=sha, size=20_000 + r.pk,
                                  uploaded_by=user, status=ReturnStatus.IMPORTED, layout="long", file_format="xlsx",
                                  rows_read=60))
    ReturnedFile.objects.bulk_create(files, batch_size=2000)


def reminders_for_history() -> None:
    """A chaser sent for each synthetic request with a due date (the command sends none), so the
    reminders' list has full pages to measure."""
    from django.utils import timezone

    from collection.reminders.models import ReminderLog
    from collection.requests.models import FoiRequest

    unchased = FoiRequest.objects.filter(campaign__slug__startswith="synth-", due_on__isnull=False,
                                         reminders__isnull=True)
    now = timezone.now()
    logs = [ReminderLog(kind="chaser", campaign_id=r.campaign_id, request=r, about=r.due_on,
                        recipient=f"foi@{r.force.force_id}.police.example", subject="Chaser", status="sent",
                        sent_at=now, triggered_by="beat")
            for r in unchased.select_related("force").order_by("pk")]
    ReminderLog.objects.bulk_create(logs, batch_size=2000)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--campaigns", type=int, default=50)
    ap.add_argument("--cells-per-force", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--json-out")
    args = ap.parse_args()
    if not os.environ.get("DATABASE_URL"):
        cache = _common.ROOT / "bench" / ".cache"
        cache.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{cache / 'bench-lists.sqlite3'}"
    elif _common.postgres_url():
        _common.ensure_database(os.environ["DATABASE_URL"])
    _common.setup_django()
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from collection.requests.models import Campaign, FoiRequest
    from collection.roles import RESEARCHERS

    User = get_user_model()
    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        user = User.objects.create_user(USERNAME, "bench@example.org", None, is_staff=True)
        user.groups.add(Group.objects.get(name=RESEARCHERS))
    have = Campaign.objects.filter(slug__startswith="synth-").count()
    if have != args.campaigns:
        call_command("build_synthetic_history", campaigns=args.campaigns, cells_per_force=args.cells_per_force,
                     seed=1, replace=True, owner=USERNAME, stdout=open(os.devnull, "w"))
    files_for_history(USERNAME)
    reminders_for_history()
    import foi_tracker.urls  # noqa: F401  the admin modules register here (not at start): before list_per_page
    for model_admin in admin.site._registry.values():
        model_admin.list_per_page = PER_PAGE
    from foi_tracker.serving import settle_web_process

    settle_web_process()  # the views run in a process set up as a web worker is (foi_tracker/wsgi.py)
    client = Client()
    client.force_login(user)
    first = Campaign.objects.filter(slug__startswith="synth-").order_by("slug").first()
    requests = reverse("admin:collection_foirequest_changelist")
    pages = {
        "requests": requests,
        "requests, overdue": f"{requests}?deadline=overdue",
        "requests, one campaign": f"{requests}?campaign__id__exact={first.pk}",
        "requests, sent": f"{requests}?status=sent",
        "campaigns": reverse("admin:collection_campaign_changelist"),
        "request events": reverse("admin:collection_requestevent_changelist"),
        "returned files": reverse("admin:collection_returnedfile_changelist"),
        "reminders sent": reverse("admin:collection_reminderlog_changelist"),
    }
    results = {}
    print(f"\nList pages, {PER_PAGE} rows a page, server CPU per view ({connection.vendor}; "
          f"{FoiRequest.objects.count():,} requests in {args.campaigns} campaigns)")
    print(f"{'page':<24} {'rows':>5} {'median ms':>10} {'best ms':>8} {'wall ms':>8} {'queries':>8}")
    for name, url in pages.items():
        response = client.get(url)  # warm: templates, content types, compiled queries
        assert response.status_code == 200, (url, response.status_code)
        cl = response.context_data.get("cl") if hasattr(response, "context_data") else None
        rows = len(cl.result_list) if cl is not None else 0
        cpu, wall = [], []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            client.get(url)
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        results[name] = {"rows": rows, "cpu_ms": statistics.median(cpu) * 1000, "best_cpu_ms": min(cpu) * 1000,
                         "wall_ms": statistics.median(wall) * 1000, "queries": len(ctx.captured_queries)}
        r = results[name]
        print(f"{name:<24} {rows:>5} {r['cpu_ms']:>10.1f} {r['best_cpu_ms']:>8.1f} {r['wall_ms']:>8.1f} "
              f"{r['queries']:>8}")
    worst = max(r["cpu_ms"] for r in results.values() if r["rows"] >= PER_PAGE)
    print(f"goal: at most {GOAL_MS:.0f} ms of server CPU for a {PER_PAGE}-row list (slowest full page: {worst:.1f} ms: "
          f"{'met' if worst <= GOAL_MS else 'NOT met'})")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
