"""The xlsx workbook around the national dataset (its columns are `reports/dataset.py`'s), and
reading an export back.

Formula injection: a text cell that starts with =, +, -, @, a tab or a carriage return is run
as a formula by spreadsheet programs (OWASP "CSV injection"). Every text value we export, in
every format (csv, xlsx, json, and every sheet of the workbook), gets a leading apostrophe;
numbers, booleans and empty values are left as they are. import-export 4.x's own
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT is not used: it only strips a leading "=" and turns
every cell (numbers and empty ones too) into text.
"""
from __future__ import annotations

import json
from typing import IO, Iterable

from . import xlsx
from .aggregate import CATEGORY_LABELS, OUTCOME_LABELS, Aggregate, age_breakdown, headline_figures, sex_breakdown
from .dataset import COLUMNS, FORMULA_TRIGGERS, escape_formula  # noqa: F401  (the one list of columns)


def _escaped(rows):
    for row in rows:
        yield [escape_formula(v) for v in row]


def _cell(figure: dict):
    """A headline figure as a cell: the number itself when the data hold one, else its words
    ("10 to 14"), the same words the report page shows."""
    value = figure["value"]
    return value if isinstance(value, (int, float)) or value is None and figure["text"] == "-" else figure["text"]


def headline_rows(agg: Aggregate) -> list[tuple]:
    rows = [
        ("Status", "final" if agg.final else "provisional"),
        *((("Period", agg.period),) if len(agg.periods) > 1 else ()),
        *((f["label"], _cell(f)) for f in headline_figures(agg)[:1]),
        ("Days in the period", agg.period_days),
        *((f["label"], _cell(f)) for f in headline_figures(agg)[1:]),
        ("Offences with the victim's age unknown", agg.by_age["unknown"]),
        ("Offences given in age bands", sum(agg.by_age_band.values())),
        ("Forces asked", agg.forces_asked),
        ("Forces with data", agg.forces_with_data),
    ]
    rows += [(f"Forces: {OUTCOME_LABELS.get(k, k)}", n) for k, n in agg.outcomes.items()]
    rows += [("Suppressed cells", agg.suppressed_count),
             ("Smallest total the suppressed cells allow", agg.total_offences_min),
             ("Largest total the suppressed cells allow", agg.total_offences_max)]
    if agg.largest_force:
        rows.append(("Largest force", f"{', '.join(f['name'] for f in agg.largest_force['forces'])} "
                                      f"({agg.largest_force['total']})"))
        rows.append(("Smallest force", f"{', '.join(f['name'] for f in agg.smallest_force['forces'])} "
                                       f"({agg.smallest_force['total']})"))
    rows += [(f"Category: {CATEGORY_LABELS.get(k, k)}", n) for k, n in agg.by_offence_category.items()]
    rows += [(f"Offence {code}: {agg.offence_descriptions.get(code, '')}", n) for code, n in agg.by_offence_code.items()]
    rows += [(f"Victim sex: {s['label']}", _cell(s)) for s in sex_breakdown(agg)]
    rows += [("Finding", sentence) for sentence in agg.headlines]
    if len(agg.periods) > 1:
        rows += [(f"Period {label}: total offences" + ("" if label == agg.period else " (asked again, as restated)"),
                  p["total_offences"]) for label, p in agg.periods.items()]
    if agg.comparison:
        rows += [("Comparison", sentence) for sentence in agg.comparison.get("headlines", [])]
    return rows


def comparison_sheet(agg: Aggregate) -> tuple[list[str], list[tuple]]:
    """The Comparison sheet: like for like, national then per force, the forces that gave one
    period only below."""
    c = agg.comparison
    names = {t["force_id"]: t["force_name"] for t in agg.timeliness}
    base, now = c["base_period"], c["period"]
    header = ["force_id", "force_name", f"{base} ({c['base']})", now, "change", "change_pct",
              f"{base} as first published", "compared"]
    rows = [("", f"Like for like: {len(c['like_for_like_forces'])} forces", c["base_total"], c["total"], c["change"],
             c["change_pct"], c.get("original_base_total"), "yes")]
    for f, e in c["per_force"].items():
        rows.append((f, names.get(f, f), e["base"], e["current"], e["change"], e["change_pct"], e.get("original_base"),
                     "yes"))
    for f, e in c.get("single_period_forces", {}).items():
        rows.append((f, names.get(f, f), e["base"], e["current"], None, None, e.get("original_base"),
                     f"no: {now} only" if e["current"] is not None else f"no: {base} only"))
    return header, rows


def metadata_rows(campaign, agg: Aggregate, meta: dict) -> list[tuple]:
    """The Metadata sheet: what the figures are, and where this export came from (`meta` is
    `DatasetExport.metadata()`)."""
    snapshot = meta.get("snapshot")
    rows = [
        ("Campaign", campaign.title), ("Slug", campaign.slug), ("Question", campaign.question),
        ("Period", f"{campaign.period_start:%d %B %Y} to {campaign.period_end:%d %B %Y} ({agg.period_days} days)"),
        ("Periods in the dataset", "; ".join(
            f"{p['label']} ({p['first_day']} to {p['last_day']}"
            + (", the headline figures'" if p["main"] else ", asked again: the forces' restatement") + ")"
            for p in meta.get("periods", []))),
        ("Status", "final: every force has an outcome" if agg.final else
         "provisional: outstanding " + ", ".join(f["name"] for f in agg.outstanding_forces)),
        ("Exported at", meta["exported_at"]),
        ("Dataset from", meta["from"]),
    ]
    if snapshot:
        rows += [("Snapshot", snapshot["id"]), ("Compiled at", snapshot["compiled_at"]),
                 ("Dataset SHA-256", snapshot["dataset_sha256"]), ("Dataset rows", snapshot["dataset_rows"]),
                 ("Changed since the snapshot", "yes: compile the final figures again to export the corrections"
                  if snapshot["changed_since"] else "no")]
    else:
        rows.append(("Compiled at", meta["exported_at"]))
    rows += [("Note", meta["note"]),
             ("Counting", "Offences recorded, as counted by each force; a suppressed cell is not zero and not known."),
             ("Suppression rule", f"'<N' allows 1 to N-1; '*', 'x' and other bare marks allow 1 to "
                                  f"{agg.suppression_threshold - 1}.")]
    rows += [("Caveat", c) for c in agg.caveats]
    if meta.get("challenges"):
        rows.append(("Challenges", meta["challenges"]["note"]))
    for s in meta["sources"]:
        rows.append(("Source", f"{s['force_id']}: " + (f"{s['file_name']} (SHA-256 {s['sha256']})"
                                                        if s.get("sha256") else s.get("note", "entered by hand"))))
    return rows


def write_workbook(fileobj: IO[bytes], dataset_rows: Iterable[tuple], agg: Aggregate, metadata: list[tuple]) -> int:
    """The xlsx: the dataset (rows already escaped), then headline figures, by age, by force and
    metadata sheets, and a comparison sheet when the figures compare two periods; written in
    constant memory. Returns the dataset's rows."""
    # The known count, and beside it the range where suppressed cells fall in the age (in words:
    # a "<5" is never a bare number).
    ages = [(int(a["key"]) if a["kind"] == "year" else a["key"], a["known"],
             a["value"] if isinstance(a["value"], int) else a["text"]) for a in age_breakdown(agg)]
    timeliness = {t["force_id"]: t for t in agg.timeliness}
    forces = []
    for t in sorted(agg.timeliness, key=lambda t: t["force_name"]):
        f = t["force_id"]
        forces.append((f, t["force_name"], OUTCOME_LABELS.get(t["outcome"] or "outstanding"),
                       agg.by_force.get(f), t["received_on"], t["due_on"], t["answered_on"], t["working_days"],
                       t["on_time"], t["verdict"], t["sections_cited"] or ""))
    for f, n in agg.by_force.items():  # counts for a force no longer asked: still shown
        if f not in timeliness:
            forces.append((f, f, "", n, None, None, None, None, None, "", ""))
    with xlsx.Workbook(fileobj) as book:
        with book.sheet("Dataset", COLUMNS, widths=(10, 18, 30, 11, 8, 40, 18, 6, 8, 6, 8, 8, 12)) as sheet:
            rows = sheet.rows(dataset_rows)
        for title, header, body, widths in (
                ("Headline figures", ["figure", "value"], headline_rows(agg), (44, 60)),
                ("By age", ["victim_age", "offences", "with_suppressed_cells"], ages, (12, 10, 22)),
                ("By force", ["force_id", "force_name", "outcome", "offences", "received_on", "due_on", "answered_on",
                              "working_days_to_answer", "on_time", "timeliness", "sections_cited"], forces,
                 (20, 32, 20, 9, 11, 11, 11, 9, 8, 30, 14)),
                ("Metadata", ["item", "value"], metadata, (26, 100))):
            with book.sheet(title, header, widths=widths) as sheet:
                sheet.rows(_escaped(body))
        if agg.comparison:
            header, body = comparison_sheet(agg)
            with book.sheet("Comparison", header, widths=(20, 32, 16, 12, 9, 11, 16, 16)) as sheet:
                sheet.rows(_escaped(body))
    return rows


def read_back(content: bytes, fmt: str) -> list[dict]:
    """Rows of an exported dataset, typed again (for checks and tests)."""
    if fmt == "json":
        return json.loads(content)
    if fmt == "csv":
        import csv
        import io

        out = []
        for row in csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")):
            for key in ("victim_age", "count"):
                row[key] = int(row[key]) if row[key] not in ("", None) else None
            row["suppressed"] = row["suppressed"] == "True"
            out.append(row)
        return out
    from io import BytesIO

    import openpyxl

    import re

    # Text as Excel reads it: "_x005F_" and other "_xHHHH_" escapes decoded (openpyxl's read-only
    # mode leaves them).
    escape = re.compile(r"_x([0-9A-Fa-f]{4})_")

    def text(v):
        return escape.sub(lambda m: chr(int(m.group(1), 16)), v) if isinstance(v, str) and "_x" in v else v

    sheet = openpyxl.load_workbook(BytesIO(content), read_only=True)["Dataset"]
    rows = sheet.iter_rows(values_only=True)
    headers = next(rows)
    # Empty cells are not written: a row may end early.
    return [{h: text(row[i]) if i < len(row) else None for i, h in enumerate(headers)} for row in rows]
