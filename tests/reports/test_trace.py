"""Show your working: every stored count keeps its file's checksum and its place in the file; from
the report's total a person reaches a force's figures and each figure's cell, shown in its file;
the exports carry the same source."""
import re

import pytest
from django.urls import reverse

from collection.returns.models import OffenceCount
from collection.returns.sheets import parse_place
from reports.resources import read_back
from reports.services import ExportDataset
from tests.helpers import TEST_DATA, command

pytestmark = pytest.mark.django_db

DATA = TEST_DATA / "returns"


@pytest.fixture
def imported(campaign):
    for force_id, name in (("cumbria", "cumbria.xls"), ("bedfordshire", "bedfordshire.csv")):
        command("import_return", campaign.slug, force_id, str(DATA / name))
    command("import_return", campaign.slug, "kent", str(TEST_DATA / "documents" / "kent.pdf"))
    return campaign


def test_every_count_keeps_its_place(imported):
    counts = OffenceCount.objects.filter(campaign=imported).select_related("returned_file")
    assert counts.count() > 50
    for c in counts:
        assert c.source_place, c
        assert parse_place(c.source_place)[1] is not None, c.source_place
        assert len(c.returned_file.sha256) == 64
    pivot = counts.filter(force__force_id="cumbria").first()
    assert re.match(r"sheet .+, row \d+, column [A-Z]+ \('\d+'\)", pivot.source_place), pivot.source_place
    tallied = counts.filter(force__force_id="bedfordshire").first()
    assert tallied.source_place.endswith("(first of the rows counted)")


def test_from_the_total_to_the_cell_in_three_pages(imported, researcher_client):
    report = researcher_client.get(reverse("admin:reports_campaign_report", args=[imported.pk])).content.decode()
    forces_url = reverse("admin:reports_campaign_trace", args=[imported.pk])
    assert f'id="trace-total" href="{forces_url}"' in report
    forces = researcher_client.get(forces_url).content.decode()
    force_url = reverse("admin:reports_campaign_trace_force", args=[imported.pk, "cumbria"])
    assert force_url in forces and "Cumbria" in forces
    page = researcher_client.get(force_url)
    count = page.context["counts"][0]
    cell_url = reverse("admin:reports_campaign_trace_cell", args=[imported.pk, count.pk])
    assert cell_url in page.content.decode() and count.returned_file.sha256[:16] in page.content.decode()
    cell = researcher_client.get(cell_url)
    view = cell.context["view"]
    assert view is not None and view.column_index is not None
    marked = dict(view.rows)[view.row][view.column_index]
    assert int(marked) == count.count  # the cell marked holds the figure stored
    assert 'class="the-cell" id="the-cell">' + marked + "</td>" in cell.content.decode()
    assert count.returned_file.sha256 in cell.content.decode()


def test_a_pdf_figure_is_shown_in_its_table(imported, researcher_client):
    count = OffenceCount.objects.filter(campaign=imported, force__force_id="kent", suppressed=False).first()
    cell = researcher_client.get(reverse("admin:reports_campaign_trace_cell", args=[imported.pk, count.pk]))
    view = cell.context["view"]
    assert view is not None, cell.context["unreadable"]
    assert str(count.count) in dict(view.rows)[view.row]


def test_viewers_may_trace_and_strangers_may_not(imported, viewer_client):
    url = reverse("admin:reports_campaign_trace", args=[imported.pk])
    assert viewer_client.get(url).status_code == 200
    viewer_client.logout()
    assert viewer_client.get(url).status_code == 302  # to the login page


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_exports_carry_the_source(imported, fmt):
    rows = read_back(ExportDataset(imported, fmt).execute().content, fmt)
    sha = {c.returned_file.sha256 for c in OffenceCount.objects.filter(campaign=imported).select_related("returned_file")}
    assert rows and all(r["source"].startswith("sha256:") for r in rows)
    assert {r["source"].split()[0][len("sha256:"):] for r in rows} == sha
    assert any(", column " in r["source"] for r in rows)


def test_the_trace_reaches_every_period_the_report_shows(researcher_client, researcher):
    """A second year that asked for the first again: the restated 2015/16 total, and each force's
    part of it, lead to that period's counts and their cells, as the report's own period does."""
    from reports.figures import compute_aggregate
    from tests.reports.practice_chain import chain

    _, second = chain(researcher)
    agg = compute_aggregate(second)
    report = researcher_client.get(reverse("admin:reports_campaign_report", args=[second.pk])).content.decode()
    forces_url = reverse("admin:reports_campaign_trace", args=[second.pk])
    assert f'href="{forces_url}?period=2015-16"' in report
    earlier = researcher_client.get(forces_url, {"period": "2015-16"})
    restated = agg.periods["2015-16"]
    assert earlier.context["total"] == restated["total_offences"] != agg.total_offences
    assert {r["force_id"]: r["offences"] for r in earlier.context["rows"]} == restated["by_force"]
    force_url = reverse("admin:reports_campaign_trace_force", args=[second.pk, "avon-and-somerset"])
    assert f'href="{force_url}?period=2015-16"' in earlier.content.decode()
    page = researcher_client.get(force_url, {"period": "2015-16"})
    assert page.context["force_total"] == restated["by_force"]["avon-and-somerset"] == 80
    assert {c.period.label for c in OffenceCount.objects.filter(pk__in=[c.pk for c in page.context["counts"]])} == {
        "2015-16"}
    assert researcher_client.get(force_url).context["force_total"] == agg.by_force["avon-and-somerset"] == 54
    cell = researcher_client.get(reverse("admin:reports_campaign_trace_cell",
                                         args=[second.pk, page.context["counts"][0].pk])).content.decode()
    assert f'href="{force_url}?period=2015-16"' in cell and f'href="{forces_url}?period=2015-16"' in cell
    # a period the campaign does not ask about is not found
    assert researcher_client.get(forces_url, {"period": "2013-14"}).status_code == 404
    assert researcher_client.get(force_url, {"period": "2013-14"}).status_code == 404
