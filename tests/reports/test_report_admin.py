"""The report page in the admin: truth.json's figures, charts as PNG and SVG, exports, snapshots,
and who may see and do what."""
import json

import pytest
from django.urls import reverse

from reports.models import AggregateSnapshot
from reports.resources import read_back
from tests.reports.practice import TRUTH, load_counts, record_outcomes

pytestmark = pytest.mark.django_db




def report_url(campaign):
    return reverse("admin:reports_campaign_report", args=[campaign.pk])


def test_report_page_shows_the_truth(researcher_client, complete):
    response = researcher_client.get(report_url(complete))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Final: every one of the 44 forces asked has an outcome." in html
    assert "2,552" in html and "6.97" in html
    assert "The most common victim age was 14 (442 offences), 208 offences were against children under 10" in html
    agg = response.context["agg"]
    for key in ("total_offences", "per_day_average", "by_age", "under_10", "youngest_age", "modal_age",
                "by_offence_category", "by_offence_code", "by_force", "forces_asked", "forces_with_data", "outcomes"):
        assert getattr(agg, key) == TRUTH[key], key
    # Charts inline, each downloadable as PNG and SVG.
    for kind in ("age", "force", "category"):
        assert reverse("admin:reports_campaign_chart", args=[complete.pk, kind, "svg"]) in html
        assert reverse("admin:reports_campaign_chart", args=[complete.pk, kind, "png"]) + "?download=1" in html
    # The per-force table with timeliness, and exports.
    assert "Suffolk Constabulary" in html and "Refused (s.12)" in html and "Late by" in html
    assert reverse("admin:reports_campaign_export", args=[complete.pk, "xlsx"]) in html
    assert "Nothing: every force has answered" in html
    assert 'extends' not in html and 'id="site-name"' in html  # the admin's own look


def test_provisional_report_lists_outstanding_forces(researcher_client, campaign):
    load_counts(campaign)
    record_outcomes(campaign, leave_out={"kent", "essex"})
    html = researcher_client.get(report_url(campaign)).content.decode()
    assert "Provisional: 2 of 44 forces have not answered yet" in html
    assert "Essex Police: no answer recorded yet." in html and "Kent Police: no answer recorded yet." in html
    # The store-final button is not offered; a forced POST is refused with the names.
    response = researcher_client.post(reverse("admin:reports_campaign_compile", args=[campaign.pk]),
                                      {"kind": "final"}, follow=True)
    assert "cannot be final" in response.content.decode() and "Essex Police" in response.content.decode()
    assert not AggregateSnapshot.objects.exists()
    researcher_client.post(reverse("admin:reports_campaign_compile", args=[campaign.pk]), {"kind": "provisional"})
    assert AggregateSnapshot.objects.get().final is False


@pytest.mark.parametrize("fmt, content_type, magic", [("png", "image/png", b"\x89PNG"),
                                                      ("svg", "image/svg+xml", b"<?xml")])
def test_charts(researcher_client, complete, fmt, content_type, magic):
    for kind in ("age", "force", "category"):
        url = reverse("admin:reports_campaign_chart", args=[complete.pk, kind, fmt])
        response = researcher_client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == content_type
        assert response.content.startswith(magic)
        download = researcher_client.get(url + "?download=1")
        assert download["Content-Disposition"] == f'attachment; filename="{complete.slug}-{kind}-final.{fmt}"'
    svg = researcher_client.get(reverse("admin:reports_campaign_chart", args=[complete.pk, "force", "svg"]))
    assert b"Metropolitan Police Service" in svg.content and "default-src 'none'" in svg["Content-Security-Policy"]
    assert researcher_client.get(reverse("admin:reports_campaign_chart",
                                         args=[complete.pk, "pie", fmt])).status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_export_from_the_admin_reads_back_the_truth(viewer_client, complete, fmt):
    response = viewer_client.get(reverse("admin:reports_campaign_export", args=[complete.pk, fmt]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{complete.slug}-national-dataset-final.{fmt}"'
    assert response.streaming  # streamed from the cursor (csv, json) or the temporary file (xlsx)
    rows = read_back(response.getvalue(), fmt)
    assert sum(r["count"] or 0 for r in rows) == TRUTH["total_offences"]
    by_force = {}
    for r in rows:
        by_force[r["force_id"]] = by_force.get(r["force_id"], 0) + (r["count"] or 0)
    assert by_force == TRUTH["by_force"]


def test_viewer_sees_the_report_but_cannot_compile(viewer_client, complete):
    response = viewer_client.get(report_url(complete))
    assert response.status_code == 200
    assert b"Compile and store the final figures" not in response.content
    assert viewer_client.post(reverse("admin:reports_campaign_compile", args=[complete.pk])).status_code == 403
    assert not AggregateSnapshot.objects.exists()


def test_researcher_compiles_from_the_report_page(researcher_client, researcher, complete):
    html = researcher_client.get(report_url(complete)).content.decode()
    assert "Compile and store the final figures" in html
    response = researcher_client.post(reverse("admin:reports_campaign_compile", args=[complete.pk]),
                                      {"kind": "final"})
    assert response.status_code == 302
    snapshot = AggregateSnapshot.objects.get()
    assert snapshot.final and snapshot.compiled_by == researcher and snapshot.trigger == "admin"
    assert snapshot.figures["total_offences"] == 2552
    # The snapshot pages: list and read-only detail with its sources.
    listing = researcher_client.get(reverse("admin:reports_aggregatesnapshot_changelist"))
    assert listing.status_code == 200 and b"2,552" in listing.content
    detail = researcher_client.get(reverse("admin:reports_aggregatesnapshot_change", args=[snapshot.pk]))
    assert detail.status_code == 200 and b'name="_save"' not in detail.content
    assert snapshot.sources[0]["sha256"].encode() in detail.content
    assert researcher_client.get(report_url(complete)).context["latest"] == snapshot
    assert researcher_client.get(reverse("admin:reports_campaign_compile", args=[complete.pk])).status_code == 405


def test_anonymous_and_unknown(researcher_client, complete):
    from django.test import Client

    client = Client()
    for url in (report_url(complete), reverse("admin:reports_campaign_chart", args=[complete.pk, "age", "png"]),
                reverse("admin:reports_campaign_export", args=[complete.pk, "csv"])):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert researcher_client.get(reverse("admin:reports_campaign_report", args=[99999])).status_code == 404
    assert researcher_client.get(reverse("admin:reports_campaign_export", args=[complete.pk, "pdf"])).status_code == 404


def test_staff_without_campaign_permission_is_refused(client, make_user, complete):
    client.force_login(make_user("nobody"))
    assert client.get(report_url(complete)).status_code == 403
    assert client.get(reverse("admin:reports_campaign_export", args=[complete.pk, "csv"])).status_code == 403


def test_campaign_pages_link_to_the_report(researcher_client, viewer_client, complete):
    url = report_url(complete)
    assert url.encode() in researcher_client.get(reverse("admin:collection_campaign_changelist")).content
    assert url.encode() in researcher_client.get(reverse("admin:collection_campaign_change",
                                                         args=[complete.pk])).content
    assert url.encode() in viewer_client.get(reverse("admin:collection_campaign_change", args=[complete.pk])).content


def test_snapshot_figures_are_json(complete):
    from reports.services import CompileAggregate

    snapshot = CompileAggregate(complete).execute()
    snapshot.refresh_from_db()
    assert json.loads(json.dumps(snapshot.figures))["by_age"] == TRUTH["by_age"]
