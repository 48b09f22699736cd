"""The long layouts, read into an accumulator: per_crime (each row one crime) and count_long (a count
column), with an offence column (code and/or description), a victim age, and perhaps a sex column and
a year or recorded-date column.

They can be hundreds of thousands of rows, so chunks of plain figures are counted by the tally
(``tally.LongTally``); the rest is read row by row by a loop that works each combination of cells out
once (a dict hit per row) and takes the slow path, ``_LongTable.odd_row``, for the rest: blank rows,
totals, notes, refusals, warnings that name their row, suppressed counts.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from operator import itemgetter

from .catalogue import OffenceCatalogue, OffenceEntry
from .errors import Where
from .figures import (Accumulator, MoreTable, Offences, PeriodMemo, RowPeriods, check_total, count_of, is_note,
                      non_blank, sex_of, with_periods)
from .labels import (NOT_AGE, UNKNOWN_AGE, CountProblem, cell_text, is_blank, is_total_label, parse_age, parse_count,
                     parse_sex, suppressed_max)
from .limits import Budget
from .locate import TableSpec
from .periods import PeriodReader
from .tally import CHUNK, LongTally, holds_number


def extract_long(spec: TableSpec, rows: Iterable[list], where: Where, catalogue: OffenceCatalogue,
                 budget: Budget, acc: Accumulator, last_row: int | None = None,
                 reader: PeriodReader | None = None) -> None:
    """per_crime (each row one crime) and count_long (a count column) layouts.  A year or recorded-date
    column (``spec.period_col``) puts each row in its period, read by ``reader``."""
    _LongTable(spec, where, catalogue, budget, acc, last_row, reader).read(rows)


class _LongTable:
    """One long table being read: which cells of a row matter, and the sums its total rows are checked
    against (since the last total row, and over the whole table)."""

    def __init__(self, spec: TableSpec, where: Where, catalogue: OffenceCatalogue, budget: Budget,
                 acc: Accumulator, last_row: int | None, reader: PeriodReader | None) -> None:
        self.headers, self.where, self.catalogue, self.budget, self.acc = spec.headers, where, catalogue, budget, acc
        self.fixed = spec.fixed_offence
        self.last_row = last_row
        self._place_columns(spec)
        self.memo = PeriodMemo(reader or PeriodReader()) if spec.period_col is not None else None
        if self.period_pos is not None:
            self.row_periods = RowPeriods(reader, where, where.col(spec.period_col, self.headers[spec.period_col]),
                                          acc)
        self.label_cols = spec.offence_cols or ([spec.age_col] if spec.age_col is not None else self.cols[:1])
        self.offence_cols = spec.offence_cols
        self.offences = Offences(catalogue, where, self.headers, spec.offence_cols, acc.warnings)
        self.cache: dict = {}  # the cells of a row of a plain figure -> (counts key, n)
        self.numbers_cached = False  # a key in `cache` holds a number (see LongTally.numbers)
        self.counts = acc.counts
        self.rn = spec.header_idx + 1  # the row last read
        self.stop = min(budget.limits.max_rows, last_row if last_row is not None else budget.limits.max_rows)
        self.check_every = Budget.CHECK_EVERY - 1
        # what the rows since the last total row add up to (figures, rows, the most their suppressed cells
        # hide, how many there are), and what suppressed cells hide over the whole table
        self.scope_n = self.scope_rows = self.scope_slack = self.scope_hidden = 0
        self.all_slack = self.all_hidden = 0
        self.rows_counted = 0
        self.footer_at: int | None = None  # the row the notes below the table start at
        self.notes: list[list] = []
        self.subtotalled: dict[str, int] = {}  # offence -> its figures at its last subtotal row
        self.tally = None
        if self.fixed is None and self.n_off:  # with no offence column, the whole row tells a note from a figure
            value_cols = self.cols if self.period_pos is None else self.cols[:self.period_pos]
            self.tally = LongTally(value_cols, spec.period_col, self.memo, self.meaning)
            if self.tally is not None:  # (None in the tests that read every row by the loop)
                self.tally.first_met = self.first_met

    def _place_columns(self, spec: TableSpec) -> None:
        """The cells that matter, in the order of a row's key: the offence cells, then age, sex, count
        and period, each where the table has one (its position in the key, else None)."""
        cols = list(spec.offence_cols)
        self.n_off = len(cols)
        self.age_pos = self.sex_pos = self.count_pos = self.period_pos = None
        if spec.age_col is not None:
            self.age_pos = len(cols)
            cols.append(spec.age_col)
        if spec.sex_col is not None:
            self.sex_pos = len(cols)
            cols.append(spec.sex_col)
        if spec.count_col is not None:
            self.count_pos = len(cols)
            cols.append(spec.count_col)
        if spec.period_col is not None:
            self.period_pos = len(cols)
            cols.append(spec.period_col)
        self.cols = cols
        self.period_col = spec.period_col
        self.getter = itemgetter(*cols) if len(cols) > 1 else (lambda r, _c=cols[0]: (r[_c],))
        self.need = max(cols) + 1

    def name(self, pos: int) -> str:
        return self.where.col(self.cols[pos], self.headers[self.cols[pos]])

    # ------------------------------------------------------------------------ reading
    def read(self, rows: Iterable[list]) -> None:
        rows = iter(rows)
        # a tally of None: with no offence column, or in the tests that read every row by the loop
        if self.tally is None or self.read_tallied(rows):
            self.read_rows(self.with_periods(rows))
        self.finish()

    def with_periods(self, rows: Iterator[list]) -> Iterable[list]:
        return rows if self.memo is None else with_periods(rows, self.period_col, self.memo)

    def read_tallied(self, rows: Iterator[list]) -> bool:
        """The rows a chunk at a time while the table lasts: a chunk of plain figures counted by the tally
        (added to counts as the loop adds a plain figure's row), any other read by the loop. A chunk ends
        where the loop would check the time, so that check falls on the same rows. False when the loop
        has read the last row it was to read."""
        tally, budget, where, check_every = self.tally, self.budget, self.where, self.check_every
        while self.footer_at is None and self.rn < self.stop:
            size = min(CHUNK, check_every + 1 - (self.rn & check_every), self.stop - self.rn)
            chunk = list(islice(rows, size))
            if tally.count(chunk):
                self.rn += len(chunk)
                if not self.rn & check_every:
                    budget.check_time(where, self.rn)
            else:
                self.flush()
                given_back = iter(chunk)
                try:
                    if not self.read_rows(self.with_periods(given_back)):
                        return False
                except MoreTable as more:
                    more.unread = list(given_back)  # the rest of the chunk: the next table's first rows
                    raise
            if len(chunk) < size:
                break
        self.flush()
        return True

    def flush(self) -> None:
        """The rows the tally has counted, added to the sums."""
        n_rows, total = self.tally.flush(self.counts)
        self.scope_n += total
        self.scope_rows += n_rows
        self.rows_counted += n_rows

    def read_rows(self, rows: Iterable[list]) -> bool:
        """Row by row: a row whose cells were met before as a plain figure is a dict hit, added to counts
        here; any other goes to `odd_row`. False when the last row to read (the mapping's) is passed."""
        cache, counts, getter, need = self.cache, self.counts, self.getter, self.need
        budget, where, stop, last_row, check_every = self.budget, self.where, self.stop, self.last_row, self.check_every
        rn, footer_at, numbers_cached = self.rn, self.footer_at, self.numbers_cached
        added = plain = 0  # figures and rows of plain figures not yet in the sums
        try:
            for row in rows:
                rn += 1
                if rn > stop:
                    if last_row is not None and rn > last_row:
                        return False
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
                    added += n
                    plain += 1
                    continue
                self.add_plain(added, plain)
                added = plain = 0
                self.rn = rn
                self.odd_row(row, key)
                footer_at, numbers_cached = self.footer_at, self.numbers_cached
            return True
        finally:
            self.rn = rn
            self.add_plain(added, plain)

    def add_plain(self, added: int, rows: int) -> None:
        self.scope_n += added
        self.scope_rows += rows
        self.rows_counted += rows

    def finish(self) -> None:
        acc = self.acc
        acc.rows_read += self.rows_counted
        if not acc.saw_blank:
            acc.saw_blank = any(is_blank(v) for key in self.cache for v in key) or (
                self.tally is not None and self.tally.saw_blank())

    # ------------------------------------------------------------------------ the slow path
    def odd_row(self, row: list, key: tuple) -> None:
        """A row that is not a plain figure met before: worked out, checked, and counted (a plain figure's
        cells are then remembered in `cache`)."""
        rn = self.rn
        if len(row) < self.need:
            row = list(row) + [""] * (self.need - len(row))
        off_vals = list(key[:self.n_off])
        if all(is_blank(c) for c in row):
            self.acc.saw_blank = True
            return
        if any(is_total_label(v) for v in off_vals) or (
                all(is_blank(v) for v in off_vals) and any(is_total_label(c) for c in row)):
            self.total_row(row, key, rn)
            return
        if self.footer_at is not None:
            self.below_notes(row, rn)
            return
        entry = self.offence(row, key, off_vals, rn)
        if entry is None:
            return  # the first row of notes
        age = self.age(entry, key, rn)
        if age is not None:
            self.add_figure(entry, age, key, rn)

    def total_row(self, row: list, key: tuple, rn: int) -> None:
        """A total ('Total', 'Grand Total') checked against the rows since the last total, or all rows
        above it when it follows another."""
        where = self.where
        if self.count_pos is not None:
            col = self.name(self.count_pos)
            given = count_of(key[self.count_pos], where, rn, col)
        else:
            nums = [(i, c) for i, c in enumerate(row) if i not in self.label_cols and not is_blank(c)
                    and not is_total_label(c)]
            if len(nums) != 1:
                self.acc.warnings.append(f"{where.place(rn)}: total row without a single figure; not checked")
                return
            col = where.col(nums[0][0])
            given = count_of(nums[0][1], where, rn, col)
        if self.scope_rows:
            check_total(where, rn, col, given, self.scope_n, self.scope_slack, "the rows above it", self.acc,
                        self.scope_hidden)
        else:
            check_total(where, rn, col, given, sum(self.counts.values()), self.all_slack, "all rows above it",
                        self.acc, self.all_hidden)
        self.scope_n = self.scope_rows = self.scope_slack = self.scope_hidden = 0

    def start_notes(self, row: list, rn: int) -> None:
        self.footer_at = rn
        self.notes = [row]

    def below_notes(self, row: list, rn: int) -> None:
        """A row after the first row of notes: more notes, or the start of another table."""
        if is_note(row):
            self.notes.append(row)
            return
        raise MoreTable(self.notes + [row], rn - len(self.notes), self.footer_at)

    def offence(self, row: list, key: tuple, off_vals: list, rn: int) -> OffenceEntry | None:
        """The row's offence; None when the row is the first of the notes below the table."""
        if self.fixed is not None:
            if is_note(row) and (self.age_pos is None or parse_age(key[self.age_pos]) is NOT_AGE):
                self.start_notes(row, rn)
                return None
            return self.fixed
        entry = self.offences.resolve(off_vals, rn)
        if entry is not None:
            return entry
        if is_note(row) and not any(self.catalogue.resolve(c) for c in non_blank(row)):
            self.start_notes(row, rn)
            return None
        if all(is_blank(v) for v in off_vals):
            first = self.offence_cols[0]
            raise self.where.refuse("no offence given on a row with other figures", row=rn,
                                    column=self.where.col(first, self.headers[first]))
        raise self.offences.refuse(off_vals, rn)

    def age(self, entry: OffenceEntry, key: tuple, rn: int) -> tuple | None:
        """The row's victim age (lo, hi); None for an offence's subtotal row ('19E | Total | 5'), checked
        against that offence's rows since its last one."""
        if self.age_pos is None:
            return UNKNOWN_AGE
        av = key[self.age_pos]
        if is_blank(av):
            return UNKNOWN_AGE
        if is_total_label(av):
            if self.count_pos is not None:
                given = count_of(key[self.count_pos], self.where, rn, self.name(self.age_pos))
                known = self.acc.code_total(entry.code) - self.subtotalled.get(entry.code, 0)
                check_total(self.where, rn, self.name(self.age_pos), given, known, 0, f"offence {entry.code}'s rows",
                            self.acc)
                self.subtotalled[entry.code] = self.acc.code_total(entry.code)
            return None
        a = parse_age(av)
        if a is NOT_AGE:
            raise self.where.refuse(f"victim age '{cell_text(av)}' is not an age", row=rn,
                                    column=self.name(self.age_pos))
        if isinstance(a, str):
            raise self.where.refuse(a, row=rn, column=self.name(self.age_pos))
        return a

    def add_figure(self, entry: OffenceEntry, age: tuple, key: tuple, rn: int) -> None:
        """The row's figure (1 for a crime, else its count) added under its offence, age, sex and period;
        a suppressed count kept as suppressed, and the most it can hide added to the sums' slack."""
        where = self.where
        lo, hi = age
        sex = "" if self.sex_pos is None else sex_of(key[self.sex_pos], where, rn, self.name(self.sex_pos))
        if self.count_pos is None:
            n, label = 1, ""
        else:
            n, label = count_of(key[self.count_pos], where, rn, self.name(self.count_pos))
        period = "" if self.period_pos is None else self.row_periods.of(key[self.period_pos], rn)
        k = (entry.code, lo, hi, sex, period)
        if k not in self.acc.places:
            self.place(k, rn)
        self.scope_rows += 1
        self.rows_counted += 1
        if label:
            self.acc.add(k, None, label)  # its place set above, as for any figure
            most = suppressed_max(label)
            self.scope_slack += most
            self.all_slack += most
            self.scope_hidden += 1
            self.all_hidden += 1
            return
        self.cache[key] = (k, n)
        self.numbers_cached = self.numbers_cached or holds_number(key)
        self.counts[k] = self.counts.get(k, 0) + n
        self.scope_n += n

    def place(self, k: tuple, rn: int) -> None:
        """Where the figure of `k` was first read: its count cell, or the first of the rows counted."""
        column = None if self.count_pos is None else self.name(self.count_pos)
        self.acc.places[k] = self.where.place(rn, column) + ("" if column else " (first of the rows counted)")

    def first_met(self, k: tuple, index: int) -> None:
        """The tally met `k` first at `index` of the chunk it is counting (rows after self.rn)."""
        if k not in self.acc.places:
            self.place(k, self.rn + index + 1)

    # ------------------------------------------------------------------------ for the tally
    def meaning(self, key: tuple) -> tuple | None:
        """What the loop makes of a row with these cells when it is a plain figure (it adds n to
        counts[k]): (k, n); None for anything else. The same steps, with nothing said or refused."""
        off_vals = key[:self.n_off]
        if any(is_total_label(v) for v in off_vals):
            return None
        entry = self.offences.peek(off_vals)  # None too when every offence cell is blank
        if entry is None:
            return None
        lo, hi = UNKNOWN_AGE
        if self.age_pos is not None and not is_blank(key[self.age_pos]):
            a = parse_age(key[self.age_pos])
            if a is NOT_AGE or isinstance(a, str) or is_total_label(key[self.age_pos]):
                return None
            lo, hi = a
        sex = ""
        if self.sex_pos is not None:
            sex = "unknown" if is_blank(key[self.sex_pos]) else parse_sex(key[self.sex_pos])
            if sex is None:
                return None
        n = 1
        if self.count_pos is not None:
            try:
                n, label = parse_count(key[self.count_pos])
            except CountProblem:
                return None
            if label:
                return None
        period = "" if self.period_pos is None else self.row_periods.peek(key[self.period_pos])
        if period is None:
            return None
        return (entry.code, lo, hi, sex, period), n
