"""The national aggregate's rules, as pure functions over the plain results of GROUP BY queries.

Nothing here touches Django: `reports/queries.py` runs one GROUP BY per breakdown and hands the
rows over as the small tuples below; `build_aggregate` turns them into an `Aggregate`, whose
`as_dict()` is what the commands print, the snapshots store and the admin shows.

Definitions (DOMAIN.md, "The national aggregate"):

- total offences: the sum of every count that is not suppressed;
- average per day: total / days in the period (366 for 2015/16), rounded half up to 2 places;
- by age: single years 0-17 plus "unknown" (no age and no band); counts a force gave in age
  bands are reported beside, in `by_age_band`, never spread over single years;
- under 10: single years 0-9, plus bands lying wholly under 10 (a "0-5" band is certainly under
  10; a "6-10" band is not counted, and a caveat says so);
- youngest age: the lowest single year with any offence (a suppressed cell counts: it is never 0);
- most common age: the single year with the most offences (the youngest on a tie; all tied ages
  are in `modal_ages`);
- by force: the forces with counts; largest and smallest with ties;
- outcomes: requests by outcome, "outstanding" for those with none yet;
- suppressed cells: each one with the range it allows, and the smallest and largest totals
  they allow. A cell is never 0 ("suppressed small numbers are not zero and not known"), so the
  lower bound is 1. The upper bound comes from the label when it states one ("<5" -> 4,
  "<=5" -> 5, "1-4" -> 4); a bare mark ("*", "x", "c", "[c]", "-" ...) allows 1 to
  threshold - 1, with the threshold REPORTS_SUPPRESSION_THRESHOLD (default 5, the usual police
  practice of suppressing figures under 5).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Iterable, NamedTuple

from collection.deadlines import is_late  # the FOI clock's pure rules: no Django either
from collection.periods import Period, period_label

AGES = tuple(range(18))
UNKNOWN = "unknown"
DEFAULT_SUPPRESSION_THRESHOLD = 5

WITH_DATA = ("provided", "partial")
OUTSTANDING = "outstanding"
# In the figures of an earlier period a campaign asked again: a force that sent data, but none
# for this period (it gave it to the earlier campaign and did not restate it).
PREVIOUSLY_PROVIDED = "previously_provided"

CATEGORY_LABELS = {
    "rape": "Rape", "sexual_assault": "Sexual assault", "sexual_activity": "Sexual activity",
    "grooming": "Grooming", "exploitation": "Exploitation", "indecent_images": "Indecent images",
    "exposure_voyeurism": "Exposure and voyeurism", "other": "Other",
}
# The victim's sex as the counts store it (`collection.importer.labels.parse_sex`); a count with
# none is "not given" (its force did not split by sex). Any other stored value is shown as it is.
NOT_GIVEN = "not_given"
SEX_LABELS = {"female": "Female", "male": "Male", "unknown": "Not known", NOT_GIVEN: "Not given"}
OUTCOME_LABELS = {
    "provided": "Data provided", "partial": "Data provided in part", "nil_return": "Nil return",
    "not_held": "Information not held", "refused": "Refused", "no_response": "No response",
    OUTSTANDING: "Outstanding",
}


# --- What the queries hand over ---------------------------------------------------------------

class AgeRow(NamedTuple):
    """One group of GROUP BY victim_age, age_band, age_band_min, age_band_max."""
    age: int | None
    band: str
    band_min: int | None
    band_max: int | None
    total: int | None  # SUM(count): None when every cell of the group is suppressed
    suppressed_cells: int = 0


class OffenceRow(NamedTuple):
    code: str
    category: str
    description: str
    total: int | None
    suppressed_cells: int = 0


class ForceRow(NamedTuple):
    force_pk: int
    total: int | None


class SexRow(NamedTuple):
    """One group of GROUP BY victim_sex, suppressed_label: the sex as the counts store it ('' when
    the force gave none) and the label of its suppressed cells ('' for the cells given)."""
    sex: str
    label: str
    total: int | None
    suppressed_cells: int = 0


class RequestRow(NamedTuple):
    force_pk: int
    force_id: str
    force_name: str
    outcome: str  # '' while outstanding
    status: str = ""
    received_on: dt.date | None = None
    due_on: dt.date | None = None
    answered_on: dt.date | None = None
    sections_cited: str = ""


class SuppressedRow(NamedTuple):
    force_id: str
    offence_code: str
    age: int | None
    band: str
    sex: str
    label: str


class PeriodRow(NamedTuple):
    """A period the campaign asks about (`collection.requests.models.CampaignPeriod`)."""
    pk: int | None
    label: str
    first_day: dt.date
    last_day: dt.date
    main: bool


class SuppressedGroup(NamedTuple):
    """GROUP BY force, label over the suppressed cells: all the report page needs of 30,000 of them."""
    force_id: str
    label: str
    cells: int


# --- Single rules -------------------------------------------------------------------------------

def per_day_average(total: int, days: int) -> float:
    """Offences a day over the period, rounded half up to 2 decimal places (2552 / 366 -> 6.97)."""
    if days <= 0:
        return 0.0
    return float((Decimal(total) / Decimal(days)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def modal_ages(by_age: dict[int, int]) -> list[int]:
    """The single years with the most offences (empty when there are none)."""
    best = max(by_age.values(), default=0)
    if best <= 0:
        return []
    return sorted(age for age, n in by_age.items() if n == best)


def youngest_age(by_age: dict[int, int], suppressed_ages: Iterable[int] = ()) -> int | None:
    ages = [age for age, n in by_age.items() if n > 0] + list(suppressed_ages)
    return min(ages, default=None)


_LESS_THAN = re.compile(r"^(?:<|&lt;|less than|fewer than|under)\s*(\d+)$")
_AT_MOST = re.compile(r"^(?:<=|=<|\u2264|&le;|up to|at most)\s*(\d+)$")
_RANGE = re.compile(r"^(\d+)\s*(?:-|\u2013|to)\s*(\d+)$")


@lru_cache(maxsize=256)
def suppressed_bounds(label: str, threshold: int = DEFAULT_SUPPRESSION_THRESHOLD) -> tuple[int, int, str]:
    """The smallest and largest count a suppressed cell allows, and the rule used.

    >>> suppressed_bounds("<5")
    (1, 4, 'label')
    >>> suppressed_bounds("*")
    (1, 4, 'threshold 5')
    """
    text = " ".join((label or "").strip().lower().split())
    for pattern, upper in ((_LESS_THAN, lambda m: int(m.group(1)) - 1), (_AT_MOST, lambda m: int(m.group(1)))):
        m = pattern.match(text)
        if m:
            return 1, max(upper(m), 1), "label"
    m = _RANGE.match(text)
    if m:
        low, high = sorted((int(m.group(1)), int(m.group(2))))
        return max(low, 1), max(high, 1), "label"
    return 1, max(threshold - 1, 1), f"threshold {threshold}"


def approximately(n: int) -> str:
    """"more than 2,500" for 2,552: the figure rounded down to two significant digits."""
    if n < 100:
        return f"{n:,}"
    step = 10 ** (len(str(n)) - 2)
    floor = n // step * step
    return f"{n:,}" if floor == n else f"more than {floor:,}"


# --- Bounds: what the cells hold, and no more -------------------------------------------------------
#
# A figure a band or a suppressed cell can straddle is a pair (least, most): the least is what
# every way of filling the cells gives at minimum, the most what some filling reaches. An exact
# age is itself, a band its limits, a suppressed cell 1 to its upper bound; an age not known is
# left out of every age figure (it is counted apart, as "unknown").

class Cell(NamedTuple):
    """Victims aged `age_low` to `age_high` (both None: age not known; `age_high` None: no upper
    limit), numbering `low` to `high`."""
    age_low: int | None
    age_high: int | None
    low: int
    high: int

    @property
    def known_age(self) -> bool:
        return self.age_low is not None


def span(low, high):
    """A figure as the JSON gives it: a plain number when its bounds meet, else {"min": a, "max": b}."""
    return low if low == high else {"min": low, "max": high}


def bounds_of(value) -> tuple:
    """(least, most) of a figure given as `span` gives it."""
    if isinstance(value, dict):
        return value.get("min"), value.get("max")
    return value, value


def figure_text(value, places: int | None = None) -> str:
    """A figure in words that claim no more than it holds: "272", "40 to 95", "-" for none."""
    low, high = bounds_of(value)

    def one(n):
        if n is None:
            return "-"
        return f"{n:,.{places}f}" if places is not None else f"{n:,}"
    return one(low) if low == high else f"{one(low)} to {one(high)}"


def age_cells(age_rows: Iterable[AgeRow], cell_top: int = DEFAULT_SUPPRESSION_THRESHOLD - 1) -> list[Cell]:
    """The age groups as cells: a group's known counts are one cell, its suppressed cells another
    (each 1 to `cell_top`, the most any one suppressed cell of the campaign allows: `_Suppressed`)."""
    cells = []
    for row in age_rows:
        if row.age is not None:
            age_low = age_high = row.age
        elif row.band and (row.band_min is not None or row.band_max is not None):
            age_low, age_high = (row.band_min or 0), row.band_max
        else:
            age_low = age_high = None
        if row.total:
            cells.append(Cell(age_low, age_high, row.total, row.total))
        if row.suppressed_cells:
            cells.append(Cell(age_low, age_high, row.suppressed_cells, row.suppressed_cells * cell_top))
    return cells


def _within(cell: Cell, first: int, last: int | None) -> bool:
    return cell.age_low >= first and cell.age_high is not None and (last is None or cell.age_high <= last)


def _overlaps(cell: Cell, first: int, last: int | None) -> bool:
    return (last is None or cell.age_low <= last) and (cell.age_high is None or cell.age_high >= first)


def count_aged(cells: Iterable[Cell], first: int = 0, last: int | None = None) -> tuple[int, int]:
    """Victims aged `first` to `last` (None: no limit): a cell wholly inside counts at its least and
    most, one straddling a limit from 0 to its most."""
    low = high = 0
    for cell in cells:
        if not cell.known_age or not _overlaps(cell, first, last):
            continue
        high += cell.high
        if _within(cell, first, last):
            low += cell.low
    return low, high


def under_bounds(cells: Iterable[Cell], limit: int = 10) -> tuple[int, int]:
    """Victims under `limit` (under 10: the headline)."""
    return count_aged(cells, 0, limit - 1)


def youngest_bounds(cells: Iterable[Cell]) -> tuple[int | None, int | None] | None:
    """The youngest victim's age: at least the lowest age a cell that may hold a victim allows, at
    most the top of the youngest cell that certainly holds one (None: no upper limit). None when
    no victim's age is known."""
    cells = [c for c in cells if c.known_age]
    may = [c.age_low for c in cells if c.high >= 1]
    if not may:
        return None
    sure = [c.age_high for c in cells if c.low >= 1]
    tops = [a for a in sure if a is not None]
    return min(may), (min(tops) if tops else None)


def age_bounds(cells: Iterable[Cell]) -> dict[int, tuple[int, int]]:
    """Per single year: the least (cells of that exact year) and most (every cell that may hold it)."""
    cells = [c for c in cells if c.known_age]
    years = set(AGES) | {c.age_low for c in cells} | {c.age_high for c in cells if c.age_high is not None}
    out = {}
    for year in sorted(years):
        low = sum(c.low for c in cells if c.age_low == c.age_high == year)
        high = sum(c.high for c in cells if _overlaps(c, year, year))
        out[year] = (low, high)
    return out


def modal_bounds(cells: Iterable[Cell]) -> tuple[list[int], bool]:
    """The ages that may be the most common, and whether the cells tell which: one candidate, or
    every single year known exactly (then the candidates are the tied ages)."""
    per_year = age_bounds(cells)
    floor = max((low for low, _ in per_year.values()), default=0)
    candidates = [year for year, (low, high) in per_year.items() if high > 0 and high >= floor]
    exact = all(low == high for low, high in per_year.values())
    if exact:
        best = max((low for low, _ in per_year.values()), default=0)
        candidates = [year for year, (low, _) in per_year.items() if best > 0 and low == best]
    return candidates, exact or len(candidates) == 1


def youngest_phrase(value) -> str:
    """"the youngest victim was 3 or younger", in words that hold whatever the cells hide."""
    low, high = bounds_of(value)
    if low == high:
        return f"the youngest victim was {_age_phrase(low)}"
    if high is None:
        return f"the youngest victim was {low} or older"
    if low == 0:
        return f"the youngest victim was {high} or younger"
    return f"the youngest victim was between {low} and {high}"


def count_phrase(value, noun: str = "offences") -> str:
    """"between 40 and 95 offences", or "272 offences"."""
    low, high = bounds_of(value)
    return f"{low:,} {noun}" if low == high else f"between {low:,} and {high:,} {noun}"


def _names(forces: list[dict]) -> str:
    names = [f["name"] for f in forces]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


# --- The aggregate --------------------------------------------------------------------------------

@dataclass
class Aggregate:
    campaign: str
    title: str
    period_start: str
    period_end: str
    period_days: int
    final: bool
    total_offences: int
    # A figure a band or a suppressed cell can straddle is a number when its bounds meet, else
    # {"min": a, "max": b} (`span`): the per-day average, under 10, the youngest age.
    per_day_average: float | dict
    by_age: dict[str, int]
    by_age_band: dict[str, int]
    under_10: int | dict
    youngest_age: int | dict | None
    modal_age: int | None
    modal_ages: list[int]
    by_offence_category: dict[str, int]
    by_offence_code: dict[str, int]
    offence_descriptions: dict[str, str]
    by_force: dict[str, int]
    largest_force: dict | None
    smallest_force: dict | None
    forces_asked: int
    forces_with_data: int
    outcomes: dict[str, int]
    outstanding_forces: list[dict]
    forces_without_counts: list[dict]
    suppressed_cells: list[dict]
    suppression_threshold: int
    total_offences_min: int
    total_offences_max: int
    timeliness: list[dict]
    caveats: list[str] = field(default_factory=list)
    headlines: list[str] = field(default_factory=list)
    # How many cells were suppressed, and per force (cells, min, max): `suppressed_cells` lists
    # each one only when asked for (snapshots, the JSON command), not for the report page.
    suppressed_count: int = 0
    suppressed_by_force: dict[str, dict] = field(default_factory=dict)
    # The period these figures describe (its label), every period the campaign asks about (label
    # -> the same keys as here, for that period), and the comparison with an earlier period
    # (`reports.comparison.compare`), when there is one.
    period: str = ""
    periods: dict[str, dict] = field(default_factory=dict)
    comparison: dict | None = None
    # Whether the cells tell the most common age (bands can hide it: then `modal_age` is None and
    # `modal_ages` lists the ages it may be).
    modal_age_known: bool = True
    # answered / on_time / late / no_deadline, from `timeliness` (`answer_counts`).
    answers: dict = field(default_factory=dict)
    # The totals by age, band, force, offence and category with what suppressed cells may add
    # (`span`: a number when nothing is suppressed); `by_*` beside are the known counts alone.
    by_age_bounds: dict[str, int | dict] = field(default_factory=dict)
    by_age_band_bounds: dict[str, int | dict] = field(default_factory=dict)
    by_force_bounds: dict[str, int | dict] = field(default_factory=dict)
    by_offence_code_bounds: dict[str, int | dict] = field(default_factory=dict)
    by_offence_category_bounds: dict[str, int | dict] = field(default_factory=dict)
    # The totals by the victim's sex (known counts, and with what suppressed cells may add), when
    # the question asked it: empty unless some count carries a sex (`by_sex`).
    by_sex: dict[str, int] = field(default_factory=dict)
    by_sex_bounds: dict[str, int | dict] = field(default_factory=dict)

    def as_dict(self) -> dict:
        # A copy, as dataclasses.asdict makes, without its deepcopy machinery: every value is plain JSON.
        out = {f.name: _plain(getattr(self, f.name)) for f in fields(self)}
        if out["comparison"] is None:
            del out["comparison"]  # only a campaign with an earlier period (or a repeat) has one
        return out

    def period_dict(self) -> dict:
        """As `as_dict()`, without `periods` and `comparison`: one entry of `periods`. Shallow: it
        shares its lists and dicts with this aggregate (`as_dict()` of the whole copies them)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("periods", "comparison")}


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


# What a snapshot's figures are compared on: all but the list of suppressed cells, which the
# report page does not fetch (their count and ranges, which it does, are compared).
DIGEST_LEAVES_OUT = ("suppressed_cells",)


def figures_digest(figures: dict) -> str:
    """SHA-256 of the figures as compared to tell whether they changed since a snapshot."""
    kept = {k: v for k, v in figures.items() if k not in DIGEST_LEAVES_OUT}
    if isinstance(kept.get("periods"), dict):
        kept["periods"] = {label: {k: v for k, v in entry.items() if k not in DIGEST_LEAVES_OUT}
                           for label, entry in kept["periods"].items()}
    if isinstance(kept.get("comparison"), dict):
        # Which snapshot the original came from is provenance: the same figures published again
        # change nothing.
        kept["comparison"] = {k: v for k, v in kept["comparison"].items() if k != "original_source"}
    text = json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def without_listed_cells(figures: dict) -> dict:
    """The figures as a snapshot keeps them: without the list of suppressed cells, at the top and in
    each period (30,000 of them at a million counts, most of the JSON), which the snapshot's stored
    dataset rows hold, each with its mark; `with_listed_cells` puts them back."""
    kept = {k: v for k, v in figures.items() if k != "suppressed_cells"}
    if isinstance(kept.get("periods"), dict):
        kept["periods"] = {label: {k: v for k, v in entry.items() if k != "suppressed_cells"}
                           for label, entry in kept["periods"].items()}
    return kept


def with_listed_cells(figures: dict, rows: Iterable[tuple[str, SuppressedRow]]) -> dict:
    """Figures kept `without_listed_cells` with their list again, from (period label, cell) pairs:
    each period's `listed_cells`, where `Aggregate.as_dict()` puts them (the top level's are its
    period's)."""
    by_period: dict[str, list[SuppressedRow]] = {}
    for label, row in rows:
        by_period.setdefault(label, []).append(row)
    threshold = figures.get("suppression_threshold", DEFAULT_SUPPRESSION_THRESHOLD)

    def put(entry: dict, label: str | None) -> dict:
        cells = listed_cells(by_period.get(label, ()), threshold)
        out = {}
        for key, value in entry.items():
            out[key] = value
            if key == "forces_without_counts":
                out["suppressed_cells"] = cells
        out.setdefault("suppressed_cells", cells)
        return out
    out = put(figures, figures.get("period"))
    if isinstance(out.get("periods"), dict):
        out["periods"] = {label: put(entry, label) for label, entry in out["periods"].items()}
    return out


def from_figures(figures: dict) -> Aggregate:
    """An Aggregate again from its `as_dict()` (a snapshot's figures); a key an older snapshot
    lacks takes its default."""
    names = {f.name for f in fields(Aggregate)}
    known = {k: v for k, v in figures.items() if k in names}
    known.setdefault("suppressed_cells", [])  # left in the database by the caller, or none
    if not known.get("period") and figures.get("period_start") and figures.get("period_end"):
        known["period"] = period_label(dt.date.fromisoformat(figures["period_start"]),
                                       dt.date.fromisoformat(figures["period_end"]))
    if "suppressed_count" not in figures:
        known["suppressed_count"] = len(figures.get("suppressed_cells") or [])
    return Aggregate(**known)


def build_aggregate(*, campaign: str, title: str, period_start: dt.date, period_end: dt.date,
                    age_rows: Iterable[AgeRow], offence_rows: Iterable[OffenceRow],
                    force_rows: Iterable[ForceRow], outcome_rows: Iterable[tuple[str, int]],
                    requests: Iterable[RequestRow], suppressed_rows: Iterable[SuppressedRow] | None = None,
                    threshold: int = DEFAULT_SUPPRESSION_THRESHOLD, timeliness: list[dict] | None = None,
                    suppressed_groups: Iterable[SuppressedGroup] | None = None,
                    sex_rows: Iterable[SexRow] = ()) -> Aggregate:
    """The aggregate. Suppressed cells: `suppressed_rows` lists each one (in `suppressed_cells`);
    `suppressed_groups` (their count per force and label) gives the same totals and ranges
    without the list."""
    requests = list(requests)
    age_rows, offence_rows = list(age_rows), list(offence_rows)
    ages = _Ages.from_rows(age_rows)
    offences = _Offences.from_rows(offence_rows)
    by_force = _by_force(force_rows, requests)
    names = {r.force_id: r.force_name for r in requests}
    outcomes = {(outcome or OUTSTANDING): n for outcome, n in sorted(outcome_rows, key=lambda r: r[0] or "~") if n}
    outstanding = [{"force_id": r.force_id, "name": r.force_name} for r in requests if not r.outcome]
    without_counts = [{"force_id": r.force_id, "name": r.force_name} for r in requests
                      if r.outcome in WITH_DATA and r.force_id not in by_force]
    suppressed = _Suppressed.from_rows(suppressed_rows, suppressed_groups, threshold)
    cells = age_cells(age_rows, suppressed.cell_top)
    total = ages.total
    low_total, high_total = total + suppressed.low, total + suppressed.high
    days = (period_end - period_start).days + 1
    modes, modal_known = modal_bounds(cells)
    youngest = youngest_bounds(cells)
    aggregate = Aggregate(
        campaign=campaign, title=title, period_start=period_start.isoformat(), period_end=period_end.isoformat(),
        period_days=days, final=not outstanding, total_offences=total,
        per_day_average=span(per_day_average(low_total, days), per_day_average(high_total, days)),
        by_age=ages.by_age, by_age_band=ages.bands, under_10=span(*under_bounds(cells, 10)),
        youngest_age=span(*youngest) if youngest else None,
        modal_age=modes[0] if modes and modal_known else None, modal_ages=modes, modal_age_known=modal_known,
        by_offence_category=dict(sorted(offences.by_category.items())), by_offence_code=offences.by_code,
        offence_descriptions=offences.descriptions, by_force=by_force, largest_force=_extreme(by_force, names, max),
        smallest_force=_extreme(by_force, names, min), forces_asked=len(requests),
        forces_with_data=sum(1 for r in requests if r.outcome in WITH_DATA), outcomes=outcomes,
        outstanding_forces=outstanding, forces_without_counts=without_counts, suppressed_cells=suppressed.cells,
        suppression_threshold=threshold, total_offences_min=low_total,
        total_offences_max=high_total, timeliness=timeliness or [],
        caveats=_caveats(ages, outstanding, without_counts, suppressed, low_total, high_total, threshold),
        suppressed_count=suppressed.count, suppressed_by_force=suppressed.by_force,
        answers=answer_counts(timeliness or []),
        **_breakdown_bounds(age_rows, offence_rows, by_force, suppressed.by_force, suppressed.cell_top),
        **by_sex(sex_rows, threshold))
    aggregate.period = period_label(period_start, period_end)
    aggregate.headlines = headline_sentences(aggregate, requests)
    return aggregate


def _breakdown_bounds(age_rows: list[AgeRow], offence_rows: list[OffenceRow], by_force: dict[str, int],
                      suppressed_by_force: dict[str, dict], top: int) -> dict:
    """The totals by age, band, force, offence and category as `span`s: the known counts plus what the
    suppressed cells may add (by force from their labels; elsewhere 1 to `top` each, the most any one
    of the campaign's suppressed cells allows)."""
    sums: dict[str, dict] = {k: {} for k in ("by_age_bounds", "by_age_band_bounds", "by_offence_code_bounds",
                                             "by_offence_category_bounds")}

    def add(kind, key, total, hidden):
        low, high = sums[kind].get(key, (0, 0))
        sums[kind][key] = (low + (total or 0) + hidden, high + (total or 0) + hidden * top)
    for age in AGES:
        add("by_age_bounds", str(age), 0, 0)
    add("by_age_bounds", UNKNOWN, 0, 0)
    for row in age_rows:
        if row.age is not None:
            add("by_age_bounds", str(row.age), row.total, row.suppressed_cells)
        elif row.band:
            add("by_age_band_bounds", row.band, row.total, row.suppressed_cells)
        else:
            add("by_age_bounds", UNKNOWN, row.total, row.suppressed_cells)
    for row in sorted(offence_rows, key=lambda r: r.code):
        add("by_offence_code_bounds", row.code, row.total, row.suppressed_cells)
        add("by_offence_category_bounds", row.category, row.total, row.suppressed_cells)
    out = {kind: {k: span(*v) for k, v in found.items()} for kind, found in sums.items()}
    out["by_offence_category_bounds"] = dict(sorted(out["by_offence_category_bounds"].items()))
    out["by_force_bounds"] = {f: span(n + suppressed_by_force.get(f, {}).get("min", 0),
                                      n + suppressed_by_force.get(f, {}).get("max", 0)) for f, n in by_force.items()}
    return out


def by_sex(sex_rows: Iterable[SexRow], threshold: int = DEFAULT_SUPPRESSION_THRESHOLD) -> dict:
    """The totals by the victim's sex: `by_sex` (the known counts) and `by_sex_bounds` (with each
    suppressed cell at the least and most its label allows), female, male, not known, any other,
    then not given.

    Whether the question asked for it is told from the answers (a campaign records no list of the
    breakdowns it asked for): only when some count carries a sex; else both are empty, and a
    campaign whose forces gave no sex shows no column of "not given"."""
    sums: dict[str, list[int]] = {}
    for row in sex_rows:
        entry = sums.setdefault(row.sex or NOT_GIVEN, [0, 0, 0])
        entry[0] += row.total or 0
        if row.suppressed_cells:
            low, high, _ = suppressed_bounds(row.label, threshold)
            entry[1] += row.suppressed_cells * low
            entry[2] += row.suppressed_cells * high
    if not any(sex != NOT_GIVEN for sex in sums):
        return {"by_sex": {}, "by_sex_bounds": {}}
    rank = {"female": 0, "male": 1, "unknown": 2, NOT_GIVEN: 4}  # any other value: 3
    keys = sorted(sums, key=lambda sex: (rank.get(sex, 3), sex))
    return {"by_sex": {sex: sums[sex][0] for sex in keys},
            "by_sex_bounds": {sex: span(sums[sex][0] + sums[sex][1], sums[sex][0] + sums[sex][2]) for sex in keys}}


def age_breakdown(agg: Aggregate) -> list[dict]:
    """The totals by age as every place shows them: single years 0-17, unknown, then the bands;
    each with its known count and its words, a range where suppressed cells fall in it ("1 to 4"
    for an age of nothing but a "<5": never the 0 of its known count, nor a bare 4). An aggregate
    stored before the bounds were kept says its known counts."""
    rows = [(str(age), str(age), "year") for age in AGES] + [(UNKNOWN, "Unknown", "unknown")]
    rows += [(band, f"Band {band}", "band") for band in agg.by_age_band]
    out = []
    for key, label, kind in rows:
        known = (agg.by_age_band if kind == "band" else agg.by_age).get(key, 0)
        value = (agg.by_age_band_bounds if kind == "band" else agg.by_age_bounds).get(key, known)
        out.append({"key": key, "label": label, "kind": kind, "known": known, "value": value,
                    "text": figure_text(value)})
    return out


def sex_breakdown(agg: Aggregate) -> list[dict]:
    """The totals by the victim's sex as every place shows them (the report, the summary, the
    xlsx's notes): label, value (a `span`) and its words; empty when the question did not ask it."""
    return [{"key": sex, "label": SEX_LABELS.get(sex, sex), "value": value, "text": figure_text(value)}
            for sex, value in agg.by_sex_bounds.items()]


@dataclass
class _Ages:
    """The age rows added up: single years (0-17, and any older a force gave), unknown, and bands beside."""

    years: dict[int, int]
    unknown: int
    bands: dict[str, int]
    band_ranges: dict[str, tuple[int | None, int | None]]
    suppressed_ages: list[int]  # single years with a suppressed cell

    @classmethod
    def from_rows(cls, age_rows: Iterable[AgeRow]) -> _Ages:
        ages = cls({age: 0 for age in AGES}, 0, {}, {}, [])
        for row in age_rows:
            n = row.total or 0
            if row.age is not None:
                ages.years[row.age] = ages.years.get(row.age, 0) + n
                if row.suppressed_cells:
                    ages.suppressed_ages.append(row.age)
            elif row.band:
                ages.bands[row.band] = ages.bands.get(row.band, 0) + n
                ages.band_ranges[row.band] = (row.band_min, row.band_max)
            else:
                ages.unknown += n
        return ages

    @property
    def total(self) -> int:
        return sum(self.years.values()) + self.unknown + sum(self.bands.values())

    @property
    def by_age(self) -> dict[str, int]:
        by_age = {str(age): self.years.get(age, 0) for age in AGES}
        by_age[UNKNOWN] = self.unknown
        return by_age

    @property
    def single_years(self) -> dict[int, int]:
        return {age: n for age, n in self.years.items() if age in AGES}

    @property
    def extra_years(self) -> dict[int, int]:
        """Ages of 18 or over with offences: kept visible."""
        return {age: n for age, n in self.years.items() if age not in AGES and n}

    @property
    def under_10(self) -> int:
        """Single years 0-9, and bands lying wholly under 10."""
        bands_under_10 = sum(n for band, n in self.bands.items()
                             if self.band_ranges[band][1] is not None and self.band_ranges[band][1] <= 9)
        return sum(n for age, n in self.single_years.items() if age < 10) + bands_under_10


@dataclass
class _Offences:
    """The offence rows added up, by code (in code order) and by category."""

    by_code: dict[str, int]
    by_category: dict[str, int]
    descriptions: dict[str, str]

    @classmethod
    def from_rows(cls, offence_rows: Iterable[OffenceRow]) -> _Offences:
        offences = cls({}, {}, {})
        for row in sorted(offence_rows, key=lambda r: r.code):
            n = row.total or 0
            offences.by_code[row.code] = offences.by_code.get(row.code, 0) + n
            offences.by_category[row.category] = offences.by_category.get(row.category, 0) + n
            offences.descriptions[row.code] = row.description
        return offences


def _by_force(force_rows: Iterable[ForceRow], requests: list[RequestRow]) -> dict[str, int]:
    """Offences per force (by its id), in force order."""
    by_pk = {r.force_pk: r for r in requests}
    by_force: dict[str, int] = {}
    for row in force_rows:
        req = by_pk.get(row.force_pk)
        by_force[req.force_id if req else str(row.force_pk)] = row.total or 0
    return dict(sorted(by_force.items()))


def _extreme(by_force: dict[str, int], names: dict[str, str], pick) -> dict | None:
    """The forces with the most (``pick`` max) or fewest (min) offences, ties and all."""
    if not by_force:
        return None
    value = pick(by_force.values())
    return {"total": value, "forces": [{"force_id": f, "name": names.get(f, f)}
                                       for f, n in by_force.items() if n == value]}


def listed_cells(rows: Iterable[SuppressedRow], threshold: int) -> list[dict]:
    """Each suppressed cell with the range it allows, in one order whatever order the rows came in:
    by force, offence code, age (unknown first), band, sex and mark. What a snapshot's figures list
    in `suppressed_cells`, whether from the counts or from the snapshot's stored rows."""
    cells = []
    for row in rows:
        low, high, rule = suppressed_bounds(row.label, threshold)
        cells.append({"force_id": row.force_id, "offence_code": row.offence_code, "victim_age": row.age,
                      "age_band": row.band, "victim_sex": row.sex, "label": row.label,
                      "min": low, "max": high, "rule": rule})
    cells.sort(key=lambda c: (c["force_id"], c["offence_code"], -1 if c["victim_age"] is None else c["victim_age"],
                              c["age_band"], c["victim_sex"], c["label"]))
    return cells


@dataclass
class _Suppressed:
    """The suppressed cells (each one, when listed) and per force their count and the smallest and largest
    total they allow."""

    cells: list[dict]
    by_force: dict[str, dict]
    #: The most any one suppressed cell allows, from the labels the forces wrote ("<10" allows 9) or
    #: threshold - 1 for a bare mark. Breakdowns whose rows do not keep labels (by age, band and
    #: offence) give each of their suppressed cells 1 to this: never less than the truth can be.
    cell_top: int

    @classmethod
    def from_rows(cls, suppressed_rows: Iterable[SuppressedRow] | None, suppressed_groups: Iterable[SuppressedGroup] | None,
           threshold: int) -> _Suppressed:
        cells = []
        groups: dict[tuple[str, str], int] = {}
        if suppressed_rows is not None:
            suppressed_rows = list(suppressed_rows)
            cells = listed_cells(suppressed_rows, threshold)
            for row in suppressed_rows:
                groups[(row.force_id, row.label)] = groups.get((row.force_id, row.label), 0) + 1
        else:
            for group in suppressed_groups or ():
                groups[(group.force_id, group.label)] = groups.get((group.force_id, group.label), 0) + group.cells
        by_force: dict[str, dict] = {}
        cell_top = max(threshold - 1, 1)
        for (force_id, label), n in sorted(groups.items()):
            low, high, _ = suppressed_bounds(label, threshold)
            entry = by_force.setdefault(force_id, {"cells": 0, "min": 0, "max": 0})
            entry["cells"] += n
            entry["min"] += n * low
            entry["max"] += n * high
            cell_top = max(cell_top, high)
        return cls(cells, by_force, cell_top)

    @property
    def count(self) -> int:
        return sum(e["cells"] for e in self.by_force.values())

    @property
    def low(self) -> int:
        """The least the cells can add to the total (each at its smallest)."""
        return sum(e["min"] for e in self.by_force.values())

    @property
    def high(self) -> int:
        """The most the cells can add to the total."""
        return sum(e["max"] for e in self.by_force.values())


def _caveats(ages: _Ages, outstanding: list[dict], without_counts: list[dict], suppressed: _Suppressed,
             low_total: int, high_total: int, threshold: int) -> list[str]:
    """What a reader of the figures must be told about them."""
    caveats = []
    if outstanding:
        caveats.append(f"Provisional: {_plural(len(outstanding), 'force has', 'forces have')} not answered yet "
                       f"({_names(outstanding)}).")
    if without_counts:
        caveats.append(f"{_plural(len(without_counts), 'force')} sent data that is not imported yet "
                       f"({_names(without_counts)}); their offences are not in the totals.")
    bands = ages.bands
    if bands:
        straddling = [b for b, (lo, hi) in ages.band_ranges.items() if (lo or 0) <= 9 and (hi is None or hi > 9)]
        caveats.append(f"{_plural(sum(bands.values()), 'offence')} came in age bands ("
                       + ", ".join(f"{b}: {n:,}" for b, n in bands.items())
                       + "); they are in the total but not in the single years"
                       + (f", and bands straddling 10 ({', '.join(straddling)}) make the under-10 figure a range "
                          "(none to all of them may be under 10)" if straddling else "") + ".")
    if suppressed.count:
        caveats.append(f"{_plural(suppressed.count, 'cell was', 'cells were')} suppressed by forces (not zero, not "
                       f"known): the true total lies between {low_total:,} and "
                       f"{high_total:,}. A suppression mark without a number ('*', 'x') is "
                       f"taken to mean 1 to {threshold - 1}.")
    extra_years = ages.extra_years
    if extra_years:
        caveats.append("Counts with a victim aged 18 or over are in the data ("
                       + ", ".join(f"age {a}: {n}" for a, n in sorted(extra_years.items()))
                       + "); they are in the total: ask the force.")
    if ages.unknown:
        caveats.append(f"The victim's age is not known for {_plural(ages.unknown, 'offence')}.")
    return caveats


def outcome_counts(requests: Iterable[RequestRow]) -> list[tuple[str, int]]:
    """(outcome, requests) pairs, '' for the outstanding: GROUP BY outcome, from the requests at hand."""
    out: dict[str, int] = {}
    for r in requests:
        out[r.outcome or ""] = out.get(r.outcome or "", 0) + 1
    return list(out.items())


def requests_for_period(requests: Iterable[RequestRow], with_counts: set, with_counts_elsewhere: set
                        ) -> list[RequestRow]:
    """The requests as the figures of an earlier period see them: a force that sent data, none of
    it for this period but some for another, answered this period "previously provided" (it gave
    it to the earlier campaign: not data missing, not a nil return)."""
    out = []
    for r in requests:
        if r.outcome in WITH_DATA and r.force_pk not in with_counts and r.force_pk in with_counts_elsewhere:
            r = r._replace(outcome=PREVIOUSLY_PROVIDED)
        out.append(r)
    return out


# --- Timeliness ---------------------------------------------------------------------------------

def timeliness_table(requests: Iterable[RequestRow], calendar, today: dt.date) -> list[dict]:
    """Per force: working days to answer, on time or late, outcome (the FOI league table).

    `calendar` is a `collection.deadlines.WorkingCalendar` (pure, no Django).
    """
    requests = list(requests)
    years = [d.year for r in requests for d in (r.received_on, r.due_on, r.answered_on) if d] + [today.year]
    closed = calendar.closed_weekdays(min(years), max(years))  # once for the table, not once per force

    def between(start, end):
        return calendar.working_days_between(start, end, closed)

    rows = []
    for r in requests:
        row = {"force_id": r.force_id, "force_name": r.force_name, "outcome": r.outcome or None,
               "sections_cited": r.sections_cited or None,
               "received_on": r.received_on.isoformat() if r.received_on else None,
               "due_on": r.due_on.isoformat() if r.due_on else None,
               "answered_on": None, "working_days": None, "on_time": None, "working_days_late": 0}
        answered = r.answered_on if r.outcome and r.outcome != "no_response" else None
        if answered is not None:
            row["answered_on"] = answered.isoformat()
            if r.received_on:
                row["working_days"] = between(r.received_on, answered)
            if r.due_on:
                row["on_time"] = not is_late(r.due_on, answered)
                row["working_days_late"] = max(between(r.due_on, answered), 0)
            if row["on_time"] is None:
                # No deadline was running (the clock stopped for clarification): neither on time nor
                # late, here and in the count above the table alike (`answer_counts`).
                row["verdict"] = "Answered while the clock was stopped (no due date)"
            else:
                row["verdict"] = "On time" if row["on_time"] else \
                    f"Late by {_plural(row['working_days_late'], 'working day')}"
        else:
            until = r.answered_on if r.outcome == "no_response" and r.answered_on else today
            if is_late(r.due_on, until):
                row["on_time"] = False
                row["working_days_late"] = between(r.due_on, until)
            if r.outcome == "no_response":
                row["verdict"] = "No response" + (
                    f" ({_plural(row['working_days_late'], 'working day')} past due when closed)"
                    if row["working_days_late"] else "")
            elif r.received_on is None:
                row["verdict"] = "Not sent"
            else:
                row["verdict"] = "Outstanding" + (
                    f", {_plural(row['working_days_late'], 'working day')} overdue" if row["working_days_late"] else "")
        rows.append(row)
    rows.sort(key=lambda x: (x["working_days"] is None, x["working_days"] or 0, x["force_name"]))
    return rows


def answer_counts(timeliness: Iterable[dict]) -> dict:
    """How many answered, on time, late and with no deadline running: counted from the very rows of
    the timeliness table, so the sentence above it and its verdicts cannot disagree."""
    answered = [t for t in timeliness if t.get("answered_on") is not None]
    return {"answered": len(answered), "on_time": sum(1 for t in answered if t["on_time"] is True),
            "late": sum(1 for t in answered if t["on_time"] is False),
            "no_deadline": sum(1 for t in answered if t["on_time"] is None)}


# --- Headline sentences -------------------------------------------------------------------------------

def _age_phrase(age: int) -> str:
    return "under a year old" if age == 0 else f"{age}"


def headline_sentences(agg: Aggregate, requests: Iterable[RequestRow] = ()) -> list[str]:
    """The findings as sentences a charity can publish, in the manner of DOMAIN.md's example."""
    start = dt.date.fromisoformat(agg.period_start)
    end = dt.date.fromisoformat(agg.period_end)
    period = f"between {start.day} {start:%B %Y} and {end.day} {end:%B %Y}"
    out = []
    if not agg.final:
        out.append(f"These figures are provisional: {_plural(len(agg.outstanding_forces), 'force has', 'forces have')}"
                   f" not answered yet ({_names(agg.outstanding_forces)}).")
    approx = approximately(agg.total_offences)
    out.append(f"Police forces recorded {approx} offences {period}"
               + (f" ({agg.total_offences:,})" if approx != f"{agg.total_offences:,}" else "")
               + f"; {agg.forces_with_data} of the {agg.forces_asked} forces asked provided figures.")
    ages = _age_sentence(agg)
    if ages:
        out.append(ages)
    if agg.total_offences or agg.suppressed_count:
        out.append(_per_day_sentence(agg))
    if agg.by_offence_category and agg.total_offences:
        cat, n = max(agg.by_offence_category.items(), key=lambda kv: (kv[1], kv[0]))
        out.append(f"{CATEGORY_LABELS.get(cat, cat)} was the largest category of offence ({n:,}, "
                   f"{round(100 * n / agg.total_offences)}% of the total).")
    if agg.largest_force and agg.smallest_force and len(agg.by_force) > 1:
        big, small = agg.largest_force, agg.smallest_force
        hundreds = sum(1 for n in agg.by_force.values() if n >= 100)
        under_10 = sum(1 for n in agg.by_force.values() if n < 10)
        spread = ""
        if hundreds and under_10:
            spread = (f" {_plural(hundreds, 'force')} recorded 100 or more, {_plural(under_10, 'force')} "
                      f"fewer than 10.")
        def said(extreme):  # with what its suppressed cells may add, as the force's own total says
            return figure_text(agg.by_force_bounds.get(extreme["forces"][0]["force_id"], extreme["total"]))
        out.append(f"{_names(big['forces'])} recorded the most ({said(big)}); {_names(small['forces'])} the "
                   f"fewest ({said(small)}{' each' if len(small['forces']) > 1 else ''}).{spread}")
    by_outcome: dict[str, list[RequestRow]] = {}
    for r in requests:
        by_outcome.setdefault(r.outcome, []).append(r)
    parts = []
    phrases = {"nil_return": ("gave a nil return", "gave nil returns"),
               "not_held": ("said it did not hold the information", "said they did not hold the information"),
               "refused": ("refused", "refused"), "no_response": ("did not respond", "did not respond"),
               PREVIOUSLY_PROVIDED: ("had given these figures before and did not restate them",
                                     "had given these figures before and did not restate them")}
    for outcome, (one, many) in phrases.items():
        rows = by_outcome.get(outcome, [])
        if rows:
            who = _names([{"name": r.force_name + (f", {r.sections_cited}" if r.sections_cited else "")}
                          for r in rows])
            parts.append(f"{_plural(len(rows), 'force')} {one if len(rows) == 1 else many} ({who})")
    if parts:
        out.append((", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]) + ".")
    if agg.suppressed_count:
        out.append(f"{_plural(agg.suppressed_count, 'figure was', 'figures were')} suppressed by forces as too "
                   f"small to publish; with them the total lies between {agg.total_offences_min:,} and "
                   f"{agg.total_offences_max:,}.")
    return out


def _most_common(agg: Aggregate) -> str:
    if not agg.modal_age_known:
        return ("The most common victim age cannot be told from the age bands forces used (it may be any of "
                + ", ".join(map(str, agg.modal_ages)) + ")")
    n = figure_text(agg.by_age_bounds.get(str(agg.modal_age), agg.by_age.get(str(agg.modal_age), 0)))
    if len(agg.modal_ages) > 1:
        return f"The most common victim ages were {', '.join(map(str, agg.modal_ages))} ({n} offences each)"
    return f"The most common victim age was {agg.modal_age} ({n} offences)"


def _age_sentence(agg: Aggregate) -> str:
    """Most common age, under 10 and youngest in one sentence; each only as far as the cells tell."""
    if agg.youngest_age is None and not agg.modal_ages:
        return ""
    parts = [_most_common(agg)] if agg.modal_ages else []
    parts.append(f"{count_phrase(agg.under_10)} were against children under 10")
    if agg.youngest_age is not None:
        parts.append(youngest_phrase(agg.youngest_age))
    text = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
    return text[0].upper() + text[1:] + "."


def _per_day_sentence(agg: Aggregate) -> str:
    low, high = bounds_of(agg.per_day_average)
    if low != high:
        return (f"On average between {low:.2f} and {high:.2f} offences were recorded a day (over "
                f"{agg.period_days} days, the suppressed cells at their least and most).")
    rounded = round(low)
    if rounded >= 1:
        return (f"On average {rounded:,} offence{'s were' if rounded != 1 else ' was'} recorded a day "
                f"({low:.2f} over {agg.period_days} days).")
    return (f"On average fewer than one offence was recorded a day ({low:.2f} over "
            f"{agg.period_days} days; {low * 7:.1f} a week).")


def headline_figures(agg: Aggregate) -> list[dict]:
    """The headline figures, each once, as the report's tiles, the exports' notes and the summary
    say them: key, label, value (a `span`) and text. Every place that shows one reads it here."""
    def row(key, label, value, text=None, places=None):
        return {"key": key, "label": label, "value": value,
                "text": text if text is not None else figure_text(value, places)}
    if agg.modal_age_known:
        modal = row("modal_age", "Most common victim age", agg.modal_age)
    else:
        modal = row("modal_age", "Most common victim age", None,
                    "not known from the bands (one of " + ", ".join(map(str, agg.modal_ages)) + ")")
    return [row("total_offences", "Total offences", agg.total_offences),
            row("per_day_average", "Average per day", agg.per_day_average, places=2),
            row("under_10", "Offences against children under 10", agg.under_10),
            row("youngest_age", "Youngest victim age", agg.youngest_age,
                None if agg.youngest_age is None or bounds_of(agg.youngest_age)[1] is not None
                else f"{bounds_of(agg.youngest_age)[0]} or older"),
            modal]


def period_display(label: str) -> str:
    """'2015/16' for '2015-16' (a label that is not a period's: as it is)."""
    try:
        return Period.from_label(label).display
    except ValueError:
        return label


def comparison_sentences(comparison: dict, names: dict[str, str] | None = None) -> list[str]:
    """The comparison as sentences for a press release:

    "5,653 offences in 2016/17 from 39 forces, 1,750 (44.8%) more than the same forces recorded
    in 2015/16 (3,903)."
    """
    names = names or {}
    base, now = period_display(comparison["base_period"]), period_display(comparison["period"])
    n_forces = len(comparison["like_for_like_forces"])
    if not n_forces:
        return [f"No force gave figures for both {base} and {now}: there is nothing to compare like for like."]
    total, base_total, change = comparison["total"], comparison["base_total"], comparison["change"]
    pct = comparison["change_pct"]
    same = "the same force" if n_forces == 1 else "the same forces"
    head = f"{_plural(total, 'offence')} in {now} from {_plural(n_forces, 'force')}, "
    if change == 0:
        first = head + f"the same number as {same} recorded in {base} ({base_total:,})."
    else:
        word = "more" if change > 0 else "fewer"
        share = f" ({abs(pct):.1f}%)" if pct is not None else ""
        first = head + f"{abs(change):,}{share} {word} than {same} recorded in {base} ({base_total:,})."
    out = [first]
    original = comparison.get("original_base_total")
    if comparison.get("base") == "restated":
        if original is not None:
            had = comparison.get("original_base_forces") or 0
            of = "" if had == n_forces else f" ({had:,} of them had given figures then)"
            verb = "differ from" if original != base_total else "match"
            out.append(f"The {base} figures are as the forces restated them in this request; they {verb} the "
                       f"{original:,} first published for the same forces{of}.")
        else:
            out.append(f"The {base} figures are as the forces restated them in this request.")
    else:
        out.append(f"The {base} figures are as first published: this request did not ask for them again.")
    single = comparison.get("single_period_forces") or {}
    only_now = [f for f, e in single.items() if e.get("current") is not None]
    only_base = [f for f, e in single.items() if e.get("current") is None]
    for forces, period in ((only_now, now), (only_base, base)):
        if forces:
            who = _names([{"name": names.get(f, f)} for f in forces])
            out.append(f"{_plural(len(forces), 'force')} gave figures for {period} only ({who}) and "
                       f"{'is' if len(forces) == 1 else 'are'} not in the comparison.")
    return out
