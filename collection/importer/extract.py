"""Stages 4-5, normalise labels and validate, row by row, into an accumulator.

The long layouts (one row per crime, or per offence+age with a count) can be hundreds of
thousands of rows, so their loop is built for speed: the cells that matter are pulled with
one ``itemgetter`` call, and the meaning of each distinct combination of raw cells is
worked out once and cached (a dict hit per row).  Everything unusual -- blank rows, totals,
notes, refusals -- takes the slow path.

Totals ('Total', 'Grand Total', 'Sum:', 'All ages') must equal the sum of what they total;
with a suppressed cell among the parts the total can only be checked as a lower bound.
Checked totals are then dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Iterable

from .catalogue import OffenceCatalogue, OffenceEntry
from .errors import Where
from .labels import (NOT_AGE, UNKNOWN_AGE, CountProblem, cell_text, is_blank, is_total_label, parse_age,
                     parse_count, parse_sex)
from .limits import Budget
from .locate import TableSpec

Key = tuple  # (code, lo, hi, sex): lo/hi None for unknown age


@dataclass
class Accumulator:
    counts: dict = field(default_factory=dict)
    suppressed: dict = field(default_factory=dict)
    totals_checked: int = 0
    rows_read: int = 0
    warnings: list[str] = field(default_factory=list)

    def add(self, key: Key, n: int | None, label: str = "") -> None:
        if label:
            self.suppressed.setdefault(key, []).append(label)
        elif n:
            self.counts[key] = self.counts.get(key, 0) + n

    def code_total(self, code: str) -> int:
        return sum(v for k, v in self.counts.items() if k[0] == code)


def _non_blank(row: list) -> list:
    return [c for c in row if not is_blank(c)]


def _is_note(row: list) -> bool:
    """A caveat line: a single text cell (often merged across the table)."""
    cells = _non_blank(row)
    return len(cells) == 1 and isinstance(cells[0], str)


class _Offences:
    """Offence from the primary column, checked against a description column if present."""

    def __init__(self, catalogue: OffenceCatalogue, where: Where, headers: list, cols: list[int]) -> None:
        self.catalogue, self.where, self.headers, self.cols = catalogue, where, headers, cols

    def resolve(self, values: list, rn: int) -> OffenceEntry | None:
        """Entry, or None if the primary label is not an offence (caller decides note vs refusal)."""
        primary = values[0]
        other = values[1] if len(values) > 1 else None
        if is_blank(primary) and other is not None and not is_blank(other):
            primary, other = other, None
        if is_blank(primary):
            return None
        e = self.catalogue.resolve(primary)
        if e is None:
            return None
        if other is not None and not is_blank(other):
            e2 = self.catalogue.resolve(other)
            if e2 is not None and e2 != e:
                raise self.where.refuse(
                    f"offence code '{cell_text(primary)}' ({e.code}) and description '{cell_text(other)}' "
                    f"({e2.code}) name different offences; ask the force", row=rn)
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


def _check_total(where: Where, rn: int, col: str, given: tuple[int | None, str], known: int, any_supp: bool,
                 what: str, acc: Accumulator) -> None:
    t, t_label = given
    if t_label:
        return  # a suppressed total cannot be checked
    if any_supp:
        if t < known:
            raise where.refuse(f"total {t} is less than the {known} counted in {what} (some cells suppressed); "
                               "ask the force which is right", row=rn, column=col)
    elif t != known:
        raise where.refuse(f"total {t} does not equal the sum of {what}, {known}; ask the force which is right",
                           row=rn, column=col)
    acc.totals_checked += 1


# ---------------------------------------------------------------------------- long layouts
def extract_long(spec: TableSpec, rows: Iterable[list], where: Where, catalogue: OffenceCatalogue,
                 budget: Budget, acc: Accumulator, last_row: int | None = None) -> None:
    """per_crime (each row one crime) and count_long (a count column) layouts."""
    headers = spec.headers
    cols = list(spec.offence_cols)
    n_off = len(cols)
    age_pos = sex_pos = count_pos = None
    if spec.age_col is not None:
        age_pos = len(cols)
        cols.append(spec.age_col)
    if spec.sex_col is not None:
        sex_pos = len(cols)
        cols.append(spec.sex_col)
    if spec.count_col is not None:
        count_pos = len(cols)
        cols.append(spec.count_col)
    getter = itemgetter(*cols) if len(cols) > 1 else (lambda r, _c=cols[0]: (r[_c],))
    need = max(cols) + 1
    offences = _Offences(catalogue, where, headers, spec.offence_cols)
    cache: dict = {}
    counts = acc.counts
    rn = spec.header_idx + 1
    scope_n = scope_rows = 0
    scope_supp = all_supp = False
    footer_at = None
    read = 0
    check_every = Budget.CHECK_EVERY - 1
    stop = min(budget.limits.max_rows, last_row if last_row is not None else budget.limits.max_rows)

    for row in rows:
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
        if hit is not None and footer_at is None:
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
            continue
        label_total = any(is_total_label(v) for v in off_vals) or (
            all(is_blank(v) for v in off_vals) and any(is_total_label(c) for c in row))
        if label_total:
            if count_pos is not None:
                given = _count_of(key[count_pos], where, rn, where.col(cols[count_pos], headers[cols[count_pos]]))
                col = where.col(cols[count_pos], headers[cols[count_pos]])
            else:
                nums = [(i, c) for i, c in enumerate(row) if i not in spec.offence_cols and not is_blank(c)
                        and not is_total_label(c)]
                if len(nums) != 1:
                    acc.warnings.append(f"row {rn}: total row without a single figure; not checked")
                    continue
                given = _count_of(nums[0][1], where, rn, where.col(nums[0][0]))
                col = where.col(nums[0][0])
            if scope_rows:
                _check_total(where, rn, col, given, scope_n, scope_supp, "the rows above it", acc)
            else:
                _check_total(where, rn, col, given, sum(counts.values()), all_supp, "all rows above it", acc)
            scope_n = scope_rows = 0
            scope_supp = False
            continue
        if footer_at is not None:
            if _is_note(row):
                continue
            raise where.refuse(f"more rows follow the notes at row {footer_at}; if this is a second table, "
                               "say which rows to import with a column mapping (last_row)", row=rn)
        entry = offences.resolve(off_vals, rn)
        if entry is None:
            if _is_note(row) and not any(catalogue.resolve(c) for c in _non_blank(row)):
                footer_at = rn
                continue
            if all(is_blank(v) for v in off_vals):
                raise where.refuse("no offence given on a row with other figures", row=rn,
                                   column=where.col(spec.offence_cols[0], headers[spec.offence_cols[0]]))
            raise offences.refuse(off_vals, rn)
        if age_pos is None:
            lo, hi = UNKNOWN_AGE
        else:
            av = key[age_pos]
            acol = where.col(cols[age_pos], headers[cols[age_pos]])
            if is_blank(av):
                lo, hi = UNKNOWN_AGE
            elif is_total_label(av):
                # per-offence subtotal: "19E | Total | 5"
                given = _count_of(key[count_pos], where, rn, acol) if count_pos is not None else None
                if given is not None:
                    known = acc.code_total(entry.code) - acc.__dict__.setdefault("_sub", {}).get(entry.code, 0)
                    _check_total(where, rn, acol, given, known, False, f"offence {entry.code}'s rows", acc)
                    acc.__dict__["_sub"][entry.code] = acc.code_total(entry.code)
                continue
            else:
                a = parse_age(av)
                if a is NOT_AGE:
                    raise where.refuse(f"victim age '{cell_text(av)}' is not an age", row=rn, column=acol)
                if isinstance(a, str):
                    raise where.refuse(a, row=rn, column=acol)
                lo, hi = a
        sex = "" if sex_pos is None else _sex_of(key[sex_pos], where, rn,
                                                  where.col(cols[sex_pos], headers[cols[sex_pos]]))
        if count_pos is None:
            n, label = 1, ""
        else:
            n, label = _count_of(key[count_pos], where, rn, where.col(cols[count_pos], headers[cols[count_pos]]))
        k = (entry.code, lo, hi, sex)
        scope_rows += 1
        read += 1
        if label:
            acc.add(k, None, label)
            scope_supp = all_supp = True
            continue
        cache[key] = (k, n)
        counts[k] = counts.get(k, 0) + n
        scope_n += n
    acc.rows_read += read
    acc.__dict__.pop("_sub", None)


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


def extract_pivot(spec: TableSpec, rows: Iterable[list], where: Where, catalogue: OffenceCatalogue,
                  budget: Budget, acc: Accumulator, last_row: int | None = None) -> None:
    """pivot_offence_age and pivot_age_offence, with total rows/columns and sex splits."""
    headers = spec.headers
    by_offence = spec.layout == "pivot_offence_age"
    label_cols = spec.offence_cols if by_offence else [spec.age_col]
    across = spec.across
    totals = [c for c in across if c.kind == "total"]
    used = label_cols + [c.index for c in across] + ([spec.sex_col] if spec.sex_col is not None else [])
    need = max(used) + 1
    offences = _Offences(catalogue, where, headers, spec.offence_cols) if by_offence else None
    scope = {c.index: 0 for c in across}
    scope_s = {c.index: False for c in across}
    every = {c.index: 0 for c in across}
    every_s = {c.index: False for c in across}
    scope_rows = 0
    footer_at = None
    section_sex = ""
    rn = spec.header_idx + 1
    for row in rows:
        rn += 1
        if last_row is not None and rn > last_row:
            break
        if rn > budget.limits.max_rows or not rn & (Budget.CHECK_EVERY - 1):
            budget.check_row(where, rn)
        if len(row) < need:
            row = list(row) + [""] * (need - len(row))
        if all(is_blank(c) for c in row):
            continue
        labels = [row[c] for c in label_cols]
        if any(is_total_label(v) for v in labels):
            for c in across:
                col = where.col(c.index, c.header)
                given = _count_of(row[c.index], where, rn, col)
                if scope_rows:
                    _check_total(where, rn, col, given, scope[c.index], scope_s[c.index], "the rows above it", acc)
                else:
                    _check_total(where, rn, col, given, every[c.index], every_s[c.index], "all rows above it", acc)
                scope[c.index], scope_s[c.index] = 0, False
            scope_rows = 0
            continue
        values_blank = all(is_blank(row[c.index]) for c in across)
        if footer_at is not None:
            if values_blank:
                continue
            raise where.refuse(f"more rows follow the notes at row {footer_at}; if this is a second table, "
                               "say which rows to import with a column mapping (last_row)", row=rn)
        # the row label
        entry: OffenceEntry | None = None
        age: tuple | None = None
        if by_offence:
            entry = offences.resolve(labels, rn)
            if entry is None:
                kind, sex = _unlabelled_row(row, values_blank)
                if kind == "sex":
                    section_sex = sex
                    continue
                if kind == "notes":
                    footer_at = rn
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
                    continue
                if kind == "notes":
                    footer_at = rn
                    continue
                raise where.refuse(f"victim age '{cell_text(av)}' is not an age", row=rn, column=acol)
            if isinstance(a, str):
                if any(parse_count(row[c.index]) != (0, "") for c in across if c.kind == "value"):
                    raise where.refuse(a, row=rn, column=acol)
                continue
            age = a
        row_sex = section_sex
        if spec.sex_col is not None:
            row_sex = _sex_of(row[spec.sex_col], where, rn, where.col(spec.sex_col, headers[spec.sex_col]))
        parsed: dict[int, tuple[int | None, str]] = {}
        for c in across:
            col = where.col(c.index, c.header)
            got = _count_of(row[c.index], where, rn, col)
            parsed[c.index] = got
            n, label = got
            scope[c.index] += n or 0
            every[c.index] += n or 0
            if label:
                scope_s[c.index] = every_s[c.index] = True
            if c.kind != "value" or (not n and not label):
                continue
            if by_offence:
                if isinstance(c.label, str):
                    raise where.refuse(c.label, row=rn, column=col)
                lo, hi = c.label
                code = entry.code
            else:
                lo, hi = age
                code = c.label.code
            acc.add((code, lo, hi, c.sex or row_sex), n, label)
        acc.rows_read += 1
        scope_rows += 1
        for t in totals:
            known = sum(parsed[i][0] or 0 for i in t.scope)
            supp = any(parsed[i][1] for i in t.scope)
            _check_total(where, rn, where.col(t.index, t.header), parsed[t.index], known, supp,
                         "the cells in its row", acc)
