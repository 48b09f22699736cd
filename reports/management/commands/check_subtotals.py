from django.core.management import CommandError
from django.db import connection, transaction

from collection.management.commands._base import FoiCommand

from reports import subtotals


class Command(FoiCommand):
    help = ("Check that the counts' subtotals (which the figures are summed from on PostgreSQL) equal the counts' "
            "own sums; --rebuild makes them again from the counts (the counts are locked against writes meanwhile). "
            "Exit status 1 when they differ and were not rebuilt.")

    def add_arguments(self, parser):
        parser.add_argument("slug", nargs="?", help="one campaign (default: every campaign)")
        parser.add_argument("--rebuild", action="store_true", help="make the subtotals again from the counts")

    def handle(self, *args, **o):
        campaign_id = self.campaign(o["slug"]).pk if o["slug"] else None
        if not subtotals.kept(connection):
            self.stdout.write(f"{connection.vendor} keeps no subtotals: the figures are summed from the counts.")
            return
        with transaction.atomic(), connection.cursor() as cursor:
            differing = subtotals.drift(cursor, campaign_id)
            if differing and o["rebuild"]:
                subtotals.rebuild(cursor, campaign_id)
        if not differing:
            self.stdout.write("The subtotals equal the counts' own sums.")
        elif o["rebuild"]:
            self.stdout.write(f"Rebuilt the subtotals: {len(differing)} of their sums differed from the counts'.")
        else:
            raise CommandError(f"{len(differing)} of the subtotals' sums differ from the counts' (campaign ids "
                               f"{sorted({row[1] for row in differing})}): run check_subtotals --rebuild")
