"""The report page computes a campaign's figures once per version of its data, not once per page
or chart; the version is kept by database triggers, so no way of writing counts leaves the page
stale; suppressed cells are summarised with a paginated list."""
import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse

from collection.forces.models import Force, OffenceCode
from collection.requests.models import Campaign, FoiRequest, NonWorkingDay, Outcome, RequestEvent, EventKind
from collection.returns.models import OffenceCount
from reports import cache, figures, services
from reports.cache import figures_version
from tests.reports.practice import TRUTH

pytestmark = pytest.mark.django_db


def report_url(campaign):
    return reverse("admin:reports_campaign_report", args=[campaign.pk])


def chart_urls(campaign):
    return [reverse("admin:reports_campaign_chart", args=[campaign.pk, kind, "svg"])
            for kind in ("age", "force", "category")] + [reverse("admin:reports_campaign_chart",
                                                                 args=[campaign.pk, "age", "png"])]


@pytest.fixture
def computations(monkeypatch):
    """How many times the aggregate is computed."""
    calls = []
    real = figures.compute_aggregate

    def counting(*args, **kwargs):
        calls.append(kwargs.get("cells", True))
        return real(*args, **kwargs)

    for module in (cache, services):  # the report's figures (cache) and the snapshots (services)
        monkeypatch.setattr(module, "compute_aggregate", counting)
    return calls


def test_every_way_of_writing_what_the_figures_read_changes_the_version(campaign, researcher):
    other = Campaign.objects.create(slug="other", title="Other", question="?", period_start=dt.date(2015, 4, 1),
                                    period_end=dt.date(2016, 3, 31))
    kent = campaign.requests.select_related("force").get(force__force_id="kent")
    code = OffenceCode.objects.get(code="88A")
    table = OffenceCount._meta.db_table
    seen = {figures_version(campaign.pk)}

    def changed(label):
        version = figures_version(campaign.pk)
        assert version not in seen, f"{label} did not change the version"
        seen.add(version)

    def unchanged(label):
        assert figures_version(campaign.pk) in seen, f"{label} changed the version"

    OffenceCount.objects.bulk_create([OffenceCount(campaign=campaign, force=kent.force, request=kent, offence=code,
                                                   victim_age=a, count=1) for a in range(5)])
    changed("bulk insert")
    with connection.cursor() as cursor:
        cursor.execute(f'UPDATE {table} SET "count" = "count" + 1 WHERE campaign_id = %s', [campaign.pk])
    changed("raw UPDATE")
    OffenceCount.objects.filter(campaign=campaign, victim_age=0).delete()
    changed("delete")
    FoiRequest.objects.filter(pk=kent.pk).update(outcome=Outcome.PROVIDED)
    changed("an outcome")
    Campaign.objects.filter(pk=campaign.pk).update(title="Renamed")
    changed("the campaign's title")
    Force.objects.filter(force_id="kent").update(name="Kent")
    changed("a force's name")
    OffenceCode.objects.filter(code="88A").update(description="Grooming")
    changed("an offence's description")
    NonWorkingDay.objects.create(date=dt.date(2016, 4, 4), description="One-off")
    changed("a non-working day")
    # Another campaign's counts are not this one's.
    r = other.requests.create(force=Force.objects.get(force_id="essex"))
    unchanged("another campaign's request")
    OffenceCount.objects.create(campaign=other, force=r.force, request=r, offence=code, victim_age=3, count=2)
    unchanged("another campaign's counts")
    RequestEvent.objects.create(request=kent, kind=EventKind.NOTE, happened_on=dt.date(2016, 3, 2), created_by=researcher)
    unchanged("an event")


def test_a_page_view_with_its_charts_computes_the_figures_once(researcher_client, complete, computations):
    first = researcher_client.get(report_url(complete)).context["agg"]
    for url in chart_urls(complete):
        assert researcher_client.get(url).status_code == 200
    assert computations == [False]  # once, and without listing every suppressed cell
    assert researcher_client.get(report_url(complete)).context["agg"] == first
    assert computations == [False]

    # A correction is seen at once: the version moved with it.
    cell = OffenceCount.objects.filter(campaign=complete, suppressed=False).order_by("pk").first()
    OffenceCount.objects.filter(pk=cell.pk).update(count=cell.count + 1000)
    response = researcher_client.get(report_url(complete))
    assert response.context["agg"].total_offences == TRUTH["total_offences"] + 1000
    assert f"{TRUTH['total_offences'] + 1000:,}" in response.content.decode()
    assert computations == [False, False]
    svg = researcher_client.get(reverse("admin:reports_campaign_chart", args=[complete.pk, "age", "svg"])).content
    assert f"{TRUTH['total_offences'] + 1000:,} offences".encode() in svg
    assert computations == [False, False]


def test_the_provisional_xlsx_shares_the_pages_figures(researcher_client, campaign, computations):
    from tests.reports.practice import load_counts

    load_counts(campaign)
    researcher_client.get(report_url(campaign))
    response = researcher_client.get(reverse("admin:reports_campaign_export", args=[campaign.pk, "xlsx"]))
    response.getvalue()
    assert computations == [False]


def test_snapshot_comparison_only_when_there_is_one(researcher_client, complete, monkeypatch):
    from reports import admin as reports_admin

    def no_compare(*args, **kwargs):
        raise AssertionError("compared with a snapshot that does not exist or did not change")

    monkeypatch.setattr(reports_admin, "figures_digest", no_compare)
    response = researcher_client.get(report_url(complete))
    assert response.context["changed_since_snapshot"] is False and response.context["latest"] is None
    services.CompileAggregate(complete, trigger="test").execute()
    html = researcher_client.get(report_url(complete)).content.decode()
    assert "These are the figures of the snapshot compiled" in html


def suppress(campaign, n):
    kent = campaign.requests.select_related("force").get(force__force_id="kent")
    essex = campaign.requests.select_related("force").get(force__force_id="essex")
    code = OffenceCode.objects.get(code="88A")
    OffenceCount.objects.bulk_create([
        OffenceCount(campaign=campaign, force=(kent if i % 3 else essex).force, request=kent if i % 3 else essex,
                     offence=code, victim_age=i % 18, victim_sex=str(i), suppressed=True,
                     suppressed_label="<5" if i % 2 else "*") for i in range(n)])


def test_suppressed_cells_summarised_on_the_page_and_listed_a_page_at_a_time(viewer_client, campaign):
    suppress(campaign, 150)
    response = viewer_client.get(report_url(campaign))
    html = response.content.decode()
    assert "Forces suppressed 150 small figures" in html and "between 150 and 600" in html
    listing = reverse("admin:reports_campaign_suppressed", args=[campaign.pk])
    assert listing in html
    assert html.count("<code>&lt;5</code>") == 0  # no cell by cell on the report page
    kent = next(f for f in response.context["suppressed_by_force"] if f["force_id"] == "kent")
    assert kent == {"force_id": "kent", "name": "Kent Police", "cells": 100, "min": 100, "max": 400}

    first = viewer_client.get(listing)
    assert first.status_code == 200 and len(first.context["rows"]) == 100
    assert "Page 1 of 2" in first.content.decode()
    second = viewer_client.get(listing + "?page=2")
    assert len(second.context["rows"]) == 50
    labels = [r["label"] for r in first.context["rows"] + second.context["rows"]]
    assert sorted(labels) == sorted(["<5" if i % 2 else "*" for i in range(150)])
    assert {(r["min"], r["max"]) for r in second.context["rows"]} <= {(1, 4)}
    assert viewer_client.get(listing + "?page=99").status_code == 200  # the last page, not an error


def test_an_import_works_the_figures_out_again_for_the_next_view(campaign, researcher, client, settings, computations,
                                                                 django_capture_on_commit_callbacks):
    """With FOI_WARM_REPORTS on (a shared reports cache), the figures are worked out after the import's
    commit, in the background: the report view that follows computes nothing."""
    from collection.importer import TidyRow
    from collection.returns.services import load_counts

    settings.FOI_WARM_REPORTS = True
    client.force_login(researcher)
    kent = campaign.requests.get(force__force_id="kent")
    cells = [TidyRow("88A", age, None, None, "", "", 2, False, "") for age in range(5)]
    with django_capture_on_commit_callbacks(execute=True) as queued:
        load_counts(kent, None, cells)
    assert len(queued) == 1 and computations == [False]
    assert client.get(report_url(campaign)).status_code == 200
    assert computations == [False], "the view after the import found the figures worked out"
    assert cache.report_figures(campaign).aggregate.total_offences == 10


def test_without_a_shared_cache_nothing_is_worked_out_in_the_background(campaign, settings, computations,
                                                                       django_capture_on_commit_callbacks):
    from collection.importer import TidyRow
    from collection.returns.services import load_counts

    settings.FOI_WARM_REPORTS = False
    kent = campaign.requests.get(force__force_id="kent")
    with django_capture_on_commit_callbacks(execute=True) as queued:
        load_counts(kent, None, [TidyRow("88A", 9, None, None, "", "", 2, False, "")])
    assert queued == [] and computations == []
