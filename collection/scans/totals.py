"""A letter's totals checked against their parts, before anyone confirms a figure read from a scan.

A misread digit is plausible on its own; a total that no longer adds up gives it away. Each Total
column is checked along its row and each Total row down its column, a suppressed part counting as
1 to its most ('<5': 4) and a total that leaves suppressed parts out allowed (visible sum <= total
<= visible sum + the most the suppressed parts hide). A failing total points at the cells that
could explain it: where a failing row crosses a failing column, else every cell of the line.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..importer.labels import CountProblem, is_total_label, parse_count, suppressed_max
from .prefill import Prefill


@dataclass
class TotalCheck:
    line: str  # "row 86", "column 13"
    stated: int
    low: int
    high: int
    total_field: str
    suspects: list[str] = field(default_factory=list)  # fields, the likeliest first

    def words(self) -> str:
        parts = f"{self.low:,}" if self.low == self.high else f"{self.low:,} to {self.high:,}"
        return (f"{self.line}: its figures add up to {parts} but its total reads {self.stated:,}; one of the "
                "marked cells, or the total, was misread")


def _value(text: str) -> tuple[int, int] | None:
    """(least, most) a cell can hold; None when it is not a count at all."""
    try:
        count, label = parse_count(text)
    except CountProblem:
        return None
    if count is None:
        return 0, suppressed_max(label)
    return count, count


def check_totals(filled: Prefill) -> list[TotalCheck]:
    headings, rows = filled.headings, filled.rows
    total_cols = [c for c, h in enumerate(headings) if is_total_label(h)]
    total_rows = [r for r, row in enumerate(rows) if is_total_label(row[0])]
    part_cols = [c for c in range(len(headings)) if c not in total_cols and _has_figures(filled, None, c)]
    part_rows = [r for r in range(len(rows)) if r not in total_rows and _has_figures(filled, r, None)]
    failing: list[TotalCheck] = []
    for r in part_rows + total_rows:
        for tc in total_cols:
            check = _check(filled, f"row {rows[r][0] or r + 1}", [f"v-{r}-{c}" for c in part_cols], f"v-{r}-{tc}")
            if check:
                failing.append(check)
    for c in part_cols + total_cols:
        for tr in total_rows:
            check = _check(filled, f"column {headings[c] or c + 1}", [f"v-{r}-{c}" for r in part_rows], f"v-{tr}-{c}")
            if check:
                failing.append(check)
    crossing = {name for a in failing for b in failing if a is not b for name in a.suspects if name in b.suspects}
    for check in failing:
        both = [name for name in check.suspects if name in crossing]
        check.suspects = both or check.suspects
        for name in check.suspects:
            cell = filled.cells.get(name)
            if cell is not None and not cell.suspect:
                cell.suspect = check.words()
    return failing


def _has_figures(filled: Prefill, row: int | None, col: int | None) -> bool:
    names = [k for k in filled.cells if k.startswith("v-")]
    return any((row is None or int(k.split("-")[1]) == row) and (col is None or int(k.split("-")[2]) == col)
               for k in names)


def _check(filled: Prefill, line: str, parts: list[str], total_field: str) -> TotalCheck | None:
    total_cell = filled.cells.get(total_field)
    total = _value(total_cell.text) if total_cell and total_cell.text else None
    if total is None or total[0] != total[1]:
        return None  # no total here, or the total itself is suppressed
    low = high = 0
    for name in parts:
        cell = filled.cells.get(name)
        value = _value(cell.text) if cell else (0, 0)
        if value is None:
            return None  # a part that is not a count: the importer says so when it is submitted
        low, high = low + value[0], high + value[1]
    if low <= total[0] <= high:
        return None
    by_doubt = sorted((n for n in parts if n in filled.cells), key=lambda n: filled.cells[n].confidence)
    return TotalCheck(line, total[0], low, high, total_field, by_doubt + [total_field])
