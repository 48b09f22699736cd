"""Issue "One truth": counts imported once, one path for every answer, one clock on every page.

Each test here failed on the code before the change it guards (see the commit that added it)."""
import datetime as dt
from collections import Counter
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from collection.requests.models import EventKind, FoiRequest, NonWorkingDay, working_calendar
from collection.returns.models import ForceColumnMapping, OffenceCount, ReturnedFile, ReturnStatus
from collection.returns.services import (ConfirmReturn, PreviewReturn, ReceiveReturn, ReturnAlreadyImported,
                                         rows_to_json)
from collection.importer import TidyRow
from collection.roles import RESEARCHERS
from collection.requests.services import RecordEvent
from collection.validation import ServiceError
from tests.helpers import ROOT, TEST_DATA, confirm_return, upload_return

DATA = TEST_DATA / "returns"
pytestmark = pytest.mark.django_db

UNDETECTABLE = "Ref,Col1,Col2,Col3\nx,19E,9,3\nx,88A,14,2\n"


def cells(request):
    rows = (OffenceCount.objects.filter(request=request).values("offence__code", "victim_age")
            .annotate(n=Sum("count")))
    return Counter({(r["offence__code"], r["victim_age"]): r["n"] for r in rows})


# --- Data that must never be wrong -------------------------------------------------------------

def test_confirming_twice_imports_once_and_says_so(researcher_client, campaign):
    kent = campaign.requests.get(force__force_id="kent")
    upload_return(researcher_client, kent, (DATA / "kent.xlsx").read_bytes(), "kent.xlsx")
    returned = ReturnedFile.objects.get()
    confirm_return(researcher_client, returned)
    once = cells(kent)
    second = researcher_client.post(reverse("admin:collection_returnedfile_confirm", args=[returned.pk]),
                                    {"fingerprint": returned.summary.get("fingerprint", "")}, follow=True)
    assert "already imported" in second.content.decode()
    assert cells(kent) == once and sum(once.values()) > 0
    assert kent.events.filter(kind=EventKind.FIGURES_IMPORTED).count() == 1
    assert kent.events.filter(kind=EventKind.ANSWERED).count() == 1


def test_a_confirm_queued_twice_imports_once(campaign, researcher):
    """Two tabs: both clicks claim before either import runs; the second claim is turned away."""
    kent = campaign.requests.get(force__force_id="kent")
    returned = ReceiveReturn(kent, (DATA / "kent.xlsx").read_bytes(), "kent.xlsx", researcher).execute().returned
    PreviewReturn(returned).execute()
    ConfirmReturn(returned, researcher).claim()
    with pytest.raises(ReturnAlreadyImported, match="being imported"):
        ConfirmReturn(returned, researcher).claim()
    ConfirmReturn(returned, researcher).execute()
    with pytest.raises(ReturnAlreadyImported, match="already imported"):
        ConfirmReturn(returned, researcher).execute()
    assert OffenceCount.objects.filter(request=kent).count() == len(returned.tidy_rows["rows"])


def test_a_colleague_confirms_what_the_uploader_chose(client, researcher_client, campaign, make_user):
    """Outcome, date and mapping chosen at upload are on the file, not in the uploader's session."""
    wiltshire = campaign.requests.get(force__force_id="wiltshire")
    upload_return(researcher_client, wiltshire, UNDETECTABLE.encode(), "odd.csv", outcome="partial",
           received_on="2016-03-29", **{"map-layout": "count_long", "map-header_row": "1", "map-offence": "B",
                                        "map-age": "C", "map-count": "D", "map-remember": "on"})
    returned = ReturnedFile.objects.get()
    colleague = make_user("colin", RESEARCHERS)
    other = Client()
    other.force_login(colleague)
    page = other.get(reverse("admin:collection_returnedfile_preview", args=[returned.pk])).content.decode()
    assert "Data provided in part" in page and "29 Mar 2016" in page and "count_long" in page
    assert confirm_return(other, returned).status_code == 302
    wiltshire.refresh_from_db()
    assert cells(wiltshire) == Counter({("19E", 9): 3, ("88A", 14): 2})
    assert wiltshire.outcome == "partial" and wiltshire.answered_on == dt.date(2016, 3, 29)
    assert ForceColumnMapping.objects.get(force=wiltshire.force).mapping["count"] == "D"
    returned.refresh_from_db()
    assert returned.confirmed_by == colleague and returned.uploaded_by.username == "rita"


def test_a_stale_preview_is_not_confirmed_blind(campaign, researcher):
    kent = campaign.requests.get(force__force_id="kent")
    returned = ReceiveReturn(kent, (DATA / "kent.xlsx").read_bytes(), "kent.xlsx", researcher).execute().returned
    PreviewReturn(returned).execute()
    with pytest.raises(ServiceError, match="changed since you opened it"):
        ConfirmReturn(returned, researcher, expected="0123456789abcdef").claim()
    assert not OffenceCount.objects.exists()


def test_the_request_form_cannot_change_the_answer(researcher_client, campaign):
    """Outcome and status change only through the answer service, which leaves its event."""
    kent = campaign.requests.get(force__force_id="kent")
    url = reverse("admin:collection_foirequest_change", args=[kent.pk])
    page = researcher_client.get(url)
    form = page.context["adminform"].form
    assert "outcome" not in form.fields and "status" not in form.fields and "answered_on" not in form.fields
    record = reverse("admin:collection_foirequest_record_answer", args=[kent.pk])
    assert record in page.content.decode()
    assert researcher_client.post(record, {"outcome": "refused", "received_on": "2016-03-20",
                                           "sections": "s.12"}).status_code == 302
    kent.refresh_from_db()
    assert kent.outcome == "refused" and kent.sections_cited == "s.12"
    assert kent.events.filter(kind=EventKind.ANSWERED).count() == 1


def test_the_last_answer_through_the_request_page_compiles_the_final_figures(researcher_client, campaign,
                                                                           django_capture_on_commit_callbacks):
    from reports.models import AggregateSnapshot

    requests = list(campaign.requests.order_by("force__name"))
    for r in requests[:-1]:
        FoiRequest.objects.filter(pk=r.pk).update(outcome="nil_return", answered_on=dt.date(2016, 3, 20))
    last = requests[-1]
    with django_capture_on_commit_callbacks(execute=True):
        researcher_client.post(reverse("admin:collection_foirequest_record_answer", args=[last.pk]),
                               {"outcome": "no_response"})
    assert AggregateSnapshot.objects.filter(campaign=campaign, final=True).exists()


def test_no_response_needs_no_date(researcher_client, campaign):
    kent = campaign.requests.get(force__force_id="kent")
    response = researcher_client.post(reverse("admin:collection_foirequest_record_answer", args=[kent.pk]),
                                      {"outcome": "no_response", "received_on": ""})
    assert response.status_code == 302
    kent.refresh_from_db()
    assert kent.outcome == "no_response" and kent.answered_on is not None
    bad = researcher_client.post(reverse("admin:collection_foirequest_record_answer", args=[kent.pk]),
                                 {"outcome": "provided", "received_on": ""})
    assert bad.status_code == 200 and "Say when the answer arrived" in bad.content.decode()


def test_a_count_the_database_cannot_hold_is_refused_by_name_and_the_file_can_be_confirmed_again(
        researcher_client, campaign, researcher):
    kent = campaign.requests.get(force__force_id="kent")
    returned = ReceiveReturn(kent, b"Offence,Victim age,Count\n19E,9,3\n", "kent.csv", researcher).execute().returned
    PreviewReturn(returned).execute()
    # A preview made by an importer that let it through: the load step still refuses it by name.
    huge = rows_to_json([TidyRow("19E", 9, 9, 9, "", "", 3_000_000_000, False, "")])
    ReturnedFile.objects.filter(pk=returned.pk).update(tidy_rows=huge)
    response = researcher_client.post(reverse("admin:collection_returnedfile_confirm", args=[returned.pk]),
                                      follow=True)
    returned.refresh_from_db()
    assert returned.status == ReturnStatus.REFUSED
    assert "19E" in returned.error and "3,000,000,000" in returned.error
    assert "19E" in response.content.decode()
    assert not OffenceCount.objects.exists()


def test_an_import_that_fails_leaves_the_file_ready_to_confirm_again(researcher_client, campaign, researcher):
    kent = campaign.requests.get(force__force_id="kent")
    upload_return(researcher_client, kent, (DATA / "kent.xlsx").read_bytes(), "kent.xlsx")
    returned = ReturnedFile.objects.get()
    with mock.patch("collection.returns.services.load_counts", side_effect=RuntimeError("the database went away")):
        confirm_return(researcher_client, returned)
    returned.refresh_from_db()
    assert returned.status == ReturnStatus.PENDING and "you can confirm again" in returned.error
    assert returned.summary["phase"] == "previewed"
    confirm_return(researcher_client, returned)
    returned.refresh_from_db()
    assert returned.status == ReturnStatus.IMPORTED and OffenceCount.objects.filter(request=kent).exists()


def test_a_confirm_whose_worker_died_can_be_confirmed_again_after_its_lease(campaign, researcher, settings):
    kent = campaign.requests.get(force__force_id="kent")
    returned = ReceiveReturn(kent, (DATA / "kent.xlsx").read_bytes(), "kent.xlsx", researcher).execute().returned
    PreviewReturn(returned).execute()
    ConfirmReturn(returned, researcher).claim()  # ... and the worker died before importing
    with pytest.raises(ReturnAlreadyImported):
        ConfirmReturn(returned, researcher).claim()
    ReturnedFile.objects.filter(pk=returned.pk).update(confirmed_at=dt.datetime(2016, 3, 24, tzinfo=dt.timezone.utc))
    ConfirmReturn(returned, researcher).claim()
    ConfirmReturn(returned, researcher).execute()
    assert ReturnedFile.objects.get(pk=returned.pk).status == ReturnStatus.IMPORTED


def test_a_file_received_twice_is_kept_once(campaign, researcher, settings):
    kent = campaign.requests.get(force__force_id="kent")
    data = (DATA / "kent.xlsx").read_bytes()
    first = ReceiveReturn(kent, data, "kent.xlsx", researcher).execute()
    again = ReceiveReturn(kent, data, "kent (1).xlsx", researcher).execute()
    assert first.created and not again.created and first.returned.pk == again.returned.pk
    stored = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    assert len(stored) == 1


def test_loading_counts_costs_the_same_queries_whatever_the_number_of_cells(campaign, researcher):
    def queries_to_import(force_id, lines):
        request = campaign.requests.get(force__force_id=force_id)
        body = "Offence,Victim age,Count\n" + "".join(lines)
        returned = ReceiveReturn(request, body.encode(), f"{force_id}.csv", researcher).execute().returned
        PreviewReturn(returned).execute()
        with CaptureQueriesContext(connection) as queries:
            ConfirmReturn(returned, researcher).execute()
        return len(queries)

    few = queries_to_import("kent", ["19E,9,3\n", "88A,14,2\n"])
    many = queries_to_import("essex", [f"{code},{age},{age + 1}\n" for code in ("22A", "23", "86", "88C", "88E")
                                       for age in range(0, 12)])  # 60 cells: one INSERT on SQLite too (999 parameters)
    assert many == few and many < 30


# --- One clock on every page -------------------------------------------------------------------

def test_why_this_due_date_explains_the_extended_date(researcher_client, campaign, researcher):
    kent = campaign.requests.get(force__force_id="kent")
    RecordEvent(kent, EventKind.EXTENSION_CLAIMED, dt.date(2016, 3, 29), researcher,
                new_due_on=dt.date(2016, 4, 29)).execute()
    kent.refresh_from_db()
    assert kent.due_on == dt.date(2016, 4, 29)
    page = researcher_client.get(reverse("admin:collection_foirequest_change", args=[kent.pk])).content.decode()
    assert "Due on the date the force gave: Fri 29 Apr 2016" in page
    assert "Fri 1 Apr 2016" not in page  # the statutory date it no longer has


def test_the_overdue_filter_and_the_late_column_agree_on_a_weekend(researcher_client, campaign):
    """Due Friday 1 April 2016; on Saturday it is late (the day after the due date) everywhere."""
    saturday = dt.date(2016, 4, 2)
    with mock.patch("django.utils.timezone.localdate", return_value=saturday):
        page = researcher_client.get(reverse("admin:collection_foirequest_changelist") + "?deadline=overdue")
    listed = list(page.context["cl"].result_list)
    assert len(listed) == 44 and all(r.due_on == dt.date(2016, 4, 1) for r in listed)
    text = page.content.decode()
    assert "on time" not in text and text.count("overdue (due 1 Apr 2016)") == 44
    assert set(FoiRequest.objects.overdue(saturday)) == {r for r in FoiRequest.objects.all() if r.is_overdue(saturday)}


def test_every_lateness_question_agrees_with_the_pure_rules(campaign, researcher):
    from collection.reminders.rules import DUE_SOON, DUE_TODAY, OVERDUE, REVIEW_OVERDUE, VERY_OVERDUE, digest_section
    from collection.reminders.services import facts

    requests = list(campaign.requests.select_related("force").order_by("force__name"))
    # A spread of due dates and states across weekends and Easter 2016.
    for i, r in enumerate(requests):
        FoiRequest.objects.filter(pk=r.pk).update(due_on=dt.date(2016, 3, 1) + dt.timedelta(days=3 * i))
    RecordEvent(requests[0], EventKind.REVIEW_ASKED, dt.date(2016, 3, 1), researcher).execute()
    FoiRequest.objects.filter(pk=requests[1].pk).update(outcome="refused")
    calendar = working_calendar()
    for day in (dt.date(2016, 3, 26), dt.date(2016, 4, 2), dt.date(2016, 5, 2), dt.date(2016, 6, 6)):
        everyone = list(FoiRequest.objects.all())
        sections = {r.pk: digest_section(facts(r), day, calendar) for r in everyone}
        assert {r.pk for r in FoiRequest.objects.overdue(day)} == {r.pk for r in everyone if r.is_overdue(day)} \
            == {pk for pk, s in sections.items() if s in (OVERDUE, VERY_OVERDUE)}
        assert {r.pk for r in FoiRequest.objects.very_overdue(day, calendar)} \
            == {r.pk for r in everyone if r.is_very_overdue(day, calendar)} \
            == {pk for pk, s in sections.items() if s == VERY_OVERDUE}
        assert {r.pk for r in FoiRequest.objects.review_overdue(day)} == {pk for pk, s in sections.items()
                                                                           if s == REVIEW_OVERDUE}
        assert {r.pk for r in FoiRequest.objects.due_today(day)} == {pk for pk, s in sections.items() if s == DUE_TODAY}
        soon = {r.pk for r in FoiRequest.objects.due_soon(day, calendar)} - {r.pk for r in FoiRequest.objects.due_today(day)}
        assert soon == {pk for pk, s in sections.items() if s == DUE_SOON}


def test_the_working_calendar_is_read_once_and_forgotten_when_a_day_is_added(db):
    working_calendar()
    with CaptureQueriesContext(connection) as queries:
        working_calendar()
    assert len(queries) == 0
    NonWorkingDay.objects.create(date=dt.date(2016, 6, 13), description="A new bank holiday")
    assert not working_calendar().is_working_day(dt.date(2016, 6, 13))


def test_one_working_day_count_in_the_code():
    """reports/aggregate.py used to carry its own copy of the working-day arithmetic."""
    root = ROOT
    for path in [*root.glob("reports/*.py"), *root.glob("collection/**/*.py")]:
        if path.name == "deadlines.py" or "migrations" in path.parts:
            continue
        text = path.read_text()
        assert "def working_days_between" not in text and "def _weekdays_between" not in text, path
        assert "uk_bank_holidays(" not in text, path


def test_every_timeline_entry_goes_through_the_one_recorder():
    root = ROOT
    for path in root.glob("collection/**/*.py"):
        if "migrations" in path.parts or path.name == "models.py":
            continue
        text = path.read_text()
        assert "RequestEvent.objects.create(" not in text and "RequestEvent(" not in text, path


# --- Dates: one input pattern ------------------------------------------------------------------

@pytest.mark.parametrize("url", ["admin:collection_campaign_add", "admin:collection_nonworkingday_add"])
def test_every_date_is_typed_with_the_date_picker(researcher_client, url, superuser_client):
    page = superuser_client.get(reverse(url)).content.decode()
    assert 'type="date"' in page and "vDateField" not in page and "YYYY-MM-DD" not in page


def test_the_request_page_and_its_forms_use_the_date_picker(researcher_client, campaign):
    kent = campaign.requests.get(force__force_id="kent")
    for url in (reverse("admin:collection_foirequest_change", args=[kent.pk]),
                reverse("admin:collection_foirequest_record_answer", args=[kent.pk]),
                reverse("admin:collection_returnedfile_upload", args=[kent.pk])):
        page = researcher_client.get(url).content.decode()
        assert 'type="date"' in page and "vDateField" not in page and "YYYY-MM-DD" not in page, url


def test_an_event_date_out_of_range_is_refused_by_the_form(researcher_client, campaign):
    kent = campaign.requests.get(force__force_id="kent")
    response = researcher_client.post(reverse("admin:collection_foirequest_record_answer", args=[kent.pk]),
                                      {"outcome": "provided", "received_on": "9999-12-31"})
    assert response.status_code == 200 and "not a plausible date" in response.content.decode()
    kent.refresh_from_db()
    assert kent.outcome == ""
