"""Stages 2-3, locate the table and recognise its layout.

Forces put titles and preambles above the table, notes below it, and arrange the table in
one of a few families.  We look at the first rows of a sheet (a small buffer; the rest stays
a stream) for the header row, reading header cells by *meaning*:

* long layouts: an offence column (code and/or description), a victim-age column, and
  optionally a count column (``count_long``; without one each row is a crime: ``per_crime``)
  and a sex column;
* ``pivot_offence_age``: offence labels down, ages (or bands, 'Unknown') across;
* ``pivot_age_offence``: ages down, offences across;
* pivots may have a banner row above ('Victim age', or 'Female'/'Male' over groups of
  ages: the sex split) and total columns/rows.

Two columns that could both be the age (or offence, or count) are refused, naming both:
choosing one would be a guess.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from ..periods import Period
from .catalogue import OffenceCatalogue, OffenceEntry
from .errors import ImportRefused, Where, column_index
from .labels import (NOT_AGE, OFFENCE_ROLES, PASSIVE_ROLES, ROLE_AGE, ROLE_CODE, ROLE_COUNT, ROLE_DATE,
                     ROLE_DESC, ROLE_SEX, ROLE_TOTAL, ROLE_YEAR, counting_unit_from, header_role, is_blank,
                     is_total_label, norm_words, parse_age, parse_sex)
from .mapping import ColumnMapping
from .periods import parse_year_text

HEADER_SCAN_ROWS = 40


@dataclass
class AcrossColumn:
    """A column of a pivot: a value (age or offence) or a total of some value columns."""

    index: int
    header: object
    kind: str  # 'value' | 'total'
    label: object = None  # (lo, hi) age, OffenceEntry, or a str problem for an unusable age
    sex: str = ""
    scope: tuple[int, ...] = ()  # for totals: row-list indexes of the value columns summed
    year: Period | None = None  # from a year banner above the column ('FY 2015/16' over a run of ages)
    year_at: int | None = None  # the banner cell naming it
    year_text: str = ""  # what that cell says
    period: str = ""  # the label of the asked period that year is (set once the periods asked are known)


@dataclass
class TableSpec:
    layout: str
    header_idx: int  # 0-based row index of the (last) header row
    headers: list
    offence_cols: list[int] = field(default_factory=list)  # primary first
    age_col: int | None = None
    count_col: int | None = None
    sex_col: int | None = None
    across: list[AcrossColumn] = field(default_factory=list)
    counting_unit: str = ""
    notes: list[str] = field(default_factory=list)
    # a campaign about one offence: a table with no offence column holds that offence's counts
    fixed_offence: OffenceEntry | None = None
    period_col: int | None = None  # a year or recorded-date column: each row says its period
    banner_idx: int | None = None  # 0-based row of a year banner over the across columns

    @property
    def header_row(self) -> int:
        return self.header_idx + 1


def _is_age_label(v: object) -> bool:
    if is_blank(v) or isinstance(v, (bool, _dt.date, _dt.time, _dt.timedelta)):
        return False
    return parse_age(v) is not NOT_AGE


class _Row:
    """Header-row cells classified once."""

    def __init__(self, cells: list, catalogue: OffenceCatalogue) -> None:
        self.cells = cells
        self.blank = [is_blank(c) for c in cells]
        self.age = [(not b) and _is_age_label(c) for c, b in zip(cells, self.blank)]
        self.role = [header_role(c) for c in cells]
        self.offence: list[OffenceEntry | None] = [
            catalogue.resolve(c) if (not b and isinstance(c, (str, int, float)) and not isinstance(c, bool)) else None
            for c, b in zip(cells, self.blank)]


def _refuse_two(where: Where, row: int, what: str, cols: list[int], headers: list) -> ImportRefused:
    names = " and ".join(where.col(c, headers[c]) for c in cols[:2])
    return where.refuse(f"columns {names} could both be the {what}; say which with a column mapping",
                        row=row)


# ---------------------------------------------------------------------------- candidates
def _pivot_offence_age(r: _Row, below: list | None, catalogue: OffenceCatalogue, forced_label: int | None = None,
                       strict: bool = True) -> tuple[list[int], int | None, list[int]] | None:
    """(label columns, sex column, across columns) if the row reads as offences-down/ages-across."""
    n = len(r.cells)
    if forced_label is not None:
        label_end = forced_label + 1
        while label_end < n and not r.age[label_end] and r.role[label_end] in OFFENCE_ROLES + (ROLE_SEX,):
            label_end += 1
    else:
        label_end = next((i for i in range(n) if r.age[i]), None)
        if not label_end:
            return None
    label = list(range(label_end))
    across = []
    for i in range(label_end, n):
        if r.blank[i] or r.role[i] in PASSIVE_ROLES:
            continue
        if r.age[i] or r.role[i] == ROLE_TOTAL:
            across.append(i)
        elif strict:
            return None
    if not any(r.age[i] for i in across):
        return None
    offence_roles = [i for i in label if r.role[i] in OFFENCE_ROLES]
    sex_cols = [i for i in label if r.role[i] == ROLE_SEX]
    if forced_label is not None:
        offence_roles = [forced_label] + [i for i in offence_roles if i != forced_label]
    elif not offence_roles:
        if not all(r.blank[i] or r.role[i] in PASSIVE_ROLES for i in label):
            return None
        # blank label cell (two-row header): the column just left of the ages must hold offences
        col = label_end - 1
        if below is None or col >= len(below) or catalogue.resolve(below[col]) is None:
            return None
        offence_roles = [col]
    elif any(not (r.blank[i] or r.role[i] in OFFENCE_ROLES + (ROLE_SEX,) + PASSIVE_ROLES) for i in label):
        return None
    return offence_roles, (sex_cols[0] if sex_cols else None), across


def _pivot_age_offence(r: _Row, forced_label: int | None = None) -> tuple[int, int | None, list[int]] | None:
    """(age column, sex column, across columns) if the row reads as ages-down/offences-across."""
    n = len(r.cells)
    if forced_label is not None:
        first = forced_label + 1
    else:
        first = next((i for i in range(n) if r.offence[i] is not None
                      and not (r.age[i] and isinstance(parse_age(r.cells[i]), tuple))), None)
        if not first:
            return None
    label = list(range(first))
    age_cols = [i for i in label if r.role[i] == ROLE_AGE]
    if forced_label is not None:
        age_col = forced_label
    elif age_cols:
        age_col = age_cols[0]
    else:
        return None
    if any(not (r.blank[i] or r.role[i] in (ROLE_AGE, ROLE_SEX) + PASSIVE_ROLES) for i in label):
        return None
    sex_cols = [i for i in label if r.role[i] == ROLE_SEX]
    across = [i for i in range(first, n) if not r.blank[i] and r.role[i] not in PASSIVE_ROLES]
    if not any(r.offence[i] is not None for i in across):
        return None
    return age_col, (sex_cols[0] if sex_cols else None), across


def _long(r: _Row) -> dict | None:
    roles: dict[str, list[int]] = {}
    for i, role in enumerate(r.role):
        if role and not r.age[i]:
            roles.setdefault(role, []).append(i)
    offence = roles.get(ROLE_CODE, []) + roles.get(ROLE_DESC, [])
    if not offence or not (roles.get(ROLE_AGE) or roles.get(ROLE_COUNT) or roles.get(ROLE_TOTAL)):
        return None
    return roles


# ---------------------------------------------------------------------------- building specs
def _sex_banner(rows: list[list], header_idx: int, across: list[int], forced: int | None) -> dict[int, str]:
    """Forward-filled sex per across column from a banner row above the header, if any."""
    candidates = [forced - 1] if forced else range(header_idx - 1, max(-1, header_idx - 4), -1)
    for bi in candidates:
        if bi < 0 or bi >= len(rows):
            continue
        banner = rows[bi]
        start = min(across) if across else 0
        cells = [(i, banner[i]) for i in range(min(start, len(banner)), len(banner)) if not is_blank(banner[i])]
        if not cells or not any(parse_sex(v) for _, v in cells):
            continue
        if not all(parse_sex(v) or is_total_label(v) or header_role(v) == ROLE_AGE for _, v in cells):
            continue
        out: dict[int, str] = {}
        current = ""
        pos = dict(cells)
        for i in range(start, max(across) + 1):
            if i in pos:
                current = parse_sex(pos[i]) or ""
            out[i] = current
        return out
    return {}


def _year_banner(rows: list[list], header_idx: int, across: list[int]) -> tuple[dict[int, tuple], int | None]:
    """A row above the header naming a year over each run of across columns ('FY 2015/16' over the
    ages of that year, 'FY 2016/17' over the next run): {column: (Period, banner column, its text)},
    and the banner's row; ({}, None) when there is none.  A 'Total' cell may head a grand-total run."""
    if not across:
        return {}, None
    start, stop = min(across), max(across)
    for bi in range(header_idx - 1, max(-1, header_idx - 4), -1):
        banner = rows[bi]
        cells = [(i, banner[i]) for i in range(min(start, len(banner)), min(stop + 1, len(banner)))
                 if not is_blank(banner[i])]
        years: dict[int, Period | None] = {}
        for i, v in cells:
            year = parse_year_text(v)
            if year is None and not is_total_label(v):
                break
            years[i] = year
        else:
            if not any(years.values()) or min(years) > start:
                continue
            out: dict[int, tuple] = {}
            current: tuple = (None, None, "")
            for i in range(start, stop + 1):
                if i in years:
                    current = (years[i], i, str(banner[i]).strip())
                out[i] = current
            return out, bi
    return {}, None


def _across_columns(where: Where, header_idx: int, headers: list, across: list[int], sexes: dict[int, str],
                    value_of, years: dict[int, tuple] | None = None) -> list[AcrossColumn]:
    cols: list[AcrossColumn] = []
    seen: dict[tuple, int] = {}
    segment: list[int] = []
    for i in across:
        h = headers[i]
        sex = sexes.get(i, "")
        year, year_at, year_text = years.get(i, (None, None, "")) if years else (None, None, "")
        if is_total_label(h):
            cols.append(AcrossColumn(i, h, "total", None, sex, tuple(segment), year, year_at, year_text))
            segment = []
            continue
        label = value_of(i, h)
        if label is None:
            continue
        key = (label.code if isinstance(label, OffenceEntry) else label, sex, year)
        if key in seen:
            raise _refuse_two(where, header_idx + 1, "same " + ("offence" if isinstance(label, OffenceEntry)
                                                               else "age") + (f" ({sex})" if sex else "")
                              + (f" ({year.display})" if year else ""), [seen[key], i], headers)
        seen[key] = i
        cols.append(AcrossColumn(i, h, "value", label, sex, (), year, year_at, year_text))
        segment.append(i)
    values = tuple(c.index for c in cols if c.kind == "value")
    for c in cols:
        if c.kind == "total" and not c.scope:
            c.scope = values
    return cols


def _unit_above(rows: list[list], header_idx: int) -> str:
    words = " ".join(str(c) for row in rows[max(0, header_idx - 4):header_idx + 1] for c in row
                     if isinstance(c, str))
    n = norm_words(words)
    if "number of victims" in n or "no of victims" in n or "victims" in n.split():
        return "victims"
    if any(p in n for p in ("number of crimes", "number of offences", "no of crimes", "no of offences",
                            "crimes recorded", "offences recorded")):
        return "crimes"
    return ""


def _col_from_spec(where: Where, spec: str, headers: list, header_row: int, what: str) -> int:
    if ColumnMapping.is_letter(spec) and not any(isinstance(h, str) and norm_words(h) == norm_words(spec)
                                                 for h in headers):
        idx = column_index(spec) - where.col_offset
        if idx < 0:
            raise where.refuse(f"mapping names column {spec} for the {what}, but the sheet has no data there")
        return idx
    matches = [i for i, h in enumerate(headers) if not is_blank(h) and norm_words(str(h)) == norm_words(spec)]
    if len(matches) != 1:
        raise where.refuse(f"mapping names '{spec}' for the {what}, but {'no' if not matches else 'more than one'} "
                           f"header in row {header_row} says that", row=header_row)
    return matches[0]


def build_spec(rows: list[list], idx: int, where: Where, catalogue: OffenceCatalogue,
               mapping: ColumnMapping | None = None, single: OffenceEntry | None = None) -> TableSpec | None:
    """The table whose header is row ``idx`` of ``rows``, or None if the row is not a header."""
    spec = _build_spec(rows, idx, where, catalogue, mapping, single)
    if spec is None and single is not None and (mapping is None or mapping.offence is None):
        spec = _single_offence_spec(rows, idx, where, catalogue, single)
    return spec


class _Header:
    """A row read as a possible header: its cells classified, and the first row below it with anything in it
    (a two-row header's lower row, or the first row of figures)."""

    def __init__(self, rows: list[list], idx: int, where: Where, catalogue: OffenceCatalogue) -> None:
        self.rows, self.idx, self.where, self.catalogue = rows, idx, where, catalogue
        self.cells = rows[idx]
        self.r = _Row(self.cells, catalogue)
        self.row_no = idx + 1

    @cached_property
    def below_idx(self) -> int | None:
        rows = self.rows
        return next((j for j in range(self.idx + 1, len(rows)) if not all(is_blank(c) for c in rows[j])), None)

    @property
    def below(self) -> list | None:
        return self.rows[self.below_idx] if self.below_idx is not None else None

    def spec(self, layout: str, **fields) -> TableSpec:
        """A table of this header, counting what the words above it say it counts."""
        spec = TableSpec(layout, self.idx, self.cells, **fields)
        spec.counting_unit = _unit_above(self.rows, self.idx)
        return spec

    def period_column(self, among) -> int | None:
        return _period_column(self.where, self.row_no, self.cells, self.r, among)

    def across_columns(self, across: list[int], sexes: dict[int, str], value_of,
                       years: dict[int, tuple] | None = None) -> list[AcrossColumn]:
        return _across_columns(self.where, self.idx, self.cells, across, sexes, value_of, years)


class _Mapped(NamedTuple):
    """The columns a column mapping names (None where it names none)."""

    offence: int | None
    description: int | None
    age: int | None
    count: int | None
    sex: int | None


def _mapped_columns(h: _Header, m: ColumnMapping) -> _Mapped:
    def col(spec: str | None, what: str) -> int | None:
        return _col_from_spec(h.where, spec, h.cells, h.row_no, what) if spec else None

    return _Mapped(col(m.offence, "offence"), col(m.offence_description, "offence description"), col(m.age, "age"),
                   col(m.count, "count"), col(m.sex, "sex"))


def _age_of(i: int, header: object):
    """An age header across ((lo, hi), or the reason it is no child's age); None for no age at all."""
    a = parse_age(header)
    return None if a is NOT_AGE else a


def _build_spec(rows: list[list], idx: int, where: Where, catalogue: OffenceCatalogue,
                mapping: ColumnMapping | None, single: OffenceEntry | None) -> TableSpec | None:
    m = mapping or ColumnMapping()
    h = _Header(rows, idx, where, catalogue)
    mapped = _mapped_columns(h, m)
    forced = m.layout is not None
    layouts = [m.layout] if forced else ["pivot_offence_age", "pivot_age_offence", "long"]
    if m.layout in ("per_crime", "count_long"):
        layouts = ["long"]
    for layout in layouts:
        if layout == "pivot_offence_age":
            spec = _offence_age_spec(h, m, mapped, forced)
        elif layout == "pivot_age_offence":
            spec = _age_offence_spec(h, m, mapped)
        else:
            spec = _long_layout_spec(h, m, mapped, forced, mapping, single)
        if spec is not None:
            return spec
    return None


def _offence_age_spec(h: _Header, m: ColumnMapping, mapped: _Mapped, forced: bool) -> TableSpec | None:
    """Offences down, ages across."""
    found = _pivot_offence_age(h.r, h.below, h.catalogue, mapped.offence, strict=not forced)
    if not found:
        return None
    label_cols, sex_col, across = found
    if mapped.description is not None:
        label_cols = [label_cols[0], mapped.description]
    label_cols = _order_offence_cols(h.where, h.row_no, h.cells, h.r, label_cols, forced=mapped.offence is not None,
                                     rows=h.rows, idx=h.idx, catalogue=h.catalogue)
    sexes = _sex_banner(h.rows, h.idx, across, m.sex_row)
    years, banner_idx = _year_banner(h.rows, h.idx, across)
    return h.spec("pivot_offence_age", offence_cols=label_cols,
                  sex_col=mapped.sex if mapped.sex is not None else sex_col,
                  across=h.across_columns(across, sexes, _age_of, years), banner_idx=banner_idx,
                  period_col=h.period_column(range(min(across))))


def _age_offence_spec(h: _Header, m: ColumnMapping, mapped: _Mapped) -> TableSpec | None:
    """Ages down, offences across."""
    found = _pivot_age_offence(h.r, mapped.age)
    if not found:
        return None
    age_col, sex_col, across = found
    sexes = _sex_banner(h.rows, h.idx, across, m.sex_row)
    years, banner_idx = _year_banner(h.rows, h.idx, across)

    def offence_of(i, header):
        e = h.r.offence[i]
        if e is None:
            raise h.where.refuse(h.catalogue.explain(header) + " (column header)", row=h.row_no,
                                 column=h.where.col(i))
        return e

    return h.spec("pivot_age_offence", age_col=age_col, sex_col=mapped.sex if mapped.sex is not None else sex_col,
                  across=h.across_columns(across, sexes, offence_of, years), banner_idx=banner_idx,
                  period_col=h.period_column(range(min(across))))


def _long_layout_spec(h: _Header, m: ColumnMapping, mapped: _Mapped, forced: bool, mapping: ColumnMapping | None,
                      single: OffenceEntry | None) -> TableSpec | None:
    """One row per crime, or per offence and age with a count."""
    roles = _long(h.r)
    if roles is None and not forced:
        return None
    roles = roles or {}
    below = h.below
    if not forced and below is not None and _pivot_offence_age(_Row(below, h.catalogue), None, h.catalogue) is not None:
        # "Offence | Victim age" banner over a row of ages: that lower row is the header
        spec = build_spec(h.rows, h.below_idx, h.where, h.catalogue, mapping, single)
        if spec is not None:
            return spec
    return _long_spec(h.where, h.idx, h.cells, h.r, roles, m, mapped.offence, mapped.description, mapped.age,
                      mapped.count, mapped.sex, rows=h.rows, catalogue=h.catalogue)


_BARE_CODE = re.compile(r"^0*\d{1,3}\s*[A-Za-z]?$|^0*\d{1,3}\s*/\s*0*\d{1,3}$")


def _content_kind(rows: list[list], idx: int, col: int, catalogue: OffenceCatalogue) -> str:
    """'code' when the cells below are bare codes ('88A', '088/05'), 'desc' when they are words."""
    codes = words = 0
    for row in rows[idx + 1: idx + 41]:
        if col >= len(row) or is_blank(row[col]) or is_total_label(row[col]):
            continue
        v = row[col]
        text = str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip()
        if _BARE_CODE.match(text):
            codes += 1
        elif any(ch.isalpha() for ch in text):
            words += 1
    if codes and not words:
        return "code"
    if words and not codes:
        return "desc"
    return ""


def _order_offence_cols(where: Where, row_no: int, headers: list, r: _Row, cols: list[int], forced: bool,
                        rows: list[list] | None = None, idx: int = 0,
                        catalogue: OffenceCatalogue | None = None) -> list[int]:
    """Primary offence column first (a code column beats a description); two of a kind are told apart
    by what they hold (bare codes beside words: the code is read, the description checked); refuse
    when they cannot be."""
    if forced or len(cols) <= 1:
        return cols[:2]
    codes = [c for c in cols if r.role[c] == ROLE_CODE]
    descs = [c for c in cols if r.role[c] != ROLE_CODE]
    if (len(codes) > 1 or len(descs) > 1) and rows is not None and catalogue is not None and len(cols) == 2:
        kinds = [_content_kind(rows, idx, c, catalogue) for c in cols]
        if sorted(kinds) == ["code", "desc"]:
            return [cols[kinds.index("code")], cols[kinds.index("desc")]]
    if len(codes) > 1:
        raise _refuse_two(where, row_no, "offence code", codes, headers)
    if len(descs) > 1:
        raise _refuse_two(where, row_no, "offence", descs, headers)
    return codes + descs


# ---------------------------------------------------------------------------- one offence, no offence column
def _sex_label(v: object) -> bool:
    return parse_sex(v) is not None


def _single_offence_spec(rows: list[list], idx: int, where: Where, catalogue: OffenceCatalogue,
                         single: OffenceEntry) -> TableSpec | None:
    """Tables that never name the offence, read as the one offence the campaign asks about:
    sex down and ages across (``pivot_sex_age``), ages down and sexes across ('Age | Male victims',
    ``pivot_age_sex``), or an age column with a count (``count_long``)."""
    h = _Header(rows, idx, where, catalogue)
    r = h.r
    n = len(h.cells)
    if any(r.offence[i] is not None or r.role[i] in OFFENCE_ROLES for i in range(n) if not r.age[i]):
        return None
    ages = [i for i in range(n) if r.age[i]]
    if ages:
        spec = _sex_age_spec(h, ages[0], single)
    else:
        age_cols = [i for i in range(n) if r.role[i] == ROLE_AGE]
        if len(age_cols) > 1:
            raise _refuse_two(where, h.row_no, "victim age", age_cols, h.cells)
        if not age_cols:
            return None
        sex_across = [i for i in range(n) if i != age_cols[0] and not r.blank[i] and _sex_label(h.cells[i])
                      and r.role[i] != ROLE_SEX]
        if sex_across:
            spec = _age_sex_spec(h, age_cols[0], sex_across, single)
        else:
            spec = _age_count_spec(h, age_cols[0], single)
    if spec is not None:
        spec.notes.append(f"no offence column: every count is offence {single.code}, the one offence the "
                          "campaign asks about")
    return spec


def _sex_age_spec(h: _Header, first: int, single: OffenceEntry) -> TableSpec | None:
    """Sex down (a labelled or blank column left of the ages), ages across from column ``first``."""
    r, n, below = h.r, len(h.cells), h.below
    across = [i for i in range(first, n) if not r.blank[i] and r.role[i] not in PASSIVE_ROLES]
    if any(not (r.age[i] or r.role[i] == ROLE_TOTAL) for i in across):
        return None
    label = [i for i in range(first) if not r.blank[i] and r.role[i] not in PASSIVE_ROLES]
    sex_cols = [i for i in range(first) if r.role[i] == ROLE_SEX]
    if not sex_cols:
        blanks = [i for i in range(first) if r.blank[i]]
        sex_cols = [i for i in blanks if below is not None and i < len(below) and _sex_label(below[i])]
    if len(sex_cols) != 1 or any(i not in sex_cols for i in label):
        return None
    sexes = _sex_banner(h.rows, h.idx, across, None)
    years, banner_idx = _year_banner(h.rows, h.idx, across)
    return h.spec("pivot_sex_age", sex_col=sex_cols[0], across=h.across_columns(across, sexes, _age_of, years),
                  fixed_offence=single, banner_idx=banner_idx, period_col=h.period_column(range(first)))


def _age_sex_spec(h: _Header, age_col: int, sex_across: list[int], single: OffenceEntry) -> TableSpec | None:
    """Ages down, a column per sex (and totals) across."""
    r, headers, n = h.r, h.cells, len(h.cells)
    across = [i for i in range(age_col + 1, n) if not r.blank[i] and r.role[i] not in PASSIVE_ROLES]
    if any(not (i in sex_across or r.role[i] == ROLE_TOTAL) for i in across):
        return None
    cols = []
    seen: dict[str, int] = {}
    segment: list[int] = []
    for i in across:
        if r.role[i] == ROLE_TOTAL:
            cols.append(AcrossColumn(i, headers[i], "total", None, "", tuple(segment)))
            continue
        sex = parse_sex(headers[i]) or ""
        if sex in seen:
            raise _refuse_two(h.where, h.row_no, f"count for {sex} victims", [seen[sex], i], headers)
        seen[sex] = i
        cols.append(AcrossColumn(i, headers[i], "value", single, sex))
        segment.append(i)
    return h.spec("pivot_age_sex", age_col=age_col, across=cols, fixed_offence=single,
                  period_col=h.period_column(range(n)))


def _age_count_spec(h: _Header, age_col: int, single: OffenceEntry) -> TableSpec | None:
    """An age column with a count (``count_long``), or without one a row per crime (``per_crime``)."""
    r, headers = h.r, h.cells
    roles: dict[str, list[int]] = {}
    for i, role in enumerate(r.role):
        if role:
            roles.setdefault(role, []).append(i)
    counts = roles.get(ROLE_COUNT, []) or roles.get(ROLE_TOTAL, [])
    if len(counts) > 1:
        raise _refuse_two(h.where, h.row_no, "count", counts, headers)
    sexes = roles.get(ROLE_SEX, [])
    if len(sexes) > 1:
        raise _refuse_two(h.where, h.row_no, "victim sex", sexes, headers)
    spec = TableSpec("count_long" if counts else "per_crime", h.idx, headers, age_col=age_col,
                     count_col=counts[0] if counts else None, sex_col=sexes[0] if sexes else None,
                     fixed_offence=single, period_col=h.period_column(range(len(headers))))
    below = h.below
    if not counts and below is not None and all(is_blank(c) for j, c in enumerate(below) if j != age_col):
        return None  # a lone 'Age' column over nothing: not a table of crimes
    spec.counting_unit = counting_unit_from(str(headers[counts[0]])) if counts else ""
    return spec


def _long_spec(where: Where, idx: int, headers: list, r: _Row, roles: dict, m: ColumnMapping,
               f_off, f_desc, f_age, f_count, f_sex, rows: list[list] | None = None,
               catalogue: OffenceCatalogue | None = None) -> TableSpec:
    row_no = idx + 1
    if f_off is not None:
        offence_cols = [f_off] + ([f_desc] if f_desc is not None else [])
    else:
        offence_cols = _order_offence_cols(where, row_no, headers, r, roles.get(ROLE_CODE, []) + roles.get(ROLE_DESC, []),
                                           forced=False, rows=rows, idx=idx, catalogue=catalogue)
    if not offence_cols:
        raise where.refuse("no offence column found in the header row; say which with a column mapping", row=row_no)

    def one(forced_col, role_list, what):
        if forced_col is not None:
            return forced_col
        if len(role_list) > 1:
            raise _refuse_two(where, row_no, what, role_list, headers)
        return role_list[0] if role_list else None

    age_col = one(f_age, roles.get(ROLE_AGE, []), "victim age")
    count_candidates = roles.get(ROLE_COUNT, []) or roles.get(ROLE_TOTAL, [])
    count_col = one(f_count, count_candidates, "count")
    if m.layout == "per_crime":
        count_col = None
    elif m.layout == "count_long" and count_col is None:
        raise where.refuse("layout count_long needs a count column; none found", row=row_no)
    sex_col = one(f_sex, roles.get(ROLE_SEX, []), "victim sex")
    spec = TableSpec("count_long" if count_col is not None else "per_crime", idx, headers,
                     offence_cols=offence_cols, age_col=age_col, count_col=count_col, sex_col=sex_col,
                     period_col=_period_column(where, row_no, headers, r, range(len(headers))))
    if count_col is not None:
        spec.counting_unit = counting_unit_from(str(headers[count_col]))
    else:
        words = " ".join(norm_words(str(h)) for h in headers if isinstance(h, str))
        spec.counting_unit = "crimes" if ("crime" in words or "occurrence" in words) else (
            "victims" if "victim id" in words or "victim ref" in words else "")
    if age_col is None:
        spec.notes.append("no victim age column: every count is recorded as unknown age")
    return spec


def _period_column(where: Where, row_no: int, headers: list, r: _Row, among) -> int | None:
    """The column saying which period each row counts: a year column, else a recorded date (a year
    column states the period; a date only implies it).  Two of a kind are refused, naming both."""
    years = [i for i in among if r.role[i] == ROLE_YEAR]
    if len(years) > 1:
        raise _refuse_two(where, row_no, "year", years, headers)
    if years:
        return years[0]
    dates = [i for i in among if r.role[i] == ROLE_DATE]
    if len(dates) > 1:
        recorded = [i for i in dates if "record" in norm_words(str(headers[i]))]
        if len(recorded) == 1:
            return recorded[0]
        raise _refuse_two(where, row_no, "recorded date", dates, headers)
    return dates[0] if dates else None


def find_table(rows: list[list], where: Where, catalogue: OffenceCatalogue,
               mapping: ColumnMapping | None = None, single: OffenceEntry | None = None) -> TableSpec | None:
    """Scan the buffered first rows for the header; None when the sheet holds no table.

    ``single``: the one offence a campaign asks about, for tables with no offence column.
    """
    if mapping is not None and mapping.header_row is not None:
        idx = mapping.header_row - 1
        if idx >= len(rows):
            raise where.refuse(f"mapping says the header is row {mapping.header_row}, but the sheet ends before it")
        spec = build_spec(rows, idx, where, catalogue, mapping, single)
        if spec is None:
            raise where.refuse("mapping's header row does not read as the header of a table "
                               "(no offence and age columns, ages across or offences across found)",
                               row=mapping.header_row)
        return spec
    for idx, row in enumerate(rows):
        if sum(1 for c in row if not is_blank(c)) < 2:
            continue
        spec = build_spec(rows, idx, where, catalogue, mapping, single)
        if spec is not None:
            return spec
    return None


def offence_free_header(rows: list[list], catalogue: OffenceCatalogue) -> int | None:
    """The row (1-based) of a header naming ages but no offence: a single-offence answer, readable once
    the campaign says which offence it asks about."""
    probe = OffenceEntry("?", "", "", None, None)
    where = Where("")
    for idx, row in enumerate(rows):
        if sum(1 for c in row if not is_blank(c)) < 2:
            continue
        try:
            if _single_offence_spec(rows, idx, where, catalogue, probe) is not None:
                return idx + 1
        except ImportRefused:
            return idx + 1
    return None
