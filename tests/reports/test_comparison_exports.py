"""The exports of a campaign with two periods: a `period` column in csv, json and xlsx, live and
from the stored snapshot; the xlsx Comparison sheet; the metadata names the periods."""
import io
from collections import Counter

import openpyxl
import pytest

from reports.resources import read_back
from reports.services import CompileAggregate, ExportDataset
from tests.reports.practice_chain import TRUTH, chain

pytestmark = pytest.mark.django_db
FORMATS = ("csv", "json", "xlsx")


def totals(rows) -> dict:
    out = Counter()
    for r in rows:
        out[(r["period"], r["force_id"])] += r["count"] or 0
    return out


def expected_totals() -> dict:
    return {(label, f): n for label in ("2015-16", "2016-17") for f, n in TRUTH[label]["by_force"].items()}


@pytest.mark.parametrize("fmt", FORMATS)
def test_live_and_stored_exports_say_the_period_of_each_row(researcher, fmt):
    _, second = chain(researcher)
    live = ExportDataset(second, fmt).execute()
    assert live.snapshot is None and live.final
    rows = read_back(live.content, fmt)
    assert totals(rows) == expected_totals()
    assert [r["period"] for r in rows] == sorted(r["period"] for r in rows)  # earliest period first
    snapshot = CompileAggregate(second, final=True).execute()
    stored = ExportDataset(second, fmt).execute()
    assert stored.snapshot.pk == snapshot.pk
    assert read_back(stored.content, fmt) == rows
    meta = stored.metadata()
    assert [(p["label"], p["main"]) for p in meta["periods"]] == [("2015-16", False), ("2016-17", True)]
    assert meta["columns"][0] == "period"


def test_the_xlsx_has_a_comparison_sheet(researcher):
    first, second = chain(researcher)
    book = openpyxl.load_workbook(io.BytesIO(ExportDataset(second, "xlsx").execute().content), read_only=True)
    assert "Comparison" in book.sheetnames
    rows = list(book["Comparison"].iter_rows(values_only=True))
    assert rows[0][:8] == ("force_id", "force_name", "2015-16 (restated)", "2016-17", "change", "change_pct",
                           "2015-16 as first published", "compared")
    assert rows[1][2:7] == (2675, 3134, 459, 17.2, 2278)
    per_force = {r[0]: r for r in rows[2:]}
    assert per_force["avon-and-somerset"][2:5] == (80, 54, -26) and per_force["avon-and-somerset"][6] == 73
    assert per_force["kent"][3] == 187 and per_force["kent"][7] == "no: 2016-17 only"
    assert per_force["north-wales"][6] is None  # no figures first time round
    meta = dict(r[:2] for r in book["Metadata"].iter_rows(values_only=True))
    assert "2015-16 (2015-04-01 to 2016-03-31, asked again" in meta["Periods in the dataset"]
    headline = list(book["Headline figures"].iter_rows(values_only=True))
    assert ("Period", "2016-17") in headline and ("Total offences", 3456) in headline
    assert ("Period 2015-16: total offences (asked again, as restated)", 2675) in headline
    findings = [r[1] for r in headline if r[0] == "Comparison"]
    assert findings[0].startswith("3,134 offences in 2016/17 from 37 forces, 459 (17.2%) more")
    # One period, no repeat: no comparison sheet.
    single = openpyxl.load_workbook(io.BytesIO(ExportDataset(first, "xlsx").execute().content), read_only=True)
    assert "Comparison" not in single.sheetnames


def test_a_snapshots_figures_without_cells_leave_every_periods_list_out(researcher):
    """The export's figures of a snapshot skip the lists of suppressed cells, each period's too."""
    from collection.returns.models import OffenceCount
    from reports.services import snapshot_figures

    _, second = chain(researcher)
    for label in ("2015-16", "2016-17"):
        row = OffenceCount.objects.filter(campaign=second, period__label=label, force__force_id="kent" if
                                          label == "2016-17" else "essex").first()
        row.suppressed, row.suppressed_label, row.count = True, "<5", None
        row.save()
    snapshot = CompileAggregate(second, final=True).execute()
    full = snapshot_figures(snapshot.pk)
    assert len(full["suppressed_cells"]) == 1 and len(full["periods"]["2015-16"]["suppressed_cells"]) == 1
    light = snapshot_figures(snapshot.pk, cells=False)
    assert "suppressed_cells" not in light and light["total_offences"] == full["total_offences"]
    assert all("suppressed_cells" not in p for p in light["periods"].values())
    assert light["periods"]["2015-16"]["suppressed_count"] == 1 and light["comparison"] == full["comparison"]
