"""The tables of a release and the Frictionless Data Package that describes them: pure, no Django.

`tables(facts, ...)` turns the facts of a final snapshot (`reports.releases.services.release_facts`)
into `Table`s; `csv_bytes(table)` writes one; `datapackage(facts, tables, files)` says what each
file holds (https://specs.frictionlessdata.io/data-package/): title, description, licence, the
sources (the question as sent, the campaign's dates), and per resource its schema: every column
typed and described, its unit and constraints, the marks standing for suppressed cells
(`missingValues`), its primary key and foreign keys. Everything is written in a fixed order with
no build time, so the same snapshot gives the same bytes.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field

from ..aggregate import CATEGORY_LABELS, OUTCOME_LABELS
from . import disclosure

LICENSE = {"name": "OGL-UK-3.0", "title": "Open Government Licence v3.0",
           "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"}
DATASET_FILE = "data/national-dataset.csv"


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # Table Schema types: string, integer, number, boolean, date
    description: str
    unit: str = ""
    constraints: dict = field(default_factory=dict)

    def schema(self) -> dict:
        out = {"name": self.name, "type": self.type, "description": self.description}
        if self.unit:
            out["unit"] = self.unit  # not in Table Schema v1 itself: an extra property it allows
        if self.constraints:
            out["constraints"] = self.constraints
        return out


@dataclass
class Table:
    name: str
    title: str
    description: str
    fields: list[Field]
    rows: list[tuple]
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[dict] = field(default_factory=list)
    missing_values: list[str] = field(default_factory=lambda: [""])

    @property
    def path(self) -> str:
        return f"data/{self.name}.csv"

    @property
    def header(self) -> list[str]:
        return [f.name for f in self.fields]


def _cell(value) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def csv_bytes(table: Table) -> bytes:
    """RFC 4180, "\\n" line ends, UTF-8 without a BOM (as the national dataset's export)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.header)
    writer.writerows([_cell(v) for v in row] for row in table.rows)
    return out.getvalue().encode("utf-8")


COUNT = {"minimum": 0}
FORCE_KEY = [{"fields": "force_id", "reference": {"resource": "forces", "fields": "force_id"}}]


def forces_table(facts: dict, categories: list[str], shown: dict[str, list], threshold: int | None) -> Table:
    """A row per force asked: its outcome, how it kept the deadline, its offences by category."""
    outcomes = sorted(set(OUTCOME_LABELS) - {"outstanding"})
    fields = [
        Field("force_id", "string", "The force's identifier (as in the national dataset).",
              constraints={"required": True, "unique": True}),
        Field("force_name", "string", "The police force.", constraints={"required": True}),
        Field("ons_code", "string", "The force area's ONS code."),
        Field("outcome", "string", "How the force answered the request.", constraints={"enum": outcomes}),
        Field("outcome_label", "string", "The outcome in words."),
        Field("sections_cited", "string", "The sections of the Freedom of Information Act 2000 cited, if any."),
        Field("received_on", "date", "The day the force received the request (day 0 of the statutory clock)."),
        Field("due_on", "date", "The statutory deadline: 20 working days after receipt, with any lawful change."),
        Field("answered_on", "date", "The day the force answered (empty: no answer)."),
        Field("working_days", "integer", "Working days the force took to answer.", unit="working days",
              constraints=COUNT),
        Field("on_time", "boolean", "Whether the answer came by the statutory deadline (empty: no answer yet)."),
        Field("working_days_late", "integer", "Working days past the deadline.", unit="working days",
              constraints=COUNT),
        Field("offences", "integer", "Offences the force recorded (the sum of its counts that are not suppressed); "
              "empty for a force with no counts.", unit="offences", constraints=COUNT),
        *[Field(f"offences_{c}", "integer", f"Offences in the category {CATEGORY_LABELS.get(c, c)}."
                + (f" {disclosure.primary_mark(threshold)}: from 1 to {threshold - 1}; "
                   f"{disclosure.SECONDARY_MARK}: withheld so that no small count can be worked out." if threshold
                   else ""), unit="offences", constraints=COUNT) for c in categories],
        Field("cells_suppressed_by_force", "integer", "Counts the force itself withheld as too small to publish.",
              unit="cells", constraints=COUNT),
        Field("offences_min", "integer", "The fewest offences the force's counts allow, its own suppressed cells "
              "at their smallest.", unit="offences", constraints=COUNT),
        Field("offences_max", "integer", "The most offences the force's counts allow, its own suppressed cells at "
              "their largest.", unit="offences", constraints=COUNT),
    ]
    rows = []
    for t in sorted(facts["timeliness"], key=lambda t: t["force_id"]):
        f = t["force_id"]
        offences = facts["by_force"].get(f)
        held = facts["suppressed_by_force"].get(f) or {}
        rows.append((f, t["force_name"], facts["ons_codes"].get(f, ""), t.get("outcome"),
                     OUTCOME_LABELS.get(t.get("outcome") or "outstanding"), t.get("sections_cited"),
                     t.get("received_on"), t.get("due_on"), t.get("answered_on"), t.get("working_days"),
                     t.get("on_time"), t.get("working_days_late"), offences,
                     *(shown[f] if f in shown else [None] * len(categories)),
                     held.get("cells", 0) if offences is not None else None,
                     None if offences is None else offences + held.get("min", 0),
                     None if offences is None else offences + held.get("max", 0)))
    marks = [""] + ([disclosure.primary_mark(threshold), disclosure.SECONDARY_MARK] if threshold else [])
    return Table("forces", "Forces: outcomes, timeliness and offences",
                 "A row per police force asked: how and when it answered the request, whether it met the statutory "
                 "deadline, and the offences it recorded, in total and by offence category.",
                 fields, rows, ["force_id"], [], marks)


def categories_table(facts: dict) -> Table:
    fields = [Field("offence_category", "string", "The offence category.", constraints={"required": True,
                                                                                        "unique": True}),
              Field("label", "string", "The category in words."),
              Field("offences", "integer", "Offences in the category, every force with data.", unit="offences",
                    constraints=COUNT)]
    rows = [(c, CATEGORY_LABELS.get(c, c), n) for c, n in sorted(facts["by_offence_category"].items())]
    return Table("offence-categories", "Offences by category",
                 "National offences by offence category (the column totals of the forces table).", fields, rows,
                 ["offence_category"])


def ages_table(facts: dict) -> Table:
    fields = [Field("age_group", "string", "A single year of the victim's age (0-17), an age band a force gave, or "
                    "'unknown'.", constraints={"required": True, "unique": True}),
              Field("kind", "string", "single year, band or unknown.",
                    constraints={"enum": ["single year", "band", "unknown"]}),
              Field("offences", "integer", "Offences, every force with data.", unit="offences", constraints=COUNT)]
    by_age = facts["by_age"]
    rows = [(str(a), "single year", by_age.get(str(a), 0)) for a in range(18)]
    rows += [(band, "band", n) for band, n in sorted(facts["by_age_band"].items())]
    rows.append(("unknown", "unknown", by_age.get("unknown", 0)))
    return Table("ages", "Offences by victim age",
                 "National offences by the victim's age. Counts a force gave in age bands are listed as bands, "
                 "never spread over single years.", fields, rows, ["age_group"])


def comparison_table(facts: dict) -> Table | None:
    c = facts.get("comparison")
    if not c:
        return None
    fields = [Field("force_id", "string", "The force.", constraints={"required": True, "unique": True}),
              Field("force_name", "string", "The police force."),
              Field("like_for_like", "boolean", "Whether the force gave figures for both periods (only those are "
                    "compared)."),
              Field("base_period", "string", "The earlier period."),
              Field("period", "string", "This period."),
              Field("base", "integer", f"Offences in the earlier period ({c['base']} figures).", unit="offences",
                    constraints=COUNT),
              Field("current", "integer", "Offences in this period.", unit="offences", constraints=COUNT),
              Field("change", "integer", "current - base.", unit="offences"),
              Field("change_pct", "number", "The change as a percentage of the base, rounded half up to one place "
                    "(empty when the base is 0).", unit="percent"),
              Field("original_base", "integer", "The earlier period's offences as first published.",
                    unit="offences", constraints=COUNT)]
    names = facts["names"]
    rows = [(f, names.get(f, f), True, c["base_period"], c["period"], e["base"], e["current"], e["change"],
             e["change_pct"], e.get("original_base")) for f, e in c["per_force"].items()]
    rows += [(f, names.get(f, f), False, c["base_period"], c["period"], e.get("base"), e.get("current"), None, None,
              e.get("original_base")) for f, e in c.get("single_period_forces", {}).items()]
    rows.sort(key=lambda r: r[0])
    keys = FORCE_KEY if all(r[0] in names for r in rows) else []
    return Table("comparison", f"Comparison with {c['base_period']}, like for like",
                 f"Offences per force in {c['period']} and {c['base_period']}: only forces with figures for both "
                 "periods are compared (like_for_like); the others are listed apart.", fields, rows, ["force_id"],
                 keys)


DATASET_FIELDS = {
    "period": ("string", "The period the count is of: 2015-16, or first..last day.", ""),
    "force_id": ("string", "The force's identifier.", ""),
    "force_name": ("string", "The police force.", ""),
    "ons_code": ("string", "The force area's ONS code.", ""),
    "offence_code": ("string", "The Home Office offence code.", ""),
    "offence_description": ("string", "The offence.", ""),
    "offence_category": ("string", "The offence category.", ""),
    "victim_age": ("integer", "The victim's age in years (empty: a band, or not known).", "years"),
    "age_band": ("string", "The age band, when the force gave a band instead of a single year.", ""),
    "victim_sex": ("string", "The victim's sex, when the force gave it.", ""),
    "count": ("integer", "Offences (empty: suppressed by the force).", "offences"),
    "suppressed": ("boolean", "Whether the force withheld the count as too small to publish.", ""),
    "outcome": ("string", "How the force answered the request.", ""),
    "source": ("string", "Where the count was read: the force's file by its SHA-256 and the place in it (sheet, "
                         "row and column, or page and table), or 'entered by hand'.", ""),
}


def dataset_resource(columns: list[str], content: bytes) -> dict:
    fields = []
    for name in columns:
        kind, description, unit = DATASET_FIELDS[name]
        constraints = COUNT if kind == "integer" else {"required": True} if name in ("force_id", "offence_code") else {}
        fields.append(Field(name, kind, description, unit, dict(constraints)).schema())
    for f in fields:
        if f["type"] == "boolean":
            f.update(trueValues=["True"], falseValues=["False"])
    return _resource("national-dataset", DATASET_FILE, "The national dataset",
                     "A row per force, offence, victim age (or band) and sex, as the final snapshot stored it; each "
                     "cell a force suppressed is a row of its own with an empty count.",
                     {"fields": fields, "missingValues": [""], "foreignKeys": FORCE_KEY}, content)


def _resource(name: str, path: str, title: str, description: str, schema: dict, content: bytes) -> dict:
    return {"name": name, "path": path, "title": title, "description": description, "profile": "tabular-data-resource",
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "bytes": len(content),
            "hash": "sha256:" + hashlib.sha256(content).hexdigest(), "dialect": {"delimiter": ",", "lineTerminator": "\n"},
            "schema": schema}


def table_resource(table: Table, content: bytes) -> dict:
    schema = {"fields": [f.schema() for f in table.fields], "missingValues": table.missing_values}
    if table.primary_key:
        schema["primaryKey"] = table.primary_key
    if table.foreign_keys:
        schema["foreignKeys"] = table.foreign_keys
    return _resource(table.name, table.path, table.title, table.description, schema, content)


def datapackage(facts: dict, resources: list[dict]) -> bytes:
    """datapackage.json: sorted keys, two-space indent, a final newline."""
    c = facts["campaign"]
    descriptor = {
        "profile": "tabular-data-package",
        "name": c["slug"].lower(),
        "title": c["title"],
        "description": (f"Answers of {facts['forces_asked']} police forces of England and Wales to a Freedom of "
                        f"Information request about {c['period_start']} to {c['period_end']}: "
                        f"{facts['total_offences']:,} offences recorded by {facts['forces_with_data']} forces with "
                        "data. methodology.md says how the figures were made."),
        "version": f"{facts['version']}.0.0",
        "created": facts["snapshot"]["compiled_at"],
        "licenses": [LICENSE],
        "keywords": ["freedom of information", "police", "children", "sexual offences"],
        "sources": [{"title": f"Freedom of Information request: {c['title']}",
                     "description": c["question"],
                     "sent_on": c["sent_on"], "period_start": c["period_start"], "period_end": c["period_end"],
                     "forces_asked": facts["forces_asked"]}],
        "resources": resources,
        "snapshot": facts["snapshot"],
        "disclosure_control": disclosure.describe(facts["suppress_below"]),
    }
    return (json.dumps(descriptor, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
