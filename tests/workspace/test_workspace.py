"""The campaign workspace: the board (states, counts, lateness from the one predicate), its row
actions through the services every door uses, the guided start and send, and who may do what."""
import datetime as dt
import json
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from collection.forces.models import Force, OffenceCode
from collection.requests.models import Campaign, EventKind, FoiRequest, RequestStatus, working_calendar
from collection.returns.models import OffenceCount, ReturnedFile, ReturnStatus
from collection.requests.services import CreateCampaign, RecordEvent, RecordResponse
from collection.workspace import states
from collection.workspace.board import build_board
from tests.helpers import ROOT, TEST_DATA

pytestmark = pytest.mark.django_db
DATA = TEST_DATA / "returns"
JSON = {"HTTP_ACCEPT": "application/json"}


def board_url(campaign, **query):
    url = reverse("admin:collection_campaign_workspace", args=[campaign.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def act_url(request):
    return reverse("admin:collection_campaign_workspace_action", args=[request.campaign_id, request.pk])


@pytest.fixture
def recent(researcher):
    """A campaign sent to every force 5 working days ago: on time, due in 15 working days."""
    today = timezone.localdate()
    sent = working_calendar().add_working_days(today, 0)
    day = today
    for _ in range(5):
        day -= dt.timedelta(days=1)
        while not working_calendar().is_working_day(day):
            day -= dt.timedelta(days=1)
    sent = day
    return CreateCampaign(slug="recent", title="Cyber-flagged offences this year", question="How many ...?",
                          period_start=dt.date(2024, 4, 1), period_end=dt.date(2025, 3, 31), owner=researcher,
                          sent_on=sent).execute()


def row_of(board, force_id):
    return next(r for r in board.rows if r.force.force_id == force_id)


# --- the board ---------------------------------------------------------------------------------

def test_every_force_is_one_row_and_the_counts_add_up(researcher_client, campaign):
    page = researcher_client.get(board_url(campaign))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('class="foi-row"') == 44
    board = page.context["board"]
    assert board.total == 44 and sum(c.count for c in board.counts) == 44
    assert re.search(r'>All <span class="foi-count">44</span>', html)
    kent = campaign.requests.get(force__force_id="kent")  # the row's URLs, built once for all rows, are the real ones
    assert f'data-row-url="{reverse("admin:collection_campaign_workspace_row", args=[campaign.pk, kent.pk])}"' in html
    assert f'action="{act_url(kent)}"' in html and f'href="{kent.get_absolute_url()}"' in html


def test_lateness_on_the_board_is_the_querysets_answer(campaign, recent):
    today = timezone.localdate()
    calendar = working_calendar()
    for c in (campaign, recent):
        board = build_board(c)
        late = {r.request.pk for r in board.rows if r.state.key in (states.OVERDUE, states.VERY_OVERDUE)}
        very = {r.request.pk for r in board.rows if r.state.key == states.VERY_OVERDUE}
        assert late == set(FoiRequest.objects.filter(campaign=c).overdue(today).values_list("pk", flat=True))
        assert very == set(FoiRequest.objects.filter(campaign=c).very_overdue(today, calendar)
                           .values_list("pk", flat=True))
    assert len(build_board(campaign).overdue) == 44  # sent in 2016
    fresh = build_board(recent)
    assert not fresh.overdue and {r.state.key for r in fresh.rows} == {states.SENT}
    kent = row_of(fresh, "kent")
    left = calendar.working_days_between(today, kent.request.due_on)
    assert kent.state.chip == f"Sent · due in {left} working days" and left >= 15


def test_each_row_follows_what_happened_to_its_request(researcher, recent):
    by_id = {r.force.force_id: r for r in recent.requests.select_related("force")}
    today = timezone.localdate()
    RecordEvent(by_id["kent"], EventKind.ACKNOWLEDGED, today, researcher).execute()
    RecordEvent(by_id["essex"], EventKind.CLARIFICATION_ASKED, today, researcher).execute()
    RecordEvent(by_id["surrey"], EventKind.EXTENSION_CLAIMED, today, researcher,
                new_due_on=today + dt.timedelta(days=60)).execute()
    RecordResponse(by_id["dorset"], "not_held", today, researcher).execute()
    RecordResponse(by_id["btp"], "provided", today, researcher).execute()
    FoiRequest.objects.filter(pk=by_id["norfolk"].pk).update(sent_at=None, status=RequestStatus.DRAFT)
    board = build_board(recent)
    got = {f: (row_of(board, f).state.key, row_of(board, f).state.chip) for f in
           ("kent", "essex", "surrey", "dorset", "btp", "norfolk")}
    left = working_calendar().working_days_between(today, by_id["kent"].due_on)
    assert got["kent"] == ("acknowledged", f"Acknowledged · due in {left} working days")
    assert got["essex"] == ("clarification", "Clarification asked: clock stopped")
    assert got["surrey"][0] == "extended" and got["surrey"][1].startswith("Extended to ")
    assert got["dorset"] == ("answered", "Answered: Information not held")
    assert got["btp"] == ("needs_figures", "Answered: Data provided · no figures yet")
    assert got["norfolk"] == ("not_sent", "Not sent")
    assert row_of(board, "kent").last_message.what == "Acknowledged"
    assert sum(c.count for c in board.counts) == 44


def test_a_filter_hides_the_other_rows_and_keeps_every_count(researcher_client, recent, researcher):
    kent = recent.requests.get(force__force_id="kent")
    RecordResponse(kent, "nil_return", timezone.localdate(), researcher).execute()
    html = researcher_client.get(board_url(recent, state="answered")).content.decode()
    rows = re.findall(r'<tr id="row-(\d+)" class="foi-row"[^>]*?( hidden)?>', html)
    shown = [pk for pk, hidden in rows if not hidden]
    assert shown == [str(kent.pk)] and len(rows) == 44
    assert 'href="?state=answered" data-state="answered" class="foi-chip foi-chip--done" aria-current="true"' in html


def test_the_board_escapes_what_people_typed(researcher_client, recent):
    Campaign.objects.filter(pk=recent.pk).update(title='<script>alert("t")</script>',
                                                 question="<img src=x onerror=alert(1)>")
    FoiRequest.objects.filter(campaign=recent, force__force_id="kent").update(force_reference="<b>FOI&1</b>")
    html = researcher_client.get(board_url(recent)).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>FOI" not in html
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;" in html and "&lt;b&gt;FOI&amp;1&lt;/b&gt;" in html


def test_no_inline_script_or_event_handler_in_any_template():
    root = ROOT / "templates"
    for path in root.rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\son[a-z]+\s*=", text), path


# --- row actions -------------------------------------------------------------------------------

def test_recording_an_answer_from_the_row_returns_the_new_row_and_counts(researcher_client, recent):
    kent = recent.requests.get(force__force_id="kent")
    response = researcher_client.post(act_url(kent), {"action": "answer", "outcome": "refused",
                                                      "received_on": str(timezone.localdate()), "sections": "s.12"},
                                      **JSON)
    assert response.status_code == 200
    payload = response.json()
    assert payload["state"] == "answered" and payload["level"] == "success"
    assert "Kent Police: Refused recorded." == payload["message"]
    assert f'id="row-{kent.pk}"' in payload["row"] and "Answered: Refused" in payload["row"]
    assert 'data-state="answered"' in payload["counts"]
    kent.refresh_from_db()
    assert kent.outcome == "refused" and kent.sections_cited == "s.12"
    assert kent.events.filter(kind=EventKind.ANSWERED).count() == 1


def test_a_refused_action_says_why_in_one_line_and_writes_nothing(researcher_client, recent):
    kent = recent.requests.get(force__force_id="kent")
    response = researcher_client.post(act_url(kent), {"action": "answer", "outcome": "refused",
                                                      "received_on": str(timezone.localdate())}, **JSON)
    assert response.status_code == 400
    assert response.json()["message"] == "Sections: A refusal needs the sections the force cited, e.g. s.12."
    bad_date = researcher_client.post(act_url(kent), {"action": "answer", "outcome": "nil_return",
                                                      "received_on": "3016-01-01"}, **JSON)
    assert bad_date.status_code == 400 and "not a plausible date" in bad_date.json()["message"]
    kent.refresh_from_db()
    assert kent.outcome == "" and not kent.events.filter(kind=EventKind.ANSWERED).exists()


def test_without_javascript_an_action_comes_back_to_the_row(researcher_client, recent):
    kent = recent.requests.get(force__force_id="kent")
    response = researcher_client.post(act_url(kent), {"action": "acknowledge", "on": str(timezone.localdate()),
                                                      "force_reference": "FOI 001234/16", "state": "sent"})
    assert response.status_code == 302
    assert response["Location"] == board_url(recent, state="sent") + f"#row-{kent.pk}"
    kent.refresh_from_db()
    assert kent.force_reference == "FOI 001234/16"
    assert kent.events.filter(kind=EventKind.ACKNOWLEDGED).exists()
    assert kent.events.filter(kind=EventKind.EDITED, changes__has_key="force_reference").exists()
    page = researcher_client.get(response["Location"])
    assert "Kent Police: acknowledgement recorded." in page.content.decode()


def test_upload_then_confirm_from_the_row(researcher_client, recent):
    kent = recent.requests.get(force__force_id="kent")
    # a return naming no year: kent.xlsx's recorded dates are 2015/16, outside this campaign's 2024/25
    truth = json.loads((DATA / "truth.json").read_text())["cells"]["cambridgeshire"]
    with open(DATA / "cambridgeshire.xlsx", "rb") as f:
        response = researcher_client.post(act_url(kent), {
            "action": "upload", "file": SimpleUploadedFile("kent.xlsx", f.read()),
            "received_on": str(timezone.localdate()), "outcome": "provided"}, **JSON)
    payload = response.json()
    assert response.status_code == 200 and payload["state"] == "review", payload["message"]
    returned = ReturnedFile.objects.get(request=kent)
    assert f"total <strong>{sum(c[2] for c in truth)}</strong>" in payload["row"]
    assert not OffenceCount.objects.filter(request=kent).exists()  # nothing imported before the confirm

    stale = researcher_client.post(act_url(kent), {"action": "confirm", "returned": returned.pk,
                                                   "fingerprint": "0" * 16}, **JSON)
    assert stale.status_code == 400 and "changed since you opened it" in stale.json()["message"]
    done = researcher_client.post(act_url(kent), {"action": "confirm", "returned": returned.pk,
                                                  "fingerprint": returned.summary["fingerprint"]}, **JSON)
    assert done.status_code == 200 and done.json()["state"] == "imported"
    assert sum(OffenceCount.objects.filter(request=kent).values_list("count", flat=True)) == sum(c[2] for c in truth)
    kent.refresh_from_db()
    assert kent.outcome == "provided"
    again = researcher_client.post(act_url(kent), {"action": "confirm", "returned": returned.pk,
                                                   "fingerprint": returned.summary["fingerprint"]}, **JSON)
    assert again.status_code == 400 and "already imported" in again.json()["message"]
    assert OffenceCount.objects.filter(request=kent).count() == len(truth)


def test_a_refused_file_is_kept_and_the_row_offers_to_place_the_table(researcher_client, recent):
    essex = recent.requests.get(force__force_id="essex")
    response = researcher_client.post(act_url(essex), {
        "action": "upload", "file": SimpleUploadedFile("essex.csv", b"Offence,Victim age,Count\n19E,34,2\n"),
        "received_on": str(timezone.localdate()), "outcome": "provided"}, **JSON)
    payload = response.json()
    assert response.status_code == 400 and "essex.csv" in payload["message"] and "34" in payload["message"]
    assert payload["state"] == "refused_file" and "Say where the table is" in payload["row"]
    assert ReturnedFile.objects.get(request=essex).status == ReturnStatus.REFUSED
    assert not OffenceCount.objects.filter(request=essex).exists()


def test_a_file_over_the_limit_is_refused_before_it_is_kept(researcher_client, recent, settings):
    settings.FOI_IMPORT_MAX_FILE_BYTES = 10
    kent = recent.requests.get(force__force_id="kent")
    response = researcher_client.post(act_url(kent), {
        "action": "upload", "file": SimpleUploadedFile("big.csv", b"x" * 11),
        "received_on": str(timezone.localdate())}, **JSON)
    assert response.status_code == 400 and "big.csv: 11 bytes is over the limit of 10 bytes" in response.json()["message"]
    assert not ReturnedFile.objects.exists()


@pytest.mark.django_db(transaction=True)  # mail goes when the send's claim commits, as in production
def test_record_as_sent_and_email_one_force_from_its_row(researcher_client, researcher):
    Force.objects.filter(force_id="kent").update(foi_email="foi@kent.police.example")
    c = CreateCampaign(slug="drafts", title="Drafts", question="How many?", period_start=dt.date(2024, 4, 1),
                       period_end=dt.date(2025, 3, 31), owner=researcher).execute()
    kent, essex = (c.requests.get(force__force_id=f) for f in ("kent", "essex"))
    html = researcher_client.get(board_url(c)).content.decode()
    assert "E-mail it to foi@kent.police.example" in html and html.count("E-mail it to") == 1
    sent = researcher_client.post(act_url(kent), {"action": "email"}, **JSON)
    assert sent.status_code == 200 and sent.json()["message"] == "Kent Police: e-mailed (foi@kent.police.example)."
    assert [m.to for m in mail.outbox] == [["foi@kent.police.example"]]
    posted = researcher_client.post(act_url(essex), {"action": "send", "sent_on": "2024-05-02", "via": "post"}, **JSON)
    assert posted.status_code == 200 and posted.json()["message"] == "Essex Police: recorded as sent on 2 May 2024."
    essex.refresh_from_db()
    assert essex.sent_via == "post" and essex.received_on == dt.date(2024, 5, 2)
    twice = researcher_client.post(act_url(essex), {"action": "send", "sent_on": "2024-05-02", "via": "post"}, **JSON)
    assert twice.status_code == 400 and "already recorded as sent" in twice.json()["message"]


@pytest.mark.django_db(transaction=True)  # chasers go when their claim commits, as in production
def test_chase_from_the_row_and_every_overdue_force_at_once(researcher_client, campaign):
    Force.objects.filter(force_id__in=["kent", "essex"]).update(foi_email="foi@x.police.example")
    kent = campaign.requests.get(force__force_id="kent")
    response = researcher_client.post(act_url(kent), {"action": "chase"}, **JSON)
    assert response.status_code == 200 and response.json()["message"] == "Kent Police: chased now."
    again = researcher_client.post(act_url(kent), {"action": "chase"}, **JSON)
    assert "already chased today" in again.json()["message"]
    everyone = researcher_client.post(reverse("admin:collection_campaign_chase_overdue", args=[campaign.pk]),
                                      follow=True)
    text = everyone.content.decode()
    assert everyone.status_code == 200 and "1 sent, 1 already sent" in text.replace("&#x27;", "'")


def test_an_unknown_action_or_a_request_of_another_campaign_is_not_found(researcher_client, campaign, recent):
    kent = recent.requests.get(force__force_id="kent")
    assert researcher_client.post(act_url(kent), {"action": "delete"}).status_code == 404
    other = reverse("admin:collection_campaign_workspace_action", args=[campaign.pk, kent.pk])
    assert researcher_client.post(other, {"action": "chase"}).status_code == 404
    assert researcher_client.get(act_url(kent)).status_code == 405


# --- who may do what -----------------------------------------------------------------------------

def test_viewers_see_the_board_but_no_action_and_are_refused_every_write(viewer_client, recent):
    page = viewer_client.get(board_url(recent))
    html = page.content.decode()
    assert page.status_code == 200 and html.count('class="foi-row"') == 44
    assert "<form" not in html.split('id="board"')[1] and "Chase" not in html and "Send to" not in html
    kent = recent.requests.get(force__force_id="kent")
    for data in ({"action": "answer", "outcome": "nil_return", "received_on": "2024-05-02"},
                 {"action": "acknowledge", "on": "2024-05-02"}, {"action": "chase"}):
        assert viewer_client.post(act_url(kent), data, **JSON).status_code == 403
    assert viewer_client.post(reverse("admin:collection_campaign_chase_overdue", args=[recent.pk])).status_code == 403
    assert viewer_client.get(reverse("admin:collection_campaign_start")).status_code == 403
    assert viewer_client.post(reverse("admin:collection_campaign_send", args=[recent.pk]),
                              {"record": "1", "sent_on": "2024-05-02", "via": "post"}).status_code == 403
    assert viewer_client.get(reverse("admin:collection_campaign_workspace_row", args=[recent.pk, kent.pk])).status_code == 200
    kent.refresh_from_db()
    assert kent.outcome == "" and not kent.events.exclude(kind=EventKind.SENT).exists()


def test_anonymous_users_are_sent_to_log_in(client, recent):
    for url in (board_url(recent), reverse("admin:collection_campaign_start")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


# --- starting a campaign -------------------------------------------------------------------------

def start_data(**extra):
    data = {"title": "Cyber-flagged offences 2017/18", "slug": "", "question": "How many offences ...?",
            "period_start": "2017-04-01", "period_end": "2018-03-31",
            "forces": list(Force.objects.filter(active=True).values_list("pk", flat=True))}
    data.update(extra)
    return data


def test_the_guided_start_creates_the_campaign_then_shows_the_email(researcher_client, researcher, make_user):
    colin = make_user("colin", "Researchers", first_name="Colin", last_name="Owner")
    form = researcher_client.get(reverse("admin:collection_campaign_start"))
    html = form.content.decode()
    assert html.count('name="forces"') == 44 and html.count('name="forces" value=') == 44
    assert html.count("checked") >= 44  # every active force ticked
    assert 'type="date"' in html and "Step 1 of 2" in html
    codes = list(OffenceCode.objects.filter(code__in=["88A"]).values_list("pk", flat=True))
    response = researcher_client.post(reverse("admin:collection_campaign_start"),
                                      start_data(offence_codes=codes, owner=colin.pk))
    campaign = Campaign.objects.get(slug="cyber-flagged-offences-2017-18")  # the short name made from the title
    assert response.status_code == 302 and response["Location"] == reverse("admin:collection_campaign_send",
                                                                          args=[campaign.pk])
    assert campaign.requests.count() == 44 and campaign.owner == colin
    assert list(campaign.offence_codes.values_list("code", flat=True)) == ["88A"]
    assert not campaign.requests.filter(sent_at__isnull=False).exists()


def test_the_start_refuses_what_cannot_be_a_campaign(researcher_client, campaign):
    response = researcher_client.post(reverse("admin:collection_campaign_start"),
                                      start_data(slug="cyber-2015-16", period_end="2017-03-31"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "a campaign with the short name “cyber-2015-16” already exists" in html
    assert "the period ends before it starts" in html
    assert Campaign.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_send_to_n_forces_from_the_send_page(researcher_client, researcher):
    Force.objects.filter(force_id__in=["kent", "essex"]).update(foi_email="foi@x.police.example")
    c = CreateCampaign(slug="two", title="Two forces", question="How many?", period_start=dt.date(2024, 4, 1),
                       period_end=dt.date(2025, 3, 31), owner=researcher,
                       forces=list(Force.objects.filter(force_id__in=["kent", "essex", "surrey"]))).execute()
    page = researcher_client.get(reverse("admin:collection_campaign_send", args=[c.pk])).content.decode()
    assert 'value="Send to 2 forces"' in page and "The e-mail as Essex Police will get it" in page
    assert "FOI-TWO-ESSEX" in page and "Surrey Police has no FOI email address" in page
    assert "Record 3 requests as sent" in page
    done = researcher_client.post(reverse("admin:collection_campaign_send", args=[c.pk]),
                                  {"send": "1", "force": ["essex", "kent"]}, follow=True)
    assert done.redirect_chain[-1][0] == board_url(c)
    assert "E-mailed the request to 2 forces." in done.content.decode()
    assert len(mail.outbox) == 2 and c.requests.filter(status=RequestStatus.SENT).count() == 2
    record = researcher_client.post(reverse("admin:collection_campaign_send", args=[c.pk]),
                                    {"record": "1", "sent_on": "2024-05-02", "via": "whatdotheyknow"}, follow=True)
    assert "Recorded 1 request as sent on 2 May 2024." in record.content.decode()
    assert c.requests.get(force__force_id="surrey").sent_via == "whatdotheyknow"


def test_the_campaign_list_links_each_title_to_its_workspace(researcher_client, campaign):
    html = researcher_client.get(reverse("admin:collection_campaign_changelist")).content.decode()
    assert f'<a href="{board_url(campaign)}">{campaign.title}</a>' in html
    assert reverse("admin:collection_campaign_start") in html
    assert 'aria-label="0% answered"' in html  # a bar drawn by CSS, empty at 0%
