"""Figures typed in by hand from a letter no machine can read (a scan, a letter kept for entry by hand).

What the researcher typed (or pasted from a spreadsheet or a PDF viewer) is a table like any
other: offences down and ages (or bands) across, or ages down and offences across, with a sex
column if the letter splits by sex. It is kept as a CSV file with its SHA-256, a return of its
own (source "typed", who typed it and when, the letter it was typed from), and read by the same
importer with the same checks: an age a code cannot have, a total that disagrees, a count that
is not a number are refused the same way, pointing at the cell. Then the same preview and the
same confirm as any other return.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.utils import timezone

from ..importer import ColumnMapping, ImportRefused
from ..importer.errors import column_index
from ..importer.labels import NOT_AGE, is_blank, is_total_label, parse_age
from ..requests.models import FoiRequest
from .models import ReturnedFile, ReturnSource, ReturnStatus, ScanReading
from ..validation import ServiceError
from .scanned import corrected, grid_of, unconfirmed
from .services import PreviewReturn, ReceiveReturn, asked_offence_codes, read_return

OFFENCES_DOWN = "offences_down"
AGES_DOWN = "ages_down"
ORIENTATIONS = {OFFENCES_DOWN: "Offences down, ages across", AGES_DOWN: "Ages down, offences across"}
LABEL_HEADING = {OFFENCES_DOWN: "Offence", AGES_DOWN: "Victim age"}
SEX_HEADING = "Sex"

MAX_ROWS = 200
MAX_COLUMNS = 60
MAX_CELL = 60  # characters in one cell: a description fits, a pasted letter does not


class TypedProblem(ServiceError):
    """Something typed cannot be read; `row`/`column` say which cell of the grid (row 0: the
    headings; column 'label', 'sex' or the 0-based index of a column of figures)."""

    def __init__(self, message: str, row: int | None = None, column: int | str | None = None):
        super().__init__(message)
        self.row, self.column = row, column


@dataclass
class TypedRow:
    label: str = ""
    sex: str = ""
    values: list[str] = field(default_factory=list)


@dataclass
class TypedTable:
    orientation: str = OFFENCES_DOWN
    by_sex: bool = False
    headings: list[str] = field(default_factory=list)  # the columns of figures: ages, bands, or offences
    rows: list[TypedRow] = field(default_factory=list)

    @property
    def width(self) -> int:
        return max([len(self.headings)] + [len(r.values) for r in self.rows])

    def is_empty(self) -> bool:
        return not any(not is_blank(v) for r in self.rows for v in r.values)

    # --- as a file ------------------------------------------------------------------------
    def _layout(self) -> tuple[list[int], list[int]]:
        """The grid rows and columns that hold anything (blank ones are not part of the table)."""
        width = self.width
        columns = [c for c in range(width)
                   if not is_blank(self._heading(c)) or any(not is_blank(self._value(r, c)) for r in self.rows)]
        rows = [i for i, r in enumerate(self.rows)
                if not is_blank(r.label) or any(not is_blank(self._value(r, c)) for c in columns)]
        return rows, columns

    def _heading(self, c: int) -> str:
        return self.headings[c] if c < len(self.headings) else ""

    @staticmethod
    def _value(row: TypedRow, c: int) -> str:
        return row.values[c] if c < len(row.values) else ""

    def fields(self) -> dict[str, str]:
        """The grid as the page names its fields: headings h-C, labels l-R, sexes s-R, figures v-R-C."""
        out = {f"h-{c}": h for c, h in enumerate(self.headings)}
        for r, row in enumerate(self.rows):
            out[f"l-{r}"], out[f"s-{r}"] = row.label, row.sex
            out.update({f"v-{r}-{c}": v for c, v in enumerate(row.values)})
        return out

    @staticmethod
    def place(name: str) -> tuple[int | None, int | str | None]:
        """The grid cell (row 0: the headings; column 'label', 'sex' or an index) a field names."""
        kind, *numbers = name.split("-")
        if kind == "h":
            return 0, int(numbers[0])
        if kind == "v":
            return int(numbers[0]) + 1, int(numbers[1])
        return int(numbers[0]) + 1, "label" if kind == "l" else "sex"

    def to_csv(self) -> bytes:
        rows, columns = self._layout()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        lead = [LABEL_HEADING[self.orientation]] + ([SEX_HEADING] if self.by_sex else [])
        writer.writerow(lead + [self._heading(c) for c in columns])
        for i in rows:
            r = self.rows[i]
            writer.writerow([r.label] + ([r.sex] if self.by_sex else []) + [self._value(r, c) for c in columns])
        return out.getvalue().encode("utf-8")

    def mapping(self) -> ColumnMapping:
        if self.orientation == OFFENCES_DOWN:
            return ColumnMapping(layout="pivot_offence_age", header_row=1, offence="A",
                                 sex="B" if self.by_sex else None)
        # Ages down: the importer finds the age and sex columns from their headings.
        return ColumnMapping(layout="pivot_age_offence", header_row=1, sex="B" if self.by_sex else None)

    def grid_cell(self, file_row: int | None, file_column: str | None) -> tuple[int | None, int | str | None]:
        """The grid cell of a cell of the file (1-based row, column letter), to point at it."""
        rows, columns = self._layout()
        row = None
        if file_row is not None:
            row = 0 if file_row == 1 else (rows[file_row - 2] + 1 if 0 <= file_row - 2 < len(rows) else None)
        column: int | str | None = None
        if file_column:
            try:
                index = column_index(file_column.split()[0])
            except ValueError:
                index = -1
            lead = 2 if self.by_sex else 1
            if index == 0:
                column = "label"
            elif self.by_sex and index == 1:
                column = "sex"
            elif 0 <= index - lead < len(columns):
                column = columns[index - lead]
        return row, column

    @classmethod
    def from_csv(cls, data: bytes) -> "TypedTable":
        """A typed file read back into the grid, to correct it."""
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        if not rows:
            return cls()
        head = rows[0]
        orientation = AGES_DOWN if head and head[0] == LABEL_HEADING[AGES_DOWN] else OFFENCES_DOWN
        by_sex = len(head) > 1 and head[1] == SEX_HEADING
        lead = 2 if by_sex else 1
        return cls(orientation, by_sex, head[lead:],
                   [TypedRow(r[0] if r else "", r[1] if by_sex and len(r) > 1 else "", r[lead:]) for r in rows[1:]])

    # --- checks the importer cannot make on a table it is told the shape of -----------------
    def check(self) -> None:
        if self.orientation not in ORIENTATIONS:
            raise TypedProblem(f"say which way the table goes: {' or '.join(ORIENTATIONS.values())}")
        if len(self.rows) > MAX_ROWS or self.width > MAX_COLUMNS:
            raise TypedProblem(f"the grid is {len(self.rows)} rows by {self.width} columns; at most {MAX_ROWS} "
                               f"by {MAX_COLUMNS} are read: type the letter's table, not the whole letter")
        rows, columns = self._layout()
        if self.is_empty():
            raise TypedProblem("no figures typed: type the counts of the letter's table (a nil return is "
                               "recorded with Record the answer)")
        for c in columns:
            heading = self._heading(c)
            if is_blank(heading):
                raise TypedProblem("figures in a column with no heading: say which age, band or offence it is",
                                   0, c)
            if self.orientation == OFFENCES_DOWN and not is_total_label(heading) and parse_age(heading) is NOT_AGE:
                raise TypedProblem(f"column heading '{heading}' is not an age, a band (0-5, Under 13) or Unknown", 0, c)
        for i in rows:
            r = self.rows[i]
            if is_blank(r.label):
                what = "offence" if self.orientation == OFFENCES_DOWN else "age"
                raise TypedProblem(f"a row of figures with no {what}: type the {what} in its first cell", i + 1,
                                   "label")
            if self.by_sex and is_blank(r.sex):
                raise TypedProblem("some rows give the victim's sex and this one does not: type female, male or "
                                   "unknown (or leave every row's sex empty)", i + 1, "sex")


def typed_name(request: FoiRequest, when: dt.datetime | None = None) -> str:
    when = timezone.localtime(when or timezone.now())
    return f"typed-{request.force.force_id}-{when:%Y%m%d-%H%M%S}.csv"


@dataclass
class TypeReturn:
    """Keep and read figures typed from a letter; the person confirms them on the preview as any
    return. A table the importer refuses keeps nothing and says which cell is wrong."""

    request: FoiRequest
    table: TypedTable
    user: object = None
    outcome: str = ""
    received_on: dt.date | None = None
    typed_from: ReturnedFile | None = None
    read_from_scan: ScanReading | None = None  # the OCR reading that pre-filled the grid
    confirmed: dict[str, str] | None = None  # field -> the value the person confirmed there

    def execute(self) -> ReturnedFile:
        if self.typed_from is not None and self.typed_from.request_id != self.request.pk:
            raise ServiceError(f"{self.typed_from.original_name} is another request's file")
        if self.read_from_scan is not None:
            self._check_confirmed()
        self.table.check()
        data = self.table.to_csv()
        name = typed_name(self.request)
        mapping = self.table.mapping()
        try:
            result = read_return(self.request, data, name, mapping)
        except ImportRefused as refusal:
            row, column = self.table.grid_cell(refusal.row, refusal.column)
            raise TypedProblem(refusal.reason, row, column) from None
        if not result.rows:
            raise TypedProblem("every figure typed is zero: a nil return is recorded with Record the answer")
        returned = ReceiveReturn(self.request, data, name, self.user, ReturnSource.TYPED, outcome=self.outcome,
                                 received_on=self.received_on, mapping=mapping,
                                 typed_from=self.typed_from).execute().returned
        if returned.status in (ReturnStatus.IMPORTED, ReturnStatus.QUEUED):
            return returned  # exactly these figures were typed and imported before
        if self.read_from_scan is not None:
            self._keep_provenance(returned)
        PreviewReturn(returned, mapping, result=result).execute()
        return returned

    def _check_confirmed(self) -> None:
        """Every cell filled from the image comes back confirmed, as it stands, or nothing is kept."""
        reading, scan = self.read_from_scan, self.typed_from
        grid = grid_of(reading)
        if grid is None or scan is None or reading.scan_id != scan.pk:
            raise ServiceError("the reading of the scan these figures were filled from is not this letter's")
        missing = unconfirmed(grid, self.table.fields(), self.confirmed or {})
        if missing:
            row, column = self.table.place(missing[0])
            raise TypedProblem(f"{len(missing)} cell{'s' if len(missing) != 1 else ''} read from the image "
                               f"{'are' if len(missing) != 1 else 'is'} not confirmed yet: confirm each one (Enter "
                               "or Tab) or correct it; nothing read from a scan is kept unconfirmed", row, column)

    def _keep_provenance(self, returned: ReturnedFile) -> None:
        grid = grid_of(self.read_from_scan)
        ocr = {"cells": sum(1 for c in grid.cells.values() if c.page),
               "corrected": corrected(grid, self.table.fields()), "engine": self.read_from_scan.engine}
        ReturnedFile.objects.filter(pk=returned.pk).update(read_from_scan=self.read_from_scan,
                                                           summary={**(returned.summary or {}), "ocr": ocr})
        returned.refresh_from_db()


def table_from_catalogue_hint(request: FoiRequest) -> TypedTable:
    """An empty grid to start from: with a campaign about one offence, its code on every row."""
    codes = asked_offence_codes(request)
    label = codes[0] if len(codes) == 1 else ""
    return TypedTable(OFFENCES_DOWN, False, [""] * 6, [TypedRow(label, "", [""] * 6) for _ in range(6)])

