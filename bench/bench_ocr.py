"""Benchmark: reading a scanned answer's table with OCR (collection/scans), a page at a time.

Usage:
    .venv/bin/python bench/bench_ocr.py [--repeat 3] [--json-out FILE]

Reads the practice scanned letter (tests/data/documents/norfolk.pdf: one page, a 15 by 19 table)
and practice scans made from the text letters (tests/scans/practice.py): Kent at 300 dpi (a PDF
of a grey scan), West Midlands at 200 dpi (a landscape fax TIFF, 17 by 21 cells: the most cells on
a page) and Essex at 150 dpi (two JPEG pages). Each is read --repeat times from its bytes to the
pre-filled grid with its totals checked, as the worker reads it; prints for each the best and the
median wall time per page, and the CPU it took (this process and the Tesseract runs it started).
The goal: a one-page table in under 5 seconds on 2 cores. Needs tesseract-ocr and poppler-utils;
without them it says so and exits 0.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 5.0


def cpu() -> float:
    mine, theirs = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + theirs.ru_utime + theirs.ru_stime


def scans() -> list[tuple[str, str, bytes]]:
    """(what, file name, bytes) of each scan read."""
    from tests.scans.practice import DOCUMENTS, practice_scan

    return [("norfolk.pdf, the practice scanned letter (1 page)", "norfolk.pdf",
             (DOCUMENTS / "norfolk.pdf").read_bytes()),
            ("kent, 300 dpi grey scan, PDF (1 page)", "kent.pdf", practice_scan("kent", 300, "grey").pdf()),
            ("west-midlands, 200 dpi fax, TIFF (1 page, 357 cells)", "west-midlands.tif",
             practice_scan("west-midlands", 200, "fax").tiff()),
            ("essex, 150 dpi JPEG noise, PDF (2 pages)", "essex.pdf", practice_scan("essex", 150, "jpeg").pdf())]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json-out", help="also write the figures to this JSON file (bench/run_all.py)")
    args = ap.parse_args()
    if not (shutil.which("tesseract") and shutil.which("pdftoppm")):
        print("bench_ocr: skipped, tesseract-ocr and poppler-utils are not installed")
        return 0
    sys.path.insert(0, str(ROOT))
    from collection.importer import load_catalogue_csv
    from collection.scans import ScanLimits, Tesseract, prefilled, read_scan

    known = load_catalogue_csv(str(ROOT / "collection" / "forces" / "data" / "offence_codes.csv"))
    engine = Tesseract()
    engine.version()  # once, as a worker that has read a scan before
    results = {}
    for what, name, data in scans():
        walls, cpus, pages = [], [], 1
        for _ in range(args.repeat):
            before_cpu, before = cpu(), time.perf_counter()
            reading = read_scan(data, name, limits=ScanLimits(), engine=engine, catalogue=known)
            grid = prefilled(reading, catalogue=known)
            walls.append(time.perf_counter() - before)
            cpus.append(cpu() - before_cpu)
            pages = reading.pages
        per_page = {"best_s": min(walls) / pages, "median_s": statistics.median(walls) / pages,
                    "cpu_s": statistics.median(cpus) / pages, "pages": pages, "cells": len(grid.cells)}
        results[name] = {"what": what, **per_page}
        print(f"{what}: {per_page['median_s']:.2f} s a page (best {per_page['best_s']:.2f} s; CPU "
              f"{per_page['cpu_s']:.2f} s), {per_page['cells']} cells filled", flush=True)
    one_page = max(r["median_s"] for r in results.values() if r["pages"] == 1)
    print(f"slowest one-page table: {one_page:.2f} s a page (goal: under {GOAL_SECONDS:g} s on 2 cores)")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"scans": results, "one_page_s": one_page,
                                                   "goal_s": GOAL_SECONDS}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
