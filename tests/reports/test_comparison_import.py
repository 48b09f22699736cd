"""Done means (issue 12): the practice chain through the commands. The first year's returns
(tests/data/returns, copies of ../shared/samples/returns) and a year later the repeat's returns
holding both years in every layout (tests/data/returns-2016-17) go in through import_returns;
compile_aggregate --json gives exactly truth.json for both periods and its comparison, and the
exports and the report page say the same."""
import json
from pathlib import Path

import pytest
from django.urls import reverse

from reports.resources import read_back
from reports.services import ExportDataset
from tests.reports import practice
from tests.reports.practice_chain import TRUTH, first_year, record_second_year_outcomes, second_year
from tests.reports.test_comparison_chain import assert_comparison, assert_truth
from tests.helpers import command

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parent.parent / "data"


def test_the_practice_chain_through_the_commands(researcher, researcher_client):
    # The first year: imported, every outcome recorded, the final figures published.
    first = first_year(researcher, counts=False)
    out = command("import_returns", first.slug, str(DATA / "returns"))
    assert "imported." in out
    assert json.loads(command("compile_aggregate", first.slug, "--json"))["total_offences"] == practice.TRUTH[
        "total_offences"]

    # A year later: 2016/17 and 2015/16 again, returns holding both years (or 2016/17 only).
    second = second_year(researcher, first)
    files = sorted(m["file"] for m in json.loads((DATA / "returns-2016-17" / "manifest.json").read_text()).values()
                   if m.get("file"))
    out = command("import_returns", second.slug, str(DATA / "returns-2016-17"))
    assert f"{len(files)} files: {len(files)} imported." in out, out
    record_second_year_outcomes(second, researcher)

    figures = json.loads(command("compile_aggregate", second.slug, "--json"))
    assert_truth(figures, "2016-17")
    assert_truth(figures["periods"]["2015-16"], "2015-16")
    assert_comparison(figures["comparison"])

    # The exports: every row with its period, the totals per period and force as truth.json.
    rows = read_back(ExportDataset(second, "csv").execute().content, "csv")
    for label in ("2015-16", "2016-17"):
        by_force = {}
        for r in rows:
            if r["period"] == label:
                by_force[r["force_id"]] = by_force.get(r["force_id"], 0) + (r["count"] or 0)
        assert by_force == TRUTH[label]["by_force"], label

    # The report page reads the same comparison.
    page = researcher_client.get(reverse("admin:reports_campaign_report", args=[second.pk])).content.decode()
    assert "Compared with 2015/16" in page and "459 (17.2%) more than the same forces recorded in 2015/16" in page
