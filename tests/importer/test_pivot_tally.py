"""The pivots' tally (chunks of rows of plain figures read in C) against the row-by-row loop it stands
in for: on pivots of 1,500 rows with one odd row or cell somewhere past the first chunks (a total row,
right or wrong, a suppressed cell, text, a negative or fractional figure, a blank cell or row, a tick
box, a formula saved without its value, a row total that does not add up, notes and a second table, a
sex heading, an offence, age, sex or year the loop refuses), both give the same cells, warnings and rows
read, or the same refusal, and report progress on the same rows. The reference is the loop alone.

Progress and the time limit are checked every 512 rows here (every 4,096 in an import), so that such
a file crosses a few of those checks, where a chunk of the tally ends."""
import csv
import io
import random

import openpyxl
import pytest

from collection.importer import ImportLimits, Period, pivots
from collection.importer.limits import Budget
from collection.importer.tally import PivotTally

from .builders import outcome, outcome_without, xlsx

FY15, FY16 = Period.from_label("2015-16"), Period.from_label("2016-17")
OFFENCES = ["19C", "19E", "22A", "88A", "88C", "Sexual grooming", "88A - Sexual grooming", "Exposure and voyeurism",
            "86"]
AGES = [str(a) for a in range(18)] + ["Unknown"]


def offence_age(n: int, seed: int, *, year: bool = False, sex: bool = False) -> list[list]:
    """Offences down, ages 0-17 and unknown across, a row total; a year or sex column beside the offence."""
    rnd = random.Random(seed)
    rows = [(["Year"] if year else []) + ["Offence"] + (["Victim Sex"] if sex else []) + AGES + ["Total"]]
    for _ in range(n):
        figures = [rnd.randint(0, 9) for _ in AGES]
        rows.append(([rnd.choice(["2015/16", "2016/17"])] if year else []) + [rnd.choice(OFFENCES)] + (
            [rnd.choice(["Female", "Male", "F", ""])] if sex else []) + figures + [sum(figures)])
    return rows


def age_offence(n: int, seed: int) -> list[list]:
    """Ages down (over and over), offences across, a row total."""
    rnd = random.Random(seed)
    rows = [["Victim Age", "19E", "Sexual grooming", "71 - Abuse of children through sexual exploitation", "86",
             "All offences"]]
    for i in range(n):
        figures = [rnd.randint(0, 9) for _ in range(4)]
        rows.append([AGES[i % len(AGES)], *figures, sum(figures)])
    return rows


def sex_age(n: int, seed: int) -> list[list]:
    """Sex down, age bands across (a campaign about one offence)."""
    rnd = random.Random(seed)
    rows = [["Victim Sex", "0-5", "6-10", "11-15", "16-17", "Total"]]
    for _ in range(n):
        figures = [rnd.randint(0, 9) for _ in range(4)]
        rows.append([rnd.choice(["Female", "Male", "Unknown"]), *figures, sum(figures)])
    return rows


def _first_figure(header: list) -> int:
    return next(i for i, h in enumerate(header) if h in ("0", "0-5", "19E"))


def _odd(rows: list[list], at: int, odd: str) -> list[list]:
    """The rows with one odd row, or one odd cell in data row `at` (its row total kept right where the
    odd cell is a figure the loop reads)."""
    width = len(rows[0])
    first = _first_figure(rows[0])
    label = first - 1 if rows[0][first - 1] != "Victim Sex" or rows[0][0] == "Victim Sex" else first - 2
    row = list(rows[at])
    figures = slice(first, width - 1)

    def column_sums(part: list[list]) -> list[int]:
        return [sum(r[c] for r in part) for c in range(first, width)]

    if odd == "total":  # right, then more rows
        return rows[:at] + [[""] * (first - 1) + ["Total"] + column_sums(rows[1:at])] + rows[at:]
    if odd == "wrong total":
        sums = column_sums(rows[1:at])
        sums[2] += 1
        return rows[:at] + [[""] * (first - 1) + ["Total"] + sums] + rows[at:]
    if odd == "blank row":
        return rows[:at] + [[""] * width] + rows[at:]
    if odd == "sex heading":  # the rows below are a section of one sex
        return rows[:at] + [["Female"] + [""] * (width - 1)] + rows[at:]
    if odd == "notes then a table":
        return rows[:at] + [["Figures are provisional"] + [""] * (width - 1), [""] * width, list(rows[0])] + rows[at:]
    if odd == "notes at the end":
        return rows[:at] + [["Figures are provisional"] + [""] * (width - 1)]
    if odd in ("suppressed", "under 5"):  # hiding 1: the row total includes it
        row[first + 2] = "*" if odd == "suppressed" else "<5"
        row[-1] = sum(v for v in row[figures] if isinstance(v, int)) + 1
    elif odd == "blank cell":
        row[first + 2] = ""
        row[-1] = sum(v for v in row[figures] if isinstance(v, int))
    elif odd == "text":
        row[first + 2] = "lots"
    elif odd in ("negative", "fraction", "tick box", "formula"):  # the row total as if the cell were read
        row[first + 2] = {"negative": -3, "fraction": 2.5, "tick box": True, "formula": "=1+1"}[odd]
        row[-1] = sum(row[figures]) if odd != "formula" else sum(v for v in row[figures] if isinstance(v, int))
        if odd == "fraction":
            row[-1] = int(row[-1])
    elif odd == "wrong row total":
        row[-1] += 1
    elif odd == "bad label":
        row[label] = "Burglary dwelling" if rows[0][label] == "Offence" else "Adults"
    elif odd == "blank label":
        row[label] = ""
    elif odd == "adult age":
        row[label] = "34"
    elif odd == "year outside":
        row[0] = "2019/20"
    elif odd == "no year":
        row[0] = ""
    elif odd == "not a sex":
        row[label + 1] = "Both"
    else:
        raise AssertionError(odd)
    return rows[:at] + [row] + rows[at + 1:]


def as_csv(rows: list[list]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


def with_openpyxl(rows: list[list]) -> bytes:
    """Written by openpyxl: a formula is saved with no value, as a program other than Excel leaves it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for row in rows:
        ws.append([None if v == "" else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


WRITERS = {"csv": (as_csv, "r.csv"), "xlsx": (xlsx, "r.xlsx")}
XLSX_ONLY = {"tick box", "formula"}


@pytest.fixture(autouse=True)
def checks_every_512_rows(monkeypatch):
    monkeypatch.setattr(Budget, "CHECK_EVERY", 512)


def row_by_row(monkeypatch, *args, **options):
    return outcome_without(pivots, "PivotTally", monkeypatch, *args, **options)


@pytest.fixture
def tallied(monkeypatch):
    """How many chunks the tally read (so a test knows it was not all read row by row)."""
    seen = {"read": 0}
    read = PivotTally.read

    def spy(self, chunk, section_sex):
        got = read(self, chunk, section_sex)
        seen["read"] += got is not None
        return got

    monkeypatch.setattr(PivotTally, "read", spy)
    return seen


def same(data: bytes, name: str, catalogue, monkeypatch, **options):
    got, progress = outcome(data, name, catalogue, **options)
    want, want_progress = row_by_row(monkeypatch, data, name, catalogue, **options)
    assert got == want
    assert progress == want_progress
    return got


OFFENCE_AGE_ODDS = ["total", "wrong total", "blank row", "sex heading", "notes then a table", "notes at the end",
                    "suppressed", "under 5", "blank cell", "text", "negative", "fraction", "tick box", "formula",
                    "wrong row total", "bad label", "blank label", None]


@pytest.mark.parametrize(("writer", "odd"), [(w, o) for o in OFFENCE_AGE_ODDS for w in WRITERS
                                              if not (o in XLSX_ONLY and w == "csv")])  # a csv holds neither
def test_offences_down(writer, odd, catalogue, monkeypatch, tallied):
    rows = offence_age(1500, seed=len(odd or ""))
    at = 800 + 37 * len(odd or "")  # past the first chunks, not on a chunk's edge
    if odd:
        rows = _odd(rows, at, odd)
    write, name = WRITERS[writer]
    data = with_openpyxl(rows) if odd == "formula" else write(rows)
    got = same(data, name, catalogue, monkeypatch)
    assert tallied["read"] > 5
    if odd in ("text", "negative", "fraction", "tick box", "formula", "wrong row total", "bad label"):
        assert got[0] == "refused" and f", row {at + 1}" in got[1]
    if odd in (None, "total", "sex heading", "suppressed", "blank cell"):
        assert got[0] == "read"


@pytest.mark.parametrize("odd", ["total", "wrong total", "blank row", "blank label", "adult age", "bad label",
                                 "suppressed", "text", "wrong row total", "notes then a table", None])
def test_ages_down(odd, catalogue, monkeypatch, tallied):
    rows = age_offence(1500, seed=2)
    if odd:
        rows = _odd(rows, 1300, odd)
    data = xlsx(rows)
    got = same(data, "r.xlsx", catalogue, monkeypatch)
    assert tallied["read"] > 3
    if odd in (None, "total", "blank label"):
        assert got[0] == "read" and got[4] == "pivot_age_offence"


@pytest.mark.parametrize("odd", ["year outside", "no year", "total", "suppressed", None])
def test_a_year_column(odd, catalogue, monkeypatch, tallied):
    rows = offence_age(1500, seed=3, year=True)
    if odd:
        rows = _odd(rows, 1100, odd)
    data = as_csv(rows)
    for periods in ([FY15, FY16], [FY15]):
        got = same(data, "r.csv", catalogue, monkeypatch, periods=periods)
    assert tallied["read"] > 3
    if odd is None:
        assert got[0] == "refused"  # a year outside the one period asked, on some row


@pytest.mark.parametrize("odd", ["not a sex", "total", "sex heading", None])
def test_a_sex_column(odd, catalogue, monkeypatch, tallied):
    rows = offence_age(1500, seed=4, sex=True)
    if odd:
        rows = _odd(rows, 1100, odd)
    data = as_csv(rows)
    got = same(data, "r.csv", catalogue, monkeypatch)
    assert tallied["read"] > 3
    if odd is None:
        assert got[0] == "read" and {r.victim_sex for r in got[1]} == {"female", "male", "unknown"}


@pytest.mark.parametrize("odd", ["bad label", "blank label", "total", "suppressed", None])
def test_sexes_down_for_one_offence(odd, catalogue, monkeypatch, tallied):
    rows = sex_age(1500, seed=5)
    if odd:
        rows = _odd(rows, 1100, odd)
    data = xlsx(rows)
    got = same(data, "r.xlsx", catalogue, monkeypatch, offence_codes=("88A",))
    assert tallied["read"] > 3
    if odd is None:
        assert got[0] == "read" and got[4] == "pivot_sex_age"


def test_an_offence_code_against_its_description_is_said_at_its_row(catalogue, monkeypatch, tallied):
    rnd = random.Random(6)
    described = {"19C": "Rape of a female aged 16 and over", "88A": "Sexual grooming", "86": ""}
    rows = [["HO Code", "Offence Description"] + AGES + ["Total"]]
    for _ in range(1500):
        code = rnd.choice(list(described))
        figures = [rnd.randint(0, 9) for _ in AGES]
        rows.append([code, described[code], *figures, sum(figures)])
    rows[1100][:2] = ["88A", "Rape of a female aged 16 and over"]
    got = same(as_csv(rows), "r.csv", catalogue, monkeypatch)
    assert any(w.startswith("row 1101: offence code '88A'") for w in got[2])
    assert tallied["read"] > 3


def test_a_sex_heading_seen_after_counted_rows_puts_later_rows_in_that_sex(catalogue, monkeypatch, tallied):
    rows = offence_age(1500, seed=7)
    rows = _odd(_odd(rows, 1000, "sex heading"), 300, "sex heading")
    rows[300][0] = "Male"
    got = same(xlsx(rows), "r.xlsx", catalogue, monkeypatch)
    assert got[0] == "read" and {r.victim_sex for r in got[1]} == {"", "male", "female"}
    assert tallied["read"] > 3


def test_the_row_limit_and_the_last_row(catalogue, monkeypatch):
    from collection.importer import ColumnMapping

    data = as_csv(offence_age(1500, seed=8))
    for options in ({"limits": ImportLimits(max_rows=1000)}, {"limits": ImportLimits(max_rows=1025)}):
        got = same(data, "r.csv", catalogue, monkeypatch, **options)
        assert got[0] == "refused" and "limit reached" in got[1]
    got = same(data, "r.csv", catalogue, monkeypatch, mapping=ColumnMapping(last_row=1000))
    assert got[0] == "read" and got[3] == 999


def test_the_time_limit_stops_on_the_same_row(catalogue, monkeypatch):
    data = as_csv(offence_age(1500, seed=9))

    def ticking():
        ticks = iter(range(0, 10**9, 10))
        return lambda: next(ticks)

    got = outcome(data, "r.csv", catalogue, limits=ImportLimits(max_seconds=15), clock=ticking())
    want = row_by_row(monkeypatch, data, "r.csv", catalogue, limits=ImportLimits(max_seconds=15), clock=ticking())
    assert got == want
    assert got[0][0] == "refused" and "longer than" in got[0][1] and "row 1024" in got[0][1]


def test_stacked_tables_each_keep_every_row(catalogue, monkeypatch, tallied):
    """A second table starting inside a chunk the tally gave back: its rows already taken from the
    reader are read as the second table's."""
    first, second = offence_age(800, seed=10), offence_age(700, seed=11)
    rows = [["Female victims"], *first, [], ["Male victims"], *second]
    got = same(xlsx(rows), "r.xlsx", catalogue, monkeypatch)
    assert got[0] == "read" and got[3] == 1500
    by_sex: dict = {}
    for r in got[1]:
        by_sex[r.victim_sex] = by_sex.get(r.victim_sex, 0) + (r.count or 0)
    assert by_sex == {"female": sum(r[-1] for r in first[1:]), "male": sum(r[-1] for r in second[1:])}
    assert tallied["read"] > 3


@pytest.mark.parametrize("figure", [0, 3])
def test_a_column_of_adults_holding_a_figure(figure, catalogue, monkeypatch, tallied):
    """A column the loop refuses any figure in (age 18): refused at the row holding one."""
    rows = offence_age(1500, seed=12)
    rows = [r[:-2] + ["18" if i == 0 else 0] + r[-2:] for i, r in enumerate(rows)]
    rows[1100][-3] = figure
    rows[1100][-1] += figure
    got = same(xlsx(rows), "r.xlsx", catalogue, monkeypatch)
    assert tallied["read"] > 3
    if figure:
        assert got[0] == "refused" and ", row 1101" in got[1] and "not a child's age" in got[1]
    else:
        assert got[0] == "read"


@pytest.mark.parametrize("label", [True, False])
def test_a_tick_box_for_a_row_label_is_not_the_age_it_equals(label, catalogue, monkeypatch, tallied):
    """A tick box (TRUE/FALSE) in the age column equals 1/0 as a key: the row is still refused at its
    row, not counted as age 1 or 0 by the tally (whose labels met before include those ages)."""
    rows = [[int(v) if isinstance(v, str) and v.isdigit() else v for v in r] for r in age_offence(1500, seed=14)]
    rows[1300][0] = label
    got = same(xlsx(rows), "r.xlsx", catalogue, monkeypatch)
    assert got[0] == "refused" and ", row 1301," in got[1] and f"victim age '{label}' is not an age" in got[1]
    assert tallied["read"] > 3
