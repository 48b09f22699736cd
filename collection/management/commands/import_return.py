from pathlib import Path

from django.core.management.base import CommandError

from collection.importer import ColumnMapping, ImportRefused
from collection.returns.services import ImportReturn

from ._base import FoiCommand


def read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise CommandError(f"{path}: cannot read it ({error.strerror or error})") from None


def read_mapping(path: str | None) -> ColumnMapping | None:
    if not path:
        return None
    raw = read_file(path)
    try:
        return ColumnMapping.from_json(raw)
    except ValueError as error:
        raise CommandError(f"--mapping {path}: {error}") from None


class Command(FoiCommand):
    help = "Import the file a force sent back into normalised offence counts."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("force_id")
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Read and check the file; write nothing")
        parser.add_argument("--mapping", help="A JSON file saying which sheet, rows and columns to read")
        parser.add_argument("--remember", action="store_true", help="Keep --mapping for this force's next returns")

    def handle(self, *args, **o):
        campaign = self.campaign(o["slug"])
        request = self.request(campaign, o["force_id"])
        data = read_file(o["file"])
        mapping = read_mapping(o["mapping"])
        filename = Path(o["file"]).name
        try:
            imported = ImportReturn(request, data, filename, mapping=mapping, dry_run=o["dry_run"],
                                    remember=o["remember"]).execute()
        except ImportRefused as refusal:
            raise CommandError(f"refused: {refusal}") from None
        if imported.unchanged:
            self.stdout.write(f"{filename} was already imported for {request.force.name} "
                              f"({imported.cells} cells); nothing changed.")
            return
        result = imported.result
        offences = len({r.offence_code for r in result.rows})
        verb = "Would import" if o["dry_run"] else "Imported"
        self.stdout.write(f"{filename}: layout {result.layout}, sheet {result.sheet or '-'}, "
                          f"header on row {result.header_row}, {result.rows_read} rows read.")
        self.stdout.write(f"{verb} {len(result.rows)} cells, {offences} offence codes, total {result.total}"
                          + (f", {result.suppressed_cells} suppressed cells" if result.suppressed_cells else "")
                          + f" for {request.force.name}.")
        for warning in result.warnings:
            self.stdout.write(f"warning: {warning}")
