"""The bounds of the age figures, tried on random tables of exact, banded and suppressed cells.

For each table: every way to fill it (a count for each suppressed cell, an age for each victim of
a band) gives true figures inside the stated bounds, and some filling reaches each end. Seeded
`random`, so a failure is the same on every run.
"""
import datetime as dt
import random
from collections import Counter

import pytest

from reports.aggregate import (AgeRow, ForceRow, OffenceRow, RequestRow, SuppressedRow, bounds_of, build_aggregate,
                               per_day_average)

DAYS = 366
BANDS = [(0, 6), (0, 11), (7, 12), (11, 15), (13, 17), (16, 17), (5, 9), (9, 10)]


def random_table(rng, threshold):
    """[(age_low, age_high, count or None for suppressed, known age)]."""
    table = []
    for _ in range(rng.randint(1, 9)):
        kind = rng.random()
        if kind < 0.4:
            age = rng.randint(0, 17)
            low, high = age, age
        elif kind < 0.9:
            low, high = rng.choice(BANDS)
        else:
            low = high = None  # age not known
        suppressed = rng.random() < 0.35
        table.append((low, high, None if suppressed else rng.randint(1, 40)))
    return table


def rows_of(table):
    age_rows, suppressed = [], []
    for low, high, count in table:
        if low is None:
            age, band, bmin, bmax = None, "", None, None
        elif low == high:
            age, band, bmin, bmax = low, "", None, None
        else:
            age, band, bmin, bmax = None, f"{low}-{high}", low, high
        age_rows.append(AgeRow(age, band, bmin, bmax, count, 0 if count is not None else 1))
        if count is None:
            suppressed.append(SuppressedRow("kent", "88A", age, band, "", "*"))
    return age_rows, suppressed


def aggregate_of(table, threshold):
    age_rows, suppressed = rows_of(table)
    known = sum(c for _, _, c in table if c is not None)
    return build_aggregate(
        campaign="c", title="T", period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31),
        age_rows=age_rows, offence_rows=[OffenceRow("88A", "grooming", "Sexual grooming", known)],
        force_rows=[ForceRow(1, known)], outcome_rows=[("provided", 1)],
        requests=[RequestRow(1, "kent", "Kent Police", "provided")], suppressed_rows=suppressed, threshold=threshold)


def fill(table, threshold, counts, places):
    """Victims per single year (None: age not known) of one filling. `counts(low, high)` picks a
    suppressed cell's count, `places(low, high, n)` the ages of a band's n victims."""
    ages = Counter()
    for low, high, count in table:
        n = count if count is not None else counts(1, threshold - 1)
        if low is None:
            ages[None] += n
        else:
            ages.update(places(low, high, n))
    return ages


def truths(ages):
    known = {a: n for a, n in ages.items() if a is not None and n}
    best = max(known.values(), default=0)
    return {"under_10": sum(n for a, n in known.items() if a < 10),
            "youngest": min(known, default=None),
            "modes": {a for a, n in known.items() if n == best and best},
            "total": sum(ages.values()), "known": known}


def at_top(low, high, n):
    return [high] * n


def at_bottom(low, high, n):
    return [low] * n


def scattered(rng):
    return lambda low, high, n: [rng.randint(low, high) for _ in range(n)]


@pytest.mark.parametrize("seed", range(60))
def test_every_filling_lies_within_the_bounds_and_the_bounds_are_reached(seed):
    rng = random.Random(seed)
    threshold = rng.choice([3, 5, 10])
    table = random_table(rng, threshold)
    agg = aggregate_of(table, threshold)
    under_low, under_high = bounds_of(agg.under_10)
    young = bounds_of(agg.youngest_age) if agg.youngest_age is not None else None
    day_low, day_high = bounds_of(agg.per_day_average)
    years = {int(k): bounds_of(v) for k, v in agg.by_age_bounds.items() if k != "unknown"}

    fillings = [fill(table, threshold, lambda a, b: rng.randint(a, b), scattered(rng)) for _ in range(40)]
    least = fill(table, threshold, lambda a, b: a, at_top)
    most = fill(table, threshold, lambda a, b: b, at_bottom)
    for ages in fillings + [least, most]:
        t = truths(ages)
        assert under_low <= t["under_10"] <= under_high, (table, ages)
        assert day_low <= per_day_average(t["total"], DAYS) <= day_high
        if t["youngest"] is None:
            assert young is None
        else:
            assert young[0] <= t["youngest"] and (young[1] is None or t["youngest"] <= young[1])
        if agg.modal_age_known and t["modes"]:
            assert t["modes"] == set(agg.modal_ages)
        assert t["modes"] <= set(agg.modal_ages), (table, ages)
    # Tight: the least filling reaches every lower bound the upper one does not, and the other way.
    assert truths(least)["under_10"] == under_low and truths(most)["under_10"] == under_high
    assert per_day_average(truths(least)["total"], DAYS) == day_low
    assert per_day_average(truths(most)["total"], DAYS) == day_high
    if young is not None:
        assert truths(most)["youngest"] == young[0]
        assert truths(fill(table, threshold, lambda a, b: b, at_top))["youngest"] == young[1]
    # A single year's total counts only cells of that year; with every suppressed cell at its least
    # (or most) each year meets its bound.
    for year, (low, high) in years.items():
        exact = [(lo, hi, c) for lo, hi, c in table if lo == hi == year]
        assert low == sum(c if c is not None else 1 for _, _, c in exact)
        assert high == sum(c if c is not None else threshold - 1 for _, _, c in exact)


def test_exact_tables_give_plain_numbers():
    table = [(3, 3, 4), (9, 9, 2), (13, 13, 7), (None, None, 5)]
    agg = aggregate_of(table, 5)
    assert agg.under_10 == 6 and agg.youngest_age == 3 and agg.modal_age == 13 and agg.modal_age_known
    assert agg.per_day_average == per_day_average(18, DAYS)
    assert "6 offences were against children under 10 and the youngest victim was 3" in " ".join(agg.headlines)


def test_the_issue_s_banded_campaign_never_says_zero_under_10():
    """Bands 0-11 and 7-12 and a 0-6 band made only of suppressed cells: the report said "0 victims
    under 10" and "the youngest victim was 12"."""
    table = [(0, 11, 40), (7, 12, 55), (0, 6, None), (0, 6, None)]
    agg = aggregate_of(table, 5)
    assert agg.under_10 == {"min": 2, "max": 40 + 55 + 8}
    assert agg.youngest_age == {"min": 0, "max": 6}
    text = " ".join(agg.headlines)
    assert "between 2 and 103 offences were against children under 10" in text
    assert "the youngest victim was 6 or younger" in text
    assert "cannot be told from the age bands" in text


SEX_LABELS_TRIED = ["<5", "*", "<10", "1-3", "<=2", ""]


@pytest.mark.parametrize("seed", range(200))
def test_the_totals_by_sex_hold_every_filling_and_reach_both_ends(seed):
    """Random cells by sex (given and suppressed, with their labels): each way to fill the
    suppressed cells gives per sex a total within `by_sex_bounds`, and filling them at their least
    (most) reaches the lower (upper) bound."""
    from reports.aggregate import NOT_GIVEN, SexRow, by_sex, suppressed_bounds

    rng = random.Random(seed)
    threshold = rng.choice([5, 10])
    cells = [(rng.choice(["female", "male", "unknown", ""]), None if rng.random() < 0.4 else rng.randint(0, 30),
              rng.choice(SEX_LABELS_TRIED)) for _ in range(rng.randint(1, 12))]
    grouped = Counter()
    known = Counter()
    for sex, count, label in cells:
        if count is None:
            grouped[(sex, label)] += 1
        else:
            known[sex] += count
    rows = [SexRow(sex, "", n, 0) for sex, n in known.items()]
    rows += [SexRow(sex, label, None, n) for (sex, label), n in grouped.items()]
    got = by_sex(rows, threshold)
    if all(sex == "" for sex, _, _ in cells):
        assert got == {"by_sex": {}, "by_sex_bounds": {}}
        return

    def filled(pick):
        out = Counter()
        for sex, count, label in cells:
            low, high, _ = suppressed_bounds(label, threshold)
            out[sex or NOT_GIVEN] += count if count is not None else pick(low, high)
        return out
    least, most = filled(lambda lo, hi: lo), filled(lambda lo, hi: hi)
    for _ in range(5):
        some = filled(rng.randint)
        for sex, value in got["by_sex_bounds"].items():
            low, high = bounds_of(value)
            assert low <= some[sex] <= high
    assert {sex: bounds_of(v) for sex, v in got["by_sex_bounds"].items()} == {
        sex: (least[sex], most[sex]) for sex in least}
    assert got["by_sex"] == {sex: known[sex if sex != NOT_GIVEN else ""] for sex in got["by_sex"]}


LABELS = ["*", "<5", "<10", "1-9", "<=3", "[c]"]


@pytest.mark.parametrize("seed", range(40))
def test_suppressed_cells_labelled_by_the_force_stay_inside_every_age_bound(seed):
    """A force that writes "<10" may hide a 9: the age figures (whose rows keep no labels) give each
    suppressed cell up to the most any label of the campaign allows, so no filling escapes them;
    with one label throughout they stay tight."""
    from reports.aggregate import suppressed_bounds

    rng = random.Random(1000 + seed)
    threshold = rng.choice([5, 10])
    table = random_table(rng, threshold)
    labels = [rng.choice(LABELS) if seed % 2 else LABELS[2] for _ in table]
    age_rows, suppressed = rows_of(table)
    suppressed = [row._replace(label=label) for row, label in
                  zip(suppressed, [lab for (_, _, c), lab in zip(table, labels) if c is None])]
    known = sum(c for _, _, c in table if c is not None)
    agg = build_aggregate(
        campaign="c", title="T", period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31),
        age_rows=age_rows, offence_rows=[OffenceRow("88A", "grooming", "Sexual grooming", known)],
        force_rows=[ForceRow(1, known)], outcome_rows=[("provided", 1)],
        requests=[RequestRow(1, "kent", "Kent Police", "provided")], suppressed_rows=suppressed, threshold=threshold)
    under_low, under_high = bounds_of(agg.under_10)
    years = {int(k): bounds_of(v) for k, v in agg.by_age_bounds.items() if k != "unknown"}

    def filled(pick, places):
        ages = Counter()
        for (low, high, count), label in zip(table, labels):
            n = count if count is not None else pick(*suppressed_bounds(label, threshold)[:2])
            ages.update([None] * n if low is None else places(low, high, n))
        return ages
    for ages in [filled(lambda a, b: rng.randint(a, b), scattered(rng)) for _ in range(30)] + \
            [filled(lambda a, b: b, at_bottom), filled(lambda a, b: a, at_top)]:
        assert under_low <= truths(ages)["under_10"] <= under_high, (table, labels, ages)
        for year, n in truths(ages)["known"].items():
            if year in years and all(lo == hi == year or lo is None or not lo <= year <= hi
                                     for lo, hi, _ in table):
                assert years[year][0] <= n <= years[year][1]
    if not seed % 2:  # every cell "<10": the bounds are reached
        assert truths(filled(lambda a, b: b, at_bottom))["under_10"] == under_high
