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

from collection.forces.models import Force
from collection.requests.models import Campaign, EventKind, FoiRequest, NonWorkingDay, RequestEvent
from collection.returns.models import ForceColumnMapping, ReturnedFile, ReturnStatus
from collection.requests.services import CreateCampaign

pytestmark = pytest.mark.django_db

# No page needs more than this many queries, whatever the data (session, user, permissions,
# counts, the rows, the filters' choices).
CEILING = 30


def reminder_log_model():
    from collection import models  # every model of the app (collection/models.py)
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
    urls += [f"{campaigns}?q=synthetic", f"{campaigns}?o=5", f"{campaigns}?sent_on__gte=2020-01-01",
             f"{campaigns}?repeats=yes", f"{campaigns}?repeats=no"]
    events = reverse("admin:collection_requestevent_changelist")
    urls += [f"{events}?kind=answered", f"{events}?request__campaign__id__exact={first.pk}", f"{events}?q=kent"]
    files = reverse("admin:collection_returnedfile_changelist")
    urls += [f"{files}?status=imported", f"{files}?request__campaign__id__exact={first.pk}"]
    if reminder_log_model() is not None:
        logs = reverse("admin:collection_reminderlog_changelist")
        urls += [f"{logs}?kind=chaser", f"{logs}?status=failed", f"{logs}?campaign__id__exact={first.pk}"]
    urls += [reverse("admin:reports_campaign_report", args=[first.pk]),
             reverse("admin:reports_campaign_suppressed", args=[first.pk]),
             reverse("admin:reports_campaign_export_metadata", args=[first.pk])]
    urls += [reverse("admin:reports_campaign_export", args=[first.pk, fmt]) for fmt in ("csv", "json", "xlsx")]
    return urls


def count_queries(client, url):
    client.get(url)  # warm up the per-process caches (content types, the site's apps)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        if response.streaming:  # an export's queries run as it streams
            response.getvalue()
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


def every_page() -> int:
    """The queries every logged-in page makes before its own: its session (Django's `db` engine
    reads it from the database; `cached_db`, with Redis, from the cache), its user, and Django's
    ModelBackend reading the user's own permissions and their groups' (two queries, once a page)."""
    from django.conf import settings

    session = 0 if settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db" else 1
    return session + 1 + 2


def test_report_pages_and_exports_are_pinned(researcher_client, researcher, complete):
    """The report page, its charts, the suppressed cells and the exports, with the figures cached
    (a second view) and not (after a change), provisional and from a final snapshot: each page's
    own queries, after the ones every page makes (`every_page`)."""
    from reports import cache
    from reports.services import CompileAggregate

    c = complete.pk
    urls = {"report": reverse("admin:reports_campaign_report", args=[c]),
            "chart": reverse("admin:reports_campaign_chart", args=[c, "age", "svg"]),
            "suppressed": reverse("admin:reports_campaign_suppressed", args=[c]),
            "metadata": reverse("admin:reports_campaign_export_metadata", args=[c]),
            "csv": reverse("admin:reports_campaign_export", args=[c, "csv"]),
            "json": reverse("admin:reports_campaign_export", args=[c, "json"]),
            "xlsx": reverse("admin:reports_campaign_export", args=[c, "xlsx"])}

    def cold(url):
        count_queries(researcher_client, url)
        cache.mark_changed(c)  # as after a correction: nothing cached applies
        with CaptureQueriesContext(connection) as ctx:
            response = researcher_client.get(url)
            if response.streaming:
                response.getvalue()
        return len(ctx.captured_queries)

    n = every_page()
    # Final figures not stored yet: the exports read the live counts. The report also reads the
    # campaign's challenge steps (one query: its Challenges table) and its releases (one query); the
    # metadata and the xlsx say which figures came after a challenge (one query each).
    assert {name: count_queries(researcher_client, url) for name, url in urls.items()} == {
        "report": n + 5, "chart": n + 2, "suppressed": n + 2, "metadata": n + 6, "csv": n + 4, "json": n + 4,
        "xlsx": n + 8}
    # The figures computed (the calendar is cached): the requests and the periods, then on
    # PostgreSQL one query over the counts' subtotals, elsewhere a GROUP BY over the counts per
    # breakdown and the offence codes.
    computed = 3 if connection.vendor == "postgresql" else 7
    assert {name: cold(urls[name]) for name in ("report", "chart", "xlsx")} == {
        "report": n + 5 + computed, "chart": n + 2 + computed, "xlsx": n + 8 + computed}
    CompileAggregate(complete, trigger="test").execute()
    assert {name: count_queries(researcher_client, urls[name]) for name in ("report", "metadata", "csv", "xlsx")} == {
        "report": n + 5, "metadata": n + 5, "csv": n + 5, "xlsx": n + 7}


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


# --- entry: the returns queue, typed entry and mapping pages ------------------------------------

def _returned(request, name, status, user, content=b"Cat,Yrs,N\n19E,9,3\n", **extra):
    from django.core.files.base import ContentFile

    sha = hashlib.sha256(content + name.encode()).hexdigest()
    returned = ReturnedFile(request=request, original_name=name, sha256=sha, size=len(content), uploaded_by=user,
                            status=status, **extra)
    returned.file.save(name, ContentFile(content), save=False)
    returned.save()
    return returned


def _fill_queue(campaign, user, n):
    from collection.forces.models import OffenceCode
    from collection.returns.models import OffenceCount, UnmatchedReturn

    code = OffenceCode.objects.get(code="19E")
    requests = list(campaign.requests.select_related("force").order_by("force__name"))
    for i, r in enumerate(requests[:n]):
        summary = {"phase": "previewed", "percent": 100, "fingerprint": f"{i:016d}", "cells": 2, "total": 5,
                   "layout_label": "Pivot", "warnings": ["3 total cell(s) checked against their parts and dropped"]
                   if i % 2 else ["offence 19E recorded for victim age 14, which is inconsistent"]}
        _returned(r, f"pending-{i}.csv", ReturnStatus.PENDING, user, summary=summary, tidy_rows={"fields": [], "rows": []})
        if i % 3 == 0:
            OffenceCount.objects.create(campaign=campaign, force=r.force, request=r, offence=code, victim_age=9, count=1)
    for i, r in enumerate(requests[n:2 * n]):
        source = _returned(r, f"refused-{i}.pdf", ReturnStatus.REFUSED if i % 2 else ReturnStatus.STORED, user,
                           error="no table found")
        if i % 3 == 0:
            _returned(r, f"typed-{i}.csv", ReturnStatus.PENDING, user, source="typed", typed_from=source,
                      summary={"phase": "previewed", "fingerprint": "x", "cells": 1})
    for i in range(n):
        kept = UnmatchedReturn(campaign=campaign, original_name=f"FOI {i}.csv", sha256=f"{i:064d}", size=3,
                               reason="no force named", uploaded_by=user)
        from django.core.files.base import ContentFile
        kept.file.save(kept.original_name, ContentFile(b"a,b"), save=False)
        kept.save()


def test_the_returns_queue_does_not_query_per_file(researcher_client, researcher):
    few = CreateCampaign(slug="few", title="Few", period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31),
                         owner=researcher, sent_on=dt.date(2016, 3, 1)).execute()
    many = CreateCampaign(slug="many", title="Many", period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31),
                          owner=researcher, sent_on=dt.date(2016, 3, 1)).execute()
    _fill_queue(few, researcher, 2)
    _fill_queue(many, researcher, 20)
    small = count_queries(researcher_client, reverse("admin:collection_returnedfile_queue", args=[few.pk]))
    large = count_queries(researcher_client, reverse("admin:collection_returnedfile_queue", args=[many.pk]))
    page = researcher_client.get(reverse("admin:collection_returnedfile_queue", args=[many.pk]))
    assert len(page.context["queue"].waiting) == 27 and len(page.context["queue"].unmatched) == 20  # 20 + 7 typed
    assert small == large <= CEILING


def test_typed_entry_and_mapping_pages_do_not_query_per_row(researcher_client, researcher):
    from collection.forces.models import OffenceCode
    from collection.returns.typed import TypedRow, TypedTable

    campaign = CreateCampaign(slug="typed", title="Typed", period_start=dt.date(2015, 4, 1),
                              period_end=dt.date(2016, 3, 31), owner=researcher, sent_on=dt.date(2016, 3, 1)).execute()
    kent, essex = (campaign.requests.get(force__force_id=f) for f in ("kent", "essex"))
    short = TypedTable(headings=["13"], rows=[TypedRow("19E", "", ["1"])])
    long = TypedTable(headings=[str(a) for a in range(18)],
                      rows=[TypedRow(c.code, "", ["1"] * 18) for c in OffenceCode.objects.all()])
    typed_short = _returned(kent, "typed-kent.csv", ReturnStatus.PENDING, researcher, short.to_csv(), source="typed")
    typed_long = _returned(essex, "typed-essex.csv", ReturnStatus.PENDING, researcher, long.to_csv(), source="typed")
    url = reverse("admin:collection_returnedfile_type", args=[kent.pk])
    small = count_queries(researcher_client, f"{url}?edit={typed_short.pk}")
    url = reverse("admin:collection_returnedfile_type", args=[essex.pk])
    campaign.offence_codes.set(OffenceCode.objects.all())
    large = count_queries(researcher_client, f"{url}?edit={typed_long.pk}")
    assert small == large <= CEILING
    three = _returned(kent, "kent.csv", ReturnStatus.REFUSED, researcher, b"Cat,Yrs,N\n19E,9,3\n")
    sixty = _returned(essex, "essex.csv", ReturnStatus.REFUSED, researcher,
                      b"Cat,Yrs,N\n" + b"19E,9,3\n" * 80)
    small = count_queries(researcher_client, reverse("admin:collection_returnedfile_map", args=[three.pk]))
    large = count_queries(researcher_client, reverse("admin:collection_returnedfile_map", args=[sixty.pk]))
    assert small == large <= CEILING


def workspace_urls(user):
    """The campaign workspace of a synthetic campaign (answered, late, with files, events and
    chasers), filtered, one of its rows, its send page, the guided start and the index."""
    first = Campaign.objects.filter(slug__startswith="synth-").order_by("slug").first()
    request = first.requests.order_by("pk").first()
    board = reverse("admin:collection_campaign_workspace", args=[first.pk])
    return [board, f"{board}?state=overdue", f"{board}?state=needs_me",
            reverse("admin:collection_campaign_workspace_row", args=[first.pk, request.pk]),
            reverse("admin:collection_campaign_send", args=[first.pk]), reverse("admin:collection_campaign_start"),
            reverse("admin:index")]


def test_the_workspace_does_the_same_queries_with_3_and_30_campaigns(researcher_client, researcher):
    build(3, 3, researcher, extras=2)
    small = [count_queries(researcher_client, url) for url in workspace_urls(researcher)]
    clear_extras()
    build(30, 3, researcher, extras=60)
    large = [count_queries(researcher_client, url) for url in workspace_urls(researcher)]
    assert small == large, list(zip(workspace_urls(researcher), small, large))
    assert max(large) <= CEILING, large


def test_the_workspace_does_not_query_per_force(researcher_client, researcher):
    Force.objects.update(foi_email="foi@force.police.example")
    two = CreateCampaign(slug="two-forces", title="Two", period_start=dt.date(2015, 4, 1),
                         period_end=dt.date(2016, 3, 31), owner=researcher,
                         forces=list(Force.objects.order_by("pk")[:2])).execute()
    every = CreateCampaign(slug="every-force", title="All", period_start=dt.date(2015, 4, 1),
                           period_end=dt.date(2016, 3, 31), owner=researcher).execute()
    for name in ("admin:collection_campaign_workspace", "admin:collection_campaign_send"):
        small = count_queries(researcher_client, reverse(name, args=[two.pk]))
        large = count_queries(researcher_client, reverse(name, args=[every.pk]))
        assert small == large <= CEILING, name
    # and with every request sent, late, and each with events and a file
    CreateCampaign(slug="sent", title="Sent", period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31),
                   owner=researcher, sent_on=dt.date(2016, 3, 1)).execute()
    sent = Campaign.objects.get(slug="sent")
    before = count_queries(researcher_client, reverse("admin:collection_campaign_workspace", args=[sent.pk]))
    for i, r in enumerate(sent.requests.all()):
        RequestEvent.objects.record(r, EventKind.ACKNOWLEDGED, dt.date(2016, 3, 3), user=researcher)
        sha = hashlib.sha256(str(i).encode()).hexdigest()
        ReturnedFile.objects.create(request=r, file=f"returns/x/{sha[:12]}.csv", original_name=f"{i}.csv",
                                    sha256=sha, size=1, uploaded_by=researcher,
                                    status=[ReturnStatus.PENDING, ReturnStatus.REFUSED, ReturnStatus.IMPORTED][i % 3])
    after = count_queries(researcher_client, reverse("admin:collection_campaign_workspace", args=[sent.pk]))
    assert before == after <= CEILING


def test_mail_pages_do_not_query_per_message(researcher_client, researcher, tmp_path):
    """The mail list, the unmatched queue, a campaign's Inbox and a message's page: the same
    number of queries with 12 messages as with all 93 of the practice mailbox."""
    from collection.mail.services import IngestPaths
    from collection.mail.models import MailMessage
    from tests.mail.practice import message_names, write_mailbox
    from tests.mail.practice import make_practice_campaign

    campaign = make_practice_campaign(researcher)
    folder = write_mailbox(tmp_path / "all")
    names = message_names()

    def pages():
        message = MailMessage.objects.filter(request__isnull=False).order_by("pk").first()
        return [reverse("admin:collection_mailmessage_changelist"),
                reverse("admin:collection_mailmessage_changelist") + "?matched=no",
                reverse("admin:collection_unmatchedmail_changelist"),
                reverse("admin:collection_mailboxposition_changelist"),
                reverse("admin:collection_campaign_inbox", args=[campaign.pk]),
                reverse("admin:collection_mailmessage_change", args=[message.pk])]

    some = tmp_path / "some"
    some.mkdir()
    for name in names[:12] + ["msg-0046.eml", "msg-0053.eml", "msg-0088.eml"]:
        (some / name).write_bytes((folder / name).read_bytes())
    IngestPaths([str(some)]).execute()
    small = measure(researcher_client, pages())
    IngestPaths([str(folder)]).execute()
    large = measure(researcher_client, pages())
    assert small == large, (small, large)
    assert max(large.values()) <= CEILING


def test_a_list_page_loads_only_its_columns_and_an_action_gets_whole_rows(researcher_client, campaign):
    """The busy lists' get_queryset narrows the rows to the columns' fields on the list page alone
    (showing_the_list): an action posted from the list, and every other page, get whole rows."""
    url = reverse("admin:collection_foirequest_changelist")
    listed = researcher_client.get(url).context["cl"].result_list
    only, deferring = listed.query.deferred_loading
    assert not deferring and "due_on" in only and "send_error" not in only
    assert all(r.force.name for r in listed)  # the columns' fields are loaded
    chosen = list(campaign.requests.order_by("pk").values_list("pk", flat=True)[:3])
    form = researcher_client.post(url, {"action": "mark_sent", "_selected_action": chosen, "index": "0"})
    assert form.status_code == 200 and form.context["queryset"].query.deferred_loading == (frozenset(), True)
    page = researcher_client.get(reverse("admin:collection_foirequest_change", args=[chosen[0]]))
    assert page.context["original"].get_deferred_fields() == set()
