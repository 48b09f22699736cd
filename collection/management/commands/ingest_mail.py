import json

from django.core.management.base import CommandError

from collection.mail.services import IngestPaths
from collection.mail.sources import SourceError, messages_at

from ._base import FoiCommand


class Command(FoiCommand):
    help = ("Read forces' mail from files: .eml files, folders of them, mbox files, Maildir folders, "
            "Outlook .msg files. Each message is stored once, matched and read; nothing is deleted.")

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--json", action="store_true", help="Print a JSON list, one object per message read")

    def handle(self, *args, **o):
        for path in o["paths"]:  # refuse a bad path before storing anything
            try:
                next(iter(messages_at(path)), None)
            except (SourceError, OSError) as error:
                raise CommandError(str(error)) from None
        results = IngestPaths(o["paths"]).execute()
        if o["json"]:
            self.stdout.write(json.dumps([r.as_json() for r in results], indent=1, ensure_ascii=False))
            return
        for r in results:
            m = r.message
            where = f"{m.request.force.force_id} ({m.request.campaign.slug}, by {m.matched_by})" if m.request \
                else f"unmatched: {m.match_reason}"
            self.stdout.write(f"{r.source_name}: {'duplicate of an earlier delivery' if r.duplicate else m.kind} "
                              f"-> {where}")
        new = sum(1 for r in results if r.created)
        self.stdout.write(f"{len(results)} message(s) read, {new} new, {len(results) - new} already held.")
