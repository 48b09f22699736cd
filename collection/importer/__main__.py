"""Command line: python -m collection.importer RETURN_FILE --codes offence_codes.csv [--mapping M.json] [--offences 88A]
[--periods 2015-16,2016-17]

Prints the import result as JSON, or the refusal line on stderr (exit status 2).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from . import ColumnMapping, ImportRefused, Period, import_return, load_catalogue_csv, sha256_of


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m collection.importer")
    ap.add_argument("file")
    ap.add_argument("--codes", required=True, help="offence codes CSV (code,description,category,min,max)")
    ap.add_argument("--mapping", help="ColumnMapping JSON file")
    ap.add_argument("--offences", default="", help="the codes the campaign asks about, e.g. 88A or 88A,71; with one, "
                                                   "a table with no offence column is that offence")
    ap.add_argument("--periods", default="", help="the periods the campaign asks about, e.g. 2016-17 or "
                                                  "2015-16,2016-17; each figure is labelled with its period")
    args = ap.parse_args(argv)
    try:
        periods = [Period.from_label(p) for p in args.periods.split(",") if p.strip()]
    except ValueError as exc:
        ap.error(str(exc))
    data = Path(args.file).read_bytes()
    mapping = ColumnMapping.from_json(Path(args.mapping).read_text()) if args.mapping else None
    try:
        result = import_return(data, Path(args.file).name, load_catalogue_csv(args.codes), mapping=mapping,
                               offence_codes=[c.strip() for c in args.offences.split(",") if c.strip()],
                               periods=periods)
    except ImportRefused as exc:
        print(str(exc), file=sys.stderr)
        return 2
    out = dataclasses.asdict(result)
    out["sha256"] = sha256_of(data)
    print(json.dumps(out, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
