"""The mail pages in the admin: escaping, one-click acceptance and assignment, the upload, the
campaign's Inbox, and who may do what (viewers look, anonymous users log in)."""
from email.message import EmailMessage

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from collection.mail.services import IngestMessage
from collection.mail.models import MailMessage, MailSuggestion, SuggestionStatus
from collection.requests.models import EventKind, FoiRequest, RequestEvent
from tests.mail.practice import message_bytes
from tests.mail.test_ingest import practice_campaign  # noqa: F401

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def hostile_message() -> bytes:
    msg = EmailMessage()
    msg["From"] = f'"{HOSTILE}" <evil@example.org>'
    msg["To"] = "foi-research@localhost"
    msg["Subject"] = f"Figures {HOSTILE}"
    msg["Message-ID"] = "<hostile@example.org>"
    msg.set_content(f"Hello {HOSTILE}")
    msg.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename=f"{HOSTILE}.csv")
    return msg.as_bytes()


def test_values_from_a_message_are_escaped_on_every_page(researcher_client, practice_campaign):
    message = IngestMessage(hostile_message()).execute().message
    pages = [reverse("admin:collection_mailmessage_change", args=[message.pk]),
             reverse("admin:collection_mailmessage_changelist"), reverse("admin:collection_unmatchedmail_changelist"),
             reverse("admin:collection_campaign_inbox", args=[practice_campaign.pk])]
    for url in pages:
        html = researcher_client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url
    html = researcher_client.get(pages[0]).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_one_click_accepts_a_suggestion_from_the_requests_page(researcher_client, practice_campaign):
    message = IngestMessage(message_bytes("msg-0014.eml")).execute().message  # met's acknowledgement
    suggestion = MailSuggestion.objects.get(message=message)
    page = reverse("admin:collection_foirequest_change", args=[message.request_id])
    html = researcher_client.get(page).content.decode()
    accept = reverse("admin:collection_mailsuggestion_accept", args=[suggestion.pk])
    assert f'formaction="{accept}"' in html and "Acknowledged on 06 Apr 2016, their reference CS/4204/16" in html
    response = researcher_client.post(accept, {"next": page})
    assert response.status_code == 302 and response["Location"] == page
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.ACCEPTED
    request = FoiRequest.objects.get(pk=message.request_id)
    assert request.force_reference == "CS/4204/16"
    assert RequestEvent.objects.filter(request=request, kind=EventKind.ACKNOWLEDGED, detail__contains="CS/4204/16")
    # a second click changes nothing
    researcher_client.post(accept)
    assert RequestEvent.objects.filter(request=request, kind=EventKind.ACKNOWLEDGED).count() == 1


def test_assigning_an_unmatched_message_reads_it_as_matched(researcher_client, practice_campaign):
    message = IngestMessage(message_bytes("msg-0056.eml")).execute().message  # another campaign's gwent reference
    assert message.request is None and "FOI-PRACTICE-2014-15-GWENT" in message.match_reason
    gwent = practice_campaign.requests.get(force__force_id="gwent")
    html = researcher_client.get(reverse("admin:collection_mailmessage_change", args=[message.pk])).content.decode()
    assert "Assign to a request" in html
    response = researcher_client.post(reverse("admin:collection_mailmessage_assign", args=[message.pk]),
                                      {"request": gwent.pk})
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.request, message.matched_by) == (gwent, "by_hand")
    assert MailSuggestion.objects.get(message=message).force_reference == "CS/7144/15"


def test_upload_several_files_at_once(researcher_client, practice_campaign):
    files = [SimpleUploadedFile("a.eml", message_bytes("msg-0014.eml")),
             SimpleUploadedFile("b.eml", message_bytes("msg-0046.eml")),
             SimpleUploadedFile("broken.msg", b"not an outlook file")]
    response = researcher_client.post(reverse("admin:collection_mailmessage_upload"), {"files": files})
    assert response.status_code == 200
    assert MailMessage.objects.count() == 3
    broken = MailMessage.objects.get(source_name="broken.msg")
    assert broken.kind == "unreadable" and broken.problem and broken.raw.read() == b"not an outlook file"
    assert MailMessage.objects.filter(request__force__force_id="metropolitan").count() == 2
    assert b"broken.msg" in response.content and b"Unreadable" in response.content


def test_campaign_inbox_accepts_every_clean_suggestion_at_once(researcher_client, practice_campaign):
    for name in ("msg-0014.eml", "msg-0046.eml", "msg-0053.eml"):
        IngestMessage(message_bytes(name)).execute()
    url = reverse("admin:collection_campaign_inbox", args=[practice_campaign.pk])
    html = researcher_client.get(url).content.decode()
    assert "2 suggestions waiting, 2 ready to accept" in html and ">1 unmatched</a>" in html
    researcher_client.post(reverse("admin:collection_campaign_accept_clean", args=[practice_campaign.pk]))
    met = practice_campaign.requests.get(force__force_id="metropolitan")
    assert met.outcome == "provided" and met.counts.exists()


@pytest.mark.parametrize("name", ["accept", "assign", "upload", "accept_clean", "dismiss"])
def test_viewers_change_nothing_and_anonymous_users_log_in(client, viewer_client, practice_campaign, name):
    message = IngestMessage(message_bytes("msg-0014.eml")).execute().message
    suggestion = MailSuggestion.objects.get(message=message)
    url = {"accept": reverse("admin:collection_mailsuggestion_accept", args=[suggestion.pk]),
           "dismiss": reverse("admin:collection_mailsuggestion_dismiss", args=[suggestion.pk]),
           "assign": reverse("admin:collection_mailmessage_assign", args=[message.pk]),
           "upload": reverse("admin:collection_mailmessage_upload"),
           "accept_clean": reverse("admin:collection_campaign_accept_clean", args=[practice_campaign.pk])}[name]
    assert viewer_client.post(url, {"request": message.request_id}).status_code == 403
    anonymous = client.__class__().post(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.WAITING
    # viewers may look
    assert viewer_client.get(reverse("admin:collection_mailmessage_change", args=[message.pk])).status_code == 200
    html = viewer_client.get(reverse("admin:collection_campaign_inbox", args=[practice_campaign.pk])).content.decode()
    assert "Accept" not in html


def test_the_morning_digest_says_how_many_replies_came_and_are_ready(practice_campaign, settings,
                                                                   django_capture_on_commit_callbacks):
    from django.core import mail as outbox
    from django.utils import timezone

    from collection.requests.models import working_calendar
    from collection.reminders.services import SendReminders

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for name in ("msg-0001.eml", "msg-0014.eml", "msg-0046.eml", "msg-0045.eml"):
        IngestMessage(message_bytes(name)).execute()
    day = working_calendar().next_working_day(timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        SendReminders(today=day, campaign=practice_campaign).execute()
    digest = next(m for m in outbox.outbox if "digest" in m.subject.lower())
    # the auto-reply is not a reply; three suggestions are clean
    assert "Forces' mail: 3 new replies, 3 ready to accept" in digest.body
    assert f"/inbox/{practice_campaign.pk}/" in digest.body
    assert "3 new replies" in digest.subject


def test_the_campaign_board_shows_the_last_mail_and_accepts_its_suggestion(researcher_client, practice_campaign):
    """The workspace row of a force whose mail waits: its state, the e-mail, Accept in place."""
    message = IngestMessage(message_bytes("msg-0014.eml")).execute().message  # met's acknowledgement
    suggestion = MailSuggestion.objects.get(message=message)
    board = reverse("admin:collection_campaign_workspace", args=[practice_campaign.pk])
    html = researcher_client.get(board).content.decode()
    assert "Mail to accept" in html and f'name="suggestion" value="{suggestion.pk}"' in html
    assert "E-mail: acknowledgement" in html  # the last message, before anyone acts on it
    assert reverse("admin:collection_campaign_inbox", args=[practice_campaign.pk]) in html
    act = reverse("admin:collection_campaign_workspace_action", args=[practice_campaign.pk, message.request_id])
    response = researcher_client.post(act, {"action": "accept", "suggestion": suggestion.pk},
                                      HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.ACCEPTED
    assert FoiRequest.objects.get(pk=message.request_id).force_reference == "CS/4204/16"
    again = researcher_client.post(act, {"action": "accept", "suggestion": suggestion.pk}, HTTP_ACCEPT="application/json")
    assert again.status_code == 400 and "no longer waiting" in again.json().get("message", "")
