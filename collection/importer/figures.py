"""What every table layout does with a data row's figures (stages 4-5: normalise labels, validate).

The figures go into an :class:`Accumulator`.  A row's offence, victim sex, count and period are read
here the same way for the long tables (``long_tables``) and the pivots (``pivots``), and a total is
checked against its parts here: totals ('Total', 'Grand Total', 'Sum:', 'All ages') must equal the
sum of what they total; with a suppressed cell among the parts the total can only be checked as a
range.  Checked totals are then dropped.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..periods import Period
from .catalogue import OffenceCatalogue, OffenceEntry
from .errors import Where
from .labels import UNKNOWN_AGE, CountProblem, cell_text, is_blank, parse_age, parse_count, parse_sex
from .periods import PeriodProblem, PeriodReader


# ---------------------------------------------------------------------------- the accumulator
Key = tuple  # (code, lo, hi, sex, period): lo/hi None for unknown age; period '' until one is known


@dataclass
class Accumulator:
    counts: dict = field(default_factory=dict)
    suppressed: dict = field(default_factory=dict)
    totals_checked: int = 0
    rows_read: int = 0
    warnings: list[str] = field(default_factory=list)
    # totals over suppressed cells, accepted as within a range: (place, total, visible sum, most hidden)
    range_totals: list[tuple[str, int, int, int]] = field(default_factory=list)
    # a cell the table uses was blank: only then can a formula saved without its value hide there
    saw_blank: bool = False
    # key -> where in the file its first figure was read (a count's provenance), set once per key
    places: dict = field(default_factory=dict)

    def add(self, key: Key, n: int | None, label: str = "") -> None:
        if label:
            self.suppressed.setdefault(key, []).append(label)
        elif n:
            self.counts[key] = self.counts.get(key, 0) + n

    def code_total(self, code: str) -> int:
        return sum(v for k, v in self.counts.items() if k[0] == code)


class MoreTable(Exception):
    """Rows after the table's notes start another table (stacked tables: one per sex, say).

    ``rows`` are the rows from the notes on (titles such as 'Male victims' included), ``row`` the
    row number (as read) of the first of them, ``notes_at`` where the notes began. ``unread``: rows
    after them already taken from the reader (a chunk the tally gave back), to be read before the rest.
    """

    def __init__(self, rows: list[list], row: int, notes_at: int) -> None:
        super().__init__("another table follows")
        self.rows, self.row, self.notes_at = rows, row, notes_at
        self.unread: list[list] = []


# ---------------------------------------------------------------------------- a row's labels and cells
def non_blank(row: list) -> list:
    return [c for c in row if not is_blank(c)]


def is_note(row: list) -> bool:
    """A caveat line: a single text cell (often merged across the table)."""
    cells = non_blank(row)
    return len(cells) == 1 and isinstance(cells[0], str)


class Offences:
    """Offence from the primary column, checked against a description column if present."""

    def __init__(self, catalogue: OffenceCatalogue, where: Where, headers: list, cols: list[int],
                 warnings: list[str] | None = None) -> None:
        self.catalogue, self.where, self.headers, self.cols = catalogue, where, headers, cols
        self.warnings = warnings if warnings is not None else []
        self.disagreements: dict[tuple[str, str], int] = {}
        self.seen: dict[tuple, OffenceEntry | None] = {}  # the same labels on many rows: read once

    def resolve(self, values: list, rn: int) -> OffenceEntry | None:
        """Entry, or None if the primary label is not an offence (caller decides note vs refusal)."""
        key = tuple(values)
        try:
            return self.seen[key]
        except (KeyError, TypeError):
            pass
        entry = self._resolve(values, rn)
        if len(self.seen) < 65536:
            try:
                self.seen[key] = entry
            except TypeError:
                pass
        return entry

    def peek(self, values: tuple) -> OffenceEntry | None:
        """The entry `resolve` gives, or None where it gives none or would warn (a code and a description
        naming different offences, not yet said: the warning names the row)."""
        try:
            return self.seen[values]
        except (KeyError, TypeError):
            pass
        e, other = self._entries(values)
        if other is not None and (e.code, other.code) not in self.disagreements:
            return None
        if len(self.seen) < 65536:
            self.seen[values] = e  # what resolve would keep: it has nothing to say of these labels
        return e

    def _entries(self, values) -> tuple[OffenceEntry | None, OffenceEntry | None]:
        """(the offence, another one a description beside the code names)."""
        primary = values[0]
        other = values[1] if len(values) > 1 else None
        if is_blank(primary) and other is not None and not is_blank(other):
            primary, other = other, None
        if is_blank(primary):
            return None, None
        e = self.catalogue.resolve(primary)
        if e is None or other is None or is_blank(other):
            return e, None
        e2 = self.catalogue.resolve(other)
        return e, (e2 if e2 is not None and e2 != e else None)

    def _resolve(self, values: list, rn: int) -> OffenceEntry | None:
        e, e2 = self._entries(values)
        if e2 is not None:
            # the code is what the force classified by; the description is a label beside it
            key = (e.code, e2.code)
            if key not in self.disagreements:
                self.disagreements[key] = rn
                primary, other = values[0], values[1]
                self.warnings.append(
                    f"{self.where.place(rn)}: offence code '{cell_text(primary)}' ({e.code}) and description "
                    f"'{cell_text(other)}' ({e2.code}) name different offences; the code was taken, "
                    "check with the force")
        return e

    def refuse(self, values: list, rn: int):
        label = next((v for v in values if not is_blank(v)), "")
        return self.where.refuse(self.catalogue.explain(label), row=rn,
                                 column=self.where.col(self.cols[0], self.headers[self.cols[0]]))


def sex_of(value: object, where: Where, rn: int, col: str) -> str:
    if is_blank(value):
        return "unknown"
    s = parse_sex(value)
    if s is None:
        raise where.refuse(f"victim sex '{cell_text(value)}' is not recognised", row=rn, column=col)
    return s


def count_of(value: object, where: Where, rn: int, col: str) -> tuple[int | None, str]:
    try:
        return parse_count(value)
    except CountProblem as exc:
        raise where.refuse(str(exc), row=rn, column=col) from None


def check_total(where: Where, rn: int, col: str, given: tuple[int | None, str], known: int, slack: int,
                 what: str, acc: Accumulator, hidden: int = 0) -> None:
    """A total against its parts.  ``hidden`` suppressed parts may hide up to ``slack`` between them:
    forces' totals either leave them out or include their true values, so any total from the visible
    sum to the visible sum + slack is consistent (kept, with a warning giving the range)."""
    t, t_label = given
    if t_label:
        return  # a suppressed total cannot be checked
    if hidden:
        if not known <= t <= known + slack:
            raise where.refuse(f"total {t} is outside what {what} allow: {known} shown plus {hidden} suppressed "
                               f"cell(s) hiding at most {slack} between them gives {known} to {known + slack}; "
                               "ask the force which is right", row=rn, column=col)
        acc.range_totals.append((where.place(rn, col), t, known, slack))
    elif t != known:
        raise where.refuse(f"total {t} does not equal the sum of {what}, {known}; ask the force which is right",
                           row=rn, column=col)
    acc.totals_checked += 1


# ---------------------------------------------------------------------------- the period of each row
class _PeriodLabel(str):
    """A year or date cell already read as the label of its period (told apart from the raw text)."""


class _PeriodRefusal:
    """A year or date cell outside every period asked: refused once its row turns out to hold figures."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class PeriodMemo(dict):
    """A year or date cell -> what stands in its place: a _PeriodLabel, a _PeriodRefusal, or the cell
    itself when it names no period (blank, 'Unknown'). Each distinct value is read once; past ``KEEP`` of
    them (a hostile file) each is read again rather than kept."""

    KEEP = 65536

    def __init__(self, reader: PeriodReader) -> None:
        super().__init__()
        self.reader = reader

    def __missing__(self, value):
        try:
            label = self.reader.cell(value)
            got = value if label is None else _PeriodLabel(label)
        except PeriodProblem as exc:
            got = _PeriodRefusal(str(exc))
        if len(self) < self.KEEP:
            self[value] = got
        return got


def with_periods(rows: Iterable[list], col: int, memo: PeriodMemo) -> Iterable[list]:
    """The rows with the year/date cell replaced by its period label: a recorded date differs on almost
    every row, its label does not, so the per-row cache keeps hitting.  Rows are fresh lists from the
    reader, changed in place (a label reads back as the same period)."""
    for row in rows:
        try:
            got = memo[row[col]]
        except (IndexError, TypeError):
            yield row
            continue
        if got.__class__ is _PeriodLabel or got.__class__ is _PeriodRefusal:
            try:
                row[col] = got
            except TypeError:  # a tuple
                row = list(row)
                row[col] = got
        yield row


class RowPeriods:
    """The period of each data row of a table with a year or recorded-date column (after with_periods).

    A row with no year or date is refused when two or more periods are asked (it could be either); with
    one period asked it counts in that period, as a return naming no year at all would, and is said.
    A year or date that is not one of the periods asked is refused with its row."""

    def __init__(self, reader: PeriodReader | None, where: Where, column: str, acc: Accumulator) -> None:
        asked = reader.asked if reader is not None else ()
        self.sole = asked[0].label if len(asked) == 1 else None
        self.asked = bool(asked)
        self.where, self.column, self.acc = where, column, acc
        self.said = False

    def peek(self, value: object) -> str | None:
        """The period `of` gives, or None where `of` would refuse the row or say something of it."""
        if isinstance(value, _PeriodLabel):
            return str(value)
        if isinstance(value, _PeriodRefusal):
            return None
        missing = is_blank(value) or (isinstance(value, str) and parse_age(value) == UNKNOWN_AGE)
        if missing and not self.asked:
            return ""
        if missing and self.sole is not None and self.said:
            return self.sole
        return None

    def of(self, value: object, rn: int) -> str:
        if isinstance(value, _PeriodLabel):
            return str(value)
        if isinstance(value, _PeriodRefusal):
            raise self.where.refuse(value.reason, row=rn, column=self.column)
        missing = is_blank(value) or (isinstance(value, str) and parse_age(value) == UNKNOWN_AGE)
        if missing and not self.asked:
            return ""  # nothing asked: the row stays unlabelled, as in a return naming no year
        if missing and self.sole is not None:
            if not self.said:
                self.said = True
                self.acc.warnings.append(f"{self.where.place(rn)}: rows with no year or recorded date in column "
                                         f"{self.column} counted in {Period.from_label(self.sole).display}, "
                                         "the one period asked")
            return self.sole
        if missing:
            raise self.where.refuse("no year or recorded date on a row with figures", row=rn, column=self.column)
        raise self.where.refuse(f"'{cell_text(value)}' is not a year ('2016/17') or a date", row=rn,
                                column=self.column)
