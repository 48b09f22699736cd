"""Saying where the table is, by clicking the stored sheet's column headers, and using what was
said for the campaign's other files with the same header.

A person marks the columns (offence, its description, age, count, sex) and the row of headings;
the layout follows from what is marked unless they say it. The mapping is a `ColumnMapping` like
any other: kept on the file, read again with `PreviewReturn(returned, mapping)`, no second upload.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..importer import ColumnMapping, ImportRefused
from ..importer.mapping import MAPPABLE_LAYOUTS
from .models import ReturnedFile, ReturnSource, ReturnStatus
from ..validation import ServiceError
from .services import limits, read_stored
from .sheets import find_header, header_at

ROLES = {"offence": "Offence", "offence_description": "Offence description", "age": "Victim age",
         "count": "Count", "sex": "Victim sex"}
LAYOUT_LABELS = {
    "count_long": "One row per offence and age, with a count",
    "per_crime": "One row per crime",
    "pivot_offence_age": "Offences down, ages across (in the row of headings)",
    "pivot_age_offence": "Ages down, offences across (in the row of headings)",
}


def mapping_from_roles(columns: dict[str, str], header_row: int | None, *, sheet: str = "", layout: str = "",
                       last_row: int | None = None, sex_row: int | None = None) -> ColumnMapping:
    """`columns`: column letter -> role (ROLES), as clicked. Raises ServiceError saying what to fix."""
    if not header_row:
        raise ServiceError("click the row that holds the headings (its number on the left)")
    by_role: dict[str, list[str]] = {}
    for letter, role in columns.items():
        if role:
            if role not in ROLES:
                raise ServiceError(f"column {letter}: {role!r} is not one of {', '.join(ROLES)}")
            by_role.setdefault(role, []).append(letter)
    for role, letters in by_role.items():
        if len(letters) > 1:
            raise ServiceError(f"columns {' and '.join(sorted(letters))} are both marked {ROLES[role].lower()}: "
                               "choose one")
    one = {role: letters[0] for role, letters in by_role.items()}
    if layout and layout not in MAPPABLE_LAYOUTS:
        raise ServiceError(f"layout {layout!r} is not one of {', '.join(MAPPABLE_LAYOUTS)}")
    if not layout:
        if "offence" in one and "age" in one:
            layout = "count_long" if "count" in one else "per_crime"
        elif "offence" in one:
            layout = "pivot_offence_age"
        elif "age" in one:
            layout = "pivot_age_offence"
        else:
            raise ServiceError("mark the column of offences (or of ages, when the offences run across the row of "
                               "headings)")
    if layout in ("count_long", "per_crime") and "offence" not in one:
        raise ServiceError("mark the column of offences")
    if layout == "count_long" and "count" not in one:
        raise ServiceError("one row per offence and age needs the column of counts")
    if layout != "count_long" and "count" in one:
        raise ServiceError(f"a count column does not go with '{LAYOUT_LABELS[layout].lower()}': the counts are "
                           "the cells" if layout.startswith("pivot") else "one row per crime has no count column")
    if layout == "pivot_offence_age" and "offence" not in one:
        raise ServiceError("mark the column of offences (the ages run across the row of headings)")
    if layout == "pivot_age_offence" and "age" not in one:
        raise ServiceError("mark the column of ages (the offences run across the row of headings)")
    if last_row is not None and last_row <= header_row:
        raise ServiceError(f"the last row ({last_row}) must come after the row of headings ({header_row})")
    try:
        return ColumnMapping(sheet=sheet or None, header_row=header_row, layout=layout, offence=one.get("offence"),
                             offence_description=one.get("offence_description"), age=one.get("age"),
                             count=one.get("count"), sex=one.get("sex"), sex_row=sex_row, last_row=last_row)
    except ValueError as error:
        raise ServiceError(str(error)) from None


@dataclass
class SameHeader:
    """The campaign's other files waiting or refused whose table has the same row of headings,
    each with the mapping moved to where that file's headings are (its title rows may be longer)."""

    returned: ReturnedFile
    mapping: ColumnMapping

    def execute(self) -> list[tuple[ReturnedFile, ColumnMapping]]:
        lim = limits()
        if not self.mapping.header_row:
            return []
        try:
            key = header_at(read_stored(self.returned), self.returned.original_name, lim, self.mapping.sheet,
                            self.mapping.header_row)
        except ImportRefused:
            return []
        others = (ReturnedFile.objects.filter(request__campaign_id=self.returned.request.campaign_id,
                                              status__in=(ReturnStatus.PENDING, ReturnStatus.REFUSED))
                  .exclude(pk=self.returned.pk).exclude(source=ReturnSource.TYPED)
                  .select_related("request__force").defer("tidy_rows").order_by("request__force__name", "pk"))
        found = []
        for other in others:
            try:
                where = find_header(read_stored(other), other.original_name, lim, key)
            except ImportRefused:
                continue
            if where is None:
                continue
            sheet, row = where
            shift = row - self.mapping.header_row
            found.append((other, replace(
                self.mapping, sheet=sheet or None, header_row=row,
                last_row=self.mapping.last_row + shift if self.mapping.last_row else None,
                sex_row=self.mapping.sex_row + shift if self.mapping.sex_row and self.mapping.sex_row + shift >= 1
                else None)))
        return found
