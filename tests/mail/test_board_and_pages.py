"""The campaign's board and the mail pages tell the latest truth and lead back: the message that
matters most is shown (an answer beats an acknowledgement, an auto-reply hides nothing), its
suggestion first; a bounced force can still record its answer; a message page links to its row;
the inbox links to the upload; the pages that send say where the answers come back."""
import datetime as dt

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from collection.mail.services import IngestMessage
from collection.requests.models import FoiRequest, RequestStatus
from collection.requests.services import CreateCampaign
from collection.workspace.board import build_board, mail_facts
from tests.mail.practice import message_bytes
from tests.mail.test_ingest import practice_campaign  # noqa: F401

MET_ACK, MET_ANSWER, MET_AUTO_REPLY = "msg-0014.eml", "msg-0046.eml", "msg-0001.eml"


def met_row(campaign):
    board = build_board(campaign, today=dt.date(2016, 4, 20))
    return next(r for r in board.rows if r.force.force_id == "metropolitan")


@pytest.mark.parametrize("order", [(MET_ACK, MET_ANSWER), (MET_ANSWER, MET_ACK)])
def test_the_answer_beats_the_acknowledgement_whatever_order_the_mail_was_read_in(practice_campaign, order):
    for name in order:
        IngestMessage(message_bytes(name)).execute()
    last, waiting = mail_facts(practice_campaign)
    met = practice_campaign.requests.get(force__force_id="metropolitan").pk
    assert (last[met].what, last[met].on) == ("E-mail: answer", dt.date(2016, 4, 14))
    assert waiting[met].action == "outcome"
    row = met_row(practice_campaign)
    assert row.last_message.on == dt.date(2016, 4, 14)
    assert row.suggestion.action == "outcome" and row.state.key == "suggestion"
    assert row.state.chip.startswith("Mail: Data provided")


def test_an_auto_reply_read_last_hides_nothing(practice_campaign):
    for name in (MET_ACK, MET_AUTO_REPLY):
        IngestMessage(message_bytes(name)).execute()
    last, _ = mail_facts(practice_campaign)
    assert last[practice_campaign.requests.get(force__force_id="metropolitan").pk].what == "E-mail: acknowledgement"


def test_a_bounced_force_can_still_record_its_answer(practice_campaign, researcher_client):
    IngestMessage(message_bytes("msg-0010.eml")).execute()  # north-wales: the address bounced
    request = practice_campaign.requests.get(force__force_id="north-wales")
    assert request.status == RequestStatus.UNDELIVERED
    board = reverse("admin:collection_campaign_workspace", args=[practice_campaign.pk])
    html = researcher_client.get(board).content.decode()
    row = html[html.index(f'id="row-{request.pk}"'):]
    row = row[:row.index("</tr>")]
    assert "Bounced: the address failed" in row and 'value="answer"' in row and 'value="upload"' in row
    act = reverse("admin:collection_campaign_workspace_action", args=[practice_campaign.pk, request.pk])
    response = researcher_client.post(act, {"action": "answer", "outcome": "not_held", "received_on": "2016-05-02"},
                                      HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    request.refresh_from_db()
    assert request.outcome == "not_held" and str(request.answered_on) == "2016-05-02"


def test_a_message_page_leads_back_to_its_row_and_says_who_sent_it(practice_campaign, researcher_client):
    message = IngestMessage(message_bytes(MET_ANSWER)).execute().message
    html = researcher_client.get(reverse("admin:collection_mailmessage_change", args=[message.pk])).content.decode()
    back = reverse("admin:collection_campaign_workspace", args=[practice_campaign.pk]) + f"#row-{message.request_id}"
    assert f'href="{back}"' in html and "Back to Metropolitan Police Service on the board" in html
    assert "from Metropolitan Police Service&#x27;s FOI address" in html
    assert '<pre class="foi-mail-text" tabindex="0" role="region" aria-label="The text of the e-mail">' in html


def test_the_inbox_links_to_the_upload_and_lists_without_stray_marks(practice_campaign, researcher_client, viewer):
    IngestMessage(message_bytes(MET_ACK)).execute()
    url = reverse("admin:collection_campaign_inbox", args=[practice_campaign.pk])
    html = researcher_client.get(url).content.decode()
    assert f'href="{reverse("admin:collection_mailmessage_upload")}">Upload e-mail files</a>' in html
    assert "<ul>–" not in html and "-</ul>" not in html and "<ul>-" not in html
    assert html.count("<td>–</td>") == 2 * 43  # the forces with no mail: one dash per empty cell, outside any list
    looker = Client()
    looker.force_login(viewer)
    assert "Upload e-mail files" not in looker.get(url).content.decode()  # viewers upload nothing


def test_the_pages_that_send_say_where_the_answers_come_back(researcher_client, researcher, settings):
    c = CreateCampaign(slug="two", title="Two forces", question="How many?", period_start=dt.date(2024, 4, 1),
                       period_end=dt.date(2025, 3, 31), owner=researcher)
    campaign = c.execute()
    send = reverse("admin:collection_campaign_send", args=[campaign.pk])
    html = researcher_client.get(send).content.decode()
    assert "Where the answers come back" in html and "Forces reply to <strong>foi@research.example.org</strong>" in html
    assert "set <code>IMAP_URL</code>" in html
    settings.FOI_MAILBOX_ADDRESS = ""
    preview = researcher_client.post(reverse("admin:collection_campaign_changelist"),
                                     {"action": "send_requests", ACTION_CHECKBOX_NAME: [campaign.pk]}).content.decode()
    for page in (researcher_client.get(send).content.decode(), preview):
        assert "Set the team's mailbox before the requests go" in page and "<code>FOI_MAILBOX_ADDRESS</code>" in page
    assert not FoiRequest.objects.filter(campaign=campaign, sent_at__isnull=False).exists()
