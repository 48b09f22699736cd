"""The number of database queries of each admin page does not grow with the data.

Every list page (with and without each filter), the request and campaign change pages and the
report page are fetched with a small history (2 synthetic campaigns) and again with a larger one
(12 campaigns, more cells, files, reminders, snapshots, events): the counts must be equal, and
under a ceiling. A page that does one query per row fails here long before it is slow in use.
"""
import datetime as dt
import hashlib

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from collection.models import (Campaign, EventKind, FoiRequest, Force, ForceColumnMapping, NonWorkingDay,
                               RequestEvent, ReturnedFile, ReturnStatus)
from collection.services import CreateCampaign

pytestmark = pytest.mark.django_db

# No page needs more than this many queries, whatever the data (session, user, permissions,
# counts, the rows, the filters' choices).
CEILING = 30


def reminder_log_model():
    from collection import models
    return getattr(models, "ReminderLog", None)


def snapshot_model():
    try:
        from reports.models import AggregateSnapshot
    except ImportError:
        return None
    return AggregateSnapshot


def build(n_campaigns, cells, user, extras):
    """A synthetic history of n_campaigns, plus `extras` of each thing the command does not make."""
    call_command("build_synthetic_history", campaigns=n_campaigns, cells_per_force=cells, seed=7, replace=True,
                 owner=user.username, today="2024-06-14", stdout=open("/dev/null", "w"))
    requests = list(FoiRequest.objects.filter(campaign__slug__startswith="synth-").order_by("pk")[:extras])
    now = timezone.now()
    for i, r in enumerate(requests):
        sha = hashlib.sha256(f"{r.pk}-{i}".encode()).hexdigest()
        ReturnedFile.objects.create(request=r, file=f"returns/synth/{sha[:12]}.csv", original_name=f"return-{i}.csv",
                                    sha256=sha, size=100 + i, uploaded_by=user, status=ReturnStatus.IMPORTED,
                                    layout="long", file_format="csv")
        RequestEvent.objects.create(request=r, kind=EventKind.NOTE, happened_on=dt.date(2024, 1, 2),
                                    detail="note", created_by=user)
    ReminderLog = reminder_log_model()
    if ReminderLog is not None:
        for i, r in enumerate(requests):
            ReminderLog.objects.create(kind="chaser" if i % 2 else "late", campaign_id=r.campaign_id, request=r,
                                       about=dt.date(2024, 1, 1) + dt.timedelta(days=i), recipient=f"f{i}@example.org",
                                       subject="Chaser", status="sent" if i % 3 else "failed", sent_at=now)
    Snapshot = snapshot_model()
    if Snapshot is not None:
        for c in Campaign.objects.filter(slug__startswith="synth-"):
            Snapshot.objects.create(campaign=c, final=False, figures={"total_offences": 10}, sources=[],
                                    compiled_by=user, trigger="test")
    for f in Force.objects.order_by("pk")[:extras]:
        ForceColumnMapping.objects.update_or_create(force=f, defaults={"mapping": {"sheet": "A"}, "updated_by": user})
    for i in range(extras):
        NonWorkingDay.objects.get_or_create(date=dt.date(2030, 1, 2) + dt.timedelta(days=i),
                                            defaults={"description": f"day {i}"})


def clear_extras():
    # The command's --replace removes synthetic campaigns; what hangs off them goes first.
    ReminderLog = reminder_log_model()
    if ReminderLog is not None:
        ReminderLog.objects.all().delete()
    ReturnedFile.objects.all().delete()


def list_urls():
    """Every changelist of our apps, and the request and campaign lists with each filter."""
    urls = []
    for model in admin.site._registry:
        if model._meta.app_label in ("collection", "reports"):
            urls.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
    first = Campaign.objects.filter(slug__startswith="synth-").order_by("slug").first()
    force = Force.objects.get(force_id="kent")
    requests = reverse("admin:collection_foirequest_changelist")
    for query in ["deadline=due_soon", "deadline=due_today", "deadline=overdue", "deadline=very_overdue",
                  "deadline=review_overdue", f"campaign__id__exact={first.pk}", "status=sent", "status=answered",
                  "outcome=provided", "outcome=refused", f"force__id__exact={force.pk}", "q=kent",
                  f"deadline=overdue&campaign__id__exact={first.pk}", "o=6", "due_on__year=2024"]:
        urls.append(f"{requests}?{query}")
    campaigns = reverse("admin:collection_campaign_changelist")
    urls += [f"{campaigns}?q=synthetic", f"{campaigns}?o=5", f"{campaigns}?sent_on__gte=2020-01-01"]
    events = reverse("admin:collection_requestevent_changelist")
    urls += [f"{events}?kind=answered", f"{events}?request__campaign__id__exact={first.pk}", f"{events}?q=kent"]
    files = reverse("admin:collection_returnedfile_changelist")
    urls += [f"{files}?status=imported", f"{files}?request__campaign__id__exact={first.pk}"]
    if reminder_log_model() is not None:
        logs = reverse("admin:collection_reminderlog_changelist")
        urls += [f"{logs}?kind=chaser", f"{logs}?status=failed", f"{logs}?campaign__id__exact={first.pk}"]
    urls += [reverse("admin:reports_campaign_report", args=[first.pk]),
             reverse("admin:reports_campaign_export", args=[first.pk, "csv"])]
    return urls


def count_queries(client, url):
    client.get(url)  # warm up the per-process caches (content types, the site's apps)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def measure(client, urls):
    return {url: count_queries(client, url) for url in urls}


def test_list_and_report_pages_do_a_fixed_number_of_queries(researcher_client, researcher):
    build(3, 3, researcher, extras=2)
    small = measure(researcher_client, list_urls())
    clear_extras()
    build(12, 20, researcher, extras=25)
    large = measure(researcher_client, list_urls())

    assert len(large) >= 35
    # URLs hold the first campaign's id, which differs between the builds: compare by position.
    grew = [f"{url}: {a} -> {b}" for (url, a), b in zip(small.items(), large.values()) if a != b]
    assert not grew, "queries grow with the data:\n" + "\n".join(grew)
    over = [f"{url}: {n}" for url, n in large.items() if n > CEILING]
    assert not over, f"over {CEILING} queries:\n" + "\n".join(over)


def test_request_change_page_does_not_query_per_event_or_file(researcher_client, researcher):
    build(1, 0, researcher, extras=0)
    r = FoiRequest.objects.filter(campaign__slug="synth-001").order_by("pk").first()
    url = reverse("admin:collection_foirequest_change", args=[r.pk])
    before = count_queries(researcher_client, url)
    for i in range(12):
        RequestEvent.objects.create(request=r, kind=EventKind.NOTE, happened_on=dt.date(2024, 1, 2), detail=str(i),
                                    created_by=researcher)
        sha = hashlib.sha256(str(i).encode()).hexdigest()
        ReturnedFile.objects.create(request=r, file=f"returns/x/{sha[:12]}.csv", original_name=f"{i}.csv",
                                    sha256=sha, size=1, uploaded_by=researcher)
    after = count_queries(researcher_client, url)
    assert before == after <= CEILING


def test_campaign_change_page_does_not_query_per_force(researcher_client, researcher):
    two = CreateCampaign(slug="two-forces", title="Two", period_start=dt.date(2015, 4, 1),
                         period_end=dt.date(2016, 3, 31), owner=researcher, sent_on=dt.date(2016, 3, 1),
                         forces=list(Force.objects.order_by("pk")[:2])).execute()
    every = CreateCampaign(slug="every-force", title="All", period_start=dt.date(2015, 4, 1),
                           period_end=dt.date(2016, 3, 31), owner=researcher, sent_on=dt.date(2016, 3, 1)).execute()
    assert every.requests.count() == 44
    small = count_queries(researcher_client, reverse("admin:collection_campaign_change", args=[two.pk]))
    large = count_queries(researcher_client, reverse("admin:collection_campaign_change", args=[every.pk]))
    assert small == large <= CEILING


def test_report_page_does_not_query_per_force(researcher_client, researcher):
    build(4, 2, researcher, extras=0)
    first = Campaign.objects.get(slug="synth-001")
    small = count_queries(researcher_client, reverse("admin:reports_campaign_report", args=[first.pk]))
    build(4, 60, researcher, extras=0)
    first = Campaign.objects.get(slug="synth-001")
    large = count_queries(researcher_client, reverse("admin:reports_campaign_report", args=[first.pk]))
    assert small == large <= CEILING


def test_quick_action_checkbox_is_the_markup_django_renders(campaign):
    from django.contrib.admin import ModelAdmin

    from collection.admin import QuickActionCheckbox

    for model in (Campaign, FoiRequest):
        model_admin = admin.site._registry[model]
        assert isinstance(model_admin, QuickActionCheckbox)
        obj = model.objects.select_related().first() if model is Campaign else \
            FoiRequest.objects.select_related("campaign", "force").first()
        assert str(model_admin.action_checkbox(obj)) == str(ModelAdmin.action_checkbox(model_admin, obj))
    campaign.title = 'Crimes <"against"> & children\'s'
    model_admin = admin.site._registry[Campaign]
    assert str(model_admin.action_checkbox(campaign)) == str(ModelAdmin.action_checkbox(model_admin, campaign))


def count_post_queries(client, url, data):
    client.post(url, data)
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(url, data)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def test_send_preview_page_does_not_query_per_force(researcher_client, researcher):
    Force.objects.update(foi_email="foi@force.police.example")
    Force.objects.filter(pk__in=Force.objects.order_by("pk")[:5]).update(foi_email_failing=True)
    two = CreateCampaign(slug="two-forces", title="Two", period_start=dt.date(2015, 4, 1),
                         period_end=dt.date(2016, 3, 31), owner=researcher,
                         forces=list(Force.objects.order_by("-pk")[:2])).execute()
    every = CreateCampaign(slug="every-force", title="All", period_start=dt.date(2015, 4, 1),
                           period_end=dt.date(2016, 3, 31), owner=researcher).execute()
    url = reverse("admin:collection_campaign_changelist")
    small = count_post_queries(researcher_client, url, {"action": "send_requests", "_selected_action": [two.pk]})
    large = count_post_queries(researcher_client, url, {"action": "send_requests", "_selected_action": [every.pk]})
    assert small == large <= CEILING


def test_force_address_import_page_does_a_fixed_number_of_queries(researcher_client):
    url = reverse("admin:collection_force_import")
    before = count_queries(researcher_client, url)
    Force.objects.update(foi_email="foi@force.police.example")
    assert count_queries(researcher_client, url) == before <= CEILING
