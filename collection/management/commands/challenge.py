"""Challenge a force's answer from the command line: draft the internal-review letter, or record a
step of the ladder (the same services as the workspace's Challenge button)."""
import hashlib
import json
import os
from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone

from ...challenges.models import STEPS, StepOutcome
from ...challenges.pack import IcoPack
from ...challenges.services import DraftReviewLetter, RecordChallengeStep, next_step_for
from ...requests.models import working_calendar

from ._base import FoiCommand


class Command(FoiCommand):
    help = ("Challenge a force's answer: --draft prints the internal-review letter; --record STEP --date D "
            "records a step of the ladder; with neither, shows the ladder and the next step.")

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("force_id")
        parser.add_argument("--draft", action="store_true", help="Print the drafted internal-review letter")
        parser.add_argument("--record", metavar="STEP", help=f"Record a step: {', '.join(STEPS)}")
        parser.add_argument("--date", help="YYYY-MM-DD: the day the step happened (needed with --record)")
        parser.add_argument("--outcome", default="", help=f"For review_answered or decision_notice: "
                                                          f"{', '.join(StepOutcome.values)}")
        parser.add_argument("--reference", default="", help="The ICO's case or decision notice reference")
        parser.add_argument("--notes", default="")
        parser.add_argument("--letter-file", help="With --record review_asked: the letter as sent (a text file)")
        parser.add_argument("--today", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--ico-pack", metavar="OUT.zip",
                            help="Write the ICO complaint pack (chronology, messages, files, grounds, SHA256SUMS)")

    def handle(self, *args, **o):
        campaign = self.campaign(o["slug"])
        request = self.request(campaign, o["force_id"])
        today = self.date(o["today"], "--today") or timezone.localdate()
        if sum(bool(o[k]) for k in ("draft", "record", "ico_pack")) > 1:
            raise CommandError("--draft, --record and --ico-pack: choose one")
        if o["ico_pack"]:
            self.ico_pack(request, today, o["ico_pack"])
            return
        if o["draft"]:
            letter = DraftReviewLetter(request, today).execute()
            self.stdout.write(f"Subject: {letter.subject}\n\n{letter.body}")
            return
        if o["record"]:
            self.record(request, o)
        self.show(request, today, o["json"])

    def ico_pack(self, request, today, out):
        """Write the pack whole or not at all: built in memory, then moved into place."""
        target = Path(out)
        if not target.parent.is_dir():
            raise CommandError(f"--ico-pack: {target.parent} is not a folder")
        data = IcoPack(request, today).zip()
        partial = target.with_name(f".{target.name}.partial")
        partial.write_bytes(data)
        os.replace(partial, target)
        self.stdout.write(f"{request.force.name}: ICO complaint pack written to {target} "
                          f"({len(data)} bytes, SHA-256 {hashlib.sha256(data).hexdigest()})")

    def record(self, request, o):
        if o["record"] not in STEPS:
            raise CommandError(f"--record: {o['record']!r} is not one of {', '.join(STEPS)}")
        if not o["date"]:
            raise CommandError("--date: the day the step happened is needed with --record")
        on = self.date(o["date"], "--date")
        letter = ""
        if o["letter_file"]:
            with open(o["letter_file"], encoding="utf-8") as handle:
                letter = handle.read()
        RecordChallengeStep(request, o["record"], on, outcome=o["outcome"], reference=o["reference"],
                            notes=o["notes"], letter=letter).execute()
        request.refresh_from_db()

    def show(self, request, today, as_json):
        steps = list(request.challenge_steps.order_by("date", "pk"))
        found = next_step_for(request, today, working_calendar())
        if as_json:
            self.stdout.write(json.dumps({
                "force_id": request.force.force_id, "status": request.status,
                "steps": [{"stage": s.stage, "kind": s.kind, "date": s.date.isoformat(), "outcome": s.outcome or None,
                           "ico_reference": s.ico_reference or None} for s in steps],
                "next_step": found.action if found else None,
                "next_step_due": found.due_on.isoformat() if found else None,
                "next_step_why": str(found) if found else None}, indent=2))
            return
        self.stdout.write(f"{request.force.name} ({request.campaign.slug}): {request.get_status_display()}")
        for s in steps:
            self.stdout.write(f"  {s.date.isoformat()}  {s.label}" + (f" [{s.ico_reference}]" if s.ico_reference else ""))
        if found:
            self.stdout.write(f"Next: {found.action}, due {found.due_on.isoformat()}{' (late)' if found.late else ''}. {found}")
        else:
            self.stdout.write("Next: nothing on a clock.")
