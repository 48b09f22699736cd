from pathlib import Path

from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from collection.importer import ImportRefused
from ...requests.models import Outcome
from collection.returns.services import ImportReturn
from ...requests.services import RecordResponse
from ...challenges.models import OUTCOMES_OF
from ...challenges.services import RecordChallengeStep, next_step_for

from ._base import FoiCommand


class Command(FoiCommand):
    help = "Record a force's answer to a campaign's request."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("force_id")
        parser.add_argument("--outcome", required=True, choices=Outcome.values)
        parser.add_argument("--received-on", help="YYYY-MM-DD (not needed for --outcome no_response: closed today)")
        parser.add_argument("--sections", default="", help='FOIA sections cited, e.g. "s.12,s.40(2)"')
        parser.add_argument("--reference", default="", help="The force's own reference")
        parser.add_argument("--file", help="The file the force sent: imported in the same transaction")
        parser.add_argument("--mapping", help="With --file: a JSON column mapping")
        parser.add_argument("--review", choices=OUTCOMES_OF["review_answered"],
                            help="This answer is the force's internal review: it upheld, overturned or partly "
                                 "overturned its first answer (recorded on the challenge ladder too)")
        parser.add_argument("--today", help="YYYY-MM-DD, for the next step shown (default: today)")

    def handle(self, *args, **o):
        campaign = self.campaign(o["slug"])
        request = self.request(campaign, o["force_id"])
        received_on = self.date(o["received_on"], "--received-on")
        today = self.date(o["today"], "--today") or timezone.localdate()
        with transaction.atomic():
            self.record(request, received_on, o)
        request.refresh_from_db()
        self.stdout.write(f"Recorded {request.force.name}: {request.get_outcome_display()} on "
                          f"{request.answered_on}.")
        found = next_step_for(request, today)
        if found:
            self.stdout.write(f"Next: {found.action}, due {found.due_on.isoformat()}. {found}")

    def record(self, request, received_on, o):
        if o["review"]:
            if received_on is None:
                raise CommandError("--received-on: the day the review's answer arrived is needed with --review")
            RecordChallengeStep(request, "review_answered", received_on, outcome=o["review"]).execute()
        if o["file"]:
            from .import_return import read_file, read_mapping

            data, mapping = read_file(o["file"]), read_mapping(o["mapping"])
            try:
                imported = ImportReturn(request, data, Path(o["file"]).name, mapping=mapping, outcome=o["outcome"],
                                        received_on=received_on, sections=o["sections"],
                                        force_reference=o["reference"]).execute()
            except ImportRefused as refusal:
                raise CommandError(f"refused, nothing recorded: {refusal}") from None
            if imported.result is None and imported.returned is not None and not imported.unchanged:
                why = imported.warnings[0].split(" is ", 1)[-1] if imported.warnings else "kept on record"
                self.stdout.write(f"Kept {imported.returned.original_name} on record (SHA-256 "
                                  f"{imported.returned.sha256[:16]}...): {why}.")
            else:
                self.stdout.write(f"Imported {imported.cells} cells from {Path(o['file']).name}.")
        else:
            RecordResponse(request, o["outcome"], received_on, sections=o["sections"],
                           force_reference=o["reference"]).execute()
