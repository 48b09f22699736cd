"""The report page of a campaign with a previous period: "Compared with 2015/16" (like for like,
per force, restated beside first published, one-period forces), the trend across the chain, the
press-release sentences; its queries do not grow with the chain."""
import datetime as dt
import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from collection.forces.models import Force, OffenceCode
from collection.requests.models import CampaignPeriod
from collection.returns.models import OffenceCount
from collection.requests.services import CreateCampaign
from reports import cache
from reports.services import CompileAggregate
from tests.conftest import ensure_reference_data
from tests.reports.practice_chain import chain

pytestmark = pytest.mark.django_db


def report(client, campaign):
    response = client.get(reverse("admin:reports_campaign_report", args=[campaign.pk]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_the_report_compares_like_for_like_with_the_restated_and_the_published_base(researcher_client, researcher):
    first, second = chain(researcher)
    page = report(researcher_client, second)
    assert "Compared with 2015/16" in page
    assert ("3,134 offences in 2016/17 from 37 forces, 459 (17.2%) more than the same forces recorded in 2015/16 "
            "(2,675).") in page
    assert "+17.2% like for like (37 forces)" in page
    assert "2,278" in page and "as first published (36 of these forces)" in page
    # Per force: Avon and Somerset restated 80, gave 54 (-26, -32.5%), first published 73; the two
    # figures of this request lead to their forces' counts in each period.
    row = page[page.index("<td>Avon and Somerset Constabulary</td>"):][:1000]
    avon = reverse("admin:reports_campaign_trace_force", args=[second.pk, "avon-and-somerset"])
    for cell in (f'<a href="{avon}?period=2015-16" title="Each figure and the cell it was read from">80</a></td>',
                 f'<a href="{avon}" title="Each figure and the cell it was read from">54</a></td>',
                 '<td class="num">-26</td>', '<td class="num">-32.5%</td>', '<td class="num">73</td>'):
        assert cell in row, (cell, row)
    assert "Kent Police: 2016/17 only (187; 125 in 2015/16 as first published)" in page
    assert f"snapshot {first.aggregate_snapshots.get().pk}" in page
    # Both periods' headline figures, and the trend across the chain.
    assert "asked again: as the forces restated it" in page
    assert reverse("admin:reports_campaign_chart", args=[second.pk, "trend", "svg"]) in page
    trend = page[page.index('<table class="trend">'):]
    assert "<td>2015/16</td>" in trend and "2,552" in trend and "2,675" in trend and "3,456" in trend
    assert "(live counts, not yet published)" in trend  # the repeat has no final snapshot yet


def test_a_campaign_with_one_period_shows_no_comparison(researcher_client, complete):
    page = report(researcher_client, complete)
    assert "Compared with" not in page and "Trend across" not in page


def test_the_trend_chart_is_an_svg_without_script_and_follows_the_chain(researcher_client, researcher):
    first, second = chain(researcher)
    second.title = 'Cyber <script>alert("x")</script> $x^2$'
    second.save()
    url = reverse("admin:reports_campaign_chart", args=[second.pk, "trend", "svg"])
    response = researcher_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert b"<script" not in response.content
    png = researcher_client.get(reverse("admin:reports_campaign_chart", args=[second.pk, "trend", "png"]) +
                                "?download=1")
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n" and "cyber-2016-17-trend.png" in png["Content-Disposition"]
    # The first year alone has no trend.
    assert researcher_client.get(reverse("admin:reports_campaign_chart", args=[first.pk, "trend", "svg"])
                                 ).status_code == 404
    # Publishing the repeat's figures moves the trend: the page shows them as published.
    CompileAggregate(second, final=True).execute()
    page = report(researcher_client, second)
    assert "(live counts, not yet published)" not in page[page.index('<table class="trend">'):]


def build_chain(length, owner):
    """`length` small campaigns, each repeating the one before and asking its period again."""
    ensure_reference_data()
    forces = list(Force.objects.order_by("force_id")[:3])
    code = OffenceCode.objects.get(code="88A")
    previous = None
    campaigns = []
    for i in range(length):
        start = dt.date(2010 + i, 4, 1)
        c = CreateCampaign(slug=f"chain-{length}-{i}", title=f"Chain {i}", period_start=start,
                           period_end=dt.date(2011 + i, 3, 31), forces=forces, owner=owner).execute()
        if previous is not None:
            c.repeats = previous
            c.save()
            CampaignPeriod.objects.create(campaign=c, first_day=dt.date(2009 + i, 4, 1),
                                          last_day=dt.date(2010 + i, 3, 31))
        periods = list(c.periods.all())
        for r in c.requests.select_related("force"):
            OffenceCount.objects.bulk_create([OffenceCount(campaign=c, force=r.force, request=r, period=p,
                                                           offence=code, victim_age=9, count=3 + i)
                                              for p in periods])
        if previous is not None:
            CompileAggregate(previous, final=False, save=True).execute()
        campaigns.append(c)
        previous = c
    return campaigns[-1]


def queries(client, url, *, cold):
    if cold:
        cache.cache().clear()
    else:
        client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_report_of_a_chain_does_a_fixed_number_of_queries(researcher_client, researcher):
    short, long = build_chain(2, researcher), build_chain(5, researcher)
    for cold in (True, False):
        counts = [queries(researcher_client, reverse("admin:reports_campaign_report", args=[c.pk]), cold=cold)
                  for c in (short, long)]
        assert counts[0] == counts[1] and counts[1] <= 30, (cold, counts)
        charts = [queries(researcher_client, reverse("admin:reports_campaign_chart", args=[c.pk, "trend", "svg"]),
                          cold=cold) for c in (short, long)]
        assert charts[0] == charts[1], (cold, charts)


def test_the_owner_is_told_the_comparison_with_the_final_figures(researcher):
    from django.core import mail

    from reports.services import notify_owner

    _, second = chain(researcher)
    snapshot = CompileAggregate(second, final=True).execute()
    mail.outbox.clear()
    assert notify_owner(second, snapshot)
    message = mail.outbox[-1]
    text = message.body
    assert "Compared with 2015-16, like for like:" in text
    assert "- 3,134 offences in 2016/17 from 37 forces, 459 (17.2%) more than the same forces recorded in 2015/16 " \
           "(2,675)." in text
    assert "459 (17.2%) more" in message.alternatives[0][0]


def test_the_snapshot_page_lists_the_comparison_among_its_findings(researcher_client, researcher):
    _, second = chain(researcher)
    snapshot = CompileAggregate(second, final=True).execute()
    page = researcher_client.get(reverse("admin:reports_aggregatesnapshot_change", args=[snapshot.pk]))
    assert "459 (17.2%) more than the same forces recorded in 2015/16" in html.unescape(page.content.decode())
