"""Asking a campaign's question again (issue 12): RepeatCampaign through `repeat_campaign` and the
admin's "Ask again", and the periods shown where research staff work."""
import datetime as dt

import pytest
from django.urls import reverse

from collection.requests.repeat import RepeatCampaign
from collection.forces.models import Force, OffenceCode
from collection.requests.models import Campaign, CampaignPeriod, FoiRequest, RequestStatus
from collection.requests.services import CreateCampaign
from collection.validation import ServiceError
from tests.helpers import command

pytestmark = pytest.mark.django_db

D = dt.date
QUESTION = ("How many sexual offences against children recorded between 1 April 2015 and 31 March 2016 "
            "(financial year 2015/16) carried the Home Office online flag? Please break the figures down by "
            "offence and by the victim's age, under the Sexual Offences Act 2003.")


@pytest.fixture
def earlier(researcher):
    from tests.conftest import ensure_reference_data

    ensure_reference_data()
    forces = list(Force.objects.order_by("force_id")[:5])
    campaign = CreateCampaign(slug="grooming-2015-16", title="Grooming offences 2015/16", question=QUESTION,
                              period_start=D(2015, 4, 1), period_end=D(2016, 3, 31), owner=researcher,
                              forces=forces, sent_on=D(2016, 3, 1), offence_codes=["88A"]).execute()
    Campaign.objects.filter(pk=campaign.pk).update(chasers_enabled=False)
    campaign.refresh_from_db()
    return campaign


def repeat(*args):
    return command("repeat_campaign", *args)


def test_repeat_campaign_asks_the_same_question_a_year_on(earlier, researcher):
    out = repeat("grooming-2015-16", "grooming-2016-17", "--period-start", "2016-04-01", "--period-end", "2017-03-31")
    new = Campaign.objects.get(slug="grooming-2016-17")
    assert new.repeats == earlier and new.title == "Grooming offences 2016/17"
    assert new.question == QUESTION.replace("1 April 2015 and 31 March 2016", "1 April 2016 and 31 March 2017") \
        .replace("2015/16", "2016/17")
    assert "Act 2003" in new.question
    assert set(new.forces.all()) == set(earlier.forces.all())
    assert [c.code for c in new.offence_codes.all()] == ["88A"]
    assert new.owner == researcher and new.chasers_enabled is False
    assert [(p.label, p.main) for p in new.periods.all()] == [("2016-17", True)]
    assert new.requests.count() == 5 and not new.requests.exclude(status=RequestStatus.DRAFT).exists()
    assert new.sent_on is None
    assert out.splitlines()[0] == ("Created campaign grooming-2016-17, repeating grooming-2015-16: 5 requests "
                                   "(drafts, not sent yet). Asks about 2016/17.")
    assert "1 April 2015 -> 1 April 2016; 31 March 2016 -> 31 March 2017; 2015/16 -> 2016/17" in out


def test_ask_previous_asks_for_the_earlier_period_again(earlier, make_user):
    boss = make_user("bea", "Researchers")
    out = repeat("grooming-2015-16", "g2", "--period-start", "2016-04-01", "--period-end", "2017-03-31",
                 "--ask-previous", "--title", "Grooming, second year", "--owner", "bea", "--sent-on", "2017-04-03")
    new = Campaign.objects.get(slug="g2")
    assert [(p.label, p.main) for p in new.periods.all()] == [("2015-16", False), ("2016-17", True)]
    assert new.title == "Grooming, second year" and new.owner == boss
    # The moved question names 2016/17 only: a sentence asks for 2015/16 again.
    assert new.question.endswith("Please also give the same figures again for 1 April 2015 to 31 March 2016 "
                                 "(2015/16), as your records hold them today, so that the two periods can be "
                                 "compared like for like.")
    assert "Asks about 2015/16, 2016/17." in out and "A sentence was added asking for 2015/16 again." in out
    # --sent-on as create_campaign does it: every request recorded as sent and received that day.
    assert new.sent_on == D(2017, 4, 3)
    assert set(new.requests.values_list("status", "received_on", "due_on")) == {
        (RequestStatus.SENT, D(2017, 4, 3), D(2017, 5, 4))}  # Easter and May Day skipped
    # A repeat of the repeat moves both periods its question names.
    repeat("g2", "g3", "--period-start", "2017-04-01", "--period-end", "2018-03-31", "--ask-previous")
    third = Campaign.objects.get(slug="g3")
    assert "1 April 2017 and 31 March 2018" in third.question and "(2016/17), as your records" in third.question
    assert third.question.count("Please also give") == 1
    assert [p.label for p in third.periods.all()] == ["2016-17", "2017-18"]


def test_the_question_names_a_date_it_cannot_move(earlier):
    Campaign.objects.filter(pk=earlier.pk).update(question=QUESTION + " Use the guidance of 12 May 2014.")
    earlier.refresh_from_db()
    out = repeat("grooming-2015-16", "g2", "--period-start", "2016-04-01", "--period-end", "2017-03-31")
    assert "“12 May 2014” kept as written (outside the period asked, 2015/16): check it" in out
    assert Campaign.objects.get(slug="g2").question.endswith("the guidance of 12 May 2014.")


def test_a_repeat_must_be_later_and_new_and_writes_nothing_otherwise(earlier):
    before = (Campaign.objects.count(), FoiRequest.objects.count(), CampaignPeriod.objects.count())
    for start, end, slug, message in [
        (D(2016, 3, 31), D(2017, 3, 30), "g2", "period start: 2016-03-31 is not after grooming-2015-16's period"),
        (D(2014, 4, 1), D(2015, 3, 31), "g2", "is not after"),
        (D(2016, 4, 1), D(2017, 3, 31), "grooming-2015-16", "slug: a campaign with slug 'grooming-2015-16' already"),
        (D(2016, 4, 1), D(2017, 3, 31), "G 2", "may hold only lower-case letters"),
    ]:
        with pytest.raises(ServiceError, match=message):
            RepeatCampaign(earlier, slug, start, end, ask_previous=True).execute()
    assert (Campaign.objects.count(), FoiRequest.objects.count(), CampaignPeriod.objects.count()) == before


def test_a_failure_after_the_campaign_is_made_leaves_nothing(earlier, monkeypatch):
    def broken(*args, **kwargs):
        raise ServiceError("the periods could not be stored")

    monkeypatch.setattr(CampaignPeriod.objects, "create", broken)
    with pytest.raises(ServiceError):
        RepeatCampaign(earlier, "g2", D(2016, 4, 1), D(2017, 3, 31), ask_previous=True).execute()
    assert not Campaign.objects.filter(slug="g2").exists() and not FoiRequest.objects.filter(campaign__slug="g2")


# --- the admin ------------------------------------------------------------------------------------

def test_ask_again_in_the_admin(researcher_client, earlier, researcher):
    workspace = researcher_client.get(reverse("admin:collection_campaign_workspace", args=[earlier.pk])).content
    change = researcher_client.get(reverse("admin:collection_campaign_change", args=[earlier.pk])).content
    url = reverse("admin:collection_campaign_ask_again", args=[earlier.pk])
    assert url.encode() in workspace and url.encode() in change
    page = researcher_client.get(url)
    form = page.context["form"]
    assert form.initial["period_start"] == D(2016, 4, 1) and form.initial["period_end"] == D(2017, 3, 31)
    assert form.initial["title"] == "Grooming offences 2016/17" and form.initial["slug"] == "grooming-2016-17"
    assert form.initial["owner"] == researcher.pk and form.fields["ask_previous"].initial is True
    html = page.content.decode()
    assert "between 1 April 2016 and 31 March 2017" in html and "Please also give the same figures again" in html
    response = researcher_client.post(url, {"period_start": "2016-04-01", "period_end": "2017-03-31",
                                            "ask_previous": "on", "title": "Grooming offences 2016/17",
                                            "slug": "grooming-2016-17", "sent_on": "", "owner": ""})
    new = Campaign.objects.get(slug="grooming-2016-17")
    assert response.status_code == 302 and response["Location"] == reverse("admin:collection_campaign_send",
                                                                           args=[new.pk])
    assert new.repeats == earlier and new.owner == researcher
    assert [p.label for p in new.periods.all()] == ["2015-16", "2016-17"]
    assert new.requests.count() == 5
    # The new campaign's pages say what it repeats and which periods it asks about.
    change = researcher_client.get(reverse("admin:collection_campaign_change", args=[new.pk])).content.decode()
    assert 'id="campaign-periods"' in change and "asked again: forces restate it" in change
    assert reverse("admin:collection_campaign_change", args=[earlier.pk]) in change
    board = researcher_client.get(reverse("admin:collection_campaign_workspace", args=[new.pk])).content.decode()
    assert "Asks about 2015/16 and 2016/17." in board and 'id="repeats-link"' in board
    listing = reverse("admin:collection_campaign_changelist")
    repeats = researcher_client.get(listing, {"repeats": "yes"}).context["cl"].queryset
    firsts = researcher_client.get(listing, {"repeats": "no"}).context["cl"].queryset
    assert list(repeats) == [new] and new not in firsts and earlier in firsts


def test_ask_again_form_errors_name_the_field(researcher_client, earlier):
    url = reverse("admin:collection_campaign_ask_again", args=[earlier.pk])
    response = researcher_client.post(url, {"period_start": "2015-10-01", "period_end": "2016-09-30",
                                            "title": "T", "slug": "grooming-2015-16"})
    assert response.status_code == 200
    form = response.context["form"]
    assert "already exists" in str(form.errors["slug"])
    response = researcher_client.post(url, {"period_start": "2015-10-01", "period_end": "2016-09-30",
                                            "title": "T", "slug": "new-one"})
    assert "period start: 2015-10-01 is not after" in response.content.decode()
    assert Campaign.objects.count() == 1
    # A period a year on that the app cannot handle is said on the page, not a crash.
    from collection.validation import latest_date

    last = latest_date()
    Campaign.objects.filter(pk=earlier.pk).update(period_start=D(last.year, 1, 1), period_end=last)
    page = researcher_client.get(url)
    assert page.status_code == 200 and "is outside the dates this app handles" in page.content.decode()


def test_viewers_see_no_button_and_may_not_ask_again(viewer_client, earlier):
    url = reverse("admin:collection_campaign_ask_again", args=[earlier.pk])
    for page in ("admin:collection_campaign_workspace", "admin:collection_campaign_change"):
        response = viewer_client.get(reverse(page, args=[earlier.pk]))
        assert response.status_code == 200 and url.encode() not in response.content
    assert viewer_client.get(url).status_code == 403
    response = viewer_client.post(url, {"period_start": "2016-04-01", "period_end": "2017-03-31",
                                        "title": "T", "slug": "new-one", "ask_previous": "on"})
    assert response.status_code == 403 and Campaign.objects.count() == 1


# --- the returned file's preview, per period ---------------------------------------------------------

def two_year_file(request, name, figures, user=None):
    """A file read as holding these totals per period (the importer's split is stream "yearsplit"'s:
    here the reading is given to PreviewReturn, the seam the command line uses too)."""
    from collection.importer import ImportResult, TidyRow
    from collection.returns.services import PreviewReturn, ReceiveReturn

    rows = [TidyRow("88A", 14, None, None, "", "", n, False, "", label) for label, n in figures.items()]
    received = ReceiveReturn(request, f"{name} {figures}".encode(), name, user, outcome="provided",
                             received_on=D(2017, 4, 20)).execute().returned
    PreviewReturn(received, result=ImportResult(name, "csv", "", "count_long", 1, len(rows), rows)).execute()
    received.refresh_from_db()
    return received


def confirm(returned, user):
    from collection.returns.services import ConfirmReturn

    ConfirmReturn(returned, user).execute()
    returned.refresh_from_db()


@pytest.fixture
def second_year(earlier, researcher):
    from collection.returns.models import OffenceCount

    kent_then = earlier.requests.get(force__force_id=earlier.forces.order_by("force_id").first().force_id)
    OffenceCount.objects.create(campaign=earlier, force=kent_then.force, request=kent_then,
                                offence=OffenceCode.objects.get(code="88A"), victim_age=14, count=73)
    new = RepeatCampaign(earlier, "grooming-2016-17", D(2016, 4, 1), D(2017, 3, 31), ask_previous=True,
                         sent_on=D(2017, 4, 3)).execute()
    return new.requests.get(force=kent_then.force)


def preview(client, returned):
    response = client.get(reverse("admin:collection_returnedfile_preview", args=[returned.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_preview_gives_the_figures_per_period_and_what_they_restate(researcher_client, researcher, second_year):
    first = two_year_file(second_year, "first.csv", {"2015-16": 70, "2016-17": 54}, researcher)
    html = preview(researcher_client, first)
    assert "Per period: <strong id=\"period-words\">2015/16: 70 offences; 2016/17: 54</strong>" in html
    # The force's figure in the campaign this one repeats, beside the restated one.
    assert "2015/16 as first given in Grooming offences 2015/16: 73 → 70 (-3)" in html
    assert 'id="preview-table-2015-16"' in html and 'id="preview-table-2016-17"' in html  # never added up
    assert "Restates" not in html  # nothing held for this request yet
    board = researcher_client.get(reverse("admin:collection_campaign_workspace", args=[second_year.campaign_id]))
    assert "<strong>2015/16: 70 offences; 2016/17: 54</strong>" in board.content.decode()  # not one total of 124
    queue = researcher_client.get(reverse("admin:collection_returnedfile_queue", args=[second_year.campaign_id]))
    assert "<td>2015/16: 70 offences; 2016/17: 54</td>" in queue.content.decode()
    confirm(first, researcher)

    second = two_year_file(second_year, "second.csv", {"2015-16": 80}, researcher)
    html = preview(researcher_client, second)
    assert "2015/16: 80 offences" in html
    assert "Restates 2015/16: 70 → 80 (+10): this file becomes the force's figure" in html
    assert "2015/16 as first given in Grooming offences 2015/16: 73 → 80 (+7)" in html
    assert "This replaces the 1 cell already held for" in html and "for 2015/16." in html
    assert 'id="superseded"' not in html  # first.csv keeps its 2016/17 figures
    confirm(second, researcher)
    assert dict(second_year.counts.values_list("period__label", "count")) == {"2015-16": 80, "2016-17": 54}
    # After the import the preview still says what the file restated.
    assert "Restates 2015/16: 70 → 80 (+10)." in preview(researcher_client, second)

    third = two_year_file(second_year, "third.csv", {"2015-16": 81, "2016-17": 54}, researcher)
    html = preview(researcher_client, third)
    assert "Restates 2015/16: 80 → 81 (+1)" in html and "Restates 2016/17: 54 → 54 (unchanged)" in html
    assert "Kept on record as superseded on confirming: first.csv, second.csv" in html
    confirm(third, researcher)
    first.refresh_from_db()
    assert first.status == "superseded" and first.superseded_by == third
    assert "Superseded</strong> by" in preview(researcher_client, first)


def test_the_preview_stays_escaped_and_its_queries_bounded(researcher_client, researcher, second_year):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    hostile = '<img src=x onerror="alert(1)">.csv'
    first = two_year_file(second_year, hostile, {"2015-16": 70, "2016-17": 54}, researcher)
    Campaign.objects.filter(pk=second_year.campaign.repeats_id).update(title='Grooming <b>"bold"</b>')
    confirm(first, researcher)
    second = two_year_file(second_year, "second.csv", {"2015-16": 80, "2016-17": 50}, researcher)
    with CaptureQueriesContext(connection) as few:
        html = preview(researcher_client, second)
    assert "<img src=x" not in html and "<b>\"bold\"</b>" not in html
    assert "superseded on confirming: &lt;img src=x onerror=&quot;alert(1)&quot;&gt;.csv" in html
    assert "first given in Grooming &lt;b&gt;&quot;bold&quot;&lt;/b&gt;: 73" in html
    for i in range(4):  # more files on record, each for one period
        confirm(two_year_file(second_year, f"more-{i}.csv", {"2015-16": 80 + i}, researcher), researcher)
    third = two_year_file(second_year, "third.csv", {"2015-16": 90, "2016-17": 60}, researcher)
    with CaptureQueriesContext(connection) as many:
        preview(researcher_client, third)
    assert len(many.captured_queries) == len(few.captured_queries) <= 20


def test_the_practice_chain_asked_again_with_the_command_gives_the_truths_comparison(researcher):
    """The issue's practice chain with its second campaign made by `repeat_campaign --ask-previous`: the
    forces' 2016/17 answers (restating 2015/16) give truth.json's figures and comparison."""
    from reports.services import CompileAggregate
    from tests.reports.practice_chain import first_year, load_second_year_counts, record_second_year_outcomes
    from tests.reports.test_comparison_chain import assert_comparison, assert_truth, figures_json

    first = first_year(researcher)
    CompileAggregate(first, final=True, trigger="test").execute()
    repeat("cyber-2015-16", "cyber-2016-17", "--period-start", "2016-04-01", "--period-end", "2017-03-31",
           "--ask-previous", "--sent-on", "2017-03-01")
    second = Campaign.objects.get(slug="cyber-2016-17")
    load_second_year_counts(second)
    record_second_year_outcomes(second, researcher)
    figures = figures_json(second.slug)
    assert_truth(figures["periods"]["2015-16"], "2015-16")
    assert_truth(figures["periods"]["2016-17"], "2016-17")
    assert_comparison(figures["comparison"])
    assert figures["comparison"]["original_source"]["campaign"] == first.slug
