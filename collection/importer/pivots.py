"""The pivots, read into an accumulator: offences down and ages across (pivot_offence_age), ages down and
offences across (pivot_age_offence), and for a campaign about one offence sexes down and ages across
(pivot_sex_age) or ages down and sexes across (pivot_age_sex); with total rows and columns, sex splits,
sex headings between sections, and a year column beside the row labels.

Chunks of rows of plain figures are read by the tally (``tally.PivotTally``); the rest row by row. The
figures of a row are summed per row label (offence or age, sex, period) as one vector per label, and
spread over cells once the table is read.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice, repeat
from operator import add, itemgetter

from .catalogue import OffenceCatalogue
from .errors import Where
from .figures import (Accumulator, MoreTable, Offences, PeriodMemo, RowPeriods, check_total, non_blank, sex_of,
                      with_periods)
from .labels import (NOT_AGE, UNKNOWN_AGE, CountProblem, cell_text, is_blank, is_total_label, parse_age, parse_count,
                     parse_sex, suppressed_max)
from .limits import Budget
from .locate import TableSpec
from .periods import PeriodReader
from .tally import CHUNK, PivotTally

_BLANK_COUNT = (0, None)  # a blank cell: zero, and told apart from a "0" (0, "") by `in`
_MISS = object()
_first = itemgetter(0)


def extract_pivot(spec: TableSpec, rows: Iterable[list], where: Where, catalogue: OffenceCatalogue,
                  budget: Budget, acc: Accumulator, last_row: int | None = None, is_header=None,
                  reader: PeriodReader | None = None) -> None:
    """pivot_offence_age and pivot_age_offence, with total rows/columns and sex splits; and for a
    campaign about one offence, pivot_sex_age (sex down, ages across) and pivot_age_sex.  A year column
    beside the row labels (``spec.period_col``) puts each row in its period."""
    if spec.period_col is not None:
        rows = with_periods(rows, spec.period_col, PeriodMemo(reader or PeriodReader()))
    _PivotTable(spec, where, catalogue, budget, acc, last_row, is_header, reader).read(rows)


class _RunningSums:
    """Each across column's sums, which a total row is checked against: since the last total row (the
    scope) and over every row, with the most the suppressed cells among them can hide (slack) and how
    many of them there are (hidden)."""

    def __init__(self, width: int) -> None:
        self.scope = [0] * width
        self.every = [0] * width
        self.scope_slack = [0] * width
        self.every_slack = [0] * width
        self.scope_hidden = [0] * width
        self.every_hidden = [0] * width
        self.scope_rows = 0

    def add_hidden(self, parsed: list) -> None:
        """A row's suppressed cells, each hiding up to the most its mark allows."""
        for pos, (_, label) in enumerate(parsed):
            if label:
                most = suppressed_max(label)
                self.scope_slack[pos] += most
                self.every_slack[pos] += most
                self.scope_hidden[pos] += 1
                self.every_hidden[pos] += 1

    def add(self, ns: list[int]) -> None:
        """Known counts, one per across column (a row's, or a chunk's column sums)."""
        self.scope = list(map(add, self.scope, ns))
        self.every = list(map(add, self.every, ns))

    def check_total_row(self, where: Where, rn: int, across: list, parsed: list, acc: Accumulator) -> None:
        """A total row, each cell against the rows above it since the last total row (all rows above it
        when it follows another); the scope starts again below it."""
        for pos, c in enumerate(across):
            col = where.col(c.index, c.header)
            if self.scope_rows:
                check_total(where, rn, col, parsed[pos], self.scope[pos], self.scope_slack[pos], "the rows above it",
                            acc, self.scope_hidden[pos])
            else:
                check_total(where, rn, col, parsed[pos], self.every[pos], self.every_slack[pos], "all rows above it",
                            acc, self.every_hidden[pos])
            self.scope[pos] = self.scope_slack[pos] = self.scope_hidden[pos] = 0
        self.scope_rows = 0


def _cells_getter(cols: list[int]):
    """A row's cells in these columns, as a tuple."""
    return itemgetter(*cols) if len(cols) > 1 else (lambda r, _c=cols[0]: (r[_c],))


def _all_blank(cells: tuple) -> bool:
    return all(is_blank(c) for c in cells)


def _parts_getter(parts: list[int]):
    if not parts:
        return lambda ns: ()
    if len(parts) == 1:
        return lambda ns, _p=parts[0]: (ns[_p],)
    return itemgetter(*parts)


class _RowTotals:
    """The total columns across ('Total', or one after each sex's ages), each checked against the cells
    it totals in the same row."""

    def __init__(self, across: list) -> None:
        totals = [c for c in across if c.kind == "total"]
        scopes = [[across.index(next(a for a in across if a.index == j)) for j in t.scope] for t in totals]
        self.checks = [(t, across.index(t), parts, _parts_getter(parts)) for t, parts in zip(totals, scopes)]

    def __len__(self) -> int:
        return len(self.checks)

    def agree(self, rows: list[tuple]) -> bool:
        """Whether every row total of these rows of known counts equals its parts."""
        for _, tpos, _, get_parts in self.checks:
            if list(map(itemgetter(tpos), rows)) != list(map(sum, map(get_parts, rows))):
                return False
        return True

    def check(self, where: Where, rn: int, parsed: list, ns: list[int], hidden_here: bool, acc: Accumulator) -> None:
        """A row's totals against its cells; one over suppressed cells is checked as a range."""
        for t, tpos, parts_of, get_parts in self.checks:
            given = parsed[tpos]
            if given[1]:
                continue  # a suppressed total cannot be checked
            if not hidden_here:
                known = sum(get_parts(ns))
                if given[0] == known:
                    acc.totals_checked += 1
                else:
                    check_total(where, rn, where.col(t.index, t.header), given, known, 0, "the cells in its row", acc)
                continue
            known = slack = hidden = 0
            for p in parts_of:
                n, label = parsed[p]
                if label:
                    slack += suppressed_max(label)
                    hidden += 1
                else:
                    known += n
            check_total(where, rn, where.col(t.index, t.header), given, known, slack, "the cells in its row", acc,
                        hidden)


class _PivotTable:
    """One pivot being read: its layout, the sums its totals are checked against, the figures summed per
    row label, and where the table stands (the row last read, a sex heading over the rows, the notes
    below it)."""

    def __init__(self, spec: TableSpec, where: Where, catalogue: OffenceCatalogue, budget: Budget,
                 acc: Accumulator, last_row: int | None, is_header, reader: PeriodReader | None) -> None:
        self.where, self.budget, self.acc, self.last_row, self.is_header = where, budget, acc, last_row, is_header
        self._place_columns(spec)
        headers = spec.headers
        if self.period_col is not None:
            self.row_periods = RowPeriods(reader, where, where.col(self.period_col, headers[self.period_col]), acc)
        self.offences = None
        if self.by_offence:
            self.offences = Offences(catalogue, where, headers, spec.offence_cols, acc.warnings)
        self.sums = _RunningSums(len(self.across))
        self.row_totals = _RowTotals(self.across)
        self.label_sums: dict[tuple, list] = {}  # (row label, row sex, row period) -> known counts per across column
        self.label_rows: dict[tuple, int] = {}  # the same key -> the row (as read) it was first met on
        self.footer_at: int | None = None  # the row the notes below the table start at
        self.notes: list[list] = []
        self.titles: list[list] = []  # sex headings since the last row of figures
        self.section_sex = ""  # from a sex heading over the rows below it
        self.rn = spec.header_idx + 1  # the row last read
        self.stop = min(budget.limits.max_rows, last_row if last_row is not None else budget.limits.max_rows)
        self.check_every = Budget.CHECK_EVERY - 1
        # parsing a count costs a dict hit for values seen before; the column is named only to refuse
        self.seen_counts: dict = {None: _BLANK_COUNT, "": _BLANK_COUNT}
        self.pending: list[list] = []  # pieces of a chunk not yet read, the last one next
        self.tally = PivotTally(self.idx, self.tally_label_cols, self.seen_counts, self.label_key)

    def _place_columns(self, spec: TableSpec) -> None:
        """Which columns label a row and which hold its figures (``across``), and what is refused in them."""
        self.fixed = spec.fixed_offence
        self.by_offence = spec.layout in ("pivot_offence_age", "pivot_sex_age")
        self.by_sex = spec.layout == "pivot_sex_age"
        self.label_cols = [spec.sex_col] if self.by_sex else (spec.offence_cols if self.by_offence else [spec.age_col])
        self.sex_col, self.age_col, self.period_col = spec.sex_col, spec.age_col, spec.period_col
        self.sex_beside = spec.sex_col is not None and not self.by_sex  # a sex column beside the row labels
        headers = spec.headers
        self.sex_name = self.where.col(spec.sex_col, headers[spec.sex_col]) if spec.sex_col is not None else ""
        self.age_name = self.where.col(spec.age_col, headers[spec.age_col]) if spec.age_col is not None else ""
        self.across = across = spec.across
        self.idx = idx = [c.index for c in across]
        used = self.label_cols + idx + [c for c in (spec.sex_col, spec.period_col) if c is not None]
        self.need = max(used) + 1
        self.get_values = _cells_getter(idx)  # the row's across cells
        self.get_labels = _cells_getter(self.label_cols)
        self.value_pos = [i for i, c in enumerate(across) if c.kind == "value"]
        # columns the loop refuses any figure in (an age that is not a child's)
        self.problem_pos = {pos for pos in self.value_pos if isinstance(across[pos].label, str)}
        # the cells the tally tells a row's label by: the labels, the sex column beside them, the period
        self.tally_label_cols = self.label_cols + ([spec.sex_col] if self.sex_beside else []) + (
            [spec.period_col] if spec.period_col is not None else [])

    # ------------------------------------------------------------------------ reading
    def read(self, rows: Iterable[list]) -> None:
        rows = iter(rows)
        try:
            # a tally of None: the tests read every row by the loop
            if self.tally is None or self.read_tallied(rows):
                self.read_rows(rows)
        finally:
            self.spread_sums()

    def read_tallied(self, rows: Iterator[list]) -> bool:
        """The rows while the table lasts, a chunk at a time: a chunk of plain rows is read by the tally
        (added up as the loop adds them), any other tried again in pieces of 32 rows, so one suppressed
        cell sends 32 rows to the loop, not 256. A chunk ends where the loop would check the time, so
        that check falls on the same rows. False when the loop has read the last row it was to read."""
        budget, where, check_every, pending = self.budget, self.where, self.check_every, self.pending
        step = PivotTally.PIECE
        while self.footer_at is None and self.rn < self.stop:
            size = min(CHUNK, check_every + 1 - (self.rn & check_every), self.stop - self.rn)
            chunk = list(islice(rows, size))
            pending.append(chunk)
            while pending:
                piece = pending.pop()
                if self.footer_at is None and self.add_chunk(piece):
                    if not self.rn & check_every:
                        budget.check_row(where, self.rn)
                elif self.footer_at is None and len(piece) > step:  # the first piece last in `pending`: read first
                    pending.extend(piece[at:at + step] for at in reversed(range(0, len(piece), step)))
                elif not self.read_given_back(piece):
                    return False
            if len(chunk) < size:
                break
        return True

    def read_given_back(self, piece: list[list]) -> bool:
        """Rows the tally gave back, read by the loop."""
        given_back = iter(piece)
        try:
            return self.read_rows(given_back)
        except MoreTable as more:
            # rows already taken from the reader: the rest of this piece and the pieces after it
            more.unread = list(given_back) + [row for later in reversed(self.pending) for row in later]
            raise

    def add_chunk(self, chunk: list) -> bool:
        """Rows of plain figures read and added up as the loop adds them; False (nothing added) for any
        other chunk."""
        got = self.tally.read(chunk, self.section_sex) if chunk else None
        if got is None:
            return False
        keys, chunk_counts, blank = got
        column_sums = [sum(column) for column in zip(*chunk_counts)]
        if any(column_sums[pos] for pos in self.problem_pos):
            return False  # a column the loop refuses a figure in
        if not self.row_totals.agree(chunk_counts):
            return False  # a row total the loop refuses, naming its row
        if blank:
            self.acc.saw_blank = True
        groups: dict = {}  # label key -> its rows, in the order first met (the loop's order)
        label_rows, first = self.label_rows, self.rn + 1
        for i, (key, ns) in enumerate(zip(keys, chunk_counts)):
            group = groups.get(key)
            if group is None:
                groups[key] = [ns]
                if key not in label_rows:
                    label_rows[key] = first + i
            else:
                group.append(ns)
        label_sums = self.label_sums
        for key, group in groups.items():
            vector = [sum(column) for column in zip(*group)]
            known = label_sums.get(key)
            label_sums[key] = vector if known is None else list(map(add, known, vector))
        self.sums.add(column_sums)
        self.sums.scope_rows += len(chunk)
        self.acc.totals_checked += len(self.row_totals) * len(chunk)
        self.acc.rows_read += len(chunk)
        self.titles = []
        self.rn += len(chunk)
        return True

    def read_rows(self, rows: Iterable[list]) -> bool:
        """Row by row; False when the last row to read (the mapping's) is passed. A row's counts are parsed
        once: a dict hit per cell for values seen before."""
        budget, where, last_row, need, check_every = self.budget, self.where, self.last_row, self.need, self.check_every
        max_rows = budget.limits.max_rows
        get_values, get_labels, lookup, acc = self.get_values, self.get_labels, self.seen_counts.get, self.acc
        row_label, add_row = self.row_label, self.add_row
        for row in rows:
            self.rn = rn = self.rn + 1
            if last_row is not None and rn > last_row:
                return False
            if rn > max_rows or not rn & check_every:
                budget.check_row(where, rn)
            if len(row) < need:
                row = list(row) + [""] * (need - len(row))
            vals = get_values(row)
            try:
                parsed = list(map(lookup, vals, repeat(_MISS)))  # the loop in C
            except TypeError:  # an unhashable cell: never from a reader, but be safe
                parsed = [_MISS] * len(vals)
            bad = self.parse_new(vals, parsed) if _MISS in parsed or bool in set(map(type, vals)) else None
            labels = get_labels(row)
            if _BLANK_COUNT in parsed:
                acc.saw_blank = True
                if bad is None and all(is_blank(c) for c in row):
                    continue
            if any(is_total_label(v) for v in labels):
                self.total_row(row, parsed, bad)
                continue
            if self.footer_at is not None:
                self.below_notes(row, vals)
                continue
            label = row_label(row, labels, vals, parsed, bad)
            if label is None:
                continue
            if bad is not None:
                raise self.refuse_cell(bad, row)
            add_row(row, parsed, *label)
        return True

    def spread_sums(self) -> None:
        """The figures summed per row label, spread over their cells."""
        counts, across, by_offence, places = self.acc.counts, self.across, self.by_offence, self.acc.places
        where, label_rows = self.where, self.label_rows
        for label_key, vector in self.label_sums.items():
            for pos in self.value_pos:
                n = vector[pos]
                if n:
                    key = _cell_key(across[pos], label_key, by_offence)
                    counts[key] = counts.get(key, 0) + n
                    if key not in places:
                        c = across[pos]
                        places[key] = where.place(label_rows.get(label_key), where.col(c.index, c.header))

    # ------------------------------------------------------------------------ a row
    def total_row(self, row: list, parsed: list, bad: int | None) -> None:
        if bad is not None:
            raise self.refuse_cell(bad, row)
        self.sums.check_total_row(self.where, self.rn, self.across, parsed, self.acc)

    def parse_new(self, vals: tuple, parsed: list) -> int | None:
        """The cells not seen before (and tick boxes) parsed into `parsed`; the first that is no count."""
        seen_counts = self.seen_counts
        bad = None
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
        return bad

    def refuse_cell(self, pos: int, row: list):
        c = self.across[pos]
        try:
            parse_count(row[self.idx[pos]])
        except CountProblem as exc:
            return self.where.refuse(str(exc), row=self.rn, column=self.where.col(c.index, c.header))
        return None  # pragma: no cover - only called when parsing failed

    def another_table(self, row: list) -> MoreTable:
        """The header of another table: it starts at the headings above it."""
        return MoreTable(self.titles + [row], self.rn - len(self.titles), self.rn)

    def start_notes(self, row: list) -> None:
        self.footer_at = self.rn
        self.notes = [row]

    def below_notes(self, row: list, vals: tuple) -> None:
        """A row after the first row of notes: more notes, or the start of another table."""
        if _all_blank(vals) and not (self.is_header is not None and self.is_header(row)):
            self.notes.append(row)
            return
        raise MoreTable(self.notes + [row], self.rn - len(self.notes), self.footer_at)

    def row_label(self, row: list, labels: tuple, vals: tuple, parsed: list, bad: int | None) -> tuple | None:
        """(the row's label: its offence code or age, its sex); None for a row with nothing to count: a sex
        heading, notes, an age that is not a child's over no figures."""
        if self.by_sex:
            row_sex = self.sex_label(row, vals)
            return None if row_sex is None else (self.fixed.code, row_sex)
        if self.by_offence:
            entry = self.offences.resolve(labels, self.rn)
            if entry is not None:
                return entry.code, self.section_sex
            if self.took_unlabelled(row, vals):
                return None
            raise self.offences.refuse(labels, self.rn)
        av = row[self.age_col]
        a = UNKNOWN_AGE if is_blank(av) else parse_age(av)
        if a is NOT_AGE:
            if self.took_unlabelled(row, vals):
                return None
            raise self.where.refuse(f"victim age '{cell_text(av)}' is not an age", row=self.rn, column=self.age_name)
        if isinstance(a, str):
            if bad is not None or any(parsed[pos][0] or parsed[pos][1] for pos in self.value_pos):
                raise self.where.refuse(a, row=self.rn, column=self.age_name)
            return None
        return a, self.section_sex

    def sex_label(self, row: list, vals: tuple) -> str | None:
        """The sex down the rows of a campaign about one offence; None for the first row of notes."""
        sv = row[self.sex_col]
        if parse_sex(sv) is None:
            if self.is_header is not None and self.is_header(row):
                raise self.another_table(row)
            if not is_blank(sv) and _all_blank(vals):
                self.start_notes(row)
                return None
        return sex_of(sv, self.where, self.rn, self.sex_name)

    def took_unlabelled(self, row: list, vals: tuple) -> bool:
        """A row whose label is not an offence or age: True when it is a lone 'Female'/'Male' heading (the
        rows below it are that sex's) or the first row of the notes below the table; the header of another
        table raises MoreTable; False for anything else, whose label the caller refuses."""
        cells = non_blank(row)
        if len(cells) == 1 and parse_sex(cells[0]):
            self.section_sex = parse_sex(cells[0]) or ""
            self.titles.append(row)
            return True
        if self.is_header is not None and self.is_header(row):
            raise self.another_table(row)
        if _all_blank(vals):
            self.start_notes(row)
            return True
        return False

    def add_row(self, row: list, parsed: list, row_label, row_sex: str) -> None:
        """A row of figures: its known counts added to its label's, its suppressed cells kept, its totals
        checked."""
        where, rn, acc, sums, label_sums = self.where, self.rn, self.acc, self.sums, self.label_sums
        if self.sex_beside:
            row_sex = sex_of(row[self.sex_col], where, rn, self.sex_name)
        ns = list(map(_first, parsed))
        hidden_here = None in ns  # suppressed cells: (None, mark)
        if hidden_here:
            sums.add_hidden(parsed)
            ns = [n or 0 for n in ns]
        sums.add(ns)
        for pos in self.problem_pos:
            if ns[pos] or parsed[pos][1]:
                c = self.across[pos]
                raise where.refuse(c.label, row=rn, column=where.col(c.index, c.header))
        row_period = "" if self.period_col is None else self.row_periods.of(row[self.period_col], rn)
        label_key = (row_label, row_sex, row_period)
        if label_key not in self.label_rows:
            self.label_rows[label_key] = rn
        vector = label_sums.get(label_key)
        label_sums[label_key] = ns if vector is None else list(map(add, vector, ns))
        if hidden_here:
            for pos in self.value_pos:
                label = parsed[pos][1]
                if label:
                    key = _cell_key(self.across[pos], label_key, self.by_offence)
                    acc.add(key, None, label)
                    if key not in acc.places:
                        c = self.across[pos]
                        acc.places[key] = where.place(rn, where.col(c.index, c.header))
        acc.rows_read += 1
        sums.scope_rows += 1
        self.titles = []
        self.row_totals.check(where, rn, parsed, ns, hidden_here, acc)

    # ------------------------------------------------------------------------ for the tally
    def label_key(self, cells: tuple, row_sex: str) -> tuple | None:
        """The label key the loop gives a row of plain figures with these label cells; None where it would
        do anything else with the row (a total, a heading, notes, a refusal, a warning). The same steps,
        with nothing said or refused."""
        n_labels = len(self.label_cols)
        labels = cells[:n_labels]
        if any(is_total_label(v) for v in labels):
            return None
        if self.by_sex:
            sv = labels[0]
            if parse_sex(sv) is None:
                return None
            row_sex = "unknown" if is_blank(sv) else parse_sex(sv)
            row_label = self.fixed.code
        elif self.by_offence:
            entry = self.offences.peek(labels)
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
        if self.sex_beside:
            sv = cells[at]
            row_sex = "unknown" if is_blank(sv) else parse_sex(sv)
            if row_sex is None:
                return None
            at += 1
        row_period = ""
        if self.period_col is not None:
            row_period = self.row_periods.peek(cells[at])
            if row_period is None:
                return None
        return (row_label, row_sex, row_period)


def _cell_key(column, label_key: tuple, by_offence: bool) -> tuple:
    row_label, row_sex, row_period = label_key
    if by_offence:
        lo, hi = column.label
        return (row_label, lo, hi, column.sex or row_sex, column.period or row_period)
    lo, hi = row_label
    return (column.label.code, lo, hi, column.sex or row_sex, column.period or row_period)
