"""Benchmark: one campaign's 44 returns imported in one go.

Usage:  .venv/bin/python bench/bench_bulk.py [--repeat 3] [--database-url postgres://.../foi_bench_bulk]

The practice returns of tests/data/returns (40 files: xlsx, xls, ods, csv; every layout) plus
one for each of the four forces without a file there make 44, one per force. Each measurement
runs in a fresh subprocess against its own SQLite database under bench/.cache/ (or the existing
database --database-url names; migrated once, the bench's campaign made again each run), with tasks in-process, files kept under a temporary MEDIA_ROOT:

* import_returns: `ReceiveMany(mode=IMPORT)` over the folder, as `import_returns SLUG FOLDER`
  does: each file matched to its force, kept with its SHA-256, read, imported;
* the same 44 in one zip;
* the admin's path: the drop zone (`ReceiveMany(mode=RECEIVE)` and each file's preview), then
  "Confirm all clean" (`ConfirmClean` and each import).

For each: wall time (best of --repeat) and the CPU time of that run (the machine may be shared;
SQLite waits on the disk at each commit), files per second, peak Python memory (tracemalloc, a
separate run since tracing slows Python) and the process's resident memory growth (ru_maxrss).
Prints a table; exits 0 (1 if a run fails or a count is wrong).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
RETURNS = ROOT / "tests" / "data" / "returns"
DATABASE = CACHE / "bench_bulk.sqlite3"
# Forces with no file among the practice returns: each gets a copy of another force's table.
EXTRA = {"btp": "derbyshire.csv", "dorset": "cambridgeshire.xlsx", "north-wales": "cheshire.xlsx",
         "suffolk": "kent.xlsx"}


def folder() -> Path:
    out = CACHE / "bulk-44"
    if out.exists() and len(list(out.iterdir())) == 44:
        return out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for path in RETURNS.iterdir():
        if path.suffix != ".json":
            shutil.copy(path, out / path.name)
    for force_id, source in EXTRA.items():
        shutil.copy(RETURNS / source, out / f"{force_id}{Path(source).suffix}")
    return out


def expected_total() -> int:
    cells = json.loads((RETURNS / "truth.json").read_text())["cells"]
    total = sum(n for rows in cells.values() for _, _, n in rows)
    return total + sum(sum(n for _, _, n in cells[Path(s).stem]) for s in EXTRA.values())


# ---------------------------------------------------------------------------- child process
def setup_django(media: str, database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{DATABASE}"
    os.environ["MEDIA_ROOT"] = media
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foi_tracker.settings")
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(40))  # DEBUG off: a throwaway key
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    try:
        call_command("migrate", verbosity=0)
    except Exception:  # noqa: BLE001 - a cached database from older migrations: start it again
        from django.db import connection

        if database_url:
            raise
        connection.close()
        DATABASE.unlink()
        call_command("migrate", verbosity=0)
    from collection.forces import reference
    from collection.forces.models import Force, OffenceCode

    reference.load(Force, OffenceCode)


def fresh_campaign():
    import datetime as dt

    from collection.requests.models import Campaign
    from collection.returns.models import OffenceCount, ReturnedFile, UnmatchedReturn
    from collection.requests.services import CreateCampaign

    old = Campaign.objects.filter(slug="bench-bulk")
    OffenceCount.objects.filter(campaign__in=old).delete()
    UnmatchedReturn.objects.filter(campaign__in=old).delete()
    ReturnedFile.objects.filter(request__campaign__in=old).update(typed_from=None)
    ReturnedFile.objects.filter(request__campaign__in=old).delete()
    old.delete()
    return CreateCampaign(slug="bench-bulk", title="Bench", period_start=dt.date(2015, 4, 1),
                          period_end=dt.date(2016, 3, 31), sent_on=dt.date(2016, 3, 1)).execute()


def incoming(mode: str):
    from collection.returns.bundles import Incoming

    files = sorted(folder().iterdir())
    if mode == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            for path in files:
                z.write(path, f"returns/{path.name}")
        yield Incoming("returns.zip", buffer.getvalue())
        return
    for path in files:  # one file in memory at a time, as the command reads them
        yield Incoming(path.name, path.read_bytes())


def run_once(mode: str) -> dict:
    from django.db.models import Sum

    from collection.returns.models import OffenceCount
    from collection.returns import bulk

    campaign = fresh_campaign()
    t0, cpu0 = time.perf_counter(), time.process_time()
    if mode in ("folder", "zip"):
        lines = bulk.ReceiveMany(campaign, incoming(mode), mode=bulk.IMPORT).execute()
    else:  # the admin: drop, preview each, confirm all clean
        from collection.returns.services import PreviewReturn

        lines = bulk.ReceiveMany(campaign, incoming("folder"), mode=bulk.RECEIVE).execute()
        for line in lines:
            if line.status == bulk.RECEIVED:
                PreviewReturn(line.returned).execute()
        queue = bulk.campaign_queue(campaign)
        claimed, _ = bulk.ConfirmClean(campaign, {e.returned.pk: e.returned.summary["fingerprint"]
                                                  for e in queue.clean}).execute()
        from collection.returns.services import ConfirmReturn

        for returned in claimed:
            ConfirmReturn(returned).execute()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    total = OffenceCount.objects.filter(campaign=campaign).aggregate(n=Sum("count"))["n"] or 0
    return {"seconds": seconds, "cpu": cpu, "files": len(lines), "total": total,
            "statuses": sorted({ln.status for ln in lines})}


def child(mode: str, repeat: int, database_url: str) -> None:
    with tempfile.TemporaryDirectory() as media:
        setup_django(media, database_url)
        run_once(mode)  # warm-up: imports, first queries, the catalogue
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        runs = [run_once(mode) for _ in range(repeat)]
        rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
        tracemalloc.start()
        run_once(mode)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    best = min(runs, key=lambda r: r["seconds"])
    print(json.dumps({**best, "times": [r["seconds"] for r in runs], "rss_kb": rss_kb, "peak": peak}))


def measure(mode: str, repeat: int, database_url: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--repeat", str(repeat),
                          "--database-url", database_url], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child")
    ap.add_argument("--database-url", default="", help="an existing database to use instead of bench/.cache's SQLite")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.repeat, args.database_url)
        return 0
    CACHE.mkdir(exist_ok=True)
    files = folder()
    size = sum(p.stat().st_size for p in files.iterdir()) / 1e6
    want = expected_total()
    where = args.database_url.rsplit("@", 1)[-1] if args.database_url else f"SQLite {DATABASE.relative_to(ROOT)}"
    print(f"44 returns, {size:.1f} MB, expected total {want:,} offences; database: {where}")
    print(f"{'path':>34} {'files':>6} {'best s':>8} {'CPU s':>6} {'files/s':>8} {'tracemalloc MB':>15} "
          f"{'RSS +MB':>8}  check")
    failed = False
    for mode, label in (("folder", "import_returns SLUG FOLDER"), ("zip", "import_returns SLUG returns.zip"),
                        ("admin", "drop zone + Confirm all clean")):
        m = measure(mode, args.repeat, args.database_url)
        if "error" in m:
            print(f"{label:>34} ERROR {m['error']}")
            failed = True
            continue
        ok = m["total"] == want and m["files"] == 44
        failed |= not ok
        print(f"{label:>34} {m['files']:>6} {m['seconds']:>8.2f} {m['cpu']:>6.2f} {m['files'] / m['seconds']:>8.1f} "
              f"{m['peak'] / 1e6:>15.1f} {m['rss_kb'] / 1024:>8.1f}  "
              f"{'total ' + format(m['total'], ',') + (' ok' if ok else ' WRONG')}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
