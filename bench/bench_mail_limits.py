"""Benchmark: mail past its bounds (FOI_MAIL_MAX_PARTS, _ATTACHMENTS, _DECODED_BYTES) and the
memory one large message costs.

Usage:
    .venv/bin/python bench/bench_mail_limits.py [--parts 100000] [--megabytes 99] [--stdlib]

1. A message of --parts MIME parts (each a small CSV attachment), threaded to a request: the time
   `parse_message` takes to refuse it (the parts counted from the bytes), and the time the whole
   ingestion takes (stored whole, matched by its headers, nothing in it acted on). With --stdlib,
   also the time the standard parser alone takes to build it (policy.default, as the reader
   would without the bound: about half a minute on a laptop for 100,000 parts).
2. Peak memory of `ingest_mail`'s service (IngestPaths) for messages of about --megabytes,
   each in a fresh process (VmHWM): its high-water mark after Django has started and the
   database is open, against the same process before it reads the message. Three shapes:
   one attachment over the file size limit (left out of what the parser sees), attachments each
   under the limit that together decode past FOI_MAIL_MAX_DECODED_BYTES (refused before
   parsing), and the largest message read in full (attachments decoding to just under the limit).
Prints each figure and its goal (under 5 s; peak at most 3x the message's size); exits 0.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
MIB = 1024 * 1024


def setup(migrate: bool) -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    CACHE.mkdir(parents=True, exist_ok=True)
    db = CACHE / "mail-limits.sqlite3"
    if migrate:
        db.unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.pop("REDIS_URL", None)
    import _common

    _common.setup_django(migrate=migrate)


def many_parts(count: int, in_reply_to: str = "") -> bytes:
    head = ("From: FOI Unit <foi@kent.police.uk>\r\nTo: foi@research.example.org\r\nSubject: many files\r\n"
            "Date: Mon, 02 May 2016 10:00:00 +0100\r\nMessage-ID: <many@kent.police.uk>\r\n"
            + (f"In-Reply-To: {in_reply_to}\r\n" if in_reply_to else "")
            + 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="PART"\r\n\r\n').encode()
    part = b'--PART\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename="f%d.csv"\r\n\r\n' \
           b"offence,count\r\n88A,%d\r\n"
    return head + b"".join(part % (i, i) for i in range(count)) + b"--PART--\r\n"


def with_attachments(sizes: list[int]) -> bytes:
    """A message whose attachments (random bytes, base64) decode to `sizes` bytes each."""
    out = [b"From: FOI Unit <foi@kent.police.uk>\r\nTo: foi@research.example.org\r\nSubject: the extract\r\n"
           b"Date: Mon, 02 May 2016 10:00:00 +0100\r\nMessage-ID: <big-%d@kent.police.uk>\r\n" % sum(sizes),
           b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="PART"\r\n\r\n',
           b"--PART\r\nContent-Type: text/plain\r\n\r\nPlease find attached.\r\n"]
    for i, size in enumerate(sizes):
        encoded = base64.encodebytes(os.urandom(size)).replace(b"\n", b"\r\n")
        out.append(b'--PART\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n'
                   b'Content-Disposition: attachment; filename="extract-%d.bin"\r\n\r\n' % i + encoded)
    out.append(b"--PART--\r\n")
    return b"".join(out)


def parts_figures(count: int, stdlib: bool) -> None:
    from collection.forces.models import Force
    from collection.mail.parse import parse_message
    from collection.mail.services import IngestMessage
    from collection.requests.models import FoiRequest
    from collection.requests.services import CreateCampaign
    import datetime as dt

    Force.objects.filter(force_id="kent").update(foi_email="foi@kent.police.uk")
    campaign = CreateCampaign(slug="bench-limits", title="Bench", question="How many?",
                              period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31),
                              sent_on=dt.date(2016, 4, 6)).execute()
    request = campaign.requests.get(force__force_id="kent")
    FoiRequest.objects.filter(pk=request.pk).update(sent_message_id="<bench-request@research.example.org>")
    raw = many_parts(count, "<bench-request@research.example.org>")
    print(f"1. a message of {count:,} parts ({len(raw) / MIB:.1f} MB)")
    started = time.perf_counter()
    parsed = parse_message(raw)
    print(f"  parse_message refuses it:   {time.perf_counter() - started:.2f} s ({parsed.problem[:60]}...)")
    started = time.perf_counter()
    message = IngestMessage(raw).execute().message
    elapsed = time.perf_counter() - started
    print(f"  ingested whole, unread:     {elapsed:.2f} s (goal < 5 s), kind {message.kind}, "
          f"request {message.request.force.force_id if message.request else None}, "
          f"{message.attachments.count()} attachment rows")
    if stdlib:
        import email
        from email import policy

        started = time.perf_counter()
        email.message_from_bytes(raw, policy=policy.default)
        print(f"  the stdlib parser alone:    {time.perf_counter() - started:.2f} s (what the bound saves)")


def high_water() -> int:
    """This process's peak resident memory in bytes: VmHWM, which belongs to the process image.
    (ru_maxrss is not used: Linux carries it over from the parent through fork and exec, so a
    child would report the bench's own peak.)"""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(path: str) -> None:
    """In a fresh process: Django up, the database open, then one message through IngestPaths."""
    setup(migrate=False)
    from django.db import connection

    from collection.forces.models import Force
    from collection.mail.services import IngestPaths

    connection.ensure_connection()
    Force.objects.exists()
    before = high_water()
    started = time.perf_counter()
    (result,) = IngestPaths([path]).execute()
    elapsed = time.perf_counter() - started
    peak = high_water()
    print(json.dumps({"before": before, "peak": peak, "seconds": elapsed, "problem": result.message.problem,
                      "attachments": [(a.name, a.refused[:50]) for a in result.message.attachments.all()]}))


def memory_figures(megabytes: int) -> None:
    limit = 25 * MIB  # FOI_IMPORT_MAX_FILE_BYTES's default
    target = megabytes * MIB * 57 // 78  # decoded bytes of a message of that size (base64, 76-character lines)
    shapes = [("one attachment over the file limit", [target]),
              ("attachments under the file limit, past the decoded total", [limit - MIB] * (target // (limit - MIB))),
              ("read in full: attachments decoding just under the total", [24 * MIB, 24 * MIB])]
    print(f"2. peak memory of IngestPaths, each message in a fresh process (goal: at most 3x the message)")
    with tempfile.TemporaryDirectory() as folder:
        for label, sizes in shapes:
            path = Path(folder) / "message.eml"
            raw = with_attachments(sizes)
            path.write_bytes(raw)
            size = len(raw)
            del raw
            out = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True,
                                 env={**os.environ, "MEDIA_ROOT": str(Path(folder) / "media")}, check=True).stdout
            m = json.loads(out.strip().splitlines()[-1])
            extra = m["peak"] - m["before"]
            print(f"  {label}: message {size / MIB:.0f} MB; process {m['before'] / MIB:.0f} MB before, peak "
                  f"{m['peak'] / MIB:.0f} MB: +{extra / MIB:.0f} MB = {extra / size:.2f}x the message "
                  f"({m['peak'] / size:.2f}x counting the whole process), {m['seconds']:.1f} s"
                  + (f"; {m['problem'][:70]}" if m["problem"] else ""))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parts", type=int, default=100_000)
    parser.add_argument("--megabytes", type=int, default=99)
    parser.add_argument("--stdlib", action="store_true", help="also time the standard parser on the parts")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    setup(migrate=True)
    parts_figures(args.parts, args.stdlib)
    memory_figures(args.megabytes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
