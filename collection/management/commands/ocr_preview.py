import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from collection.forces.reference import DATA_DIR
from collection.importer import load_catalogue_csv
from collection.returns.scanned import ocr_engine, scan_limits
from collection.returns.services import catalogue
from collection.scans import OcrUnavailable, ScanRefused, figures, prefilled, read_scan

from ._base import FoiCommand
from .import_return import read_file


class Command(FoiCommand):
    help = ("Read a scanned answer with OCR and print what the typed-entry grid would be filled with, before "
            "anyone confirms it. Writes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--json", action="store_true",
                            help="A JSON list, one object per cell of figures: offence_code, victim_age or age_band, "
                                 "victim_sex, count (null when suppressed), suppressed, confidence (0-1)")
        parser.add_argument("--offences", default="",
                            help="The offence codes the question asks about (e.g. 88A): a table with no offence "
                                 "column is that offence")

    def handle(self, *args, **o):
        data = read_file(o["file"])
        name = Path(o["file"]).name
        known = catalogue()
        if not len(known):  # a database with no offence codes yet: the list shipped with the app
            known = load_catalogue_csv(str(DATA_DIR / "offence_codes.csv"))
        codes = tuple(dict.fromkeys(c.strip().upper() for c in o["offences"].split(",") if c.strip()))
        unknown = [c for c in codes if known.get(c) is None]
        if unknown:
            raise CommandError(f"--offences: no offence code {', '.join(unknown)}")
        try:
            reading = read_scan(data, name, limits=scan_limits(), engine=ocr_engine(), catalogue=known)
        except (ScanRefused, OcrUnavailable) as error:
            raise CommandError(f"{name}: {error}" if not str(error).startswith(name) else str(error)) from None
        grid = prefilled(reading, offence_codes=codes, catalogue=known, floor=settings.FOI_OCR_CONFIDENCE_FLOOR)
        cells = figures(grid, offence_codes=codes, catalogue=known)
        if o["json"]:
            self.stdout.write(json.dumps(cells, indent=1))
            return
        self.stdout.write(f"{name}: {reading.pages} page{'s' if reading.pages != 1 else ''} read in "
                          f"{reading.seconds:g} s by {reading.engine}; {len(cells)} cells of figures, "
                          f"{sum(1 for c in cells if c['confidence'] < 0.5)} of them less than half sure.")
        for cell in sorted(cells, key=lambda c: c["confidence"]):
            age = cell["age_band"] or (cell["victim_age"] if cell["victim_age"] is not None else "unknown age")
            value = "suppressed" if cell["suppressed"] else ("left for typing" if cell.get("left_for_typing")
                                                             else cell["count"])
            sex = f" {cell['victim_sex']}" if cell["victim_sex"] else ""
            self.stdout.write(f"  {cell['confidence']:.2f}  {cell['offence_code']} {age}{sex}: {value}")
        for problem in grid.problems:
            self.stdout.write(f"warning: {problem}")
