from django.core.management.base import CommandError

from collection.reminders.services import SendReminders

from ._base import FoiCommand


class Command(FoiCommand):
    help = ("Send today's digests to campaign owners and chasers to late forces, each email once however "
            "often this runs (the same job beat runs every morning).")

    def add_arguments(self, parser):
        parser.add_argument("--today", help="YYYY-MM-DD: run as if it were this day (default: today)")
        parser.add_argument("--dry-run", action="store_true", help="say what would be sent; send and log nothing")
        parser.add_argument("--campaign", metavar="SLUG", help="only this campaign")

    def handle(self, *args, **o):
        today = self.date(o["today"], "--today")
        campaign = self.campaign(o["campaign"]) if o["campaign"] else None
        summary = SendReminders(today=today, dry_run=o["dry_run"], campaign=campaign,
                                triggered_by="command").execute()
        for line in summary.lines():
            self.stdout.write(line)
        for problem in summary.problems:
            self.stderr.write(self.style.WARNING(f"Problem: {problem}"))
        if summary.failed:
            raise CommandError(f"{len(summary.failed)} reminders could not be sent; they are logged as failed "
                               f"and the next run retries them")
