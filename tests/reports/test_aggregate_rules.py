"""The aggregate's pure rules (reports/aggregate.py): no database."""
import datetime as dt

import pytest

from collection.deadlines import WorkingCalendar
from reports.aggregate import (AgeRow, ForceRow, OffenceRow, RequestRow, SuppressedRow, approximately,
                               answer_counts, build_aggregate, modal_ages, per_day_average, suppressed_bounds, timeliness_table,
                               youngest_age)


@pytest.mark.parametrize("total, days, expected", [(2552, 366, 6.97), (3000, 366, 8.20), (0, 366, 0.0),
                                                   (5, 2, 2.5), (1, 8, 0.13), (1, 0, 0.0)])
def test_per_day_average_rounds_half_up_to_two_places(total, days, expected):
    assert per_day_average(total, days) == expected


@pytest.mark.parametrize("label, bounds", [
    ("<5", (1, 4, "label")), ("< 10", (1, 9, "label")), ("less than 3", (1, 2, "label")),
    ("<=5", (1, 5, "label")), ("\u22643", (1, 3, "label")), ("1-4", (1, 4, "label")), ("0 to 4", (1, 4, "label")),
    ("*", (1, 4, "threshold 5")), ("x", (1, 4, "threshold 5")), ("X", (1, 4, "threshold 5")),
    ("[c]", (1, 4, "threshold 5")), ("", (1, 4, "threshold 5")),
])
def test_suppressed_bounds(label, bounds):
    assert suppressed_bounds(label) == bounds


def test_suppressed_bounds_threshold_is_configurable():
    assert suppressed_bounds("*", threshold=10) == (1, 9, "threshold 10")
    assert suppressed_bounds("<5", threshold=10) == (1, 4, "label")  # the label wins


def test_modal_youngest_approximately():
    assert modal_ages({13: 5, 14: 5, 2: 1}) == [13, 14]
    assert modal_ages({1: 0}) == [] and modal_ages({}) == []
    assert youngest_age({0: 0, 3: 2, 5: 1}) == 3
    assert youngest_age({0: 0, 3: 2}, suppressed_ages=[1]) == 1
    assert youngest_age({0: 0}) is None
    assert approximately(2552) == "more than 2,500" and approximately(3000) == "3,000"
    assert approximately(99) == "99" and approximately(12345) == "more than 12,000"


FORCES = [RequestRow(1, "kent", "Kent Police", "provided"), RequestRow(2, "essex", "Essex Police", "provided"),
          RequestRow(3, "dorset", "Dorset Police", "not_held"), RequestRow(4, "suffolk", "Suffolk", "refused",
                                                                           sections_cited="s.12"),
          RequestRow(5, "btp", "British Transport Police", "")]


def aggregate(age_rows, suppressed=(), requests=FORCES, force_rows=None, threshold=5):
    total = sum(r.total or 0 for r in age_rows)
    return build_aggregate(
        campaign="c", title="T", period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31),
        age_rows=age_rows, offence_rows=[OffenceRow("88A", "grooming", "Sexual grooming", total)],
        force_rows=force_rows if force_rows is not None else [ForceRow(1, total)],
        outcome_rows=[("provided", 2), ("not_held", 1), ("refused", 1), ("", 1)], requests=requests,
        suppressed_rows=suppressed, threshold=threshold)


def test_bands_are_reported_beside_not_forced_into_years():
    agg = aggregate([AgeRow(4, "", None, None, 3), AgeRow(12, "", None, None, 10), AgeRow(None, "", None, None, 2),
                     AgeRow(None, "0-5", 0, 5, 7), AgeRow(None, "11-15", 11, 15, 20), AgeRow(None, "6-10", 6, 10, 4)])
    assert agg.total_offences == 46
    assert agg.by_age["4"] == 3 and agg.by_age["12"] == 10 and agg.by_age["unknown"] == 2
    assert sum(agg.by_age.values()) == 15  # bands not spread over years
    assert agg.by_age_band == {"0-5": 7, "11-15": 20, "6-10": 4}
    # The 0-5 band is certainly under 10; all of 6-10 may be, or none.
    assert agg.under_10 == {"min": 3 + 7, "max": 3 + 7 + 4}
    assert any("6-10" in c and "under-10" in c for c in agg.caveats)
    assert agg.youngest_age == {"min": 0, "max": 4}  # the 0-5 band may hold a baby; the 4 year old is sure
    assert agg.modal_age is None and agg.modal_age_known is False and agg.modal_ages == [4, 11, 12, 13, 14, 15]
    assert "between 10 and 14 offences were against children under 10 and the youngest victim was 4 or younger." \
        in " ".join(agg.headlines)


def test_suppressed_cells_bound_the_total_and_count_for_youngest():
    agg = aggregate([AgeRow(13, "", None, None, 10), AgeRow(2, "", None, None, None, 1)],
                    suppressed=[SuppressedRow("kent", "88A", 2, "", "", "<5"),
                                SuppressedRow("essex", "88A", 13, "", "F", "*")], threshold=5)
    assert agg.total_offences == 10 and agg.by_age["2"] == 0
    assert agg.youngest_age == 2  # a suppressed cell is never zero
    assert agg.total_offences_min == 12 and agg.total_offences_max == 18
    assert [(c["force_id"], c["min"], c["max"]) for c in agg.suppressed_cells] == [("essex", 1, 4), ("kent", 1, 4)]
    assert any("between 12 and 18" in h for h in agg.headlines)


def test_outcomes_outstanding_and_forces_without_counts():
    agg = aggregate([AgeRow(14, "", None, None, 5)], force_rows=[ForceRow(1, 5)])
    assert agg.final is False
    assert agg.outcomes == {"not_held": 1, "provided": 2, "refused": 1, "outstanding": 1}
    assert agg.outstanding_forces == [{"force_id": "btp", "name": "British Transport Police"}]
    assert agg.forces_without_counts == [{"force_id": "essex", "name": "Essex Police"}]
    assert agg.forces_asked == 5 and agg.forces_with_data == 2
    assert agg.headlines[0] == ("These figures are provisional: 1 force has not answered yet "
                                "(British Transport Police).")
    assert "1 force said it did not hold the information (Dorset Police) and 1 force refused (Suffolk, s.12)." \
        in agg.headlines


def test_empty_campaign():
    agg = aggregate([], force_rows=[])
    assert agg.total_offences == 0 and agg.per_day_average == 0.0
    assert agg.youngest_age is None and agg.modal_age is None and agg.largest_force is None
    assert agg.by_age == {**{str(a): 0 for a in range(18)}, "unknown": 0}


def test_timeliness_table():
    cal = WorkingCalendar()
    rows = timeliness_table([
        RequestRow(1, "kent", "Kent", "provided", "answered", dt.date(2016, 3, 1), dt.date(2016, 4, 1),
                   dt.date(2016, 3, 8)),
        RequestRow(2, "essex", "Essex", "refused", "answered", dt.date(2016, 3, 1), dt.date(2016, 4, 1),
                   dt.date(2016, 4, 5), "s.12"),
        RequestRow(3, "dorset", "Dorset", "", "sent", dt.date(2016, 3, 1), dt.date(2016, 4, 1)),
        RequestRow(4, "suffolk", "Suffolk", "no_response", "closed", dt.date(2016, 3, 1), dt.date(2016, 4, 1),
                   dt.date(2016, 5, 3)),
    ], cal, today=dt.date(2016, 4, 8))
    by = {r["force_id"]: r for r in rows}
    assert by["kent"]["working_days"] == 5 and by["kent"]["verdict"] == "On time"
    assert by["essex"]["working_days"] == 22 and by["essex"]["on_time"] is False
    assert by["essex"]["verdict"] == "Late by 2 working days"
    assert by["dorset"]["verdict"] == "Outstanding, 5 working days overdue"
    assert by["suffolk"]["verdict"].startswith("No response (") and by["suffolk"]["working_days"] is None
    assert [r["force_id"] for r in rows][:2] == ["kent", "essex"]  # fastest first


def test_answers_on_time_are_counted_from_the_rows_of_the_table():
    """A clock stopped by clarification (no due date) is neither on time nor late, in the count above
    the table and in its verdicts alike: the count was 37 where the table showed 38 "On time"."""
    cal = WorkingCalendar()
    rows = timeliness_table([
        RequestRow(1, "kent", "Kent", "provided", "answered", dt.date(2016, 3, 1), dt.date(2016, 4, 1),
                   dt.date(2016, 3, 8)),
        RequestRow(2, "essex", "Essex", "provided", "answered", dt.date(2016, 3, 1), None, dt.date(2016, 3, 20)),
        RequestRow(3, "dorset", "Dorset", "refused", "answered", dt.date(2016, 3, 1), dt.date(2016, 4, 1),
                   dt.date(2016, 4, 5)),
    ], cal, today=dt.date(2016, 4, 8))
    counts = answer_counts(rows)
    assert counts == {"answered": 3, "on_time": 1, "late": 1, "no_deadline": 1}
    assert counts["on_time"] == sum(r["verdict"] == "On time" for r in rows)
    assert counts["late"] == sum(r["verdict"].startswith("Late") for r in rows)
    essex = next(r for r in rows if r["force_id"] == "essex")
    assert "clock was stopped" in essex["verdict"]
    agg = build_aggregate(campaign="c", title="T", period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31),
                          age_rows=[], offence_rows=[], force_rows=[], outcome_rows=[], requests=[], timeliness=rows)
    assert agg.answers == counts


def test_the_league_table_counts_working_days_as_the_calendar_does_day_by_day():
    import random

    cal = WorkingCalendar({dt.date(2016, 3, 9): "one-off", dt.date(2016, 3, 12): "a Saturday anyway",
                           dt.date(2016, 12, 26): "already a bank holiday"})
    closed = cal.closed_weekdays(2014, 2018)  # what timeliness_table hands over for the whole table
    rnd = random.Random(7)
    for _ in range(400):
        start = dt.date(2015, 1, 1) + dt.timedelta(days=rnd.randint(0, 800))
        end = start + dt.timedelta(days=rnd.randint(-60, 120))
        low, high = min(start, end), max(start, end)
        by_hand = sum(1 for i in range(1, (high - low).days + 1) if cal.is_working_day(low + dt.timedelta(days=i)))
        assert cal.working_days_between(start, end, closed) == (by_hand if end >= start else -by_hand), (start, end)


def test_the_totals_by_sex_are_told_only_when_some_count_carries_a_sex():
    from reports.aggregate import SexRow, sex_breakdown

    asked = build_aggregate(
        campaign="c", title="T", period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31),
        age_rows=[AgeRow(14, "", None, None, 30, 2)], offence_rows=[], force_rows=[ForceRow(1, 30)],
        outcome_rows=[], requests=[], sex_rows=[SexRow("", "", 6), SexRow("male", "", 10),
                                                SexRow("male", "<10", None, 1), SexRow("female", "", 14),
                                                SexRow("female", "*", None, 1)])
    assert asked.by_sex == {"female": 14, "male": 10, "not_given": 6}
    assert asked.by_sex_bounds == {"female": {"min": 15, "max": 18}, "male": {"min": 11, "max": 19}, "not_given": 6}
    assert [(s["label"], s["text"]) for s in sex_breakdown(asked)] == [
        ("Female", "15 to 18"), ("Male", "11 to 19"), ("Not given", "6")]
    assert asked.as_dict()["by_sex_bounds"]["male"] == {"min": 11, "max": 19}
    not_asked = build_aggregate(
        campaign="c", title="T", period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31),
        age_rows=[AgeRow(14, "", None, None, 6)], offence_rows=[], force_rows=[ForceRow(1, 6)], outcome_rows=[],
        requests=[], sex_rows=[SexRow("", "", 6)])
    assert not_asked.by_sex == {} and not_asked.by_sex_bounds == {} and sex_breakdown(not_asked) == []
