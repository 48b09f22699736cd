from pathlib import Path

import tablib
from django.core.management.base import CommandError

from collection.sending.resources import MAX_BYTES, ForceAddressResource, refusals

from ._base import FoiCommand


class Command(FoiCommand):
    help = ("Set forces' FOI addresses from a CSV of force_id,foi_email (the same import as Forces > Import in the "
            "admin). Every row is checked first: any unknown force id or bad address refuses the whole file.")

    def add_arguments(self, parser):
        parser.add_argument("csv_file")
        parser.add_argument("--dry-run", action="store_true", help="check the file and say what would change")

    def handle(self, *args, **o):
        path = Path(o["csv_file"])
        try:
            if path.stat().st_size > MAX_BYTES:
                raise CommandError(f"{path}: {path.stat().st_size:,} bytes; an address list is at most {MAX_BYTES:,}")
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: cannot read it as UTF-8 text ({error})") from None
        try:
            dataset = tablib.Dataset().load(text, format="csv")
        except Exception as error:  # noqa: BLE001 - tablib raises many kinds on a file that is not CSV
            raise CommandError(f"{path}: not a CSV file ({error})") from None
        checked = ForceAddressResource().import_data(dataset, dry_run=True, raise_errors=False)
        problems = refusals(checked, path.name)
        if problems:
            for line in problems:
                self.stderr.write(line)
            raise CommandError(f"{path}: {len(problems)} problem{'s' if len(problems) != 1 else ''}; nothing was "
                               f"imported")
        if not o["dry_run"]:
            result = ForceAddressResource().import_data(dataset, dry_run=False, raise_errors=True,
                                                        rollback_on_validation_errors=True)
        else:
            result = checked
        changed = [row for row in result.rows if row.import_type == "update"]
        for row in changed:
            self.stdout.write(f"  {row.object_repr}: {row.instance.foi_email if row.instance else ''}".rstrip())
        verb = "would change" if o["dry_run"] else "changed"
        self.stdout.write(f"{path.name}: {verb} {len(changed)} of {len(dataset)} forces' FOI addresses"
                          f"{' (dry run: nothing written)' if o['dry_run'] else ''}.")
