"""The researcher's manual override when automatic detection fails or guesses wrong.

JSON format (every key optional except where noted; ``null`` or absent = detect)::

    {
      "sheet": "Data",                 # sheet to read (ignored for CSV)
      "header_row": 3,                 # 1-based row holding the column headers
                                       #   (for pivots: the row of ages, or of offences, across)
      "layout": "pivot_offence_age",   # per_crime | count_long | pivot_offence_age | pivot_age_offence
      "offence": "A",                  # column letter or exact header text: offence labels
                                       #   (long layouts; row labels of pivot_offence_age)
      "offence_description": "B",      # optional second offence column, checked against "offence"
      "age": "C",                      # victim age (long layouts; row labels of pivot_age_offence)
      "count": "D",                    # count column (count_long only)
      "sex": null,                     # victim sex column, if any
      "sex_row": 2,                    # 1-based banner row naming Female/Male over pivot columns
      "last_row": 40                   # 1-based last row of the table (notes below are ignored)
    }

A column is a letter (``"C"``) or the header text as it appears in ``header_row``
(compared ignoring case and spacing).  ``to_dict()`` gives this (what the app stores, in a JSON
field), ``from_json()`` reads it from a JSON string, bytes, or an already-decoded dict; unknown keys
are an error, so a typo is not silently ignored.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields

PIVOT_LAYOUTS = ("pivot_offence_age", "pivot_age_offence")
MAPPABLE_LAYOUTS = ("per_crime", "count_long") + PIVOT_LAYOUTS
_LETTERS = re.compile(r"^[A-Za-z]{1,3}$")


@dataclass(frozen=True)
class ColumnMapping:
    sheet: str | None = None
    header_row: int | None = None
    layout: str | None = None
    offence: str | None = None
    offence_description: str | None = None
    age: str | None = None
    count: str | None = None
    sex: str | None = None
    sex_row: int | None = None
    last_row: int | None = None

    def __post_init__(self) -> None:
        if self.layout is not None and self.layout not in MAPPABLE_LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(MAPPABLE_LAYOUTS)}, not {self.layout!r}")
        for name in ("header_row", "sex_row", "last_row"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
                raise ValueError(f"{name} must be a row number (1 or more), not {v!r}")
        for name in ("offence", "offence_description", "age", "count", "sex"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, str) or not v.strip()):
                raise ValueError(f"{name} must be a column letter or header text, not {v!r}")
        if self.layout == "count_long" and self.header_row and not self.count:
            pass  # count column may still be detected from the header row

    @staticmethod
    def is_letter(spec: str) -> bool:
        return bool(_LETTERS.match(spec.strip()))

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_json(cls, source: str | bytes | dict) -> "ColumnMapping":
        data = json.loads(source) if isinstance(source, (str, bytes, bytearray)) else dict(source)
        if not isinstance(data, dict):
            raise ValueError("a column mapping must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown key(s) in column mapping: {', '.join(sorted(unknown))}")
        return cls(**data)
