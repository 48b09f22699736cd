"""Benchmark: a return imported end to end on PostgreSQL against a bare read of the same file.

Usage:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/foi_bench .venv/bin/python bench/bench_import_e2e.py \
        [--crime-rows 200000] [--pivot-rows 50000] [--repeat 3] [--json-out FILE]

Needs PostgreSQL. Three files, generated once under bench/.cache/: a one-row-per-crime xlsx
(--crime-rows rows), the same rows as csv, and a pivot xlsx (offences down, ages 0-17, unknown
and a total across; --pivot-rows rows). For each, best of --repeat, each run in a fresh process:

* bare read: python-calamine opening the workbook and iterating every row (for the csv,
  Python's csv module: calamine does not read csv);
* import: `manage.py import_return` of the file into a request of a bench campaign, stored and
  loaded on PostgreSQL (the request's counts and files are cleared before each run);

whole process against whole process (start-up included, as a person running the command sees
it; wall time, and the processes' own CPU time, which holds still when others share the
machine), and the same two in-process (the ImportReturn service against the bare read, start-up
left out: the import as the worker runs it after a confirm in the admin). The command's start-up
alone (`import_return --help`) is printed beside them. Goals: xlsx <= 1.5 x the bare read, csv
and pivot <= 2 x; each is judged both ways.
"""
from __future__ import annotations

import argparse
import atexit
import csv
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

CACHE = _common.ROOT / "bench" / ".cache"
CODES = _common.ROOT / "tests" / "data" / "offence_codes.csv"
SLUG = "bench-import-e2e"
FORCE = "kent"
GOALS = {"per-crime xlsx": 1.5, "per-crime csv": 2.0, "pivot xlsx": 2.0}


def per_crime_rows(rows: int):
    entries = list(csv.DictReader(CODES.open(encoding="utf-8")))
    rnd = random.Random(rows)
    start = dt.date(2015, 4, 1)
    for i in range(1, rows + 1):
        e = rnd.choice(entries)
        offence = e["code"] if i % 3 == 0 else (f"{e['code']} - {e['description']}" if i % 3 == 1 else e["description"])
        age = rnd.randint(0, 17) if rnd.random() > 0.02 else "Unknown"
        yield (f"CR{rnd.randint(0, 9_999_999):07d}/{15 + i % 2}", start + dt.timedelta(days=rnd.randint(0, 365)),
               offence, age, rnd.choice(["North", "South", "East", "West"]), "Y")


HEADER = ["Crime Reference", "Date Recorded", "Offence", "Victim Age", "Station", "Online Flag"]


def files(crime_rows: int, pivot_rows: int) -> dict[str, Path]:
    sys.path.insert(0, str(_common.ROOT / "bench"))
    from bench_import import cached_file  # the per-crime xlsx the importer benchmark uses

    CACHE.mkdir(parents=True, exist_ok=True)
    out = {"per-crime xlsx": cached_file(crime_rows)}
    path = CACHE / f"per_crime_{crime_rows}.csv"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(HEADER)
            for ref, day, offence, age, station, flag in per_crime_rows(crime_rows):
                w.writerow([ref, day.strftime("%d/%m/%Y"), offence, age, station, flag])
        tmp.replace(path)
    out["per-crime csv"] = path
    path = CACHE / f"pivot_{pivot_rows}.xlsx"
    if not path.exists():
        import xlsxwriter

        entries = list(csv.DictReader(CODES.open(encoding="utf-8")))
        rnd = random.Random(pivot_rows)
        tmp = path.with_suffix(".tmp")
        wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True})
        ws = wb.add_worksheet("Data")
        ws.write_row(0, 0, ["Offence"] + [str(a) for a in range(18)] + ["Unknown", "Total"])
        for i in range(1, pivot_rows + 1):
            e = entries[i % len(entries)]
            values = [rnd.randint(0, 9) for _ in range(19)]
            ws.write_row(i, 0, [f"{e['code']} - {e['description']}", *values, sum(values)])
        wb.close()
        tmp.replace(path)
    out["pivot xlsx"] = path
    return out


# ---------------------------------------------------------------------------- children
BARE = r"""
import sys, time
t0 = time.perf_counter()
path = sys.argv[1]
n = 0
if path.endswith(".csv"):
    import csv
    with open(path, newline="", encoding="utf-8") as fh:
        for _ in csv.reader(fh):
            n += 1
else:
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(path)
    for _ in wb.get_sheet_by_name(wb.sheet_names[0]).iter_rows():
        n += 1
print(n, time.perf_counter() - t0)
"""


def run_process(argv: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a child process. The CPU time (user + system, the child's own:
    not PostgreSQL's) hardly moves when others share the cores; the wall time does."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=_common.ROOT)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode:
        raise RuntimeError(f"{' '.join(argv[:4])}...: {(out.stderr.strip().splitlines() or ['failed'])[-1]}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def in_process_child(path: str) -> None:
    """Best of 3, in-process: the bare read, then the ImportReturn service (counts cleared between)."""
    _common.setup_django(migrate=False)
    from collection.requests.models import FoiRequest
    from collection.returns.services import ImportReturn

    request = FoiRequest.objects.select_related("force", "campaign").get(campaign__slug=SLUG, force__force_id=FORCE)
    data = Path(path).read_bytes()
    name = Path(path).name

    def bare():
        subprocess_free_bare(path)

    def service():
        reset(request)
        ImportReturn(request, data, name).execute()

    print(json.dumps({"bare": _common.best_of(3, bare), "import": _common.best_of(3, service)}))


def subprocess_free_bare(path: str) -> int:
    n = 0
    if path.endswith(".csv"):
        with open(path, newline="", encoding="utf-8") as fh:
            for _ in csv.reader(fh):
                n += 1
        return n
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(path)
    for _ in wb.get_sheet_by_name(wb.sheet_names[0]).iter_rows():
        n += 1
    return n


def reset(request) -> None:
    from django.db import transaction

    from collection.returns.models import OffenceCount, ReturnedFile

    with transaction.atomic():
        OffenceCount.objects.filter(request=request).delete()
        ReturnedFile.objects.filter(request=request).delete()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--crime-rows", type=int, default=200_000)
    ap.add_argument("--pivot-rows", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json-out")
    ap.add_argument("--in-process-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.in_process_child:
        in_process_child(args.in_process_child)
        return 0
    url = _common.postgres_url()
    if not url:
        print("end-to-end import benchmark skipped: it needs PostgreSQL (DATABASE_URL=postgres://...)")
        return 0
    _common.ensure_database(url)
    _common.setup_django()
    from collection.forces.models import Force
    from collection.requests.models import Campaign, FoiRequest
    from collection.requests.services import CreateCampaign

    campaign = Campaign.objects.filter(slug=SLUG).first() or CreateCampaign(
        slug=SLUG, title="Bench: imports end to end", question="Synthetic", period_start=dt.date(2015, 4, 1),
        period_end=dt.date(2016, 3, 31), forces=[Force.objects.get(force_id=FORCE)]).execute()
    request = FoiRequest.objects.get(campaign=campaign, force__force_id=FORCE)
    paths = files(args.crime_rows, args.pivot_rows)
    media = tempfile.mkdtemp(prefix="foi-bench-media-")
    atexit.register(shutil.rmtree, media, ignore_errors=True)  # every run stores the files it imports
    # Without PYTHONDONTWRITEBYTECODE (as bench_import.py's whole-process runs): an installation
    # compiles the project's modules once and reads the .pyc files afterwards; with it set (some
    # sandboxes do) every command would compile them again, a fifth of its start-up, that no
    # person running the command pays.
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
           "MEDIA_ROOT": media, "LOG_LEVEL": "WARNING"}
    python = sys.executable
    results = {}
    # What every manage.py command pays before it reads a byte: Python, Django's setup, the command's
    # imports (best of --repeat). The in-process figures leave it out, as the worker (which runs the
    # imports confirmed in the admin) pays it once at its own start.
    run_process([python, "manage.py", "import_return", "--help"], env)  # compiles what is not compiled yet
    startup_cpu = min(run_process([python, "manage.py", "import_return", "--help"], env)[1]
                      for _ in range(args.repeat))
    for name, path in paths.items():
        bare, imported, bare_cpu, imported_cpu = [], [], [], []
        for _ in range(args.repeat):
            wall, cpu = run_process([python, "-c", BARE, str(path)], env)
            bare.append(wall)
            bare_cpu.append(cpu)
            reset(request)
            wall, cpu = run_process([python, "manage.py", "import_return", SLUG, FORCE, str(path)], env)
            imported.append(wall)
            imported_cpu.append(cpu)
        reset(request)
        child = subprocess.run([python, __file__, "--in-process-child", str(path)], capture_output=True, text=True,
                               env=env)
        inproc = json.loads(child.stdout.strip().splitlines()[-1]) if child.returncode == 0 else \
            {"error": (child.stderr.strip().splitlines() or ["failed"])[-1]}
        reset(request)
        results[name] = {"bare_s": min(bare), "import_s": min(imported), "ratio": min(imported) / min(bare),
                         "bare_cpu_s": min(bare_cpu), "import_cpu_s": min(imported_cpu),
                         "cpu_ratio": min(imported_cpu) / min(bare_cpu),
                         "in_process": inproc, "mb": path.stat().st_size / 1e6, "startup_cpu_s": startup_cpu}
    print("\nImport end to end on PostgreSQL against a bare read of the same file "
          f"(best of {args.repeat}; xlsx read by python-calamine, csv by Python's csv module)")
    print(f"{'file':<16} {'MB':>5} {'bare s':>7} {'import s':>9} {'x bare':>7} {'goal':>5}   "
          f"{'CPU: bare s':>11} {'import s':>9} {'x bare':>7}   "
          f"{'in-process: bare s':>18} {'import s':>9} {'x bare':>7}")
    for name, r in results.items():
        ip = r["in_process"]
        tail = (f"{ip['bare']:>18.2f} {ip['import']:>9.2f} {ip['import'] / ip['bare']:>7.2f}" if "bare" in ip
                else f"   {ip.get('error')}")
        print(f"{name:<16} {r['mb']:>5.1f} {r['bare_s']:>7.2f} {r['import_s']:>9.2f} {r['ratio']:>7.2f} "
              f"{'met' if r['ratio'] <= GOALS[name] else 'NOT':>5}   {r['bare_cpu_s']:>11.2f} "
              f"{r['import_cpu_s']:>9.2f} {r['cpu_ratio']:>7.2f}   {tail}")
    print(f"the command's start-up alone (manage.py import_return --help): {startup_cpu:.2f} s CPU")
    print("goals: per-crime xlsx <= 1.5 x the bare read; csv and pivot <= 2 x (in-process: the import as the "
          "worker runs it; whole process: with the command's start-up)")
    for name, r in results.items():
        ip = r["in_process"]
        if "bare" in ip:
            print(f"  {name:<16} in-process {ip['import'] / ip['bare']:.2f} x: "
                  f"{'met' if ip['import'] / ip['bare'] <= GOALS[name] else 'NOT met'};  whole process (CPU) "
                  f"{r['cpu_ratio']:.2f} x: {'met' if r['cpu_ratio'] <= GOALS[name] else 'NOT met'}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
