"""A stored snapshot lists its suppressed cells from its dataset rows, not again in its figures:
differential tests that the figures read back (`snapshot_figures`) are those the provisional path
computes from the counts (`CompileAggregate(save=False)`), list of cells included, on campaigns
with exact ages, age bands, suppressed cells of several marks and several periods."""
import datetime as dt

import pytest

from collection.returns.models import OffenceCount
from reports.aggregate import SuppressedRow, listed_cells, with_listed_cells, without_listed_cells
from reports.models import AggregateSnapshot
from reports.services import CompileAggregate, snapshot_figures
from tests.reports.practice_chain import chain

pytestmark = pytest.mark.django_db
TODAY = dt.date(2017, 6, 1)
MARKS = ("<5", "*", "1-4", "x", "<=3", "[c]")


def vary(campaign):
    """Some counts of every period turned into age bands, others into suppressed cells (several
    marks, some two to a key), some given a sex: the shapes the list of cells and its order meet."""
    for period in campaign.periods.all():
        pks = list(OffenceCount.objects.filter(campaign=campaign, period=period).order_by("pk")
                   .values_list("pk", flat=True))
        assert len(pks) > 40, "the practice counts are the campaign's"
        for i, pk in enumerate(pks[::7]):
            OffenceCount.objects.filter(pk=pk).update(suppressed=True, count=None, suppressed_label=MARKS[i % len(MARKS)],
                                                      victim_sex="female" if i % 3 == 0 else "")
        banded = [pk for pk in pks[3::11] if pk not in pks[::7]]
        OffenceCount.objects.filter(pk__in=banded[::2]).update(victim_age=None, age_band="0-5", age_band_min=0,
                                                               age_band_max=5)
        OffenceCount.objects.filter(pk__in=banded[1::2]).update(victim_age=None, age_band="6-10", age_band_min=6,
                                                                age_band_max=10)
        # Two cells of one key with different marks, and a cell of unknown age.
        twin = OffenceCount.objects.get(pk=pks[0])
        twin.pk, twin.suppressed_label = None, "<3"
        twin.save()
        OffenceCount.objects.filter(pk=pks[7]).update(victim_age=None)


def compared(campaign):
    provisional = CompileAggregate(campaign, final=True, save=False, today=TODAY).execute().as_dict()
    snapshot = CompileAggregate(campaign, final=True, trigger="test", today=TODAY).execute()
    return provisional, snapshot


def assert_same_figures(provisional, snapshot):
    kept = AggregateSnapshot.objects.values_list("figures", flat=True).get(pk=snapshot.pk)
    assert "suppressed_cells" not in kept
    assert all("suppressed_cells" not in entry for entry in kept["periods"].values())
    # (Equal as values: PostgreSQL's jsonb keeps no order of keys, SQLite's JSON does.)
    assert snapshot_figures(snapshot.pk) == provisional


def test_one_period_with_bands_and_cells_of_several_marks(complete):
    vary(complete)
    provisional, snapshot = compared(complete)
    cells = provisional["suppressed_cells"]
    assert len(cells) > 30 and {c["label"] for c in cells} == {*MARKS, "<3"}
    assert provisional["by_age_band"] and any(c["victim_sex"] for c in cells)
    assert_same_figures(provisional, snapshot)


def test_several_periods_each_list_their_own_cells(researcher):
    _, second = chain(researcher)
    vary(second)
    provisional, snapshot = compared(second)
    assert set(provisional["periods"]) == {"2015-16", "2016-17"}
    assert all(entry["suppressed_cells"] for entry in provisional["periods"].values())
    assert provisional["periods"]["2015-16"]["suppressed_cells"] != provisional["suppressed_cells"]
    assert_same_figures(provisional, snapshot)


def test_a_campaign_without_suppressed_cells(complete):
    provisional, snapshot = compared(complete)
    assert provisional["suppressed_cells"] == []
    assert_same_figures(provisional, snapshot)


def test_a_snapshot_that_kept_its_cells_in_its_figures_reads_them_there(complete):
    vary(complete)
    snapshot = CompileAggregate(complete, final=True, trigger="test", today=TODAY).execute()
    full = snapshot_figures(snapshot.pk)
    # As snapshots were compiled before the rows kept the marks: the list in the figures, rows without marks.
    AggregateSnapshot.objects.filter(pk=snapshot.pk).update(figures={**full, "suppressed_cells": full["suppressed_cells"][:1]})
    snapshot.dataset.update(suppressed_label="")
    assert snapshot_figures(snapshot.pk)["suppressed_cells"] == full["suppressed_cells"][:1]


def test_listed_cells_are_in_one_order_whatever_order_the_rows_come_in():
    rows = [SuppressedRow("kent", "22", None, "", "", "*"), SuppressedRow("essex", "22", 4, "", "male", "<5"),
            SuppressedRow("essex", "22", 4, "", "", "<5"), SuppressedRow("essex", "22", 4, "", "", "*")]
    cells = listed_cells(rows, 5)
    assert listed_cells(reversed(rows), 5) == cells
    assert [(c["force_id"], c["victim_sex"], c["label"]) for c in cells] == [
        ("essex", "", "*"), ("essex", "", "<5"), ("essex", "male", "<5"), ("kent", "", "*")]
    assert [(c["min"], c["max"]) for c in cells] == [(1, 4), (1, 4), (1, 4), (1, 4)]


def test_figures_without_their_cells_and_back():
    cell = {"force_id": "kent", "offence_code": "22", "victim_age": 3, "age_band": "", "victim_sex": "",
            "label": "<3", "min": 1, "max": 2, "rule": "label"}
    figures = {"total_offences": 5, "forces_without_counts": [], "suppressed_cells": [cell],
               "suppression_threshold": 5, "period": "2016-17",
               "periods": {"2015-16": {"forces_without_counts": [], "suppressed_cells": [], "total_offences": 1},
                           "2016-17": {"forces_without_counts": [], "suppressed_cells": [cell], "total_offences": 5}}}
    kept = without_listed_cells(figures)
    assert "suppressed_cells" not in kept and all("suppressed_cells" not in p for p in kept["periods"].values())
    assert figures["periods"]["2016-17"]["suppressed_cells"] == [cell]  # the figures given are left alone
    back = with_listed_cells(kept, [("2016-17", SuppressedRow("kent", "22", 3, "", "", "<3"))])
    assert back == figures and list(back) == list(figures)
