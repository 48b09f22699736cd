"""Benchmark: the final compile of a campaign of a million counts against its provisional compile.

Usage:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/foi_bench .venv/bin/python bench/bench_compile.py \
        [--cells 23000] [--repeat 3] [--rebuild]

Needs PostgreSQL (DATABASE_URL). Builds (once; reused on later runs) one synthetic campaign of 44
forces x --cells count rows (default 1,012,000), every force answered, with bench_aggregate's
builder. Then times, best of --repeat after a warm-up:

* provisional: `CompileAggregate(campaign, final=False, save=False)`: the figures (what
  `compile_aggregate --provisional` and the report page compute);
* final: `CompileAggregate(campaign, final=True)`: the figures, a snapshot, its dataset rows
  stored (`reports.dataset.store`) and their checksum; each run rolled back so the next starts
  from the same data;
* and, apart, the final's two dataset steps: store, and the checksum of the stored rows.

Prints each, and the ratio final/provisional (goal <= 2). On a machine whose cores are shared the
wall times wander with the load: when the database runs on this machine (its backend's /proc
readable), it also prints the CPU time of each compile, this process's and its database
backend's together, best of --repeat with parallel query off (so that the backend does all of
the database's work), which the load moves much less. Exits 0 (1 on no DATABASE_URL).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_aggregate as history  # noqa: E402  (its database set-up and synthetic builder)

history.SLUG_PREFIX = "bench-compile-"


class RolledBack(Exception):
    pass


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def best(repeat: int, fn) -> float:
    fn()  # warm-up: caches, plans
    return min(timed(fn) for _ in range(repeat))


def backend_cpu_reader():
    """A function giving the CPU seconds of this process and of its database backend so far, or
    None when the backend's /proc entry cannot be read (a database on another machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    stat, tick = Path(f"/proc/{pid}/stat"), os.sysconf("SC_CLK_TCK")

    def read() -> float:
        fields = stat.read_text().rpartition(")")[2].split()
        return time.process_time() + (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    try:
        read()
    except OSError:
        return None
    return read


def best_cpu(repeat: int, fn, cpu) -> float:
    fn()
    times = []
    for _ in range(repeat):
        before = cpu()
        fn()
        times.append(cpu() - before)
    return min(times)


def rolled_back(fn):
    """Run fn in a transaction rolled back after: a final compile writes a snapshot each time."""
    from django.db import transaction

    def run():
        try:
            with transaction.atomic():
                fn()
                raise RolledBack
        except RolledBack:
            pass
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=23000, help="count rows per force")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--json-out", help="also write the figures to this file")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        history.fail("set DATABASE_URL to a PostgreSQL database")
    history.ensure_database(url)
    history.setup_django(url)
    rows = history.build_history(1, args.cells, args.rebuild)

    from collection.requests.models import Campaign
    from reports import dataset
    from reports.models import AggregateSnapshot
    from reports.services import CompileAggregate

    campaign = Campaign.objects.get(slug__startswith=history.SLUG_PREFIX)
    provisional = best(args.repeat, lambda: CompileAggregate(campaign, final=False, save=False).execute())
    final = best(args.repeat, rolled_back(lambda: CompileAggregate(campaign, final=True, trigger="bench").execute()))

    def store_and_sum():
        snapshot = AggregateSnapshot.objects.create(campaign=campaign, final=False, figures={}, sources=[])
        t_store = timed(lambda: dataset.store(snapshot.pk, campaign.pk))
        t_sum = timed(lambda: dataset.csv_sha256(dataset.stored(snapshot.pk)))
        steps.append((t_store, t_sum))
    steps: list[tuple[float, float]] = []
    for _ in range(args.repeat):
        rolled_back(store_and_sum)()
    store, checksum = min(s for s, _ in steps), min(c for _, c in steps)
    print(f"campaign of {rows:,} counts (44 forces x {args.cells:,}), best of {args.repeat}:")
    print(f"  provisional compile          {provisional:8.3f} s")
    print(f"  final compile                {final:8.3f} s")
    print(f"    of which dataset store     {store:8.3f} s")
    print(f"    of which stored checksum   {checksum:8.3f} s")
    print(f"  ratio final/provisional      {final / provisional:8.2f}    goal <= 2")
    result = {"counts": rows, "provisional_s": provisional, "final_s": final, "store_s": store,
              "checksum_s": checksum, "ratio": final / provisional}
    cpu = backend_cpu_reader()
    if cpu is not None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SET max_parallel_workers_per_gather = 0")
        cpu_provisional = best_cpu(args.repeat, lambda: CompileAggregate(campaign, final=False, save=False).execute(),
                                   cpu)
        cpu_final = best_cpu(args.repeat, rolled_back(
            lambda: CompileAggregate(campaign, final=True, trigger="bench").execute()), cpu)
        print(f"CPU time (this process and its database backend, parallel query off), best of {args.repeat}:")
        print(f"  provisional compile          {cpu_provisional:8.3f} s")
        print(f"  final compile                {cpu_final:8.3f} s")
        print(f"  ratio final/provisional      {cpu_final / cpu_provisional:8.2f}")
        result.update(cpu_provisional_s=cpu_provisional, cpu_final_s=cpu_final, cpu_ratio=cpu_final / cpu_provisional)
    print(f"load average (1, 5, 15 min) at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json_out:
        import json

        Path(args.json_out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
