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
        path = None if o["output"] == "-" else self.output(o["output"])
        if path is None and o["fmt"] == "xlsx":
            raise CommandError("xlsx is binary: give --output a file name")
        result = ExportDataset(campaign, o["fmt"]).execute()
        if path is None:
            self.stdout.write(result.content.decode("utf-8"))
            return
        path.write_bytes(result.content)
        status = "final" if result.aggregate.final else "provisional"
        self.stdout.write(f"Wrote {result.rows} rows ({status}, {result.aggregate.total_offences} offences) to {path}")

    @staticmethod
    def output(name: str) -> Path:
        """Where to write, checked before the work is done."""
        path = Path(name)
        if path.is_dir():
            raise CommandError(f"--output: {name!r} is a folder; give the name of the file to write")
        if not path.parent.is_dir():
            raise CommandError(f"--output: folder {str(path.parent)!r} does not exist")
        return path
