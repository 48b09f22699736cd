"""What the benchmark scripts share: the database, Django, and synthetic campaigns loaded fast.

A synthetic campaign here is one campaign asking every force, each request answered (or all but
one, for a provisional campaign), a returned file per force with data and `cells` count rows per
force, loaded with COPY on PostgreSQL (bulk_create elsewhere). Campaigns are kept between runs
and rebuilt only when their shape differs, so a second `make bench` starts at once.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import os
import random
import resource
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NULL = "\\N"  # COPY text format
SEXES = ("", "F", "M")
BANDS = (("0-5", 0, 5), ("6-10", 6, 10), ("11-15", 11, 15), ("16-17", 16, 17))


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://", "pgsql://")) else None


def ensure_database(url: str) -> None:
    """CREATE DATABASE if it is missing (connecting to the server's 'postgres' database)."""
    import environ
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(url)
    params = {"host": config.get("HOST") or None, "port": config.get("PORT") or None,
              "user": config.get("USER") or None, "password": config.get("PASSWORD") or None}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
            print(f"created database {config['NAME']}")


def setup_django(migrate: bool = True) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foi_tracker.settings")
    # DEBUG is off here, as in production, so the app wants a key: a throwaway one for the bench.
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(40))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    # The test client speaks plain HTTP in-process: with DEBUG off every page would be a redirect
    # to HTTPS (the security settings), and the benches would measure the redirect.
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        from collection.forces.models import Force

        if not Force.objects.exists():
            call_command("load_reference_data", verbosity=0)


def cell_keys(codes, n: int, seed: int) -> list[tuple]:
    """n (offence, age, band, band_min, band_max, sex) keys: distinct while there are enough."""
    keys = [(code.pk, age, "", None, None, sex) for code, age, sex in itertools.product(codes, [*range(18), None], SEXES)]
    keys += [(code.pk, None, b, lo, hi, sex) for code, (b, lo, hi), sex in itertools.product(codes, BANDS, SEXES)]
    random.Random(seed).shuffle(keys)
    return [keys[i % len(keys)] for i in range(n)]


def build_campaign(slug: str, *, cells: int, suppressed: float = 0.03, final: bool = True, seed: int = 1,
                   quiet: bool = False) -> "Campaign":  # noqa: F821
    """The campaign `slug` with `cells` count rows per force with data; rebuilt if its shape differs."""
    from django.db import connection, transaction

    from collection.forces.models import Force, OffenceCode
    from collection.requests.models import Campaign, FoiRequest, Outcome, RequestStatus
    from collection.returns.models import OffenceCount, ReturnedFile, ReturnStatus

    forces = list(Force.objects.order_by("pk"))
    codes = list(OffenceCode.objects.order_by("code"))
    outcomes = [Outcome.PROVIDED] * (len(forces) - 5) + [Outcome.PARTIAL, Outcome.NIL_RETURN, Outcome.NOT_HELD,
                                                          Outcome.REFUSED, Outcome.NO_RESPONSE]
    with_data = [f for f, o in zip(forces, outcomes) if o in Outcome.with_data()]
    expected = len(with_data) * cells
    existing = Campaign.objects.filter(slug=slug).first()
    if existing is not None:
        have = OffenceCount.objects.filter(campaign=existing).count()
        outstanding = FoiRequest.objects.filter(campaign=existing, outcome="").exists()
        if have == expected and outstanding == (not final):
            return existing
    started = time.perf_counter()
    rnd = random.Random(seed)
    with transaction.atomic():
        if existing is not None:
            OffenceCount.objects.filter(campaign=existing).delete()
            ReturnedFile.objects.filter(request__campaign=existing).delete()
            existing.delete()
        campaign = Campaign.objects.create(slug=slug, title=f"Bench campaign {slug}", question="Synthetic",
                                           period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31),
                                           sent_on=dt.date(2016, 4, 1))
        received = dt.date(2016, 4, 1)
        requests = []
        for i, (force, outcome) in enumerate(zip(forces, outcomes)):
            open_ = not final and i == 0
            requests.append(FoiRequest(
                campaign=campaign, force=force, status=RequestStatus.SENT if open_ else RequestStatus.ANSWERED,
                outcome="" if open_ else outcome, received_on=received, due_on=dt.date(2016, 4, 29),
                sent_at=dt.datetime(2016, 4, 1, 9, tzinfo=dt.timezone.utc), sent_via="email",
                answered_on=None if open_ else received + dt.timedelta(days=rnd.randint(3, 50)),
                sections_cited="s.12" if outcome == Outcome.REFUSED else ""))
        requests = FoiRequest.objects.bulk_create(requests)
        files = {}
        for r in requests:
            if r.outcome in Outcome.with_data() or (not final and r.force in with_data):
                sha = hashlib.sha256(f"{slug}-{r.force.force_id}".encode()).hexdigest()
                files[r.force_id] = ReturnedFile.objects.create(
                    request=r, file=f"returns/{slug}/{r.force.force_id}/{sha[:12]}.xlsx",
                    original_name=f"{r.force.force_id}.xlsx", sha256=sha, size=1000, status=ReturnStatus.IMPORTED)
        keys = cell_keys(codes, cells, seed)
        period_id = campaign.periods.get(main=True).pk
        rows = []
        for r in requests:
            if r.force_id not in files:
                continue
            for offence, age, band, lo, hi, sex in keys:
                hidden = rnd.random() < suppressed
                rows.append((campaign.pk, period_id, r.force_id, r.pk, files[r.force_id].pk, offence, age, band, lo, hi,
                             sex,
                             None if hidden else rnd.randint(0, 30), hidden,
                             rnd.choice(["<5", "*", "x"]) if hidden else ""))
        columns = ("campaign_id", "period_id", "force_id", "request_id", "returned_file_id", "offence_id", "victim_age",
                   "age_band", "age_band_min", "age_band_max", "victim_sex", "count", "suppressed",
                   "suppressed_label")
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(NULL if v is None else ("t" if v is True else "f" if v is False else str(v))
                                       for v in row) + "\n")
            buffer.seek(0)
            with connection.cursor() as cur:
                with cur.copy(f"COPY collection_offencecount ({', '.join(columns)}) FROM STDIN") as copy:
                    while chunk := buffer.read(1 << 20):
                        copy.write(chunk)
        else:
            OffenceCount.objects.bulk_create([OffenceCount(**dict(zip(columns, row))) for row in rows],
                                             batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE collection_offencecount")
            cur.execute("ANALYZE collection_foirequest")
    if not quiet:
        print(f"built campaign {slug}: {len(rows):,} count rows in {time.perf_counter() - started:.1f}s")
    return campaign


def best_of(repeat: int, fn, warm: bool = True) -> float:
    if warm:
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _status_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def rss_mb() -> float:
    return _status_mb("VmRSS") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> float:
    """Start measuring the peak from here: the resident size now (Linux resets VmHWM to it).

    ru_maxrss will not do: Linux carries it over from the parent across fork and exec, so a child
    of a large process starts with the parent's peak."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    return rss_mb()


def peak_rss_mb() -> float:
    return _status_mb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
