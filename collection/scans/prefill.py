"""What the typed-entry grid is filled with from a scan's tables, and the figures that grid says.

The grid is the one a person types into (returns/typed.py): offences down and ages or bands across
(or ages down and offences across), with a Sex column when the letter splits by sex. Its fields are
named as the page names them: headings `h-C`, row labels `l-R`, sexes `s-R`, figures `v-R-C`. Each
field filled from the scan keeps what was read, how sure the reading is and the cell's image; a
reading below the confidence floor is not filled in, it is left for typing and says why.

A table broken over pages with its headings repeated is one table. A letter's other tables, and
layouts the grid cannot hold, are named as problems rather than guessed at.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields

from ..importer.catalogue import OffenceCatalogue
from ..importer.labels import (
    NOT_AGE,
    CountProblem,
    is_total_label,
    parse_age,
    parse_count,
    parse_sex,
)
from .reading import COUNT, ReadCell, ReadTable, label_meaning

OFFENCES_DOWN = "offences_down"
AGES_DOWN = "ages_down"


@dataclass
class FilledCell:
    text: str  # what the grid holds: the reading, or '' when it is left for typing
    read: str  # what OCR read
    confidence: float
    crop: str = ""
    page: int = 0
    note: str = ""
    suspect: str = ""  # why a total of the letter points at this cell
    place: str = ""  # where in the scan it was read


@dataclass
class Prefill:
    orientation: str = OFFENCES_DOWN
    by_sex: bool = False
    headings: list[str] = field(default_factory=list)
    rows: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (label, sex, figures)
    cells: dict[str, FilledCell] = field(default_factory=dict)  # by field name
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"orientation": self.orientation, "by_sex": self.by_sex, "headings": self.headings,
                "rows": [list(r) for r in self.rows], "problems": self.problems,
                "cells": {k: vars(v) for k, v in self.cells.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> Prefill:
        known = {f.name for f in fields(FilledCell)}
        return cls(data["orientation"], data["by_sex"], list(data["headings"]),
                   [(r[0], r[1], list(r[2])) for r in data["rows"]],
                   {k: FilledCell(**{n: x for n, x in v.items() if n in known}) for k, v in data["cells"].items()},
                   list(data.get("problems", [])))


@dataclass
class _Logical:
    """A table as the letter means it: the pages it runs over, its headings once."""

    first: ReadTable
    body: list[list[ReadCell | None]] = field(default_factory=list)


def _continues(earlier: ReadTable, later: ReadTable, catalogue: OffenceCatalogue | None) -> bool:
    """Whether a table repeats another's headings (a table broken over pages): as many columns, and
    the columns' headings mean the same (an age, a band, Total) wherever both readings mean anything,
    but for one misreading in four."""
    if earlier.n_cols != later.n_cols or earlier.header_rows != later.header_rows:
        return False
    agree = differ = 0
    for a, b in zip(_column_headings(earlier), _column_headings(later)):
        ma = label_meaning(a.text, catalogue) if a else None
        mb = label_meaning(b.text, catalogue) if b else None
        agree += bool(ma and mb and ma == mb)
        differ += bool(ma and mb and ma != mb)
    return agree >= (earlier.n_cols - len(earlier.label_cols)) / 2 and differ <= agree // 4


def _joined(tables: list[ReadTable], catalogue: OffenceCatalogue | None) -> list[_Logical]:
    """Tables in page order; one that repeats the previous one's headings continues it."""
    out: list[_Logical] = []
    for t in tables:
        body = t.rows()[t.header_rows:]
        if out and _continues(out[-1].first, t, catalogue):
            out[-1].body.extend(body)
        else:
            out.append(_Logical(t, body))
    return out


def _column_headings(table: ReadTable) -> list[ReadCell | None]:
    """Each column's heading: the header cell nearest its figures (a banner's sub-heading)."""
    out: list[ReadCell | None] = []
    for j in range(table.n_cols):
        covering = [c for c in table.cells if c.row < table.header_rows and c.col <= j < c.col + c.colspan]
        out.append(max(covering, key=lambda c: c.row + c.rowspan, default=None))
    return out


def _meanings(cells: list[ReadCell | None], catalogue: OffenceCatalogue | None) -> Counter:
    kinds = Counter()
    for c in cells:
        meaning = label_meaning(c.text, catalogue) if c and c.text else None
        kinds[meaning.split(":")[0] if meaning else "none"] += 1
    return kinds


def prefill(tables: list[ReadTable], *, offence_codes: tuple[str, ...] = (), catalogue: OffenceCatalogue | None = None,
            floor: float = 0.0) -> Prefill:
    """The grid filled from the scan's largest table of figures (its continuation pages joined)."""
    filled = Prefill()
    logical = _joined([t for t in tables if any(c.role == COUNT for c in t.cells)], catalogue)
    if not logical:
        filled.problems.append("no table of figures was found: type the figures")
        return filled
    main = max(logical, key=lambda t: sum(1 for row in t.body for c in row if c and c.role == COUNT))
    for other in logical:
        if other is not main:
            filled.problems.append(f"page {other.first.page}: a second table ({other.first.n_rows} rows by "
                                   f"{other.first.n_cols} columns) was not filled in: type its figures if it holds any")
    labels = [row[0] for row in main.body]
    kinds = _meanings([c for c in labels if not (c and is_total_label(c.text))], catalogue)
    if len(main.first.label_cols) > 1:
        _fill_long(filled, main, catalogue)
    else:
        _fill_pivot(filled, main, kinds, offence_codes)
    _repair_ages(filled)
    _repair_codes(filled, catalogue)
    for cell in filled.cells.values():
        if cell.text and cell.confidence < floor:
            cell.note = " ".join(x for x in (f"too unsure to fill in (read as '{cell.read}'): type it.", cell.note) if x)
            cell.text = ""
    _sync(filled)
    return filled


def _filled(cell: ReadCell | None) -> FilledCell:
    if cell is None:
        return FilledCell("", "", 0.0, note="no cell here in the image")
    return FilledCell(cell.text, cell.text, cell.confidence, cell.crop, cell.page, cell.note, place=cell.place)


def _fill_pivot(filled: Prefill, table: _Logical, kinds: Counter, offence_codes: tuple[str, ...]) -> None:
    """Offences (or sexes, for a question about one offence) down and ages across, or ages down."""
    columns = [j for j in range(table.first.n_cols) if j not in table.first.label_cols]
    headings = _column_headings(table.first)
    by_sex = kinds["sex"] > max(kinds["offence"], kinds["age"])
    filled.orientation = AGES_DOWN if kinds["age"] > max(kinds["offence"], kinds["sex"]) else OFFENCES_DOWN
    filled.by_sex = by_sex
    single = offence_codes[0] if len(offence_codes) == 1 else ""
    for n, j in enumerate(columns):
        filled.cells[f"h-{n}"] = _filled(headings[j])
    for r, row in enumerate(table.body):
        if by_sex and not (row[0] and is_total_label(row[0].text)):
            filled.cells[f"s-{r}"] = _filled(row[0])
            filled.cells[f"l-{r}"] = FilledCell(single, "", 1.0 if single else 0.0,
                                                note="the offence the question asks about" if single
                                                else "the table names no offence: type its code")
        else:
            filled.cells[f"l-{r}"] = _filled(row[0])
        for n, j in enumerate(columns):
            filled.cells[f"v-{r}-{n}"] = _filled(row[j])
    if by_sex and not single:
        filled.problems.append("the table splits by sex and names no offence: type the offence code on each row")


def _fill_long(filled: Prefill, table: _Logical, catalogue: OffenceCatalogue | None) -> None:
    """One row per offence and age with a count: laid out as offences down, ages across."""
    label_cols = table.first.label_cols
    headings = _column_headings(table.first)
    roles = {j: label_meaning(headings[j].text, catalogue) if headings[j] else None for j in label_cols}
    age_col = next((j for j in label_cols[1:] if roles[j] == "heading:age"), None)
    counts = [j for j in range(table.first.n_cols) if j not in label_cols]
    if age_col is None or len(counts) != 1:
        filled.problems.append("the table's layout (more than one column of labels) cannot be laid out in the grid: "
                               "type the figures")
        return
    offences: dict[str, int] = {}
    ages: dict[str, int] = {}
    for row in table.body:
        offence, age, count = row[0], row[age_col], row[counts[0]]
        if offence is None or age is None or is_total_label(offence.text):
            continue
        r = offences.setdefault(" ".join(offence.text.split()).lower(), len(offences))
        n = ages.setdefault(" ".join(age.text.split()).lower(), len(ages))
        if f"v-{r}-{n}" in filled.cells:
            filled.problems.append(f"page {offence.page}: '{offence.text}' at age '{age.text}' is given twice: "
                                   "type the figures")
            filled.cells.clear()
            return
        filled.cells.setdefault(f"l-{r}", _filled(offence))
        filled.cells.setdefault(f"h-{n}", _filled(age))
        filled.cells[f"v-{r}-{n}"] = _filled(count)


def _ordered(filled: Prefill, prefix: str) -> list[FilledCell]:
    return [filled.cells[k] for k in sorted((k for k in filled.cells if k.startswith(prefix)),
                                           key=lambda k: int(k.split("-")[1]))]


def _single_age(text: str) -> int | None | str:
    """The single year a label reads as; 'other' for a band, Unknown or Total (which may stand among
    ages); None for anything else, which among single years of age is a misreading ('F' for 7)."""
    age = parse_age(text) if text else NOT_AGE
    if isinstance(age, tuple) and age[0] is not None and age[0] == age[1]:
        return age[0]
    return "other" if isinstance(age, tuple) or is_total_label(text) else None


def _repair_ages(filled: Prefill) -> None:
    """Single years of age label a table in order (5, 6, 7 ...): a label that breaks the run where
    its neighbours say what it must be ('8' between 8 and 10; '5' between 14 and 16) is put right,
    doubtful, for the person to check."""
    cells = _ordered(filled, "h-" if filled.orientation == OFFENCES_DOWN else "l-")
    ages = [_single_age(c.text) for c in cells]
    if sum(isinstance(a, int) for a in ages) < 3:
        return
    for i, cell in enumerate(cells):
        before = ages[i - 1] if i > 0 else None
        after = ages[i + 1] if i + 1 < len(ages) else None
        if ages[i] == "other" or not (isinstance(before, int) and isinstance(after, int)) or after - before != 2:
            continue
        if ages[i] != before + 1:
            cell.note = f"read as '{cell.read}'; between {before} and {after} it would be {before + 1}: check it"
            cell.text, cell.confidence, ages[i] = str(before + 1), min(cell.confidence, 0.3), before + 1


#: What a scan turns the letter of an offence code into, and back.
_LOOKALIKE = {"8": "B", "0": "D", "6": "G", "4": "A", "1": "I", "5": "S", "2": "Z", "3": "B"}


def _repair_codes(filled: Prefill, catalogue: OffenceCatalogue | None) -> None:
    """An offence code no code list holds whose last character, read as the letter it looks like,
    makes one that it does ('208' for 20B): put right, doubtful, for the person to check."""
    if catalogue is None:
        return
    for cell in _ordered(filled, "l-" if filled.orientation == OFFENCES_DOWN else "h-"):
        head, _, rest = cell.text.partition(" ")
        if not head or label_meaning(cell.text, catalogue) or head[-1] not in _LOOKALIKE:
            continue
        fixed = " ".join(x for x in (head[:-1] + _LOOKALIKE[head[-1]], rest) if x)
        if label_meaning(fixed, catalogue):
            cell.note = f"read as '{cell.read}', which is no offence code; {fixed} is: check it"
            cell.text, cell.confidence = fixed, min(cell.confidence, 0.3)


def _sync(filled: Prefill) -> None:
    """The grid's headings and rows from its fields (blank where nothing was read)."""
    width = 1 + max([int(k.split("-")[1]) for k in filled.cells if k.startswith("h-")] +
                    [int(k.split("-")[2]) for k in filled.cells if k.startswith("v-")] + [-1])
    height = 1 + max([int(k.split("-")[1]) for k in filled.cells if k[:2] in ("l-", "s-", "v-")] + [-1])

    def text(name: str) -> str:
        return filled.cells[name].text if name in filled.cells else ""

    filled.headings = [text(f"h-{c}") for c in range(width)]
    filled.rows = [(text(f"l-{r}"), text(f"s-{r}"), [text(f"v-{r}-{c}") for c in range(width)])
                   for r in range(height)]


# --- the figures the grid says, for a look before anything is confirmed -----------------------------

def figures(filled: Prefill, *, offence_codes: tuple[str, ...] = (), catalogue: OffenceCatalogue | None = None
            ) -> list[dict]:
    """One entry per cell of figures the grid is filled with (totals left out): its offence, age or
    band, sex, count (None when suppressed or left for typing), whether suppressed, how sure the
    reading of the figure is, and how sure the readings of its row's and column's labels are."""
    out = []
    single = offence_codes[0] if len(offence_codes) == 1 else None
    for r, (label, sex, values) in enumerate(filled.rows):
        if is_total_label(label):
            continue
        for c, value in enumerate(values):
            heading = filled.headings[c] if c < len(filled.headings) else ""
            if is_total_label(heading) or f"v-{r}-{c}" not in filled.cells:
                continue
            offence_text, age_text = (label, heading) if filled.orientation == OFFENCES_DOWN else (heading, label)
            out.append(_figure(filled.cells[f"v-{r}-{c}"], value, offence_text, age_text, sex, single, catalogue,
                               [filled.cells.get(k) for k in (f"l-{r}", f"h-{c}")]))
    return out


def _figure(cell: FilledCell, value: str, offence_text: str, age_text: str, sex: str, single: str | None,
            catalogue: OffenceCatalogue | None, labels: list[FilledCell | None]) -> dict:
    entry = catalogue.resolve(offence_text) if catalogue is not None and offence_text else None
    code = entry.code if entry else (single if single and not offence_text else offence_text)
    age = parse_age(age_text) if age_text else NOT_AGE
    victim_age, band = None, ""
    if isinstance(age, tuple) and age != (None, None):
        victim_age, band = (age[0], "") if age[0] == age[1] else (None, f"{age[0]}-{age[1]}")
    try:
        count, suppressed = parse_count(value) if cell.text else (None, "")
    except CountProblem:
        count, suppressed = None, ""
    sure = [c.confidence for c in labels if c is not None and c.page]
    item = {"offence_code": code, "victim_age": victim_age, "age_band": band,
            "victim_sex": parse_sex(sex) or "" if sex else "", "count": count, "suppressed": bool(suppressed),
            "confidence": cell.confidence, "labels_confidence": min(sure, default=1.0), "read": cell.read}
    if not cell.text:
        item["left_for_typing"] = True
    if not isinstance(age, tuple):
        item["problem"] = f"column '{age_text}' is not an age, a band or Unknown"
    elif entry is None and catalogue is not None and not (single and not offence_text):
        item["problem"] = f"'{offence_text}' is not an offence code this campaign knows"
    return item
