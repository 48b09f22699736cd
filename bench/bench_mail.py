"""Benchmark: ingesting forces' mail (`ingest_mail`'s service, IngestPaths: the path every message
takes, poller and upload alike) against the bare work of reading the same mail.

Usage:
    .venv/bin/python bench/bench_mail.py [--messages 2000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/foi_bench_mail .venv/bin/python bench/bench_mail.py

Builds a fresh database (a SQLite file under bench/.cache/, or DATABASE_URL, created if
missing and emptied of earlier bench campaigns), enough campaigns of 44 forces each that every
message answers its own request, and --messages .eml files: each a reply threaded to our
request with the force's practice return attached (xlsx, xls, ods or csv). Every message is
stored, matched, read, checked for its sender, its attachment kept, read by the importer and
previewed, and its suggestion made.

Side by side, in this process:
  * the bare work: for every file, a full `email` parse (policy.default) with every part decoded,
    and a bare read of each attached table (python-calamine's rows, or csv.reader's): the least
    any reader of this mail must do;
  * the ingestion, timed once on an empty inbox (a second copy of the database is not made: the
    first run is the one that stores), with its SQL statements counted (reads and writes apart
    from transaction control: BEGIN, COMMIT, SAVEPOINT, RELEASE);
  * the same mail again (every message a duplicate).
The bare work is timed before and after the ingestion and its faster run kept, so the ratio
compares like with like on a shared machine; the process's CPU time is given beside the time
elapsed (on a machine others load, it changes less with what they do). Peak memory is the process's high-water mark
(VmHWM, reset before the ingestion). Prints each figure, the ratio and queries per message;
exits 0 (a benchmark measures, tests decide).
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import email
import io
import json
import os
import shutil
import sys
import tempfile
import time
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
RETURNS = ROOT / "tests" / "data" / "returns"
SLUG_PREFIX = "bench-mail-"
TABLES = (".xlsx", ".xls", ".ods", ".csv")
GOAL_RATIO, GOAL_QUERIES, GOAL_MB = 3.0, 6.0, 150.0


def setup_django(media: Path) -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    CACHE.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("DATABASE_URL"):
        db = CACHE / "mail-bench.sqlite3"
        db.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ["MEDIA_ROOT"] = str(media)
    os.environ.pop("REDIS_URL", None)
    import _common

    if _common.postgres_url():
        _common.ensure_database(os.environ["DATABASE_URL"])
    _common.setup_django()


def build(messages: int, folder: Path) -> None:
    from collection.forces.models import Force
    from collection.mail.models import MailMessage
    from collection.requests.models import Campaign, FoiRequest
    from collection.requests.services import CreateCampaign
    from collection.returns.models import ReturnedFile

    MailMessage.objects.filter(request__campaign__slug__startswith=SLUG_PREFIX).delete()
    ReturnedFile.objects.filter(request__campaign__slug__startswith=SLUG_PREFIX).delete()
    Campaign.objects.filter(slug__startswith=SLUG_PREFIX).delete()
    forces = list(Force.objects.order_by("force_id"))
    for force in forces:
        Force.objects.filter(pk=force.pk).update(foi_email=f"foi@{force.force_id}.police.uk")
    files = {p.stem: p for p in RETURNS.iterdir() if p.suffix in TABLES}
    made = 0
    for c in range(-(-messages // len(forces))):
        campaign = CreateCampaign(slug=f"{SLUG_PREFIX}{c:03d}", title=f"Bench {c}", question="?",
                                  period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31),
                                  sent_on=dt.date(2016, 4, 6)).execute()
        for request in campaign.requests.select_related("force").order_by("force__force_id"):
            if made == messages:
                break
            sent_id = f"<bench.{c}.{request.force.force_id}@localhost>"
            FoiRequest.objects.filter(pk=request.pk).update(sent_message_id=sent_id)
            source = files.get(request.force.force_id) or files["kent"]
            (folder / f"msg-{made:05d}.eml").write_bytes(reply(request, c, made, sent_id, source))
            made += 1


def reply(request, c: int, n: int, sent_id: str, source: Path) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"FOI unit <foi@{request.force.force_id}.police.uk>"
    msg["To"] = "foi-research@localhost"
    msg["Subject"] = f"RE: Freedom of Information request {request.our_reference}: Bench {c}"
    msg["Date"] = format_datetime(dt.datetime(2016, 4, 20, 10, 0, tzinfo=dt.timezone.utc))
    msg["Message-ID"] = f"<reply.{c}.{request.force.force_id}@{request.force.force_id}.police.uk>"
    msg["In-Reply-To"] = sent_id
    msg.set_content(f"Dear Requester\n\nOur ref: FOI {n:06d}/16\n\nPlease find the information attached.\n")
    msg.add_attachment(source.read_bytes(), maintype="application", subtype="octet-stream",
                       filename=f"FOI response {n}{source.suffix}")
    return msg.as_bytes()


def bare_read(raw: bytes) -> int:
    """The least any reader of this mail does: parse it, decode every part, read each table's rows."""
    from python_calamine import CalamineWorkbook

    rows = 0
    for part in email.message_from_bytes(raw, policy=policy.default).walk():
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True) or b""
        name = (part.get_filename() or "").lower()
        if name.endswith(".csv"):
            rows += sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8-sig", "replace"))))
        elif name.endswith(TABLES):
            book = CalamineWorkbook.from_filelike(io.BytesIO(data))
            rows += sum(1 for _ in book.get_sheet_by_name(book.sheet_names[0]).iter_rows())
    return rows


def time_bare(folder: Path) -> tuple[float, float]:
    """Seconds elapsed and seconds of the process's CPU time."""
    started, cpu = time.perf_counter(), time.process_time()
    for path in sorted(folder.iterdir()):
        bare_read(path.read_bytes())
    return time.perf_counter() - started, time.process_time() - cpu


class StatementCounter:
    """Counts the SQL the ingestion sends (a connection execute wrapper): reads and writes, and
    transaction control apart."""

    CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")

    def __init__(self):
        self.queries = self.control = 0

    def __call__(self, execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(self.CONTROL):
            self.control += 1
        else:
            self.queries += 1
        return execute(sql, params, many, context)


def ingest(folder: Path) -> tuple[float, float, list, StatementCounter]:
    from django.db import connection

    from collection.mail.services import IngestPaths

    counter = StatementCounter()
    with connection.execute_wrapper(counter):
        started, cpu = time.perf_counter(), time.process_time()
        results = IngestPaths([str(folder)]).execute()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return seconds, cpu, results, counter


def measure(messages: int, work: Path) -> dict:
    import _common

    folder = work / "mailbox"
    folder.mkdir()
    build(messages, folder)
    size = sum(p.stat().st_size for p in folder.iterdir())
    bare_before = time_bare(folder)
    _common.reset_peak_rss()
    first, first_cpu, results, counter = ingest(folder)
    peak_mb = _common.peak_rss_mb()
    bare_after = time_bare(folder)
    second, _, again, _ = ingest(folder)
    from collection.mail.models import MailMessage
    from collection.returns.models import ReturnedFile, ReturnStatus

    bare, bare_cpu = min(bare_before[0], bare_after[0]), min(bare_before[1], bare_after[1])
    n = len(results)
    return {"database": os.environ["DATABASE_URL"].split(":", 1)[0], "messages": n, "mb_of_mail": size / 1e6,
            "seconds": first, "per_second": n / first, "bare_seconds": bare, "bare_per_second": n / bare,
            "ratio": first / bare, "cpu_seconds": first_cpu, "bare_cpu_seconds": bare_cpu,
            "cpu_ratio": first_cpu / bare_cpu, "queries_per_message": counter.queries / n,
            "control_per_message": counter.control / n, "again_per_second": len(again) / second,
            "peak_mb": peak_mb, "matched": sum(1 for r in results if r.message.request_id),
            "previewed_clean": ReturnedFile.objects.filter(status=ReturnStatus.PENDING).count(),
            "stored": MailMessage.objects.count(), "duplicates": sum(1 for r in again if r.duplicate)}


def report(m: dict) -> None:
    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print(f"mail ingestion ({m['database']}): {m['messages']:,} messages, each with a return attached, "
          f"{m['mb_of_mail']:.1f} MB of mail")
    print(f"  bare work (email parse, parts decoded, each table's rows read): {m['bare_seconds']:.2f} s, "
          f"{m['bare_per_second']:.0f} messages/s")
    print(f"  ingest_mail (IngestPaths):  {m['seconds']:.2f} s, {m['per_second']:.0f} messages/s "
          f"({m['matched']:,} matched, {m['previewed_clean']:,} attachments previewed clean, {m['stored']:,} stored)")
    print(f"  ratio to the bare work:     {m['ratio']:.2f} x   (goal <= {GOAL_RATIO:g} x: "
          f"{verdict(m['ratio'] <= GOAL_RATIO)})")
    print(f"  the same in CPU time:       {m['cpu_ratio']:.2f} x   ({m['cpu_seconds']:.2f} s against "
          f"{m['bare_cpu_seconds']:.2f} s: the process's own, whatever else the machine runs)")
    print(f"  queries per message:        {m['queries_per_message']:.2f}   (goal <= {GOAL_QUERIES:g}: "
          f"{verdict(m['queries_per_message'] <= GOAL_QUERIES)}; and {m['control_per_message']:.2f} transaction "
          "statements: BEGIN/COMMIT and a SAVEPOINT per batch, SAVEPOINT/RELEASE for a message stored alone)")
    print(f"  peak memory:                {m['peak_mb']:.0f} MB (VmHWM; goal < {GOAL_MB:g} MB: "
          f"{verdict(m['peak_mb'] < GOAL_MB)})")
    print(f"  the same mail again:        {m['again_per_second']:.0f} messages/s "
          f"(all {m['duplicates']:,} recognised as already held)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--json-out", help="also write the figures to this JSON file (bench/run_all.py)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="foi-bench-mail-"))
    try:
        setup_django(work / "media")
        figures = measure(args.messages, work)
        report(figures)
        if args.json_out:
            Path(args.json_out).write_text(json.dumps(figures))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
