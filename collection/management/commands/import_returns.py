from pathlib import Path

from django.core.management.base import CommandError

from ...requests.models import Outcome
from ...returns.models import ReturnSource
from collection.returns import bulk
from collection.returns.bundles import Incoming

from ._base import FoiCommand

#: In a folder, what a force might send; anything else there (notes, a manifest) is passed over, said so.
RETURN_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".pdf", ".docx", ".doc", ".odt", ".rtf", ".html", ".htm",
                   ".txt", ".eml", ".msg", ".zip"}


class Command(FoiCommand):
    help = ("Import many returns of a campaign at once: files, folders or zips. Each file is matched to its force "
            "(its name, the force named in its first rows, the sender of a saved e-mail) and imported as "
            "import_return does; one line per file. What cannot be matched is kept to assign in the admin.")

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("paths", nargs="+", metavar="PATH", help="Files or folders (read with their subfolders)")
        how = parser.add_mutually_exclusive_group()
        how.add_argument("--dry-run", action="store_true", help="Match and read each file; keep and write nothing")
        how.add_argument("--no-confirm", action="store_true",
                         help="Keep and read each file, leaving it to confirm in the campaign's returns queue")
        parser.add_argument("--outcome", choices=[Outcome.PROVIDED, Outcome.PARTIAL],
                            help="Record this outcome with each import")
        parser.add_argument("--received-on", help="YYYY-MM-DD: the day the answers arrived (with --outcome)")
        parser.add_argument("--user", help="Username recorded as having imported the files")

    def handle(self, *args, **o):
        campaign = self.campaign(o["slug"])
        received_on = self.date(o["received_on"], "--received-on")
        if o["outcome"] and not received_on:
            raise CommandError("--outcome needs --received-on, the day the answers arrived")
        files = self.collect(o["paths"])
        mode = bulk.DRY_RUN if o["dry_run"] else bulk.PREVIEW if o["no_confirm"] else bulk.IMPORT
        lines = bulk.ReceiveMany(campaign, self.read(files), self.user(o["user"]), mode, outcome=o["outcome"] or "",
                                 received_on=received_on, source=ReturnSource.COMMAND,
                                 on_line=lambda line: self.stdout.write(line.text())).execute()
        failed = [ln for ln in lines if ln.status in (bulk.REFUSED, bulk.UNMATCHED)]
        done = {s: sum(1 for ln in lines if ln.status == s) for s in {ln.status for ln in lines}}
        self.stdout.write(f"{len(lines)} file{'s' if len(lines) != 1 else ''}: "
                          + ", ".join(f"{n} {status}" for status, n in sorted(done.items())) + ".")
        if failed:
            raise CommandError(f"{len(failed)} of {len(lines)} files were refused or matched to no force (see above)")

    def collect(self, paths) -> list[Path]:
        files = []
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                found = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
                for p in found:
                    if p.suffix.lower() in RETURN_SUFFIXES:
                        files.append(p)
                    else:
                        self.stdout.write(f"{p.name}: passed over (a {p.suffix or 'file with no'} extension is not "
                                          "a return)")
            elif path.is_file():
                files.append(path)
            else:
                raise CommandError(f"{raw}: no such file or folder")
        if not files:
            raise CommandError("no returns found in " + ", ".join(paths))
        return files

    @staticmethod
    def read(files):
        """One file in memory at a time."""
        for path in files:
            try:
                yield Incoming(path.name, path.read_bytes())
            except OSError as error:
                yield Incoming(path.name, b"", problem=f"cannot read it ({error.strerror or error})")
