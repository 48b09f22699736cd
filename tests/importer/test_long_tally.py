"""The long layouts' tally (chunks of plain rows counted in C) against the row-by-row loop it stands
in for: on returns of 1,500 rows with one odd row somewhere past the first chunks (a refusal, a total,
notes and a second table, a blank or short row, a warning naming its row, a suppressed count, a year
outside the periods asked), both give the same cells, warnings and rows read, or the same refusal, and
report progress on the same rows. The reference is the loop alone, reading every row from the reader.

Progress and the time limit are checked every 512 rows here (every 4,096 in an import), so that such
a file crosses a few of those checks, where a chunk of the tally ends."""
import csv
import datetime as dt
import io
import random

import pytest

from collection.importer import ImportLimits, Period, long_tables
from collection.importer.figures import PeriodMemo
from collection.importer.limits import Budget
from collection.importer.periods import PeriodReader
from collection.importer.read import split_rows
from collection.importer.tally import LongTally

from .builders import outcome, outcome_without, xlsx

FY15, FY16 = Period.from_label("2015-16"), Period.from_label("2016-17")
CODES = ["19C", "19E", "22A", "88A", "88C", "Sexual grooming", "88A - Sexual grooming", "Exposure and voyeurism",
         "86"]


def per_crime(n: int, seed: int, *, dated: bool = True, sex: bool = False) -> list[list]:
    rnd = random.Random(seed)
    header = ["Crime Ref"] + (["Date Recorded"] if dated else []) + ["Offence", "Victim Age"] + (
        ["Victim Sex"] if sex else []) + ["Station"]
    rows = [header]
    for i in range(n):
        day = dt.date(2015, 4, 1) + dt.timedelta(days=rnd.randint(0, 365))
        age = rnd.choice([str(rnd.randint(0, 15)), "Unknown", ""]) if rnd.random() < 0.1 else str(rnd.randint(0, 15))
        rows.append([f"CR{i:06d}"] + ([day.strftime("%d/%m/%Y")] if dated else []) + [rnd.choice(CODES), age] + (
            [rnd.choice(["Female", "Male", "F", ""])] if sex else []) + [rnd.choice(["North", "South"])])
    return rows


def count_long(n: int, seed: int) -> list[list]:
    rnd = random.Random(seed)
    rows = [["HO Code", "Offence Description", "Victim Age", "Count"]]
    described = {"19C": "Rape of a female aged 16 and over", "88A": "Sexual grooming", "86": ""}
    for _ in range(n):
        code = rnd.choice(list(described))
        rows.append([code, described[code], str(rnd.randint(0, 15)), str(rnd.randint(0, 9))])
    return rows


def _odd(rows: list[list], at: int, odd: str) -> list[list]:
    """The rows with one odd row (or a few) put in at data row `at`."""
    width = len(rows[0])
    offence = next(i for i, h in enumerate(rows[0]) if h in ("Offence", "HO Code"))
    row = list(rows[at])
    if odd == "bad offence":
        row[offence] = "Burglary dwelling"
    elif odd == "adult age":
        row[offence + 1 + (rows[0][offence + 1] == "Offence Description")] = "34"
    elif odd == "blank row":
        return rows[:at] + [[""] * width] + rows[at:]
    elif odd == "empty line":
        return rows[:at] + [[]] + rows[at:]
    elif odd == "short row":
        return rows[:at] + [row[:offence + 1]] + rows[at:]
    elif odd == "total":  # a right total of the rows above it, then more rows
        if rows[0][-1] == "Count":
            figure = sum(int(r[-1]) for r in rows[1:at])
            return rows[:at] + [["Total", "", "", str(figure)]] + rows[at:]
        return rows[:at] + [["Total"] + [""] * (width - 2) + [str(at - 1)]] + rows[at:]
    elif odd == "wrong total":
        return rows[:at] + [["Total"] + [""] * (width - 2) + [str(at + 7)]] + rows[at:]
    elif odd == "notes then a table":
        return rows[:at] + [["Figures are provisional"] + [""] * (width - 1), [], list(rows[0])] + rows[at:]
    elif odd == "notes at the end":
        return rows[:at] + [["Figures are provisional"] + [""] * (width - 1)]
    elif odd == "code against description":
        row[1] = "Rape of a female aged 16 and over"
        row[0] = "88A"
    elif odd == "suppressed":
        row[-1] = "*"
    elif odd == "not a count":
        row[-1] = "lots"
    elif odd == "year outside":
        row[1] = "03/06/2019"
    elif odd == "no date":
        row[1] = ""
    elif odd == "not a sex":
        row[-2] = "Both"
    return rows[:at] + [row] + rows[at + 1:]


def plain_csv(rows: list[list]) -> bytes:
    """Written with no quote at all: the split reader's kind of file."""
    text = "\r\n".join(",".join(r) for r in rows) + "\r\n"
    assert split_rows(text, ",") is not None
    return text.encode("utf-8")


def quoted_csv(rows: list[list]) -> bytes:
    """Every field quoted: the csv module's kind of file."""
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


def cells_xlsx(rows: list[list]) -> bytes:
    return xlsx([[int(v) if v.isdigit() else v for v in r] for r in rows])


WRITERS = {"csv": (plain_csv, "r.csv"), "quoted csv": (quoted_csv, "r.csv"), "xlsx": (cells_xlsx, "r.xlsx")}


@pytest.fixture(autouse=True)
def checks_every_512_rows(monkeypatch):
    monkeypatch.setattr(Budget, "CHECK_EVERY", 512)


def row_by_row(monkeypatch, *args, **options):
    return outcome_without(long_tables, "LongTally", monkeypatch, *args, **options)


@pytest.fixture
def tallied(monkeypatch):
    """How many chunks the tally counted (so a test knows it was not all read row by row)."""
    seen = {"counted": 0}
    count = LongTally.count

    def spy(self, chunk):
        counted = count(self, chunk)
        seen["counted"] += counted
        return counted

    monkeypatch.setattr(LongTally, "count", spy)
    return seen


PER_CRIME_ODDS = ["bad offence", "adult age", "blank row", "empty line", "short row", "total", "wrong total",
                  "notes then a table", "notes at the end", "year outside", "no date", None]


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("odd", PER_CRIME_ODDS)
def test_per_crime_with_dates(writer, odd, catalogue, monkeypatch, tallied):
    rows = per_crime(1500, seed=len(odd or ""))
    at = 800 + 37 * len(odd or "")  # past the first chunks, not on a chunk's edge
    if odd:
        rows = _odd(rows, at, odd)
    write, name = WRITERS[writer]
    data = write(rows)
    for periods in ([FY15], [FY15, FY16]):
        got, progress = outcome(data, name, catalogue, periods=periods)
        want, want_progress = row_by_row(monkeypatch, data, name, catalogue, periods=periods)
        assert got == want
        assert progress == want_progress
    assert tallied["counted"] > 5
    if odd in ("bad offence", "adult age", "year outside", "wrong total"):
        assert got[0] == "refused" and f", row {at + 1}" in got[1]


@pytest.mark.parametrize("odd", ["bad offence", "short row", "total", "blank row", "not a sex", None])
def test_per_crime_without_dates_with_sex(odd, catalogue, monkeypatch, tallied):
    rows = per_crime(1500, seed=3, dated=False, sex=True)
    if odd:
        rows = _odd(rows, 1100, odd)
    data = plain_csv(rows)
    assert outcome(data, "r.csv", catalogue) == row_by_row(monkeypatch, data, "r.csv", catalogue)
    assert tallied["counted"] > 3


@pytest.mark.parametrize("writer", ["csv", "xlsx"])
@pytest.mark.parametrize("odd", ["code against description", "suppressed", "not a count", "total", None])
def test_count_long(writer, odd, catalogue, monkeypatch, tallied):
    rows = count_long(1500, seed=5)
    if odd:
        rows = _odd(rows, 1300, odd)
    write, name = WRITERS[writer]
    data = write(rows)
    got = outcome(data, name, catalogue)
    assert got == row_by_row(monkeypatch, data, name, catalogue)
    assert tallied["counted"] > 3
    if odd == "code against description":
        assert any("row 1301: offence code '88A'" in w for w in got[0][2])


def test_a_description_seen_early_is_said_once_at_its_first_row(catalogue, monkeypatch):
    rows = count_long(1500, seed=6)
    rows = _odd(_odd(rows, 20, "code against description"), 1300, "code against description")
    data = plain_csv(rows)
    got = outcome(data, "r.csv", catalogue)
    assert got == row_by_row(monkeypatch, data, "r.csv", catalogue)
    assert [w for w in got[0][2] if "name different offences" in w][0].startswith("row 21:")


def test_the_row_limit_and_the_last_row(catalogue, monkeypatch):
    data = plain_csv(per_crime(1500, seed=7))
    for options in ({"limits": ImportLimits(max_rows=1000)}, {"limits": ImportLimits(max_rows=1025)}):
        got = outcome(data, "r.csv", catalogue, **options)
        assert got == row_by_row(monkeypatch, data, "r.csv", catalogue, **options)
        assert got[0][0] == "refused" and "limit reached" in got[0][1]


def test_the_time_limit_stops_on_the_same_row(catalogue, monkeypatch):
    data = plain_csv(per_crime(1500, seed=8))

    def ticking():
        ticks = iter(range(0, 10**9, 10))
        return lambda: next(ticks)

    got = outcome(data, "r.csv", catalogue, limits=ImportLimits(max_seconds=25), clock=ticking())
    want = row_by_row(monkeypatch, data, "r.csv", catalogue, limits=ImportLimits(max_seconds=25), clock=ticking())
    assert got == want
    assert got[0][0] == "refused" and "longer than" in got[0][1]


def test_a_hostile_file_of_distinct_dates_is_read_as_any_other(catalogue, monkeypatch):
    """Every row a different date (past the dates remembered, here 1,000): still the same counts."""
    monkeypatch.setattr(PeriodMemo, "KEEP", 1000)
    monkeypatch.setattr(PeriodReader, "KEEP", 1000)
    rows = [["Date Recorded", "Offence", "Victim Age"]]
    for i in range(1500):
        rows.append([(dt.datetime(2015, 4, 1) + dt.timedelta(seconds=400 * i)).strftime("%d/%m/%Y %H:%M:%S"),
                     "88A", str(i % 16)])
    data = plain_csv(rows)
    got = outcome(data, "r.csv", catalogue, periods=[FY15])
    assert got[0][0] == "read" and got[0][3] == 1500
    assert sum(r.count for r in got[0][1]) == 1500


def test_stacked_tables_under_year_titles_each_keep_every_row(catalogue, monkeypatch, tallied):
    """A second table starting inside a chunk the tally gave back: its rows already taken from the
    reader are read as the second table's."""
    first, second = per_crime(800, seed=9, dated=False), per_crime(700, seed=10, dated=False)
    rows = [["2015/16"], *first, [], ["2016/17"], *second]
    data = plain_csv([r or [""] for r in rows])
    got = outcome(data, "r.csv", catalogue, periods=[FY15, FY16])
    assert got == row_by_row(monkeypatch, data, "r.csv", catalogue, periods=[FY15, FY16])
    by_period: dict = {}
    for r in got[0][1]:
        by_period[r.period] = by_period.get(r.period, 0) + r.count
    assert by_period == {"2015-16": 800, "2016-17": 700}
    assert tallied["counted"] > 3


def test_split_rows_are_the_csv_modules_rows(monkeypatch):
    """Texts with no quote: empty lines, \\r, \\r\\n and \\n endings, spaces, other delimiters, non-ASCII,
    split a few characters at a time (pieces end at line breaks) and whole."""
    from collection.importer import read

    rnd = random.Random(11)
    alphabet = ["a", "b", " ", ",", ";", "\t", "\n", "\r", "\r\n", "1", "\u00e9", "\u20ac", "'", "x y"]
    for piece in (7, read._PIECE):
        monkeypatch.setattr(read, "_PIECE", piece)
        for _ in range(3000):
            text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40)))
            for delimiter in (",", ";", "\t"):
                assert list(split_rows(text, delimiter)) == list(csv.reader(io.StringIO(text, newline=""),
                                                                            delimiter=delimiter)), repr(text)
    for needs_csv in ('a,"b,c"\n', "a\x00b", "a\x0cb", "a\u2028b", "a\x85b"):
        assert split_rows(needs_csv, ",") is None


def test_split_rows_fail_as_the_csv_module_on_a_field_past_its_limit():
    def rows(reader) -> list:
        out = []
        try:
            out.extend(reader)
        except csv.Error as exc:
            out.append(str(exc))
        return out

    old = csv.field_size_limit(10)
    try:
        for text in ["a,b\n0123456789A,b\nc", "0123456789,b\n", "a,0123456789A", "0123456789,0123456789\n"]:
            assert rows(split_rows(text, ",")) == rows(csv.reader(io.StringIO(text, newline=""))), text
    finally:
        csv.field_size_limit(old)


@pytest.mark.parametrize("odd_beside", [False, True])
@pytest.mark.parametrize("column, value, message", [("count", False, "count 'False' is not a number"),
                                                    ("count", True, "count 'True' is not a number"),
                                                    ("age", True, "victim age 'True' is not an age")])
def test_a_tick_box_is_refused_at_its_row_wherever_the_same_figure_came_before(column, value, message, odd_beside,
                                                                               catalogue, monkeypatch, tallied):
    """A tick box (TRUE/FALSE) equals 1/0 as a dict key: a row whose cells match an earlier row's but for
    a tick box in place of its 0 or 1 is still refused at its row, by the tally (whose chunk holding it
    would be counted as that row's) and by the loop (whose cache of that row's meaning would hit), with
    or without something else in its chunk that sends it to the loop."""
    rows = [[int(v) if v.isdigit() else v for v in r] for r in count_long(1500, seed=13)]
    rows[1:3] = [["88A", "Sexual grooming", 1, 0], ["88A", "Sexual grooming", 1, 1]]
    at = 1300
    rows[at] = ["88A", "Sexual grooming", value if column == "age" else 1, value if column == "count" else 1]
    if odd_beside:
        rows[at + 1][-1] = "*"
    data = xlsx(rows)
    got = outcome(data, "r.xlsx", catalogue)
    assert got == row_by_row(monkeypatch, data, "r.xlsx", catalogue)
    assert got[0][0] == "refused" and f", row {at + 1}," in got[0][1] and message in got[0][1]
    assert tallied["counted"] > 3
