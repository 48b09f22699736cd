"""`make bench`: every benchmark in one run, then their figures side by side.

Usage:  .venv/bin/python bench/run_all.py [--quick]
        DATABASE_URL=postgres://postgres@127.0.0.1:5432/foi_bench .venv/bin/python bench/run_all.py

Runs, each in its own process, printing as it goes: bench_import.py (the importer against
python-calamine), and with DATABASE_URL pointing at PostgreSQL bench_import_e2e.py (imports end
to end), bench_export.py (exports against COPY, and their memory), bench_report.py (the report
page at a million counts), bench_aggregate.py and bench_compile.py (the final compile against the provisional at a million counts); bench_mail.py (mail ingestion against the bare work of reading
the same mail, with queries per message) and bench_lists.py (list pages' CPU) on whatever
database DATABASE_URL names (a SQLite file by default); bench_ocr.py (a scanned page's table read with
OCR, seconds a page); bench_release.py (publish_release of a 20,000-row campaign: seconds and peak memory). Then one table: each figure, its goal,
met or not. Writes bench/.cache/bench-results.json. --quick: smaller sizes, for a smoke test.
Exits 0 whatever the figures (a benchmark measures; tests decide).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"


def run(name: str, args: list[str]) -> dict | None:
    out = CACHE / f"{name}.json"
    out.unlink(missing_ok=True)
    print(f"\n=== {name} {' '.join(args)}", flush=True)
    t0 = time.perf_counter()
    code = subprocess.call([sys.executable, str(HERE / f"{name}.py"), *args, "--json-out", str(out)])
    print(f"=== {name}: {time.perf_counter() - t0:.0f}s" + (f", exit {code}" if code else ""), flush=True)
    return json.loads(out.read_text()) if out.exists() else None


def run_plain(name: str, args: list[str]) -> None:
    """A benchmark that prints its own figures (no JSON for the summary table)."""
    print(f"\n=== {name} {' '.join(args)}", flush=True)
    t0 = time.perf_counter()
    code = subprocess.call([sys.executable, str(HERE / f"{name}.py"), *args])
    print(f"=== {name}: {time.perf_counter() - t0:.0f}s" + (f", exit {code}" if code else ""), flush=True)


def verdict(value, goal) -> str:
    return "met" if value is not None and value <= goal else "NOT met"


def summary(r: dict, postgres: bool) -> list[tuple[str, str, str, str]]:
    rows = []
    imp = r.get("bench_import")
    if imp:
        for n, m in imp.items():
            if "best" in m["import"] and "best" in m["calamine"]:
                ratio = m["import"]["best"] / m["calamine"]["best"]
                rows.append((f"importer alone, per-crime xlsx {int(n):,} rows, x calamine", f"{ratio:.2f} x",
                             "<= 1.5 x", verdict(ratio, 1.5)))
    e2e = r.get("bench_import_e2e")
    goals = {"per-crime xlsx": 1.5, "per-crime csv": 2.0, "pivot xlsx": 2.0}
    for name, m in (e2e or {}).items():
        ip = m.get("in_process", {})
        if "bare" in ip:
            ratio = ip["import"] / ip["bare"]
            rows.append((f"import end to end, {name}, x bare read (in-process, as the worker runs it)",
                         f"{ratio:.2f} x", f"<= {goals[name]} x", verdict(ratio, goals[name])))
        whole = m.get("cpu_ratio", m["ratio"])
        notes = [f"wall {m['ratio']:.2f} x"] if "cpu_ratio" in m else []
        if "startup_cpu_s" in m:
            notes.append(f"start-up {m['startup_cpu_s']:.2f} s CPU")
        rows.append((f"import end to end, {name}, x bare read (whole process, CPU)",
                     f"{whole:.2f} x" + (f" ({'; '.join(notes)})" if notes else ""), f"<= {goals[name]} x",
                     verdict(whole, goals[name])))
    exp = r.get("bench_export")
    for state, m in (exp or {}).items():
        # Final figures are exported from the snapshot's stored rows: COPY of those is the floor.
        copy = m.get("copy_snapshot") or m["copy"]
        source = "COPY of its stored rows" if m.get("copy_snapshot") else "COPY"
        for fmt, goal in (("csv", 3), ("json", 3), ("xlsx", 25)):
            ratio = m[fmt] / copy
            rows.append((f"export {fmt}, {m['rows']:,} rows, {state}, x {source}",
                         f"{ratio:.1f} x ({m[fmt] * 1000:.0f} ms)", f"<= {goal} x", verdict(ratio, goal)))
        for fmt in ("csv", "json", "xlsx"):
            mem = m["memory"][fmt]
            if "peak_mb" in mem:
                extra = mem["peak_mb"] - mem["base_mb"]
                rows.append((f"export_dataset {fmt}, {state}: peak memory above a bare start", f"{extra:.1f} MB",
                             "<= 60 MB", verdict(extra, 60)))
    rep = r.get("bench_report")
    if rep:
        rows.append((f"report page, {rep['rows']:,} counts, server time", f"{rep['page_ms']:.0f} ms",
                     "<= 200 ms", verdict(rep["page_ms"], 200)))
        rows.append(("  the first view after a change (figures computed)", f"{rep['first_ms']:.0f} ms", "", ""))
        if "first_after_warm_ms" in rep:
            rows.append(("  the first view after an import, figures warmed by the worker",
                         f"{rep['first_after_warm_ms']:.0f} ms", "<= 200 ms", verdict(rep["first_after_warm_ms"], 200)))
            rows.append(("  the worker's warm-up after the import (background)", f"{rep['warm_ms']:.0f} ms", "", ""))
        rows.append(("  page + its 3 charts (first after a change / again)",
                     f"{rep['page_and_charts_first_ms']:.0f} / {rep['page_and_charts_ms']:.0f} ms", "", ""))
        rows.append(("  HTML", f"{rep['html_bytes'] / 1000:.0f} kB, {rep['queries']} queries", "", ""))
    lists = r.get("bench_lists")
    if lists:
        full = {k: v for k, v in lists.items() if v["rows"] >= 100}
        for name, m in full.items():
            rows.append((f"list page '{name}', {m['rows']} rows: server CPU", f"{m['cpu_ms']:.1f} ms",
                         "<= 25 ms", verdict(m["cpu_ms"], 25)))
    mail = r.get("bench_mail")
    if mail:
        rows.append((f"ingest_mail, {mail['messages']:,} messages each with a return, x bare work (parse, decode, "
                     "read each table)", f"{mail['ratio']:.2f} x ({mail['per_second']:.0f} vs "
                     f"{mail['bare_per_second']:.0f} msg/s)", "<= 3 x", verdict(mail["ratio"], 3)))
        rows.append(("  queries per message (reads and writes; transaction statements apart)",
                     f"{mail['queries_per_message']:.2f} (+{mail['control_per_message']:.1f})", "<= 6",
                     verdict(mail["queries_per_message"], 6)))
        rows.append(("  peak memory of the process (VmHWM)", f"{mail['peak_mb']:.0f} MB", "< 150 MB",
                     verdict(mail["peak_mb"], 149.99)))
        rows.append(("  the same mail again (all duplicates)", f"{mail['again_per_second']:.0f} msg/s", "", ""))
    ocr = r.get("bench_ocr")
    if ocr:
        for name, m in ocr["scans"].items():
            goal = f"<= {ocr['goal_s']:g} s" if m["pages"] == 1 else ""
            rows.append((f"OCR: {m['what']}, a page", f"{m['median_s']:.2f} s (CPU {m['cpu_s']:.2f} s)", goal,
                         verdict(m["median_s"], ocr["goal_s"]) if goal else ""))
    rows += release_rows(r.get("bench_release"))
    agg = r.get("bench_aggregate")
    if agg:
        rows.append(("aggregate over 1M counts (60 campaigns), x bare GROUP BYs", f"{agg['ratio']:.2f} x",
                     "<= 1.3 x", verdict(agg["ratio"], 1.3)))
    comp = r.get("bench_compile")
    if comp:
        rows.append((f"final compile at {comp['counts']:,} counts, x the provisional", f"{comp['ratio']:.2f} x "
                     f"({comp['final_s']:.1f} s / {comp['provisional_s']:.2f} s)", "<= 2 x", verdict(comp["ratio"], 2)))
    if not postgres:
        rows.append(("(end-to-end imports, exports against COPY, report page, aggregate)",
                     "skipped: set DATABASE_URL to PostgreSQL", "", ""))
    return rows


def release_rows(rel: dict | None) -> list[tuple[str, str, str, str]]:
    if not rel:
        return []
    pub = rel["publish"]
    return [(f"publish_release, 44 forces, {pub['rows']:,} rows, charts included ({rel['database']})",
             f"{pub['seconds']:.1f} s (CPU {pub['cpu_seconds']:.1f} s)", "< 10 s", verdict(pub["seconds"], 9.99)),
            ("  peak memory of the process (ru_maxrss)", f"{pub['peak_mb']:.0f} MB", "< 150 MB",
             verdict(pub["peak_mb"], 149.99)),
            ("  with suppression below 5", f"{rel['publish_suppressed']['seconds']:.1f} s", "", "")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke test of the harness)")
    args = ap.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("DATABASE_URL", "")
    postgres = url.startswith(("postgres://", "postgresql://", "pgsql://"))
    q = args.quick
    results = {"bench_import": run("bench_import", ["--rows", "20000", "--format-rows", "20000", "--pivot-rows",
                                                       "5000", "--pdf-pages", "5"] if q else [])}
    if postgres:
        results["bench_import_e2e"] = run("bench_import_e2e", ["--crime-rows", "20000", "--pivot-rows", "5000",
                                                               "--repeat", "1"] if q else [])
        results["bench_export"] = run("bench_export", ["--repeat", "2"] if q else [])
        results["bench_report"] = run("bench_report", ["--counts", "100000", "--repeat", "2"] if q else [])
    run_plain("bench_bulk", [])  # a campaign's 44 returns in one go
    results["bench_mail"] = run("bench_mail", ["--messages", "200"] if q else [])
    results["bench_lists"] = run("bench_lists", ["--campaigns", "5", "--repeat", "3"] if q else [])
    results["bench_ocr"] = run("bench_ocr", ["--repeat", "1"] if q else [])
    results["bench_release"] = run("bench_release", ["--repeat", "1"] if q else [])
    if postgres:
        results["bench_aggregate"] = run("bench_aggregate", ["--campaigns", "6", "--repeat", "2"] if q else [])
        results["bench_compile"] = run("bench_compile", ["--cells", "2000", "--repeat", "1"] if q else [])
    (CACHE / "bench-results.json").write_text(json.dumps(results, indent=2, default=str))
    rows = summary({k: v for k, v in results.items() if v}, postgres)
    width = max(len(r[0]) for r in rows)
    print(f"\n=== make bench: every figure side by side ({'PostgreSQL' if postgres else 'SQLite'}; "
          f"2 shared cores: ratios are within one run)")
    print(f"{'what':<{width}}  {'measured':<46} {'goal':<10} ")
    for what, value, goal, ok in rows:
        print(f"{what:<{width}}  {value:<46} {goal:<10} {ok}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
