"""Benchmark: the national aggregate of one campaign against the bare GROUP BY queries it needs.

Usage:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/foi_bench .venv/bin/python bench/bench_aggregate.py \
        [--campaigns 60] [--cells 400] [--repeat 5] [--rebuild]

Needs PostgreSQL (DATABASE_URL). Creates the database if it does not exist, migrates it, and
builds (once; reused on later runs) a synthetic history: --campaigns campaigns x 44 forces x
--cells count rows each (default 60 x 44 x 400 = 1,056,000 OffenceCount rows), loaded with
COPY. Then, for the campaign in the middle of the history, times (best of --repeat, after a
warm-up):

* aggregate: reports.figures.compute_aggregate(campaign), the ORM queries plus the rules,
  the timeliness table and the headline sentences: everything compile_aggregate prints;
* bare: the same GROUP BY queries written by hand in SQL and run through a cursor, rows
  fetched, nothing else done with them.

(Since the counts' subtotals, `reports/subtotals.py`, the aggregate sums those instead of the
counts on PostgreSQL, and comes in under the bare GROUP BYs.)

Prints both, the ratio aggregate/bare (goal <= 1.3) and the row count. Exits 0 (1 on no
DATABASE_URL or a database that cannot be reached).
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLUG_PREFIX = "bench-agg-"
NULL = "\\N"  # COPY text format

BARE_QUERIES = {
    "by age": """
        SELECT period_id, victim_age, age_band, age_band_min, age_band_max, SUM("count"),
               COUNT(*) FILTER (WHERE suppressed)
        FROM collection_offencecount WHERE campaign_id = %(c)s GROUP BY 1, 2, 3, 4, 5""",
    "by offence": """
        SELECT c.period_id, o.code, o.category, o.description, SUM(c."count")
        FROM collection_offencecount c JOIN collection_offencecode o ON o.id = c.offence_id
        WHERE c.campaign_id = %(c)s GROUP BY 1, 2, 3, 4""",
    "by force": """
        SELECT period_id, force_id, SUM("count") FROM collection_offencecount WHERE campaign_id = %(c)s
        GROUP BY 1, 2""",
    "requests": """
        SELECT r.force_id, f.force_id, f.name, r.outcome, r.status, r.received_on, r.due_on, r.answered_on,
               r.sections_cited
        FROM collection_foirequest r JOIN collection_force f ON f.id = r.force_id
        WHERE r.campaign_id = %(c)s ORDER BY f.name""",
    "suppressed cells": """
        SELECT c.period_id, f.force_id, o.code, c.victim_age, c.age_band, c.victim_sex, c.suppressed_label
        FROM collection_offencecount c JOIN collection_force f ON f.id = c.force_id
        JOIN collection_offencecode o ON o.id = c.offence_id
        WHERE c.campaign_id = %(c)s AND c.suppressed""",
    "extra non-working days": "SELECT date, description FROM collection_nonworkingday",
    "periods": """
        SELECT id, label, first_day, last_day, main FROM collection_campaignperiod WHERE campaign_id = %(c)s
        ORDER BY first_day""",
}


def fail(message: str) -> None:
    print(f"bench_aggregate: {message}", file=sys.stderr)
    sys.exit(1)


def ensure_database(url: str) -> None:
    """CREATE DATABASE if it is missing (connecting to the server's 'postgres' database)."""
    import environ
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        fail(f"DATABASE_URL must point at PostgreSQL, not {config['ENGINE']}")
    params = {"host": config.get("HOST") or None, "port": config.get("PORT") or None,
              "user": config.get("USER") or None, "password": config.get("PASSWORD") or None}
    try:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
                print(f"created database {config['NAME']}")
    except psycopg.OperationalError as error:
        fail(f"cannot reach PostgreSQL at {url}: {error}")


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foi_tracker.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def build_history(campaigns: int, cells: int, rebuild: bool) -> int:
    """The synthetic history: campaigns, 44 requests each with outcomes, `cells` count rows per force."""
    from django.db import connection, transaction

    from collection.forces.models import Force, OffenceCode
    from collection.requests.models import Campaign, CampaignPeriod, FoiRequest, Outcome, RequestStatus
    from collection.returns.models import OffenceCount
    from collection.periods import period_label

    existing = Campaign.objects.filter(slug__startswith=SLUG_PREFIX)
    forces = list(Force.objects.order_by("pk"))
    codes = list(OffenceCode.objects.order_by("code"))
    if not forces or not codes:
        fail("no forces or offence codes: the reference data migration did not run")
    expected = campaigns * len(forces) * cells
    have = OffenceCount.objects.filter(campaign__slug__startswith=SLUG_PREFIX).count() if existing.exists() else 0
    if not rebuild and existing.count() == campaigns and have == expected:
        print(f"reusing the synthetic history: {campaigns} campaigns, {have:,} count rows")
        return have
    started = time.perf_counter()
    with transaction.atomic():
        # Counts go first: OffenceCount protects nothing of the campaign, but is large.
        with connection.cursor() as cur:
            cur.execute("DELETE FROM collection_offencecount WHERE campaign_id IN "
                        "(SELECT id FROM collection_campaign WHERE slug LIKE %s)", [SLUG_PREFIX + "%"])
        existing.delete()
        rnd = random.Random(20160331)
        outcomes = [Outcome.PROVIDED] * 38 + [Outcome.PARTIAL, Outcome.NIL_RETURN, Outcome.NOT_HELD,
                                              Outcome.REFUSED, Outcome.NO_RESPONSE, Outcome.PROVIDED]
        made = []
        for i in range(campaigns):
            start = dt.date(2000 + i % 20, 4, 1)
            made.append(Campaign(slug=f"{SLUG_PREFIX}{i:03d}", title=f"Synthetic campaign {i}", question="Synthetic",
                                 period_start=start, period_end=start.replace(year=start.year + 1) - dt.timedelta(1),
                                 sent_on=start.replace(year=start.year + 1) + dt.timedelta(days=30)))
        made = Campaign.objects.bulk_create(made)
        # bulk_create sends no post_save: each campaign's main period made here, as the signal would.
        main = {p.campaign_id: p.pk for p in CampaignPeriod.objects.bulk_create(
            [CampaignPeriod(campaign=c, first_day=c.period_start, last_day=c.period_end, main=True,
                            label=period_label(c.period_start, c.period_end)) for c in made])}
        requests = []
        for campaign in made:
            received = campaign.sent_on
            for j, force in enumerate(forces):
                outcome = outcomes[(j + campaign.pk) % len(outcomes)]
                requests.append(FoiRequest(
                    campaign=campaign, force=force, status=RequestStatus.ANSWERED, outcome=outcome,
                    sent_at=dt.datetime.combine(received, dt.time(9), tzinfo=dt.timezone.utc), sent_via="email",
                    received_on=received, due_on=received + dt.timedelta(days=28),
                    answered_on=received + dt.timedelta(days=rnd.randint(3, 50)),
                    sections_cited="s.12" if outcome == Outcome.REFUSED else ""))
        requests = FoiRequest.objects.bulk_create(requests, batch_size=2000)
        # Cells: every code at ages 0-17 and unknown, then age bands, some suppressed, to `cells` per force.
        keys = [(code.pk, age, "", None, None) for code in codes for age in [*range(18), None]]
        bands = [("0-5", 0, 5), ("6-10", 6, 10), ("11-15", 11, 15), ("16-17", 16, 17)]
        keys += [(code.pk, None, b, lo, hi) for code in codes for b, lo, hi in bands]
        while len(keys) < cells:
            keys += [(k[0], k[1], k[2], k[3], k[4]) for k in keys[: cells - len(keys)]]
        keys = keys[:cells]
        buffer = io.StringIO()
        for request in requests:
            for offence, age, band, lo, hi in keys:
                suppressed = rnd.random() < 0.03
                count = NULL if suppressed else str(rnd.randint(0, 30))
                buffer.write("\t".join((
                    str(request.campaign_id), str(main[request.campaign_id]), str(request.force_id), str(request.pk),
                    str(offence),
                    NULL if age is None else str(age), band, NULL if lo is None else str(lo),
                    NULL if hi is None else str(hi), "", count, "t" if suppressed else "f",
                    rnd.choice(["<5", "*", "x"]) if suppressed else "")) + "\n")
        buffer.seek(0)
        columns = ("campaign_id", "period_id", "force_id", "request_id", "offence_id", "victim_age", "age_band", "age_band_min",
                   "age_band_max", "victim_sex", "count", "suppressed", "suppressed_label")
        with connection.cursor() as cur:
            with cur.copy(
                    f"COPY collection_offencecount ({', '.join(columns)}) FROM STDIN") as copy:
                while chunk := buffer.read(1 << 20):
                    copy.write(chunk)
    with connection.cursor() as cur:
        cur.execute("ANALYZE collection_offencecount")
        cur.execute("ANALYZE collection_foirequest")
    rows = OffenceCount.objects.filter(campaign__slug__startswith=SLUG_PREFIX).count()
    print(f"built the synthetic history: {campaigns} campaigns, {rows:,} count rows in "
          f"{time.perf_counter() - started:.1f}s")
    return rows


def best_of(repeat: int, fn) -> float:
    fn()  # warm-up: caches, plans
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def best_of_interleaved(repeat: int, *fns) -> list[float]:
    """Best of `repeat` for each function, run in turns so that both see the same load."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - t0)
    return [min(t) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=60)
    parser.add_argument("--cells", type=int, default=400, help="count rows per force per campaign")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the synthetic history")
    parser.add_argument("--json-out", help="also write the figures to this file")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        fail("set DATABASE_URL to a PostgreSQL database, e.g.\n"
             "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/foi_bench .venv/bin/python bench/bench_aggregate.py"
             + (f"\n(it is {url!r})" if url else ""))
    ensure_database(url)
    setup_django(url)

    from django.db import connection

    from collection.requests.models import Campaign
    from collection.returns.models import OffenceCount
    from reports.figures import compute_aggregate

    build_history(args.campaigns, args.cells, args.rebuild)
    total_rows = OffenceCount.objects.count()
    slugs = list(Campaign.objects.filter(slug__startswith=SLUG_PREFIX).order_by("slug").values_list("slug", flat=True))
    campaign = Campaign.objects.get(slug=slugs[len(slugs) // 2])
    campaign_rows = OffenceCount.objects.filter(campaign=campaign).count()

    def bare():
        with connection.cursor() as cur:
            for query in BARE_QUERIES.values():
                cur.execute(query, {"c": campaign.pk})
                cur.fetchall()

    def aggregate():
        return compute_aggregate(campaign)

    t_bare, t_agg = best_of_interleaved(args.repeat, bare, aggregate)
    per_query = {}
    with connection.cursor() as cur:
        for name, query in BARE_QUERIES.items():
            def one(q=query):
                cur.execute(q, {"c": campaign.pk})
                cur.fetchall()
            per_query[name] = best_of(args.repeat, one)
        cur.execute("EXPLAIN " + BARE_QUERIES["by age"], {"c": campaign.pk})
        plan = " / ".join(r[0].strip() for r in cur.fetchall()[:4])
    figures = aggregate()
    ratio = t_agg / t_bare
    print(f"\nOffenceCount rows in the database: {total_rows:,} ({len(slugs)} synthetic campaigns); "
          f"campaign {campaign.slug}: {campaign_rows:,} rows, {figures.total_offences:,} offences, "
          f"{len(figures.suppressed_cells):,} suppressed cells")
    print(f"plan of 'by age': {plan}")
    for name, t in per_query.items():
        print(f"  bare {name:<24} {t * 1000:8.2f} ms")
    print(f"bare GROUP BY queries (cursor, {len(BARE_QUERIES)} queries)  {t_bare * 1000:8.2f} ms  (best of {args.repeat})")
    print(f"full aggregate (compute_aggregate)          {t_agg * 1000:8.2f} ms  (best of {args.repeat})")
    print(f"ratio aggregate / bare                      {ratio:8.2f}   (goal <= 1.3: {'met' if ratio <= 1.3 else 'NOT met'})")
    if args.json_out:
        import json

        Path(args.json_out).write_text(json.dumps({"bare_ms": t_bare * 1000, "aggregate_ms": t_agg * 1000,
                                                   "ratio": ratio, "campaign_rows": campaign_rows}, indent=2))


if __name__ == "__main__":
    main()
