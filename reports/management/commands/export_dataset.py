from pathlib import Path

from django.core.management.base import CommandError

from collection.management.commands._base import FoiCommand

from reports.services import EXPORT_FORMATS, ExportDataset


class Command(FoiCommand):
    help = ("Export a campaign's national dataset (one row per force, offence, age and sex) as csv, xlsx "
            "(with headline, by-age, by-force and metadata sheets) or json.")

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--format", dest="fmt", choices=EXPORT_FORMATS, default="csv")
        parser.add_argument("--output", required=True, help="file to write ('-' for standard output)")

    def handle(self, *args, **o):
        campaign = self.campaign(o["slug"])
        result = ExportDataset(campaign, o["fmt"]).execute()
        if o["output"] == "-":
            if o["fmt"] == "xlsx":
                raise CommandError("xlsx is binary: give --output a file name")
            self.stdout.write(result.content.decode("utf-8"))
            return
        path = Path(o["output"])
        if not path.parent.is_dir():
            raise CommandError(f"--output: folder {str(path.parent)!r} does not exist")
        path.write_bytes(result.content)
        status = "final" if result.aggregate.final else "provisional"
        self.stdout.write(f"Wrote {result.rows} rows ({status}, {result.aggregate.total_offences} offences) to {path}")
