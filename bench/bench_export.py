"""Benchmark: the national dataset export of a 10,000-row campaign against COPY of the same rows.

Usage:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/foi_bench .venv/bin/python bench/bench_export.py \
        [--rows 10000] [--repeat 5] [--json-out FILE]

Needs PostgreSQL. Builds (once) two campaigns of --rows dataset rows (44 forces, 3% of cells
suppressed): one whose figures are final (a final snapshot is compiled first, so the export
comes from it) and one still provisional (the export reads the live counts). For each, in-process
and best of --repeat after a warm-up:

* COPY: `COPY (the dataset query) TO STDOUT (FORMAT csv, HEADER)` read to the end through
  psycopg: the floor any export of these rows has to pay;
* csv, json, xlsx: `ExportDataset(campaign, fmt)` consumed to the last byte (what the admin
  streams and what export_dataset writes).

Then, each in a fresh process: the peak memory of `export_dataset` per format above a bare start
of the command (Django set up, the command loaded; Linux's VmHWM, reset there). Goals: csv and json <= 3 x COPY,
xlsx <= 25 x COPY, memory <= 60 MB above the bare start.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

FORMATS = ("csv", "json", "xlsx")
GOALS = {"csv": 3.0, "json": 3.0, "xlsx": 25.0}
MEMORY_GOAL_MB = 60.0

# The dataset as the export lays it out (README), written by hand: the floor for COPY.
DATASET_SQL = """
    SELECT f.force_id, f.name AS force_name, f.ons_code, o.code AS offence_code, o.description AS offence_description,
           o.category AS offence_category, c.victim_age, c.age_band, c.victim_sex, SUM(c."count") AS "count",
           c.suppressed, r.outcome
    FROM collection_offencecount c
    JOIN collection_force f ON f.id = c.force_id
    JOIN collection_offencecode o ON o.id = c.offence_id
    JOIN collection_foirequest r ON r.id = c.request_id
    WHERE c.campaign_id = {cid}
    GROUP BY f.force_id, f.name, f.ons_code, o.code, o.description, o.category, c.victim_age, c.age_band,
             c.age_band_min, c.victim_sex, c.suppressed, r.outcome, CASE WHEN c.suppressed THEN c.id END
    ORDER BY f.name, o.code, c.victim_age NULLS LAST, c.age_band_min NULLS FIRST, c.age_band, c.victim_sex,
             c.suppressed"""


def copy_bytes(sql: str) -> int:
    from django.db import connection

    n = 0
    with connection.cursor() as cur:
        with cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv, HEADER)") as copy:
            for chunk in copy:
                n += len(chunk)
    return n


def consume(result) -> int:
    """Bytes of an ExportDataset result, whatever shape it has (bytes on main, a stream after)."""
    content = getattr(result, "content", None)
    if isinstance(content, (bytes, str)):
        return len(content)
    if hasattr(result, "chunks"):
        return sum(len(c) for c in result.chunks())
    raise TypeError(f"cannot read an export result of type {type(result).__name__}")


def close(result) -> None:
    if hasattr(result, "close"):
        result.close()


def prepare(rows: int) -> dict:
    from collection.forces.models import Force
    from reports.services import CompileAggregate

    per_force = max(rows // (Force.objects.count() - 4), 1)
    final = _common.build_campaign(f"bench-export-final-{rows}", cells=per_force, final=True, seed=rows)
    provisional = _common.build_campaign(f"bench-export-provisional-{rows}", cells=per_force, final=False,
                                         seed=rows + 1)
    from reports.models import AggregateSnapshot

    if not AggregateSnapshot.objects.filter(campaign=final, final=True).exists():
        CompileAggregate(final, final=True, trigger="bench").execute()
    return {"final": final, "provisional": provisional}


def snapshot_copy_sql(campaign) -> str | None:
    """COPY of the stored snapshot's rows, where snapshots keep their dataset."""
    try:
        from reports.models import SnapshotRow
    except ImportError:
        return None
    from reports.models import AggregateSnapshot

    snapshot = AggregateSnapshot.objects.filter(campaign=campaign, final=True).order_by("-compiled_at", "-pk").first()
    if snapshot is None or not SnapshotRow.objects.filter(snapshot=snapshot).exists():
        return None
    from reports.dataset import COLUMNS

    return (f"SELECT {', '.join(COLUMNS)} FROM {SnapshotRow._meta.db_table} WHERE snapshot_id = {snapshot.pk} "
            "ORDER BY position")


def timing(campaigns: dict, repeat: int) -> dict:
    from reports.services import ExportDataset

    out = {}
    for state, campaign in campaigns.items():
        n_rows = None
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM ({DATASET_SQL.format(cid=campaign.pk)}) d")
            n_rows = cur.fetchone()[0]
        res = {"rows": n_rows, "copy": _common.best_of(repeat, lambda: copy_bytes(DATASET_SQL.format(cid=campaign.pk)))}
        snap_sql = snapshot_copy_sql(campaign) if state == "final" else None
        if snap_sql:
            res["copy_snapshot"] = _common.best_of(repeat, lambda: copy_bytes(snap_sql))
        for fmt in FORMATS:
            def run(fmt=fmt):
                result = ExportDataset(campaign, fmt).execute()
                try:
                    return consume(result)
                finally:
                    close(result)
            res[fmt] = _common.best_of(repeat, run)
            res[f"{fmt}_bytes"] = run()
        out[state] = res
    return out


def child_memory(slug: str, fmt: str) -> None:
    """In a fresh process: ru_maxrss of export_dataset above the bare start of the command."""
    _common.setup_django(migrate=False)
    from django.core.management import call_command, load_command_class

    load_command_class("reports", "export_dataset")
    import reports.services  # noqa: F401  (what the command imports on its first line of work)

    import gc

    gc.collect()
    base = _common.reset_peak_rss()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"out.{fmt}")
        t0 = time.perf_counter()
        call_command("export_dataset", slug, "--format", fmt, "--output", path, stdout=open(os.devnull, "w"))
        seconds = time.perf_counter() - t0
        size = os.path.getsize(path)
    print(json.dumps({"base_mb": base, "peak_mb": _common.peak_rss_mb(), "seconds": seconds, "bytes": size}))


def memory(slug: str, fmt: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child-memory", slug, fmt], capture_output=True, text=True,
                         env=os.environ)
    if out.returncode:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json-out", help="also write the figures to this file")
    ap.add_argument("--child-memory", nargs=2, metavar=("SLUG", "FORMAT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_memory:
        child_memory(*args.child_memory)
        return 0
    url = _common.postgres_url()
    if not url:
        print("export benchmark skipped: COPY needs PostgreSQL (DATABASE_URL=postgres://...)")
        return 0
    _common.ensure_database(url)
    _common.setup_django()
    campaigns = prepare(args.rows)
    results = timing(campaigns, args.repeat)
    for state, campaign in campaigns.items():
        results[state]["memory"] = {fmt: memory(campaign.slug, fmt) for fmt in FORMATS}

    print(f"\nExport of a campaign's national dataset, in-process, best of {args.repeat} (PostgreSQL)")
    print(f"{'figures':<12} {'rows':>7} {'COPY ms':>8} {'format':>6} {'export ms':>10} {'x COPY':>7} {'goal':>5} "
          f"{'MB':>6} {'peak +MB':>9}")
    for state, res in results.items():
        for fmt in FORMATS:
            ratio = res[fmt] / res["copy"]
            mem = res["memory"][fmt]
            extra = f"{mem['peak_mb'] - mem['base_mb']:>9.1f}" if "peak_mb" in mem else f"  {mem.get('error')}"
            print(f"{state:<12} {res['rows']:>7,} {res['copy'] * 1000:>8.1f} {fmt:>6} {res[fmt] * 1000:>10.1f} "
                  f"{ratio:>7.1f} {'met' if ratio <= GOALS[fmt] else 'NOT':>5} {res[f'{fmt}_bytes'] / 1e6:>6.2f}"
                  f"{extra}")
        if "copy_snapshot" in res:
            print(f"{'':<12} {'':>7} COPY of the snapshot's stored rows: {res['copy_snapshot'] * 1000:.1f} ms")
    print(f"goals: csv, json <= 3 x COPY; xlsx <= 25 x COPY; peak memory <= {MEMORY_GOAL_MB:.0f} MB above the "
          "bare start of export_dataset")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
