"""What a return says per period, and what it changes (no Django here).

A return may hold more than one period (the campaign asks forces to restate an earlier year): the
preview says "2015/16: 80 offences; 2016/17: 54", and when the request already holds figures for a
period the file covers, what the file changes: "restates 2015/16: 73 → 80 (+7)". A force's figure
for the same period in the campaign this one repeats is shown beside it ("first given in ...").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..importer.model import TidyRow
from ..periods import Period


@dataclass(frozen=True)
class Held:
    """Figures already on record for one period: their total (suppressed cells left out) and cells."""

    total: int
    cells: int


@dataclass(frozen=True)
class PeriodFigures:
    label: str
    total: int
    cells: int
    suppressed: int
    held: Held | None = None          # the request's figures for the period before this file
    first_given: Held | None = None   # the force's figure in the campaign this one repeats

    @property
    def display(self) -> str:
        try:
            return Period.from_label(self.label).display
        except ValueError:
            return self.label

    @property
    def sort_key(self):
        try:
            return (0, Period.from_label(self.label).start, self.label)
        except ValueError:
            return (1, None, self.label)

    @property
    def restates(self) -> str:
        """"restates 2015/16: 73 → 80 (+7)" when the request already holds figures for the period, else ''."""
        if self.held is None:
            return ""
        return f"restates {self.display}: {self.held.total:,} → {self.total:,} ({change(self.held.total, self.total)})"

    def first_given_in(self, campaign_title: str) -> str:
        if self.first_given is None:
            return ""
        return (f"{self.display} as first given in {campaign_title}: {self.first_given.total:,} → {self.total:,} "
                f"({change(self.first_given.total, self.total)})")


def change(before: int, after: int) -> str:
    difference = after - before
    if difference == 0:
        return "unchanged"
    return f"{difference:+,}"


def figures_by_period(rows: Iterable[TidyRow], main_label: str, held: dict[str, Held] | None = None,
                      first_given: dict[str, Held] | None = None) -> list[PeriodFigures]:
    """The file's total per period, earliest first; a row naming no period counts the campaign's own."""
    held, first_given = held or {}, first_given or {}
    totals: dict[str, list[int]] = {}
    for row in rows:
        figures = totals.setdefault(row.period or main_label, [0, 0, 0])
        figures[0] += 0 if row.suppressed else (row.count or 0)
        figures[1] += 1
        figures[2] += 1 if row.suppressed else 0
    found = [PeriodFigures(label, total, cells, suppressed, held.get(label), first_given.get(label))
             for label, (total, cells, suppressed) in totals.items()]
    return sorted(found, key=lambda f: f.sort_key)


def in_words(figures: list[PeriodFigures]) -> str:
    """"2015/16: 80 offences; 2016/17: 54": the unit said once, as a person would write it."""
    parts = []
    for i, f in enumerate(figures):
        unit = f" offence{'' if f.total == 1 else 's'}" if i == 0 else ""
        hidden = f" ({f.suppressed:,} suppressed cell{'' if f.suppressed == 1 else 's'})" if f.suppressed else ""
        parts.append(f"{f.display}: {f.total:,}{unit}{hidden}")
    return "; ".join(parts)
