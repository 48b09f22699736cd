"""Stages 4-5, normalise labels and validate, row by row, into an accumulator.

The long layouts (one row per crime, or per offence+age with a count) can be hundreds of
thousands of rows, so they are counted a chunk of rows at a time in C (``_Tally``): the cells
that matter are pulled with ``itemgetter``, collections' counting loop counts each distinct
combination of them, and what a combination means is worked out once.  A chunk holding anything
unusual -- blank or short rows, totals, notes, refusals, a warning that names its row -- is read
row by row instead, by a loop that also works each combination out once (a dict hit per row) and
takes the slow path for the rest.

Totals ('Total', 'Grand Total', 'Sum:', 'All ages') must equal the sum of what they total;
with a suppressed cell among the parts the total can only be checked as a lower bound.
Checked totals are then dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections import Counter
from itertools import chain, islice, repeat
from operator import add, itemgetter
from typing import Iterable

from .catalogue import OffenceCatalogue, OffenceEntry
from .errors import Where
from .labels import (NOT_AGE, UNKNOWN_AGE, CountProblem, cell_text, is_blank, is_total_label, parse_age,
                     parse_count, parse_sex, suppressed_max)
from .limits import Budget
from .locate import TableSpec
from .periods import Period, PeriodProblem, PeriodReader


class _PeriodLabel(str):
    """A year or date cell already read as the label of its period (told apart from the raw text)."""


class _PeriodRefusal:
    """A year or date cell outside every period asked: refused once its row turns out to hold figures."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _PeriodMemo(dict):
    """A year or date cell -> what stands in its place: a _PeriodLabel, a _PeriodRefusal, or the cell
    itself when it names no period (blank, 'Unknown'). Each distinct value is read once; past 65,536 of
    them (a hostile file) each is read again rather than kept."""

    def __init__(self, reader: PeriodReader) -> None:
        super().__init__()
        self.reader = reader

    def __missing__(self, value):
        try:
            label = self.reader.cell(value)
            got = value if label is None else _PeriodLabel(label)
        except PeriodProblem as exc:
            got = _PeriodRefusal(str(exc))
        if len(self) < 65536:
            self[value] = got
        return got


def _with_periods(rows: Iterable[list], col: int, memo: _PeriodMemo) -> Iterable[list]:
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


class _RowPeriods:
    """The period of each data row of a table with a year or recorded-date column (after _with_periods).

    A row with no year or date is refused when two or more periods are asked (it could be either); with
    one period asked it counts in that period, as a return naming no year at all would, and is said.
    A year or date that is not one of the periods asked is refused with its row."""

    def __init__(self, reader: PeriodReader | None, where: Where, column: str, acc: "Accumulator") -> None:
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


def _non_blank(row: list) -> list:
    return [c for c in row if not is_blank(c)]


def _is_note(row: list) -> bool:
    """A caveat line: a single text cell (often merged across the table)."""
    cells = _non_blank(row)
    return len(cells) == 1 and isinstance(cells[0], str)


class _Offences:
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


def _sex_of(value: object, where: Where, rn: int, col: str) -> str:
    if is_blank(value):
        return "unknown"
    s = parse_sex(value)
    if s is None:
        raise where.refuse(f"victim sex '{cell_text(value)}' is not recognised", row=rn, column=col)
    return s


def _count_of(value: object, where: Where, rn: int, col: str) -> tuple[int | None, str]:
    try:
        return parse_count(value)
    except CountProblem as exc:
        raise where.refuse(str(exc), row=rn, column=col) from None


def _check_total(where: Where, rn: int, col: str, given: tuple[int | None, str], known: int, slack: int,
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


# ---------------------------------------------------------------------------- long layouts
def _holds_number(cells: tuple) -> bool:
    """Whether a cell is a number, which a tick box (True/False) equals as a key when it is 1 or 0."""
    return any(type(c) is int or type(c) is float for c in cells)


class _Tally:
    """Rows counted a chunk at a time in C, for the long layouts' hundreds of thousands of rows.

    A row's key is the cells that matter (the period cell read as its period); each distinct key is worked
    out once by ``meaning`` (key as the row-by-row loop makes it -> (counts key, n), or None for anything
    but a plain figure: a total, a note, a blank, a refusal, a suppressed count, something to warn about
    with its row). A chunk is counted with collections' own counting loop; one with a key that is not a
    plain figure, or a short row, is given back uncounted, to be read row by row (which names the row).
    On a per-crime csv with recorded dates the tally costs under half of what the csv module takes to
    read the rows; the loop cost about as much as the reading."""

    # Rows held at once. Each row is a list the garbage collector tracks: past about 700 alive it runs,
    # moving them to an older generation that a full collection then walks (with Django loaded, 40 ms a
    # time). 1,024 rows a chunk set off 180 collections an import; 256, four.
    CHUNK = 256

    def __init__(self, value_cols: list[int], period_col: int | None, memo: "_PeriodMemo | None", meaning) -> None:
        self.values = itemgetter(*value_cols)
        self.single = len(value_cols) == 1
        self.period = itemgetter(period_col) if period_col is not None else None
        self.memo = memo
        self.meaning = meaning
        self.known: dict = {}  # key -> (counts key, n), every key met so far a plain figure
        self.pending: Counter = Counter()  # key -> rows counted, not yet added to the accumulator
        self.checked = 0  # the first this many keys of `pending` are known
        # A key met holding a number: a tick box (True/False) equals 1/0 as a key and would be counted
        # as the figure of a row that held one (the loop refuses it, naming its row), so from then on a
        # chunk's cells are looked over for one. A csv's cells are text: never.
        self.numbers = False

    def loop_key(self, key) -> tuple:
        """The key the row-by-row loop makes of the same cells."""
        if self.period is None:
            return (key,) if self.single else key
        values, period = key
        return ((values,) if self.single else values) + (period,)

    def _keys(self, chunk: list):
        if self.period is None:
            return map(self.values, chunk)
        return zip(map(self.values, chunk), map(self.memo.__getitem__, map(self.period, chunk)))

    def count(self, chunk: list) -> bool:
        pending = self.pending
        try:
            pending.update(self._keys(chunk))  # the counting loop in C
        except (IndexError, TypeError):  # a short row (or an unhashable cell)
            self._uncount(chunk)
            return False
        # keys new to `pending` come last in it: only those can be new altogether
        known = self.known
        for key in islice(reversed(pending), len(pending) - self.checked):
            if key not in known:
                loop_key = self.loop_key(key)
                meaning = self.meaning(loop_key)
                if meaning is None:
                    self._uncount(chunk)
                    return False
                known[key] = meaning
                self.numbers = self.numbers or _holds_number(loop_key)
        if self.numbers and self._holds_bool(chunk):
            self._uncount(chunk)
            return False
        self.checked = len(pending)
        return True

    def _holds_bool(self, chunk: list) -> bool:
        values = map(self.values, chunk)
        return bool in set(map(type, values if self.single else chain.from_iterable(values)))

    def _uncount(self, chunk: list) -> None:
        """Take a chunk's rows back out (they were counted up to the first one that failed); the keys it
        brought drop out, leaving `pending` as it was."""
        pending = self.pending
        keys = self._keys(chunk)
        while True:
            try:
                key = next(keys)
                left = pending[key] - 1
            except (StopIteration, IndexError, TypeError):
                return
            if left:
                pending[key] = left
            else:
                del pending[key]

    def flush(self, counts: dict) -> tuple[int, int]:
        """Add the rows counted so far to ``counts``: (rows, their figures)."""
        rows = total = 0
        known = self.known
        for key, times in self.pending.items():
            k, n = known[key]
            counts[k] = counts.get(k, 0) + n * times
            rows += times
            total += n * times
        self.pending = Counter()
        self.checked = 0
        return rows, total

    def saw_blank(self) -> bool:
        return any(is_blank(v) for key in self.known for v in self.loop_key(key))


def extract_long(spec: TableSpec, rows: Iterable[list], where: Where, catalogue: OffenceCatalogue,
                 budget: Budget, acc: Accumulator, last_row: int | None = None,
                 reader: PeriodReader | None = None) -> None:
    """per_crime (each row one crime) and count_long (a count column) layouts.  A year or recorded-date
    column (``spec.period_col``) puts each row in its period, read by ``reader``."""
    headers = spec.headers
    fixed = spec.fixed_offence
    cols = list(spec.offence_cols)
    n_off = len(cols)
    age_pos = sex_pos = count_pos = period_pos = None
    memo = _PeriodMemo(reader or PeriodReader()) if spec.period_col is not None else None
    if spec.age_col is not None:
        age_pos = len(cols)
        cols.append(spec.age_col)
    if spec.sex_col is not None:
        sex_pos = len(cols)
        cols.append(spec.sex_col)
    if spec.count_col is not None:
        count_pos = len(cols)
        cols.append(spec.count_col)
    if spec.period_col is not None:
        period_pos = len(cols)
        cols.append(spec.period_col)
    getter = itemgetter(*cols) if len(cols) > 1 else (lambda r, _c=cols[0]: (r[_c],))
    need = max(cols) + 1
    if period_pos is not None:
        row_periods = _RowPeriods(reader, where, where.col(spec.period_col, headers[spec.period_col]), acc)
    label_cols = spec.offence_cols or ([spec.age_col] if spec.age_col is not None else cols[:1])
    offences = _Offences(catalogue, where, headers, spec.offence_cols, acc.warnings)
    cache: dict = {}
    numbers_cached = False  # a key in `cache` holds a number (see _Tally.numbers)
    counts = acc.counts
    rn = spec.header_idx + 1
    scope_n = scope_rows = 0
    scope_slack = all_slack = scope_hidden = all_hidden = 0
    footer_at = None
    notes: list[list] = []
    read = 0
    check_every = Budget.CHECK_EVERY - 1
    stop = min(budget.limits.max_rows, last_row if last_row is not None else budget.limits.max_rows)

    def name(pos: int) -> str:
        return where.col(cols[pos], headers[cols[pos]])

    def meaning(key: tuple) -> tuple | None:
        """What the loop below makes of a row with these cells when it is a plain figure (it adds n to
        counts[k]): (k, n); None for anything else. The same steps, with nothing said or refused."""
        off_vals = key[:n_off]
        if any(is_total_label(v) for v in off_vals):
            return None
        entry = offences.peek(off_vals)  # None too when every offence cell is blank
        if entry is None:
            return None
        lo, hi = UNKNOWN_AGE
        if age_pos is not None and not is_blank(key[age_pos]):
            a = parse_age(key[age_pos])
            if a is NOT_AGE or isinstance(a, str) or is_total_label(key[age_pos]):
                return None
            lo, hi = a
        sex = ""
        if sex_pos is not None:
            sex = "unknown" if is_blank(key[sex_pos]) else parse_sex(key[sex_pos])
            if sex is None:
                return None
        n = 1
        if count_pos is not None:
            try:
                n, label = parse_count(key[count_pos])
            except CountProblem:
                return None
            if label:
                return None
        period = "" if period_pos is None else row_periods.peek(key[period_pos])
        if period is None:
            return None
        return (entry.code, lo, hi, sex, period), n

    rows = iter(rows)
    tally = None
    if fixed is None and n_off:  # with no offence column, the whole row tells a note from a figure
        value_cols = cols if period_pos is None else cols[:period_pos]
        tally = _Tally(value_cols, spec.period_col, memo, meaning)

    def uncounted() -> Iterable[list]:
        """The rows, less the chunks the tally counted (added to counts as the loop below adds a plain
        figure's row); the loop reads the rest. A chunk ends where the loop would check the time, so that
        check falls on the same rows."""
        nonlocal rn, given_back
        while footer_at is None and rn < stop:
            size = min(_Tally.CHUNK, check_every + 1 - (rn & check_every), stop - rn)
            chunk = list(islice(rows, size))
            if tally.count(chunk):
                rn += len(chunk)
                if not rn & check_every:
                    budget.check_time(where, rn)
            else:
                flush()
                given_back = iter(chunk)
                yield from given_back
                given_back = iter(())
            if len(chunk) < size:
                break
        flush()
        yield from rows

    def flush() -> None:
        nonlocal scope_n, scope_rows, read
        n_rows, total = tally.flush(counts)
        scope_n += total
        scope_rows += n_rows
        read += n_rows

    given_back = iter(())  # the rest of a chunk the loop is reading: unread if another table starts in it
    rows_in = rows if tally is None else uncounted()
    if memo is not None:
        rows_in = _with_periods(rows_in, spec.period_col, memo)
    for row in rows_in:
        rn += 1
        if rn > stop:
            if last_row is not None and rn > last_row:
                break
            budget.check_row(where, rn)
        if not rn & check_every:
            budget.check_time(where, rn)
        try:
            key = getter(row)
        except IndexError:
            row = list(row) + [""] * (need - len(row))
            key = getter(row)
        hit = cache.get(key)
        # (a tick box equals 1/0 as a key: never the hit of a row that held that figure)
        if hit is not None and footer_at is None and (not numbers_cached or bool not in map(type, key)):
            k, n = hit
            counts[k] = counts.get(k, 0) + n
            scope_n += n
            scope_rows += 1
            read += 1
            continue

        # ---- slow path: work out what this combination of cells means
        if len(row) < need:
            row = list(row) + [""] * (need - len(row))
        off_vals = list(key[:n_off])
        if all(is_blank(c) for c in row):
            acc.saw_blank = True
            continue
        label_total = any(is_total_label(v) for v in off_vals) or (
            all(is_blank(v) for v in off_vals) and any(is_total_label(c) for c in row))
        if label_total:
            if count_pos is not None:
                col = name(count_pos)
                given = _count_of(key[count_pos], where, rn, col)
            else:
                nums = [(i, c) for i, c in enumerate(row) if i not in label_cols and not is_blank(c)
                        and not is_total_label(c)]
                if len(nums) != 1:
                    acc.warnings.append(f"{where.place(rn)}: total row without a single figure; not checked")
                    continue
                col = where.col(nums[0][0])
                given = _count_of(nums[0][1], where, rn, col)
            if scope_rows:
                _check_total(where, rn, col, given, scope_n, scope_slack, "the rows above it", acc, scope_hidden)
            else:
                _check_total(where, rn, col, given, sum(counts.values()), all_slack, "all rows above it", acc,
                             all_hidden)
            scope_n = scope_rows = scope_slack = scope_hidden = 0
            continue
        if footer_at is not None:
            if _is_note(row):
                notes.append(row)
                continue
            more = MoreTable(notes + [row], rn - len(notes), footer_at)
            more.unread = list(given_back)
            raise more
        if fixed is not None:
            entry = fixed
            if _is_note(row) and (age_pos is None or parse_age(key[age_pos]) is NOT_AGE):
                footer_at = rn
                notes = [row]
                continue
        else:
            entry = offences.resolve(off_vals, rn)
        if entry is None:
            if _is_note(row) and not any(catalogue.resolve(c) for c in _non_blank(row)):
                footer_at = rn
                notes = [row]
                continue
            if all(is_blank(v) for v in off_vals):
                raise where.refuse("no offence given on a row with other figures", row=rn,
                                   column=where.col(spec.offence_cols[0], headers[spec.offence_cols[0]]))
            raise offences.refuse(off_vals, rn)
        if age_pos is None:
            lo, hi = UNKNOWN_AGE
        else:
            av = key[age_pos]
            if is_blank(av):
                lo, hi = UNKNOWN_AGE
            elif is_total_label(av):
                # per-offence subtotal: "19E | Total | 5"
                given = _count_of(key[count_pos], where, rn, name(age_pos)) if count_pos is not None else None
                if given is not None:
                    known = acc.code_total(entry.code) - acc.__dict__.setdefault("_sub", {}).get(entry.code, 0)
                    _check_total(where, rn, name(age_pos), given, known, 0, f"offence {entry.code}'s rows", acc)
                    acc.__dict__["_sub"][entry.code] = acc.code_total(entry.code)
                continue
            else:
                a = parse_age(av)
                if a is NOT_AGE:
                    raise where.refuse(f"victim age '{cell_text(av)}' is not an age", row=rn, column=name(age_pos))
                if isinstance(a, str):
                    raise where.refuse(a, row=rn, column=name(age_pos))
                lo, hi = a
        sex = "" if sex_pos is None else _sex_of(key[sex_pos], where, rn, name(sex_pos))
        if count_pos is None:
            n, label = 1, ""
        else:
            n, label = _count_of(key[count_pos], where, rn, name(count_pos))
        period = "" if period_pos is None else row_periods.of(key[period_pos], rn)
        k = (entry.code, lo, hi, sex, period)
        scope_rows += 1
        read += 1
        if label:
            acc.add(k, None, label)
            most = suppressed_max(label)
            scope_slack += most
            all_slack += most
            scope_hidden += 1
            all_hidden += 1
            continue
        cache[key] = (k, n)
        numbers_cached = numbers_cached or _holds_number(key)
        counts[k] = counts.get(k, 0) + n
        scope_n += n
    acc.rows_read += read
    acc.__dict__.pop("_sub", None)
    if not acc.saw_blank:
        acc.saw_blank = any(is_blank(v) for key in cache for v in key) or (tally is not None and tally.saw_blank())


# ---------------------------------------------------------------------------- pivots
def _unlabelled_row(row, values_blank: bool) -> tuple[str, str]:
    """A pivot row whose label is not an offence or age: a lone 'Female'/'Male' section heading
    ("sex", the sex), the first row of notes below the table ("notes", ""), or neither ("", "")."""
    cells = _non_blank(row)
    if len(cells) == 1 and parse_sex(cells[0]):
        return "sex", parse_sex(cells[0]) or ""
    if values_blank:
        return "notes", ""
    return "", ""


_BLANK_COUNT = (0, None)  # a blank cell: zero, and told apart from a "0" (0, "") by `in`
_MISS = object()


_first = itemgetter(0)


class _PivotTally:
    """Pivot rows read a chunk at a time in C, for the pivots of tens of thousands of rows.

    A chunk's figures are pulled with ``itemgetter``, each distinct cell parsed once (as the row-by-row
    loop parses it) and the chunk turned into rows of counts in C. What each distinct row label (the
    label cells, a sex column, the period) means is worked out once, by the same steps as the loop with
    nothing said. A chunk is given back, to be read row by row (which names the row), when anything in
    it is not plain: a cell that is no count, a suppressed one or a tick box, a short row, a total row or
    a heading, notes, a label the loop would refuse or warn about. Whether the row's totals add up is for
    the caller."""

    CHUNK = 256  # rows held at once: see _Tally.CHUNK (the garbage collector)
    PIECE = 32  # a chunk that is not all plain is tried again a piece of this many rows at a time

    def __init__(self, value_cols: list[int], label_cols: list[int], seen_counts: dict, meaning) -> None:
        self.values = itemgetter(*value_cols) if len(value_cols) > 1 else (lambda r, _c=value_cols[0]: (r[_c],))
        self.width = len(value_cols)
        self.labels = itemgetter(*label_cols) if len(label_cols) > 1 else (lambda r, _c=label_cols[0]: (r[_c],))
        self.seen_counts = seen_counts
        self.meaning = meaning  # (label cells, section sex) -> the row's label key, or None
        self.known: dict = {}  # label cells -> label key, under the section sex `known_under`
        self.known_under: str | None = None
        self.plain: dict = {}  # cell -> its count: cells the loop reads as a plain figure or a blank
        self.numbers = False  # a label in `known` holds a number: see _Tally.numbers

    def read(self, chunk: list, section_sex: str) -> tuple[list, list, bool] | None:
        """(label key of each row, counts of each row as tuples in `across` order, a blank cell among
        them), or None when the chunk has to be read row by row."""
        try:
            cells = list(chain.from_iterable(map(self.values, chunk)))
            labels = list(map(self.labels, chunk))
        except IndexError:  # a short row
            return None
        types = set(map(type, cells))
        if bool in types:  # True == 1 as a key; a tick box is not a count
            return None
        if self.known_under != section_sex:
            self.known.clear()
            self.known_under = section_sex
        try:  # cells and labels met before: a dict hit each, in C
            counts = list(map(self.plain.__getitem__, cells))
            keys = list(map(self.known.__getitem__, labels))
        except (KeyError, TypeError):  # something new (or an unhashable cell)
            if not (self._learn_cells(cells) and self._learn_labels(labels, section_sex)):
                return None
            try:
                counts = list(map(self.plain.__getitem__, cells))
                keys = list(map(self.known.__getitem__, labels))
            except KeyError:  # forgotten: a hostile file filled a memo with this chunk alone
                return None
        if self.numbers and bool in set(map(type, chain.from_iterable(labels))):
            return None  # a tick box: not the age 1 (or 0) it equals as a key
        rows = list(zip(*[iter(counts)] * self.width))
        blank = (str in types and "" in cells) or type(None) in types
        return keys, rows, blank

    def _learn_cells(self, cells: list) -> bool:
        """Each cell new to `plain` parsed as the loop parses it; False if one is not a plain figure."""
        plain = self.plain
        try:
            new = set(cells).difference(plain)
        except TypeError:
            return False
        for value in new:
            got = self.seen_counts.get(value, _MISS)
            if got is _MISS:
                try:
                    got = parse_count(value)
                except CountProblem:
                    return False
            if got[1]:  # suppressed
                return False
            if len(plain) >= 65536:  # a hostile file of distinct figures: start again
                plain.clear()
            plain[value] = got[0]
        return True

    def _learn_labels(self, labels: list, section_sex: str) -> bool:
        """What each label new to `known` means; False if the loop would do anything but count its row."""
        known = self.known
        try:
            new = set(labels).difference(known)
        except TypeError:
            return False
        for cells_of_label in new:
            key = self.meaning(cells_of_label, section_sex)
            if key is None:
                return False
            if len(known) >= 65536:
                known.clear()
            known[cells_of_label] = key
            self.numbers = self.numbers or _holds_number(cells_of_label)
        return True


def extract_pivot(spec: TableSpec, rows: Iterable[list], where: Where, catalogue: OffenceCatalogue,
                  budget: Budget, acc: Accumulator, last_row: int | None = None, is_header=None,
                  reader: PeriodReader | None = None) -> None:
    """pivot_offence_age and pivot_age_offence, with total rows/columns and sex splits; and for a
    campaign about one offence, pivot_sex_age (sex down, ages across) and pivot_age_sex.  A year column
    beside the row labels (``spec.period_col``) puts each row in its period."""
    headers = spec.headers
    period_col = spec.period_col
    if period_col is not None:
        rows = _with_periods(rows, period_col, _PeriodMemo(reader or PeriodReader()))
        row_periods = _RowPeriods(reader, where, where.col(period_col, headers[period_col]), acc)
    fixed = spec.fixed_offence
    by_offence = spec.layout in ("pivot_offence_age", "pivot_sex_age")
    by_sex = spec.layout == "pivot_sex_age"
    label_cols = [spec.sex_col] if by_sex else (spec.offence_cols if by_offence else [spec.age_col])
    across = spec.across
    idx = [c.index for c in across]
    totals = [c for c in across if c.kind == "total"]
    used = label_cols + idx + [c for c in (spec.sex_col, period_col) if c is not None]
    need = max(used) + 1
    offences = _Offences(catalogue, where, headers, spec.offence_cols, acc.warnings) if by_offence else None
    n_across = len(across)
    # running sums per across column (same order as `across`): since the last total row, and overall
    scope = [0] * n_across
    every = [0] * n_across
    scope_slack = [0] * n_across
    every_slack = [0] * n_across
    scope_hidden = [0] * n_across
    every_hidden = [0] * n_across
    value_pos = [i for i, c in enumerate(across) if c.kind == "value"]
    total_scope = [[across.index(next(a for a in across if a.index == j)) for j in t.scope] for t in totals]
    total_pos = [across.index(t) for t in totals]
    scope_rows = 0
    footer_at = None
    notes: list[list] = []
    titles: list[list] = []  # sex headings since the last row of figures
    section_sex = ""
    rn = spec.header_idx + 1
    # parsing a count costs a dict hit for values seen before; the column is named only to refuse
    seen_counts: dict = {None: _BLANK_COUNT, "": _BLANK_COUNT}
    counts = acc.counts

    def refuse_cell(pos: int, value: object):
        c = across[pos]
        try:
            parse_count(value)
        except CountProblem as exc:
            return where.refuse(str(exc), row=rn, column=where.col(c.index, c.header))
        return None  # pragma: no cover - only called when parsing failed

    get_values = itemgetter(*idx) if len(idx) > 1 else (lambda r, _i=idx[0]: (r[_i],))
    lookup = seen_counts.get

    def parts_getter(parts: list[int]):
        if not parts:
            return lambda ns: ()
        if len(parts) == 1:
            return lambda ns, _p=parts[0]: (ns[_p],)
        return itemgetter(*parts)

    total_checks = [(t, tpos, parts, parts_getter(parts)) for t, tpos, parts in zip(totals, total_pos, total_scope)]
    problem_pos = {pos for pos in value_pos if isinstance(across[pos].label, str)}

    sums: dict[tuple, list] = {}  # (row label, row sex, row period) -> known counts per across column

    # what the loop below makes of a row's label cells (the labels, the sex column beside them, the period)
    sex_beside = spec.sex_col is not None and not by_sex
    tally_label_cols = label_cols + ([spec.sex_col] if sex_beside else []) + (
        [period_col] if period_col is not None else [])
    n_labels = len(label_cols)

    def meaning(cells: tuple, row_sex: str) -> tuple | None:
        """The label key the loop gives a row of plain figures with these label cells; None where it would
        do anything else with the row (a total, a heading, notes, a refusal, a warning). The same steps,
        with nothing said or refused."""
        labels = cells[:n_labels]
        if any(is_total_label(v) for v in labels):
            return None
        if by_sex:
            sv = labels[0]
            if parse_sex(sv) is None:
                return None
            row_sex = "unknown" if is_blank(sv) else parse_sex(sv)
            row_label = fixed.code
        elif by_offence:
            entry = offences.peek(labels)
            if entry is None:
                return None
            row_label = entry.code
        else:
            av = labels[0]
            if is_blank(av):
                return None  # unknown age, unless the whole row is blank (skipped): the loop tells
            row_label = parse_age(av)
            if row_label is NOT_AGE or isinstance(row_label, str):
                return None
        at = n_labels
        if sex_beside:
            sv = cells[at]
            row_sex = "unknown" if is_blank(sv) else parse_sex(sv)
            if row_sex is None:
                return None
            at += 1
        row_period = ""
        if period_col is not None:
            row_period = row_periods.peek(cells[at])
            if row_period is None:
                return None
        return (row_label, row_sex, row_period)

    rows = iter(rows)
    tally = _PivotTally(idx, tally_label_cols, seen_counts, meaning)
    check_every = Budget.CHECK_EVERY - 1
    stop = min(budget.limits.max_rows, last_row if last_row is not None else budget.limits.max_rows)

    def counted(chunk: list) -> bool:
        """Rows of plain figures read and added up as the loop adds them; False (nothing added) for any
        other chunk."""
        nonlocal scope, every, scope_rows, titles, rn
        got = tally.read(chunk, section_sex) if chunk else None
        if got is None:
            return False
        keys, chunk_counts, blank = got
        column_sums = [sum(column) for column in zip(*chunk_counts)]
        if any(column_sums[pos] for pos in problem_pos):
            return False  # a column the loop refuses a figure in
        for t, tpos, parts_of, get_parts in total_checks:
            if list(map(itemgetter(tpos), chunk_counts)) != list(map(sum, map(get_parts, chunk_counts))):
                return False  # a row total the loop refuses, naming its row
        if blank:
            acc.saw_blank = True
        groups: dict = {}  # label key -> its rows, in the order first met (the loop's order)
        for key, ns in zip(keys, chunk_counts):
            group = groups.get(key)
            if group is None:
                groups[key] = [ns]
            else:
                group.append(ns)
        for key, group in groups.items():
            vector = [sum(column) for column in zip(*group)]
            known = sums.get(key)
            sums[key] = vector if known is None else list(map(add, known, vector))
        scope = list(map(add, scope, column_sums))
        every = list(map(add, every, column_sums))
        acc.totals_checked += len(total_checks) * len(chunk)
        acc.rows_read += len(chunk)
        scope_rows += len(chunk)
        titles = []
        rn += len(chunk)
        return True

    def uncounted() -> Iterable[list]:
        """The rows, less the chunks of plain rows the tally read (added up as the loop below adds them);
        the loop reads the rest. A chunk ends where the loop would check the time, so that check falls on
        the same rows. A chunk that is not all plain is tried again in pieces of 32 rows, so one suppressed
        cell sends 32 rows to the loop, not 256."""
        nonlocal given_back
        while footer_at is None and rn < stop:
            size = min(_PivotTally.CHUNK, check_every + 1 - (rn & check_every), stop - rn)
            chunk = list(islice(rows, size))
            pending.append(chunk)
            while pending:
                piece = pending.pop()
                if footer_at is None and counted(piece):
                    if not rn & check_every:
                        budget.check_row(where, rn)
                elif footer_at is None and len(piece) > _PivotTally.PIECE:
                    step = _PivotTally.PIECE  # the first piece last in `pending`: read first
                    pending.extend(piece[at:at + step] for at in reversed(range(0, len(piece), step)))
                else:
                    given_back = iter(piece)
                    yield from given_back
                    given_back = iter(())
            if len(chunk) < size:
                break
        yield from rows

    pending: list[list] = []  # pieces of a chunk not yet read, the last one next
    given_back = iter(())  # the rest of a chunk the loop is reading: unread if another table starts in it
    try:
        for row in (rows if tally is None else uncounted()):  # None: the tests read every row by the loop
            rn += 1
            if last_row is not None and rn > last_row:
                break
            if rn > budget.limits.max_rows or not rn & (Budget.CHECK_EVERY - 1):
                budget.check_row(where, rn)
            if len(row) < need:
                row = list(row) + [""] * (need - len(row))
            # the counts of this row, parsed once: a dict hit per cell for values seen before
            vals = get_values(row)
            bad = None
            try:
                parsed = list(map(lookup, vals, repeat(_MISS)))  # the loop in C
            except TypeError:  # an unhashable cell: never from a reader, but be safe
                parsed = [_MISS] * len(vals)
            if _MISS in parsed or bool in set(map(type, vals)):
                for pos, v in enumerate(vals):
                    if v is True or v is False:  # True == 1.0 as a key; a tick box is not a count
                        parsed[pos] = None
                    elif parsed[pos] is _MISS:
                        try:
                            got = parse_count(v)
                        except CountProblem:
                            got = None
                        else:
                            if len(seen_counts) < 4096:
                                try:
                                    seen_counts[v] = got
                                except TypeError:
                                    pass
                        parsed[pos] = got
                    else:
                        continue
                    if parsed[pos] is None and bad is None:
                        bad = pos
            labels = [row[c] for c in label_cols]
            if _BLANK_COUNT in parsed:
                acc.saw_blank = True
                if bad is None and all(is_blank(c) for c in row):
                    continue
            if any(is_total_label(v) for v in labels):
                if bad is not None:
                    raise refuse_cell(bad, row[idx[bad]])
                for pos, c in enumerate(across):
                    col = where.col(c.index, c.header)
                    if scope_rows:
                        _check_total(where, rn, col, parsed[pos], scope[pos], scope_slack[pos], "the rows above it",
                                     acc, scope_hidden[pos])
                    else:
                        _check_total(where, rn, col, parsed[pos], every[pos], every_slack[pos], "all rows above it",
                                     acc, every_hidden[pos])
                    scope[pos] = scope_slack[pos] = scope_hidden[pos] = 0
                scope_rows = 0
                continue
            values_blank = all(is_blank(row[i]) for i in idx)
            if footer_at is not None:
                if values_blank and not (is_header is not None and is_header(row)):
                    notes.append(row)
                    continue
                raise MoreTable(notes + [row], rn - len(notes), footer_at)
            # the row label
            entry: OffenceEntry | None = None
            age: tuple | None = None
            row_sex = section_sex
            if by_sex:
                entry = fixed
                sv = row[spec.sex_col]
                if parse_sex(sv) is None and is_header is not None and is_header(row):
                    raise MoreTable(titles + [row], rn - len(titles), rn)
                if parse_sex(sv) is None and not is_blank(sv):
                    if values_blank:
                        footer_at = rn
                        notes = [row]
                        continue
                row_sex = _sex_of(sv, where, rn, where.col(spec.sex_col, headers[spec.sex_col]))
            elif by_offence:
                entry = offences.resolve(labels, rn)
                if entry is None:
                    kind, sex = _unlabelled_row(row, values_blank)
                    if kind == "sex":
                        section_sex = sex
                        titles.append(row)
                        continue
                    if is_header is not None and is_header(row):
                        raise MoreTable(titles + [row], rn - len(titles), rn)
                    if kind == "notes":
                        footer_at = rn
                        notes = [row]
                        continue
                    raise offences.refuse(labels, rn)
            else:
                av = row[spec.age_col]
                acol = where.col(spec.age_col, headers[spec.age_col])
                a = UNKNOWN_AGE if is_blank(av) else parse_age(av)
                if a is NOT_AGE:
                    kind, sex = _unlabelled_row(row, values_blank)
                    if kind == "sex":
                        section_sex = sex
                        titles.append(row)
                        continue
                    if is_header is not None and is_header(row):
                        raise MoreTable(titles + [row], rn - len(titles), rn)
                    if kind == "notes":
                        footer_at = rn
                        notes = [row]
                        continue
                    raise where.refuse(f"victim age '{cell_text(av)}' is not an age", row=rn, column=acol)
                if isinstance(a, str):
                    if bad is not None or any(parsed[pos][0] or parsed[pos][1] for pos in value_pos):
                        raise where.refuse(a, row=rn, column=acol)
                    continue
                age = a
            if bad is not None:
                raise refuse_cell(bad, row[idx[bad]])
            if spec.sex_col is not None and not by_sex:
                row_sex = _sex_of(row[spec.sex_col], where, rn, where.col(spec.sex_col, headers[spec.sex_col]))
            ns = list(map(_first, parsed))
            hidden_here = None in ns  # suppressed cells: (None, mark)
            if hidden_here:
                for pos, (n, label) in enumerate(parsed):
                    if label:
                        most = suppressed_max(label)
                        scope_slack[pos] += most
                        every_slack[pos] += most
                        scope_hidden[pos] += 1
                        every_hidden[pos] += 1
                ns = [n or 0 for n in ns]
            scope = list(map(add, scope, ns))
            every = list(map(add, every, ns))
            if problem_pos:
                for pos in problem_pos:
                    if ns[pos] or parsed[pos][1]:
                        c = across[pos]
                        raise where.refuse(c.label, row=rn, column=where.col(c.index, c.header))
            # known counts are summed per row label (offence or age, and sex) as one vector per label, in C;
            # spread over cells once the table is read
            row_period = "" if period_col is None else row_periods.of(row[period_col], rn)
            label_key = (entry.code if by_offence else age, row_sex, row_period)
            vector = sums.get(label_key)
            sums[label_key] = ns if vector is None else list(map(add, vector, ns))
            if hidden_here:
                for pos in value_pos:
                    label = parsed[pos][1]
                    if label:
                        acc.add(_cell_key(across[pos], label_key, by_offence), None, label)
            acc.rows_read += 1
            scope_rows += 1
            titles = []
            for t, tpos, parts_of, get_parts in total_checks:
                given = parsed[tpos]
                if given[1]:
                    continue  # a suppressed total cannot be checked
                if not hidden_here:
                    if given[0] == sum(get_parts(ns)):
                        acc.totals_checked += 1
                        continue
                    known = sum(get_parts(ns))
                    _check_total(where, rn, where.col(t.index, t.header), given, known, 0, "the cells in its row", acc)
                    continue
                known = slack = hidden = 0
                for p in parts_of:
                    n, label = parsed[p]
                    if label:
                        slack += suppressed_max(label)
                        hidden += 1
                    else:
                        known += n
                _check_total(where, rn, where.col(t.index, t.header), given, known, slack,
                             "the cells in its row", acc, hidden)
    except MoreTable as more:
        more.unread = list(given_back) + [row for piece in reversed(pending) for row in piece]
        raise
    finally:
        for label_key, vector in sums.items():
            for pos in value_pos:
                n = vector[pos]
                if n:
                    key = _cell_key(across[pos], label_key, by_offence)
                    counts[key] = counts.get(key, 0) + n


def _cell_key(column, label_key: tuple, by_offence: bool) -> tuple:
    row_label, row_sex, row_period = label_key
    if by_offence:
        lo, hi = column.label
        return (row_label, lo, hi, column.sex or row_sex, column.period or row_period)
    lo, hi = row_label
    return (column.label.code, lo, hi, column.sex or row_sex, column.period or row_period)
