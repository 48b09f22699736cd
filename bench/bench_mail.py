"""Benchmark: ingesting forces' mail, the path every message takes (poller, ingest_mail, upload).

Usage:
    .venv/bin/python bench/bench_mail.py [--messages 2000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/foi_bench_mail .venv/bin/python bench/bench_mail.py

Builds a fresh database (a SQLite file under bench/.cache/, or DATABASE_URL, created if
missing and emptied of earlier bench campaigns), enough campaigns of 44 forces each that every
message answers its own request, and --messages .eml files: each a reply threaded to our
request with the force's practice return attached (xlsx, xls, ods or csv), so every message is
stored, matched, read, its attachment kept and previewed by the importer. Then times
IngestPaths over the folder and prints messages per second and the process's peak memory
(max RSS). A second run over the same folder (every message a duplicate) is timed too.
Exits 0.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
RETURNS = ROOT / "tests" / "data" / "returns"
SLUG_PREFIX = "bench-mail-"


def setup_django(media: Path) -> None:
    sys.path.insert(0, str(ROOT))
    CACHE.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("DATABASE_URL"):
        db = CACHE / "mail-bench.sqlite3"
        db.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ["MEDIA_ROOT"] = str(media)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foi_tracker.settings")
    if os.environ["DATABASE_URL"].startswith("postgres"):
        ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_reference_data", verbosity=0)


def ensure_database(url: str) -> None:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit((parts.scheme.replace("postgres", "postgresql", 1) if parts.scheme == "postgres"
                        else parts.scheme, parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def build(messages: int, folder: Path) -> None:
    from collection.forces.models import Force
    from collection.mail.models import MailMessage
    from collection.requests.models import Campaign, FoiRequest
    from collection.returns.models import ReturnedFile
    from collection.requests.services import CreateCampaign

    MailMessage.objects.filter(request__campaign__slug__startswith=SLUG_PREFIX).delete()
    ReturnedFile.objects.filter(request__campaign__slug__startswith=SLUG_PREFIX).delete()
    Campaign.objects.filter(slug__startswith=SLUG_PREFIX).delete()
    forces = list(Force.objects.order_by("force_id"))
    for force in forces:
        Force.objects.filter(pk=force.pk).update(foi_email=f"foi@{force.force_id}.police.uk")
    files = {p.stem: p for p in RETURNS.iterdir() if p.suffix in (".xlsx", ".xls", ".ods", ".csv")}
    n_campaigns = -(-messages // len(forces))
    made = 0
    for c in range(n_campaigns):
        campaign = CreateCampaign(slug=f"{SLUG_PREFIX}{c:03d}", title=f"Bench {c}", question="?",
                                  period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31),
                                  sent_on=dt.date(2016, 4, 6)).execute()
        for request in campaign.requests.select_related("force").order_by("force__force_id"):
            if made == messages:
                break
            sent_id = f"<bench.{c}.{request.force.force_id}@localhost>"
            FoiRequest.objects.filter(pk=request.pk).update(sent_message_id=sent_id)
            source = files.get(request.force.force_id) or files["kent"]
            msg = EmailMessage()
            msg["From"] = f"FOI unit <foi@{request.force.force_id}.police.uk>"
            msg["To"] = "foi-research@localhost"
            msg["Subject"] = f"RE: Freedom of Information request {request.our_reference}: Bench {c}"
            msg["Date"] = format_datetime(dt.datetime(2016, 4, 20, 10, 0, tzinfo=dt.timezone.utc))
            msg["Message-ID"] = f"<reply.{c}.{request.force.force_id}@{request.force.force_id}.police.uk>"
            msg["In-Reply-To"] = sent_id
            msg.set_content("Dear Requester\n\nOur ref: FOI {0:06d}/16\n\nPlease find the information attached.\n"
                            .format(made))
            msg.add_attachment(source.read_bytes(), maintype="application", subtype="octet-stream",
                               filename=f"FOI response {made}{source.suffix}")
            (folder / f"msg-{made:05d}.eml").write_bytes(msg.as_bytes())
            made += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--json-out", help="also write the figures to this JSON file (bench/run_all.py)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="foi-bench-mail-"))
    try:
        setup_django(work / "media")
        folder = work / "mailbox"
        folder.mkdir()
        build(args.messages, folder)
        size = sum(p.stat().st_size for p in folder.iterdir())
        from collection.mail.services import IngestPaths
        from collection.mail.models import MailMessage
        from collection.returns.models import ReturnedFile, ReturnStatus

        started = time.perf_counter()
        results = IngestPaths([str(folder)]).execute()
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = IngestPaths([str(folder)]).execute()
        second = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        matched = sum(1 for r in results if r.message.request_id)
        pending = ReturnedFile.objects.filter(status=ReturnStatus.PENDING).count()
        db = os.environ["DATABASE_URL"].split(":", 1)[0]
        print(f"mail ingestion ({db}): {len(results):,} messages with attachments, {size / 1e6:.1f} MB of mail")
        print(f"  first read:  {first:.1f} s, {len(results) / first:.1f} messages/s "
              f"({matched:,} matched, {pending:,} attachments previewed clean, "
              f"{MailMessage.objects.count():,} stored)")
        print(f"  second read: {second:.1f} s, {len(again) / second:.1f} messages/s "
              f"(all {sum(1 for r in again if r.duplicate):,} recognised as already held)")
        print(f"  peak memory: {peak_mb:.0f} MB (max RSS of the process)")
        if args.json_out:
            Path(args.json_out).write_text(json.dumps({
                "database": db, "messages": len(results), "seconds": round(first, 2),
                "per_second": len(results) / first, "again_per_second": len(again) / second,
                "peak_mb": peak_mb, "matched": matched, "previewed_clean": pending}))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
