"""The importer's outputs: tidy rows and the result of one import."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TidyRow:
    """One (offence, age or band, sex) cell of a return.

    Unknown age: ``victim_age`` None and ``age_band`` ''.  A band keeps its bounds in
    ``age_band_min``/``age_band_max`` and its text in ``age_band``.  A suppressed cell
    (``'<5'``) has ``count`` None, ``suppressed`` True and the force's mark in
    ``suppressed_label``: it is neither zero nor known.
    """

    offence_code: str
    victim_age: int | None
    age_band_min: int | None
    age_band_max: int | None
    age_band: str
    victim_sex: str
    count: int | None
    suppressed: bool
    suppressed_label: str
    period: str = ""
    """The label of the period the cell counts (``periods.Period.label``).  Given no periods, the import
    labels a cell with the year its return names (a year column, a recorded date's financial year, a
    year title, sheet or banner), and leaves '' when the return names none."""
    source: str = ""
    """Where in the file the cell was read ('sheet Data, row 12, column D', 'page 2, table 1, row 5'):
    the first row of a count tallied from many (a table of one row per crime)."""


@dataclass
class ImportResult:
    filename: str
    file_format: str
    sheet: str
    # per_crime, count_long, pivot_offence_age, pivot_age_offence, pivot_sex_age (sex down, ages across) or
    # pivot_age_sex (ages down, a column per sex): the last two answer a question about one offence, which
    # the table never names; 'mapped' when a column mapping said the layout
    layout: str
    header_row: int
    rows_read: int
    rows: list[TidyRow] = field(default_factory=list)
    counting_unit: str = ""
    warnings: list[str] = field(default_factory=list)
    encoding: str = ""

    @property
    def periods(self) -> list[str]:
        """The labels of the periods the rows count, in order of first appearance."""
        return list(dict.fromkeys(r.period for r in self.rows))

    @property
    def total(self) -> int:
        """Sum of known counts (suppressed cells excluded)."""
        return sum(r.count or 0 for r in self.rows)

    @property
    def suppressed_cells(self) -> int:
        return sum(1 for r in self.rows if r.suppressed)

    @property
    def total_range(self) -> tuple[int, int]:
        """The true total lies in this range: each suppressed cell hides 1 to its most ('<5': 4)."""
        from .labels import suppressed_max

        known = self.total
        hidden = [r for r in self.rows if r.suppressed]
        return known + len(hidden), known + sum(suppressed_max(r.suppressed_label) for r in hidden)
