import datetime as dt

from django.core.management.base import CommandError

from collection.jobs.media import CleanupMedia

from ._base import FoiCommand


class Command(FoiCommand):
    help = ("Remove stored files (under MEDIA_ROOT) that no row names and that are older than a day: what a "
            "run killed between writing a file and committing its row leaves behind. Lists each file removed. "
            "Beat runs it daily.")

    def add_arguments(self, parser):
        parser.add_argument("--older-than-hours", type=float, default=24.0,
                            help="only files older than this (default 24: a younger file may be a run's in progress)")
        parser.add_argument("--dry-run", action="store_true", help="list what would be removed; remove nothing")

    def handle(self, *args, **o):
        hours = o["older_than_hours"]
        if not 0 <= hours <= 24 * 3650:
            raise CommandError(f"--older-than-hours: {hours} is not between 0 and {24 * 3650}")
        cleanup = CleanupMedia(dt.timedelta(hours=hours), dry_run=o["dry_run"]).execute()
        for name in cleanup.removed:
            self.stdout.write(("would remove " if o["dry_run"] else "removed ") + name)
        self.stdout.write(cleanup.line() + ".")
