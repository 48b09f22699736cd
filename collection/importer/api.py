"""Stage 6 and the entry point: read -> locate -> recognise -> normalise -> validate -> tidy."""
from __future__ import annotations

import dataclasses
import hashlib
import time
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Callable, Sequence

from ..periods import Period
from .catalogue import OffenceCatalogue, OffenceEntry
from .documents import Document
from .errors import ImportRefused, Where, column_letter
from .figures import Accumulator, MoreTable
from .labels import MAX_COUNT, ROLE_YEAR, band_text, header_role, is_blank, norm_words, parse_sex
from .limits import Budget, ImportLimits, check_file_size
from .lines import lines_table
from .locate import HEADER_SCAN_ROWS, TableSpec, build_spec, find_table, offence_free_header
from .long_tables import extract_long
from .mapping import ColumnMapping
from .model import ImportResult, TidyRow
from .periods import PeriodProblem, PeriodReader, is_calendar_year, parse_year_text
from .pivots import extract_pivot
from .read import SheetSource, Workbook, open_workbook


def sha256_of(data: bytes) -> str:
    """Hex SHA-256 of the file as received (to store and to spot re-sent duplicates)."""
    return hashlib.sha256(data).hexdigest()


@dataclass
class _Part:
    sheet: str
    spec: TableSpec
    acc: Accumulator
    noun: str = "sheet"  # '' for a document's tables, named in full ("page 1, table 2")
    sex: str | None = None  # from a title above the table ('Male victims')
    header_row: int = 0  # as the person sees it
    told_by: str = ""  # how the table says which period its figures count ('' when it does not)


def import_return(data: bytes, filename: str, catalogue: OffenceCatalogue, *,
                  limits: ImportLimits = ImportLimits(), mapping: ColumnMapping | None = None,
                  clock: Callable[[], float] = time.monotonic,
                  progress: Callable[[int, int | None], None] | None = None,
                  offence_codes: Sequence[str] = (), periods: Sequence[Period] = ()) -> ImportResult:
    """Import one force's return into tidy (offence, age, sex, count) rows.

    ``data`` is the file as received: a spreadsheet (xlsx, xls, ods, csv), a PDF or Word letter, an
    HTML page or e-mail body (name it ``.html``), or a text answer (``.txt``); the format comes from
    the bytes, and for text from the name. An e-mail body may be passed as ``str``.

    ``offence_codes``: the Home Office codes the campaign asks about (``Campaign.offence_codes``).
    When it names exactly one, a table with no offence column (ages by sex, a count per age) is read
    as that offence; with any, figures for other offences are kept and warned about.

    ``periods``: the periods the campaign asks about. Each tidy row gets the label of the one it
    counts; a return that holds more than one must say which (a year column, a recorded date, year
    titles, a sheet per year, a year banner), and a count outside every period asked is refused.

    Raises :class:`ImportRefused` with a one-line, located reason when the file cannot be
    imported exactly as it stands. ``progress(rows_done, rows_expected)``, if given, is called
    every few thousand rows (rows_expected is None when the sheet does not declare its size).
    """
    if isinstance(data, str):  # an e-mail body handed over as text
        data = data.encode("utf-8")
    budget = Budget(limits, clock, progress)
    reader = PeriodReader(periods)
    check_file_size(data, filename, limits)
    asked = _asked_offences(offence_codes, catalogue, filename)
    job = _Import(filename, catalogue, mapping, asked[0] if len(asked) == 1 else None, budget, reader)
    wb = open_workbook(data, filename, limits, check_time=lambda: budget.check_time(Where(filename)))
    part = _one_part(_read_workbook(wb, job), job)
    acc = part.acc
    rows = _tidy(acc, filename)
    warnings = job.warnings + acc.warnings + _age_warnings(rows, catalogue) + _figure_warnings(rows, acc, asked)
    layout = part.spec.layout
    if mapping is not None and mapping.layout is not None:
        warnings.append(f"layout {mapping.layout} given by the column mapping")
        layout = "mapped"
    rows = _in_periods(rows, reader, filename)
    warnings += _periods_warning(rows, part.told_by, {p.label for p in reader.asked})
    warnings = list(dict.fromkeys(warnings))  # stacked tables say the same things once
    return ImportResult(filename=filename, file_format=wb.file_format, sheet=part.sheet, layout=layout,
                        header_row=part.header_row or part.spec.header_row, rows_read=acc.rows_read, rows=rows,
                        counting_unit=part.spec.counting_unit, warnings=warnings, encoding=wb.encoding)


@dataclass
class _Import:
    """What every table of one import is read with, and what the import has said so far."""

    filename: str
    catalogue: OffenceCatalogue
    mapping: ColumnMapping | None
    single: OffenceEntry | None  # the one offence the campaign asks about: a table with no offence column is it
    budget: Budget
    reader: PeriodReader
    warnings: list[str] = field(default_factory=list)
    offence_free: list[str] = field(default_factory=list)  # where a table has figures by age but no offence column

    @property
    def sheet_chosen(self) -> bool:
        return bool(self.mapping and self.mapping.sheet)


def _read_workbook(wb: Workbook, job: _Import) -> list[_Part]:
    """The tables of every sheet (of a document: its tables, else a table in its lines of text, else its
    pages read as tables by the alignment of their words)."""
    document = wb.document
    if document is not None:
        job.warnings += document.warnings
    names = wb.sheet_names
    if job.sheet_chosen and wb.file_format != "csv":
        if job.mapping.sheet not in names:
            raise ImportRefused(f"the column mapping names sheet '{job.mapping.sheet}', but the sheets are "
                                f"{', '.join(repr(n) for n in names)}", filename=job.filename)
        names = [job.mapping.sheet]
    parts: list[_Part] = []
    for name in names:
        if name in wb.hidden and not job.sheet_chosen:
            job.warnings.append(f"hidden sheet '{name}' skipped")
            continue
        parts += _read_parts(wb.sheet(name), job)
    if not parts and document is not None and not job.sheet_chosen:
        parts = _read_document_text(document, job)
    if not parts:
        raise _nothing_found(wb, job.filename, job.offence_free)
    return parts


def _read_document_text(document: Document, job: _Import) -> list[_Part]:
    """A document with no table of figures: a table in its lines of text, else its aligned tables."""
    parts: list[_Part] = []
    if document.lines:
        table = lines_table(document.lines, job.catalogue)
        if table is not None:
            src = SheetSource(name=document.lines_name, rows=iter(table.rows), height=len(table.rows),
                              width=len(table.rows[0]), sheet_noun="", row_noun="line", row_map=table.row_map)
            parts += _read_parts(src, job)
    if not parts:
        for table in document.aligned_tables:
            src = SheetSource(name=table.name, rows=iter(table.rows), height=len(table.rows),
                              width=max(len(r) for r in table.rows), sheet_noun="")
            parts += _read_parts(src, job)
    return parts


def _one_part(parts: list[_Part], job: _Import) -> _Part:
    """The figures of every table as one part: tables split by sex or by period combined."""
    part, said = _combine(parts, job.filename)
    part.told_by = part.told_by or " and ".join(dict.fromkeys(p.told_by for p in parts if p.told_by))
    job.warnings += said
    if len(parts) == 1 and part.sex and not any(k[3] for k in list(part.acc.counts) + list(part.acc.suppressed)):
        # one table under a title naming one sex ('Female victims'): that is the victims' sex
        part = _Part(part.sheet, part.spec, _merge([part], [part.sex]), part.noun, part.sex, part.header_row,
                     part.told_by)
        job.warnings.append(f"victim sex {part.sex}, from the title above the table")
    return part


def _figure_warnings(rows: list[TidyRow], acc: Accumulator, asked: list[OffenceEntry]) -> list[str]:
    """What a person should know of the figures: offences not asked about, suppressed cells, totals checked."""
    warnings = []
    if asked:
        codes = {e.code for e in asked}
        others = sorted({r.offence_code for r in rows} - codes)
        if others:
            warnings.append(f"figures for offence(s) {', '.join(others)}, which the campaign does not ask about "
                            f"(it asks about {', '.join(sorted(codes))}); check with the force")
    supp = [r for r in rows if r.suppressed]
    if supp:
        marks = sorted({r.suppressed_label for r in supp})
        warnings.append(f"{len(supp)} suppressed cell(s) ({', '.join(marks)}) kept as suppressed, not zero")
    if acc.range_totals:
        shown = "; ".join(f"{place}: {t} within {known} to {known + slack}"
                          for place, t, known, slack in acc.range_totals[:3])
        more = f"; and {len(acc.range_totals) - 3} more" if len(acc.range_totals) > 3 else ""
        warnings.append(f"{len(acc.range_totals)} total(s) over suppressed cells checked as a range (from the "
                        f"sum shown, leaving them out, to that sum plus the most they can hide): {shown}{more}")
    if acc.totals_checked:
        warnings.append(f"{acc.totals_checked} total cell(s) checked against their parts and dropped")
    return warnings


def _periods_warning(rows: list[TidyRow], told_by: str, asked: set[str]) -> list[str]:
    """A note of the periods a file holds; said to be "the periods the campaign asks about" when it
    holds exactly those (a second year's clean file: nothing for a person to decide)."""
    by_period = _period_totals(rows)
    if len(by_period) < 2:
        return []
    shown = ", ".join(f"{Period.from_label(p).display}: {n}" for p, n in sorted(by_period.items()))
    exactly = "; the periods the campaign asks about" if asked and set(by_period) == asked else ""
    return [f"figures for {len(by_period)} periods ({shown}), told apart by {told_by}{exactly}"]


def _in_periods(rows: list[TidyRow], reader: PeriodReader, filename: str) -> list[TidyRow]:
    """Rows whose return said nothing of their period count the one period asked; with two or more
    asked, a return that cannot tell its years apart is refused (what it would need is named)."""
    if all(r.period for r in rows):
        return rows
    asked = reader.asked
    if not asked:
        return rows
    if len(asked) == 1:  # anything the return named was checked to be this period
        label = asked[0].label
        return [r if r.period else dataclasses.replace(r, period=label) for r in rows]
    if any(r.period for r in rows):
        raise ImportRefused("some tables say which period their figures count and others do not; put a year "
                            "title above each table, or import each period's figures separately", filename=filename)
    raise ImportRefused(f"the campaign asks about {len(asked)} periods ({reader.asked_text}) but the return does not "
                        f"say which period its figures are for: no year column, recorded dates, year titles, "
                        f"sheets named by year or year banner", filename=filename)


def _period_totals(rows: list[TidyRow]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for r in rows:
        if r.period:
            totals[r.period] = totals.get(r.period, 0) + (r.count or 0)
    return totals


def _set_period(acc: Accumulator, label: str) -> None:
    """Give every figure of a table without a period of its own the period its title or sheet names."""
    counts: dict = {}
    for k, v in acc.counts.items():
        key = k if k[4] else k[:4] + (label,)
        counts[key] = counts.get(key, 0) + v
    suppressed: dict = {}
    for k, labels in acc.suppressed.items():
        suppressed.setdefault(k if k[4] else k[:4] + (label,), []).extend(labels)
    places: dict = {}
    for k, place in acc.places.items():
        places.setdefault(k if k[4] else k[:4] + (label,), place)
    acc.counts, acc.suppressed, acc.places = counts, suppressed, places


def _title_period(rows: list[list], header_idx: int) -> tuple[Period, int, str] | None:
    """A title naming one year just above a table ('Financial Year 2016/17', '2015/2016'): (period,
    0-based row, text).  The nearest lone cell that reads as a year wins; a row of several cells (the
    table above) ends the search."""
    for i in range(header_idx - 1, max(-1, header_idx - 5), -1):
        cells = [c for c in rows[i] if not is_blank(c)]
        if not cells:
            continue
        if len(cells) > 1:
            return None
        year = parse_year_text(cells[0]) if isinstance(cells[0], str) else None
        if year is not None:
            return year, i, cells[0].strip()
    return None


def _names_whole_table(year: Period | None, reader: PeriodReader) -> Period | None:
    """A title's or sheet's year, unless it is a bare calendar year ('2016') the campaign does not ask
    about: a sheet or title of that name is as likely the year of the request as the year counted, so
    it is no year information at all (a year column or banner saying '2016' is refused instead)."""
    if year is None or not is_calendar_year(year) or year in reader.asked:
        return year
    return None


def _banner_periods(spec: TableSpec, reader: PeriodReader, where: Where) -> None:
    """Each across column of a table under a year banner gets the asked period its year is."""
    banner = spec.banner_idx
    for c in spec.across:
        if c.year is not None:
            try:
                c.period = reader.label_of(c.year, c.year_text)
            except PeriodProblem as exc:
                raise where.refuse(f"year banner: {exc}", row=banner + 1, column=where.col(c.year_at)) from None
        elif c.kind == "value":
            raise where.refuse("the year banner names no year above this column", row=spec.header_row,
                               column=where.col(c.index, c.header))


def _asked_offences(codes: Sequence[str], catalogue: OffenceCatalogue, filename: str) -> list[OffenceEntry]:
    if isinstance(codes, str):
        codes = [c for c in codes.replace(";", ",").split(",")]
    out: list[OffenceEntry] = []
    for code in codes:
        if not str(code).strip():
            continue
        entry = catalogue.get(str(code))
        if entry is None:
            raise ImportRefused(f"the campaign asks about offence code '{code}', which is not in the offence list",
                                filename=filename)
        if entry not in out:
            out.append(entry)
    return out


def _read_parts(src: SheetSource, job: _Import) -> list[_Part]:
    """The tables of one sheet: usually one; tables stacked one below another (a table per sex, or a
    table per year under year titles) each become a part, read from its own header, and are combined.

    Which period a figure counts comes from the table itself (a year or recorded-date column, a year
    banner), else from a year title just above it, else from the sheet's name."""
    base = Where(job.filename, src.name or None, src.col_offset, src.sheet_noun, src.row_noun, src.row_map)
    job.budget.check_dimensions(base, src.height, src.width)
    rows_left = iter(src.rows)
    buffer = list(islice(rows_left, HEADER_SCAN_ROWS))
    parts: list[_Part] = []
    offset = 0
    stacked_refusal = None  # why the tables cannot be told apart, once a second one starts
    while True:
        where = dataclasses.replace(base, row_offset=offset)
        spec = find_table(buffer, where, job.catalogue, job.mapping, job.single)
        if spec is None:
            if parts:
                raise stacked_refusal
            _no_table(src, buffer, where, job)
            return parts
        rows = chain(buffer[spec.header_idx + 1:], rows_left)
        part, more = _read_table(src, spec, buffer, rows, where, job, first=not parts)
        parts.append(part)
        if more is None:
            break
        stacked_refusal = _notes_refusal(where, more)
        offset += more.row - 1
        rows_left = chain(more.unread, rows)
        buffer = more.rows + list(islice(rows_left, HEADER_SCAN_ROWS))
    part = _stacked(parts, src.name, stacked_refusal, job) if len(parts) > 1 else parts[0]
    _period_from_sheet_name(part, src, job)
    return [part]


def _no_table(src: SheetSource, buffer: list[list], where: Where, job: _Import) -> None:
    """A sheet with no table: an answer about one offence (readable once the campaign says which), or a
    cover or notes sheet, said."""
    if job.single is None and offence_free_header(buffer, job.catalogue) is not None:
        job.offence_free.append(where.place() or "the table")
    elif any(any(c not in ("", None) for c in r) for r in buffer) and src.sheet_noun:
        job.warnings.append(f"sheet '{src.name}' skipped: no table found (cover or notes sheet)")


def _read_table(src: SheetSource, spec: TableSpec, buffer: list[list], rows, where: Where, job: _Import,
                first: bool) -> tuple[_Part, MoreTable | None]:
    """One table of a sheet, read from below its header: the part, and another table starting below its
    notes (None when there is none)."""
    name = src.name
    acc = Accumulator()
    told_by = _told_by_table(spec, where, job.reader)
    more = _extract(spec, rows, where, job, acc)
    if (acc.saw_blank or src.trailing_blank) and src.formula_blanks is not None:
        # a formula saved without its value reads as blank: look for one only when a used cell was
        # blank, so a file with none is inflated once (by calamine), not twice
        _check_formula_blanks(src.formula_blanks(), spec, src.col_offset, where)
    job.budget.check_time(where)
    label = name if first else f"{name + ', ' if name else ''}table from {where.row_noun} {where.row_number(1)}"
    prefix = where.place() if first else label
    acc.warnings[:0] = [(f"sheet '{name}': {n}" if src.sheet_noun and first else f"{prefix}: {n}")
                        if (name or not first) else n for n in spec.notes]
    title_sex = _title_sex(buffer[max(0, spec.header_idx - 3):spec.header_idx]) or (
        _sheet_sex(src.title) if src.title and first else None)
    if not told_by:
        told_by = _period_from_title(acc, spec, buffer, src.title if first else "", where, job.reader)
    return _Part(label, spec, acc, src.sheet_noun, title_sex, where.row_number(spec.header_row), told_by), more


def _told_by_table(spec: TableSpec, where: Where, reader: PeriodReader) -> str:
    """How the table itself says which period its figures count (a year banner, a year or recorded-date
    column), '' when it does not; a banner's years placed among the periods asked."""
    if spec.banner_idx is not None:
        _banner_periods(spec, reader, where)
        return f"the year banner in {where.place(spec.banner_idx + 1)}"
    if spec.period_col is not None:
        column = where.col(spec.period_col, spec.headers[spec.period_col])
        kind = "year" if header_role(spec.headers[spec.period_col]) == ROLE_YEAR else "recorded dates"
        return f"the {kind} in column {column}"
    return ""


def _extract(spec: TableSpec, rows, where: Where, job: _Import, acc: Accumulator) -> MoreTable | None:
    """The table's figures into ``acc``; another table below its notes, if one starts there."""
    mapping = job.mapping
    last = mapping.last_row if mapping else None
    try:
        if spec.layout in ("per_crime", "count_long"):
            extract_long(spec, rows, where, job.catalogue, job.budget, acc, last, job.reader)
        else:
            extract_pivot(spec, rows, where, job.catalogue, job.budget, acc, last,
                          is_header=None if mapping else _header_test(where, job.catalogue, job.single),
                          reader=job.reader)
    except MoreTable as exc:
        if mapping is not None:
            raise _notes_refusal(where, exc) from None
        return exc
    return None


def _period_from_title(acc: Accumulator, spec: TableSpec, buffer: list[list], title: str, where: Where,
                       reader: PeriodReader) -> str:
    """A table saying nothing of its period: a year title just above it (or a document's line above it,
    ``title``) gives every figure its period."""
    found = _title_period(buffer, spec.header_idx)
    if found is None and title:
        year = parse_year_text(title)
        found = (year, -1, title.strip()) if year is not None else None
    if found is None or _names_whole_table(found[0], reader) is None:
        return ""
    year, at, text = found
    try:
        _set_period(acc, reader.label_of(year, text))
    except PeriodProblem as exc:
        raise where.refuse(f"the title above the table: {exc}", row=at + 1 if at >= 0 else None) from None
    return "the year titles above the tables"


def _stacked(parts: list[_Part], name: str, refusal: ImportRefused, job: _Import) -> _Part:
    """Tables stacked on one sheet, combined as one part; refused when they cannot be."""
    try:
        part, said = _combine(parts, job.filename)
    except ImportRefused:
        raise refusal from None
    part.header_row = parts[0].header_row
    part.sheet = name
    part.told_by = next((p.told_by for p in parts if p.told_by), "")
    job.warnings += said
    return part


def _period_from_sheet_name(part: _Part, src: SheetSource, job: _Import) -> None:
    """A sheet named by a year ('2016-17') gives its period to every figure that has none."""
    name = src.name
    year = _names_whole_table(parse_year_text(name), job.reader) if src.sheet_noun and name else None
    if year is not None and any(not k[4] for k in chain(part.acc.counts, part.acc.suppressed)):
        try:
            _set_period(part.acc, job.reader.label_of(year, name))
        except PeriodProblem as exc:
            raise ImportRefused(f"the sheet's name: {exc}", filename=job.filename, sheet=name) from None
        part.told_by = part.told_by or "the sheet names"


def _notes_refusal(where: Where, more: MoreTable) -> ImportRefused:
    first = more.row + len(more.rows) - 1
    return where.refuse(f"more rows follow the notes at {where.row_noun} {where.row_number(more.notes_at)}; "
                        "if this is a second table, say which rows to import with a column mapping (last_row)",
                        row=first)


def _header_test(where: Where, catalogue: OffenceCatalogue, single: OffenceEntry | None):
    def is_header(row: list) -> bool:
        try:
            return build_spec([row], 0, where, catalogue, None, single) is not None
        except ImportRefused:
            return False
    return is_header


def _title_sex(rows: list[list]) -> str | None:
    """'Male victims' (or 'Table 2: girls') alone on a row above a table."""
    for row in reversed(rows):
        cells = [c for c in row if isinstance(c, str) and c.strip()]
        if len(cells) == 1 and not any(isinstance(c, (int, float)) for c in row):
            return _sheet_sex(cells[0])
    return None


def _nothing_found(wb, filename: str, offence_free: list[str]) -> ImportRefused:
    if offence_free:
        return ImportRefused(f"{offence_free[0]} has figures by age but no offence column: an answer to a question "
                             "about one offence; say which offence the campaign asks about (its offence codes) and "
                             "import again", filename=filename)
    if wb.document is not None:
        kind = {"pdf": "PDF", "docx": "Word document", "html": "HTML", "txt": "text"}[wb.file_format]
        seen = f"{len(wb.sheet_names)} table(s) and the text" if wb.sheet_names else "the text"
        return ImportRefused(f"no table of figures found in the {kind} (read {seen}): nothing names offences and "
                             "victim ages with counts; enter the figures by hand", filename=filename)
    return ImportRefused("no table found: no header row naming the offence and the victim age, and no "
                         "offences/ages laid out across (looked at the first "
                         f"{HEADER_SCAN_ROWS} rows{' of every sheet' if wb.file_format != 'csv' else ''}); "
                         "supply a column mapping", filename=filename)


def _check_formula_blanks(blanks: frozenset, spec: TableSpec, col_offset: int, where: Where) -> None:
    if not blanks:
        return
    used = set(spec.offence_cols) | {c.index for c in spec.across}
    used |= {c for c in (spec.age_col, spec.count_col, spec.sex_col) if c is not None}
    used_abs = {c + col_offset for c in used}
    first = spec.header_idx + where.row_offset
    hits = sorted((r, c) for r, c in blanks if r > first and c in used_abs)
    if hits:
        r, c = hits[0]
        raise where.refuse("cell holds a formula with no saved value (the file was never recalculated); "
                           "open it in a spreadsheet program and save it, or ask the force for values",
                           row=r + 1, column=column_letter(c))


_SEX_IN_NAME = ("female", "females", "girls", "girl", "male", "males", "boys", "boy")


def _sheet_sex(name: str) -> str | None:
    """The one sex a sheet name or a short title names ('Girls', 'Table 2 - male victims'), else None."""
    words = norm_words(name).split()
    if len(words) > 8:
        return None  # a sentence, not a title
    found = {parse_sex(w) for w in words if w in _SEX_IN_NAME}
    return found.pop() if len(found) == 1 else None


def _merge(parts: list[_Part], sexes: list[str | None]) -> Accumulator:
    merged = Accumulator()
    for p, sex in zip(parts, sexes):
        for k, place in p.acc.places.items():
            merged.places.setdefault(k[:3] + (sex or k[3], k[4]), place)
        for k, v in p.acc.counts.items():
            merged.add(k[:3] + (sex or k[3], k[4]), v)
        for k, labels in p.acc.suppressed.items():
            for label in labels:
                merged.add(k[:3] + (sex or k[3], k[4]), None, label)
        merged.totals_checked += p.acc.totals_checked
        merged.rows_read += p.acc.rows_read
        merged.range_totals += p.acc.range_totals
        prefix = f"sheet '{p.sheet}'" if p.noun else p.sheet
        merged.warnings += [w if not p.sheet or w.startswith(p.sheet) else f"{prefix}: {w}" for w in p.acc.warnings]
    return merged


def _combine(parts: list[_Part], filename: str) -> tuple[_Part, list[str]]:
    """Several sheets (or a document's tables) with figures: a split by sex is combined (a sheet per
    sex, or stacked tables each for one sex, with bands of their own); identical copies collapse;
    else refuse."""
    if len(parts) == 1:
        return parts[0], []
    names = [p.sheet for p in parts]
    listed = ", ".join(repr(n or "the first table") for n in names)
    sexes = [p.sex or _sheet_sex(p.sheet) for p in parts]
    keys = [set(p.acc.counts) | set(p.acc.suppressed) for p in parts]
    periods = [{k[4] for k in ks} for ks in keys]
    if all(ps and "" not in ps for ps in periods) and sum(map(len, periods)) == len(set().union(*periods)):
        shown = ", ".join("/".join(Period.from_label(p).display for p in sorted(ps)) for ps in periods)
        return _Part(", ".join(names), parts[0].spec, _merge(parts, [None] * len(parts))), [
            f"{listed} combined: each holds the figures for one period ({shown})"]
    has_sex = any(k[3] for ks in keys for k in ks)
    if all(sexes) and len(set(sexes)) == len(sexes) and not has_sex:
        return _Part(", ".join(names), parts[0].spec, _merge(parts, sexes)), [
            f"sheets {listed} combined as a split by victim sex"]
    own = [{k[3] for k in ks} for ks in keys]
    if all(o and "" not in o for o in own) and sum(len(o) for o in own) == len(set().union(*own)):
        return _Part(", ".join(names), parts[0].spec, _merge(parts, [None] * len(parts))), [
            f"{listed} combined: each holds the figures for {', '.join('/'.join(sorted(o)) for o in own)} "
            "victims"]

    def fingerprint(p: _Part) -> tuple:
        agg: dict = {}
        for k, v in p.acc.counts.items():
            agg[k[:3] + k[4:]] = agg.get(k[:3] + k[4:], 0) + v
        return tuple(sorted(agg.items(), key=repr)), tuple(sorted({k[:3] + k[4:] for k in p.acc.suppressed},
                                                                  key=repr))

    prints = {fingerprint(p) for p in parts}
    if len(prints) == 1:
        order = ["per_crime", "count_long", "pivot_offence_age", "pivot_age_offence", "pivot_sex_age", "pivot_age_sex"]
        best = min(parts, key=lambda p: order.index(p.spec.layout))
        return best, [f"sheets {listed} hold the same figures; used '{best.sheet}'"]
    noun = "sheets" if all(p.noun for p in parts) else "tables"
    raise ImportRefused(f"{noun} {listed} each hold a different table and are not a "
                        "split by victim sex; say which sheet to import with a column mapping", filename=filename)



def _tidy(acc: Accumulator, filename: str) -> list[TidyRow]:
    out: list[TidyRow] = []
    keys = set(acc.counts) | set(acc.suppressed)
    for key in sorted(keys, key=lambda k: (k[4], k[0], k[1] is None, k[1] or 0, k[2] or 0, k[3])):
        code, lo, hi, sex, period = key
        single = lo is not None and lo == hi
        band = band_text(lo, hi) if lo is not None else ""
        labels = acc.suppressed.get(key)
        if labels:
            label = "/".join(dict.fromkeys(labels))
            if acc.counts.get(key):
                acc.warnings.append(f"offence {code}: a known count and a suppressed cell for the same "
                                    "age were combined as suppressed")
            out.append(TidyRow(code, lo if single else None, lo, hi, band, sex, None, True, label, period,
                               acc.places.get(key, "")))
        else:
            n = acc.counts[key]
            if n > MAX_COUNT:
                age = "unknown age" if lo is None else f"age {band or lo}"
                raise ImportRefused(f"offence {code}, {age}{', ' + sex if sex else ''}"
                                    f"{', ' + Period.from_label(period).display if period else ''}: "
                                    f"the rows add up to {n:,}, "
                                    f"more than can be stored ({MAX_COUNT:,} at most); ask the force",
                                    filename=filename)
            if n:
                out.append(TidyRow(code, lo if single else None, lo, hi, band, sex, n, False, "", period,
                                   acc.places.get(key, "")))
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
