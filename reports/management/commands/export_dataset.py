import codecs
import json
import os
import tempfile
from pathlib import Path

from django.core.management.base import CommandError

from collection.management.commands._base import FoiCommand

from reports.services import EXPORT_FORMATS, ExportDataset


def metadata_path(path: Path) -> Path:
    return path.with_name(path.name + ".metadata.json")


class Command(FoiCommand):
    help = ("Export a campaign's national dataset (one row per force, offence, age and sex) as csv, xlsx "
            "(with headline, by-age, by-force and metadata sheets) or json. Final figures come from the stored "
            "final snapshot. Beside a csv or json file goes FILE.metadata.json: where the rows came from "
            "(snapshot id, its dataset's SHA-256, the source files' SHA-256) and the file's own SHA-256.")

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--format", dest="fmt", choices=EXPORT_FORMATS, default="csv")
        parser.add_argument("--output", required=True, help="file to write ('-' for standard output)")

    def handle(self, *args, **o):
        campaign = self.campaign(o["slug"])
        if o["output"] == "-" and o["fmt"] == "xlsx":
            raise CommandError("xlsx is binary: give --output a file name")
        path = None if o["output"] == "-" else Path(o["output"])
        if path is not None:
            if path.is_dir():
                raise CommandError(f"--output: {str(path)!r} is a folder; give a file name")
            if not path.parent.is_dir():
                raise CommandError(f"--output: folder {str(path.parent)!r} does not exist")
        export = ExportDataset(campaign, o["fmt"]).execute()
        export.checksum = True  # the sidecar gives the file's SHA-256
        if path is None:
            # Streamed as it comes; a chunk may end inside a character, so decode incrementally.
            decoder = codecs.getincrementaldecoder("utf-8")()
            for chunk in export.chunks():
                self.stdout.write(decoder.decode(chunk), ending="")
            self.stdout.write(decoder.decode(b"", final=True), ending="")
            self.stderr.write(self.summary(export, "standard output"))
            return
        # Written beside the target and renamed: a failed export never leaves half a file.
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as f:
                export.write_to(f)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if o["fmt"] != "xlsx":
            metadata_path(path).write_text(json.dumps(export.metadata(), indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
        self.stdout.write(self.summary(export, str(path)))

    @staticmethod
    def summary(export, where: str) -> str:
        figures = export.figures
        line = f"Wrote {export.rows} rows ({export.status}, {figures.total_offences} offences) to {where}"
        if export.snapshot is not None:
            line += (f"; from final snapshot {export.snapshot.pk} (dataset SHA-256 {export.snapshot.dataset_sha256})"
                     + ("; the counts have changed since it was compiled: compile again to export them"
                        if export.changed_since_snapshot else ""))
        elif export.final:
            line += "; no final snapshot stored yet: from the live counts"
        return line + "."
