"""Stage 6 and the entry point: read -> locate -> recognise -> normalise -> validate -> tidy."""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from itertools import chain, islice
from typing import Callable

from .catalogue import OffenceCatalogue
from .errors import ImportRefused, Where, column_letter
from .extract import Accumulator, extract_long, extract_pivot
from .labels import band_text, norm_words, parse_sex
from .limits import Budget, ImportLimits, check_file_size
from .locate import HEADER_SCAN_ROWS, TableSpec, find_table
from .mapping import ColumnMapping
from .model import ImportResult, TidyRow
from .read import open_workbook


def sha256_of(data: bytes) -> str:
    """Hex SHA-256 of the file as received (to store and to spot re-sent duplicates)."""
    return hashlib.sha256(data).hexdigest()


@dataclass
class _Part:
    sheet: str
    spec: TableSpec
    acc: Accumulator


def import_return(data: bytes, filename: str, catalogue: OffenceCatalogue, *,
                  limits: ImportLimits = ImportLimits(), mapping: ColumnMapping | None = None,
                  clock: Callable[[], float] = time.monotonic,
                  progress: Callable[[int, int | None], None] | None = None) -> ImportResult:
    """Import one force's return into tidy (offence, age, sex, count) rows.

    Raises :class:`ImportRefused` with a one-line, located reason when the file cannot be
    imported exactly as it stands. ``progress(rows_done, rows_expected)``, if given, is called
    every few thousand rows (rows_expected is None when the sheet does not declare its size).
    """
    budget = Budget(limits, clock, progress)
    check_file_size(data, filename, limits)
    wb = open_workbook(data, filename, limits)
    warnings: list[str] = []
    names = wb.sheet_names
    if mapping is not None and mapping.sheet and wb.file_format != "csv":
        if mapping.sheet not in names:
            raise ImportRefused(f"the column mapping names sheet '{mapping.sheet}', but the sheets are "
                                f"{', '.join(repr(n) for n in names)}", filename=filename)
        names = [mapping.sheet]
    parts: list[_Part] = []
    for name in names:
        if name in wb.hidden and not (mapping and mapping.sheet):
            warnings.append(f"hidden sheet '{name}' skipped")
            continue
        src = wb.sheet(name)
        where = Where(filename, name or None, src.col_offset)
        budget.check_dimensions(where, src.height, src.width)
        buffer = list(islice(src.rows, HEADER_SCAN_ROWS))
        spec = find_table(buffer, where, catalogue, mapping)
        if spec is None:
            if any(any(c not in ("", None) for c in r) for r in buffer):
                warnings.append(f"sheet '{name}' skipped: no table found (cover or notes sheet)")
            continue
        _check_formula_blanks(src.formula_blanks, spec, src.col_offset, where)
        acc = Accumulator()
        rows = chain(buffer[spec.header_idx + 1:], src.rows)
        last = mapping.last_row if mapping else None
        if spec.layout in ("per_crime", "count_long"):
            extract_long(spec, rows, where, catalogue, budget, acc, last)
        else:
            extract_pivot(spec, rows, where, catalogue, budget, acc, last)
        budget.check_time(where)
        acc.warnings[:0] = [f"sheet '{name}': {n}" if name else n for n in spec.notes]
        parts.append(_Part(name, spec, acc))
    if not parts:
        raise ImportRefused("no table found: no header row naming the offence and the victim age, and no "
                            "offences/ages laid out across (looked at the first "
                            f"{HEADER_SCAN_ROWS} rows{' of every sheet' if wb.file_format != 'csv' else ''}); "
                            "supply a column mapping", filename=filename)
    part, extra_warnings = _combine(parts, filename)
    warnings += extra_warnings
    acc = part.acc
    for w in acc.warnings:
        warnings.append(w)
    rows = _tidy(acc)
    warnings += _age_warnings(rows, catalogue)
    supp = [r for r in rows if r.suppressed]
    if supp:
        marks = sorted({r.suppressed_label for r in supp})
        warnings.append(f"{len(supp)} suppressed cell(s) ({', '.join(marks)}) kept as suppressed, not zero")
    if acc.totals_checked:
        warnings.append(f"{acc.totals_checked} total cell(s) checked against their parts and dropped")
    layout = part.spec.layout
    if mapping is not None and mapping.layout is not None:
        warnings.append(f"layout {mapping.layout} given by the column mapping")
        layout = "mapped"
    return ImportResult(filename=filename, file_format=wb.file_format, sheet=part.sheet, layout=layout,
                        header_row=part.spec.header_row, rows_read=acc.rows_read, rows=rows,
                        counting_unit=part.spec.counting_unit, warnings=warnings, encoding=wb.encoding)


def _check_formula_blanks(blanks: frozenset, spec: TableSpec, col_offset: int, where: Where) -> None:
    if not blanks:
        return
    used = set(spec.offence_cols) | {c.index for c in spec.across}
    used |= {c for c in (spec.age_col, spec.count_col, spec.sex_col) if c is not None}
    used_abs = {c + col_offset for c in used}
    hits = sorted((r, c) for r, c in blanks if r > spec.header_idx and c in used_abs)
    if hits:
        r, c = hits[0]
        raise where.refuse("cell holds a formula with no saved value (the file was never recalculated); "
                           "open it in a spreadsheet program and save it, or ask the force for values",
                           row=r + 1, column=column_letter(c))


_SEX_IN_NAME = ("female", "females", "girls", "girl", "male", "males", "boys", "boy")


def _sheet_sex(name: str) -> str | None:
    words = norm_words(name).split()
    for w in words:
        s = parse_sex(w) if w in _SEX_IN_NAME else None
        if s:
            return s
    return None


def _combine(parts: list[_Part], filename: str) -> tuple[_Part, list[str]]:
    """Several sheets with tables: a split by sex is combined; identical copies collapse; else refuse."""
    if len(parts) == 1:
        return parts[0], []
    names = [p.sheet for p in parts]
    sexes = [_sheet_sex(p.sheet) for p in parts]
    has_sex = any(k[3] for p in parts for k in list(p.acc.counts) + list(p.acc.suppressed))
    if all(sexes) and len(set(sexes)) == len(sexes) and not has_sex:
        merged = Accumulator()
        for p, sex in zip(parts, sexes):
            for k, v in p.acc.counts.items():
                merged.add(k[:3] + (sex,), v)
            for k, labels in p.acc.suppressed.items():
                for label in labels:
                    merged.add(k[:3] + (sex,), None, label)
            merged.totals_checked += p.acc.totals_checked
            merged.rows_read += p.acc.rows_read
            merged.warnings += [f"sheet '{p.sheet}': {w}" for w in p.acc.warnings]
        first = parts[0]
        return _Part(", ".join(names), first.spec, merged), [
            f"sheets {', '.join(repr(n) for n in names)} combined as a split by victim sex"]

    def fingerprint(p: _Part) -> tuple:
        agg: dict = {}
        for k, v in p.acc.counts.items():
            agg[k[:3]] = agg.get(k[:3], 0) + v
        return tuple(sorted(agg.items(), key=repr)), tuple(sorted({k[:3] for k in p.acc.suppressed}, key=repr))

    prints = {fingerprint(p) for p in parts}
    if len(prints) == 1:
        order = ["per_crime", "count_long", "pivot_offence_age", "pivot_age_offence"]
        best = min(parts, key=lambda p: order.index(p.spec.layout))
        return best, [f"sheets {', '.join(repr(n) for n in names)} hold the same figures; used '{best.sheet}'"]
    raise ImportRefused(f"sheets {', '.join(repr(n) for n in names)} each hold a different table and are not a "
                        "split by victim sex; say which sheet to import with a column mapping", filename=filename)


def _tidy(acc: Accumulator) -> list[TidyRow]:
    out: list[TidyRow] = []
    keys = set(acc.counts) | set(acc.suppressed)
    for key in sorted(keys, key=lambda k: (k[0], k[1] is None, k[1] or 0, k[2] or 0, k[3])):
        code, lo, hi, sex = key
        single = lo is not None and lo == hi
        band = band_text(lo, hi) if lo is not None else ""
        labels = acc.suppressed.get(key)
        if labels:
            label = "/".join(dict.fromkeys(labels))
            if acc.counts.get(key):
                acc.warnings.append(f"offence {code}: a known count and a suppressed cell for the same "
                                    "age were combined as suppressed")
            out.append(TidyRow(code, lo if single else None, lo, hi, band, sex, None, True, label))
        else:
            n = acc.counts[key]
            if n:
                out.append(TidyRow(code, lo if single else None, lo, hi, band, sex, n, False, ""))
    return out


def _age_warnings(rows: list[TidyRow], catalogue: OffenceCatalogue) -> list[str]:
    out = []
    for r in rows:
        if r.age_band_min is None:
            continue
        entry = catalogue.get(r.offence_code)
        if entry is not None and not entry.age_consistent(r.age_band_min, r.age_band_max):
            age = f"victim age {r.victim_age}" if r.victim_age is not None else f"victim ages {r.age_band}"
            out.append(f"offence {r.offence_code} recorded for {age}, which is inconsistent with the code's "
                       f"legal ages ({entry.legal_ages()}); check with the force")
    return out
