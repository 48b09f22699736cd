"""The release's workbook: a Contents sheet, a Notes sheet, and the release's tables, one sheet each.
Values only, never a formula: text is written as text whatever it starts with ("=", "+", "-", "@"),
and every part of the file carries the same fixed time, so the same release gives the same bytes."""
from __future__ import annotations

import io
from typing import Iterable

from ..xlsx import Workbook

SHEET_TITLES = {"forces": "Forces", "offence-categories": "Categories", "ages": "Ages", "comparison": "Comparison"}
DATASET_SHEET = "Dataset"


def _notes(facts: dict, blocks: list[tuple]) -> list[tuple]:
    """The methodology, a line a row: (section, text)."""
    rows, section = [], ""
    for kind, *rest in blocks:
        if kind in ("h1", "h2"):
            section = rest[0]
        elif kind in ("p", "quote"):
            rows.append((section, rest[0]))
        elif kind == "ul":
            rows += [(section, item) for item in rest[0]]
        elif kind == "table":
            header, table = rest
            rows += [(section, "; ".join(f"{h}: {v}" for h, v in zip(header, row) if v)) for row in table]
        elif kind == "img":
            rows.append((section, f"{rest[0]}: {rest[1]}"))
    return rows


def write(facts: dict, tables: list, blocks: list[tuple], date_time: tuple,
          dataset_rows: Iterable[tuple] | None = None) -> bytes:
    from .. import dataset

    out = io.BytesIO()
    contents = [("Contents", "This list of sheets."), ("Notes", "How the figures were asked for and made: the "
                                                                "methodology, a line a row.")]
    contents += [(SHEET_TITLES.get(t.name, t.name), t.title) for t in tables]
    if dataset_rows is not None:
        contents.append((DATASET_SHEET, "The national dataset: a row per force, offence, victim age and sex."))
    with Workbook(out, date_time=date_time) as book:
        with book.sheet("Contents", ["Sheet", "What it holds"], widths=[16, 90]) as sheet:
            sheet.rows(contents)
        with book.sheet("Notes", ["Section", "Note"], widths=[34, 120]) as sheet:
            sheet.rows(_notes(facts, blocks))
        for t in tables:
            with book.sheet(SHEET_TITLES.get(t.name, t.name), t.header, widths=[16] * len(t.header)) as sheet:
                sheet.rows(t.rows)
        if dataset_rows is not None:
            with book.sheet(DATASET_SHEET, list(dataset.COLUMNS), widths=[12] * len(dataset.COLUMNS)) as sheet:
                sheet.rows(dataset_rows)
    return out.getvalue()
