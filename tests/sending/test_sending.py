"""E-mailing a campaign's request to the forces: recorded as sent only when the mail server
accepted it, once per request however often it is started, with our Message-ID and reference;
the preview and its confirmation; and titles that cannot break a mail header.

Only the mail server is faked here (a closed port, or Django's in-memory outbox); the same sends
against PostgreSQL with two processes and a real SMTP server are in test_sending_services.py.
"""
import datetime as dt
from email.utils import parseaddr
from io import StringIO

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from collection.forces.models import Force
from collection.requests.models import Campaign, EventKind, FoiRequest, RequestStatus
from collection.sending.claims import next_attempt_in, retry_after_lease_seconds
from collection.sending.rules import one_line, plural, title_problem
from collection.sending.services import (Claimed, PreviewSend, SendCampaign, SendSummary, claim, render_request,
                                         send_claimed_requests)
from collection.requests.services import CreateCampaign
from collection.validation import ServiceError
from tests.conftest import TEST_MAILBOX
from tests.helpers import closed_port
from tests.helpers import command

D = dt.date.fromisoformat
pytestmark = pytest.mark.django_db
FORCES = ["essex", "kent", "surrey"]


@pytest.fixture
def drafts(db, researcher):
    """Three forces with addresses, nothing sent yet."""
    for force_id in FORCES:
        Force.objects.filter(force_id=force_id).update(foi_email=f"foi@{force_id}.police.example")
    return CreateCampaign(slug="small", title="Cyber-flagged offences 2016/17", question="How many offences?",
                          period_start=D("2016-04-01"), period_end=D("2017-03-31"), owner=researcher,
                          forces=list(Force.objects.filter(force_id__in=FORCES))).execute()


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Send as the command and the task do; mail goes after each claim commits, so commit them here."""
    def send(campaign, **options):
        with django_capture_on_commit_callbacks(execute=True):
            summary = SendCampaign(campaign, **options).execute()
        return summary
    return send


def header(message, name):
    return message.message()[name]


# --- Recorded as sent only when the server accepted it ---------------------------------------

def test_with_the_mail_server_down_nothing_is_recorded_as_sent_and_the_error_is_kept(drafts, send, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    summary = send(drafts)
    assert summary.sent == [] and len(summary.failed) == 3
    for request in drafts.requests.all():
        assert request.status == RequestStatus.DRAFT and request.sent_at is None and request.received_on is None
        assert "ConnectionRefusedError" in request.send_error
        assert request.send_claimed_at is None  # free for the retry
        assert not request.events.filter(kind=EventKind.SENT).exists()
    drafts.refresh_from_db()
    assert drafts.sent_on is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the server is back: send again
    again = send(drafts)
    assert len(again.sent) == 3 and len(mail.outbox) == 3
    for request in drafts.requests.all():
        assert request.status == RequestStatus.SENT and request.send_error == "" and request.send_attempts == 2


def test_a_sent_request_keeps_the_moment_the_server_accepted_it_and_its_clock_starts_that_day(drafts, send):
    send(drafts)
    kent = drafts.requests.get(force__force_id="kent")
    assert kent.sent_at is not None and kent.received_on == kent.sent_at.astimezone().date()
    assert kent.due_on is not None and kent.sent_via == "email"
    event = kent.events.get(kind=EventKind.SENT)
    assert event.detail == f"E-mailed to foi@kent.police.example, Message-ID {kent.sent_message_id}"


def test_sending_again_a_double_click_or_a_retry_sends_each_request_once(drafts, send):
    first = send(drafts)
    second = send(drafts)
    assert len(first.sent) == 3 and second.sent == [] and sorted(second.already_sent) == \
        ["Essex Police", "Kent Police", "Surrey Police"]
    assert sorted(m.to[0] for m in mail.outbox) == [f"foi@{f}.police.example" for f in FORCES]
    assert all(r.events.filter(kind=EventKind.SENT).count() == 1 for r in drafts.requests.all())


def test_a_request_claimed_by_another_run_is_not_sent_by_this_one(drafts, send):
    kent = drafts.requests.get(force__force_id="kent")
    attempt, message_id = claim(kent)  # another run holds it (committed, lease running)
    assert attempt == 1 and message_id
    summary = send(drafts)
    assert "Kent Police" in summary.being_sent and len(summary.sent) == 2
    assert "foi@kent.police.example" not in [m.to[0] for m in mail.outbox]
    assert claim(kent) == (None, "")  # and nobody else may claim it while the lease runs


def test_a_run_held_up_past_its_lease_rechecks_its_claim_and_does_not_send(drafts, django_capture_on_commit_callbacks):
    kent = drafts.requests.select_related("force", "campaign__owner").get(force__force_id="kent")
    attempt, message_id = claim(kent)
    # ... this run stalls; its lease runs out and another run takes the request over:
    FoiRequest.objects.filter(pk=kent.pk).update(send_attempts=attempt + 1)
    summary = SendSummary(drafts, PreviewSend(drafts, ["essex"]).execute())
    send_claimed_requests([Claimed(render_request(kent), attempt, message_id)], summary)
    assert mail.outbox == [] and summary.being_sent == ["Kent Police"] and summary.sent == []
    kent.refresh_from_db()
    assert kent.sent_at is None


def test_a_stale_claim_of_a_run_that_died_is_taken_over_after_the_lease(drafts, send, settings):
    kent = drafts.requests.get(force__force_id="kent")
    claim(kent)
    FoiRequest.objects.filter(pk=kent.pk).update(send_claimed_at=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    summary = send(drafts)
    assert len(summary.sent) == 3
    kent.refresh_from_db()
    assert kent.status == RequestStatus.SENT and kent.send_attempts == 2


# --- Message-ID, reference, sender, reply-to, signature ---------------------------------------

def test_each_request_has_our_message_id_our_reference_and_replies_go_to_the_mailbox(drafts, send, settings):
    settings.FOI_SIGNATURE = "Research team\nChildren's Charity, 1 High Street"
    send(drafts)
    kent = drafts.requests.get(force__force_id="kent")
    message = next(m for m in mail.outbox if m.to == ["foi@kent.police.example"])
    assert header(message, "Message-ID") == kent.sent_message_id
    assert kent.sent_message_id.startswith("<") and kent.sent_message_id.endswith("@research.example.org>")
    assert message.subject == "Freedom of Information request FOI-SMALL-KENT: Cyber-flagged offences 2016/17"
    assert message.reply_to == [TEST_MAILBOX]
    assert parseaddr(message.from_email) == ("Children's charity FOI research", TEST_MAILBOX)
    assert "localhost" not in str(message.message())
    assert message.body.rstrip().endswith("Rita Researcher\nResearch team\nChildren's Charity, 1 High Street")
    assert "Children&#x27;s Charity, 1 High Street" in message.alternatives[0][0]
    ids = set(drafts.requests.values_list("sent_message_id", flat=True))
    assert len(ids) == 3  # one per request


def test_nothing_goes_to_a_force_while_the_mailbox_is_not_set(drafts, send, settings):
    settings.FOI_MAILBOX_ADDRESS = ""
    plan = PreviewSend(drafts).execute()
    assert plan.blocking.startswith("FOI_MAILBOX_ADDRESS is not set") and not plan.can_send
    with pytest.raises(ServiceError, match="small: nothing sent: FOI_MAILBOX_ADDRESS is not set"):
        send(drafts)
    settings.FOI_MAILBOX_ADDRESS = "foi@localhost"
    with pytest.raises(ServiceError, match="is on localhost"):
        send(drafts)
    assert mail.outbox == [] and not FoiRequest.objects.filter(send_attempts__gt=0).exists()


# --- Who it goes to, and who it cannot --------------------------------------------------------

def test_the_preview_lists_who_gets_it_and_who_cannot_and_writes_nothing(drafts, send):
    Force.objects.filter(force_id="essex").update(foi_email="")
    Force.objects.filter(force_id="surrey").update(foi_email_failing=True,
                                                   foi_email_problem="550 5.1.1 User unknown")
    before = list(FoiRequest.objects.values())
    plan = PreviewSend(drafts).execute()
    assert [e.force.force_id for e in plan.emails] == ["kent"] and plan.button == "Send to 1 force"
    reasons = [reason for _, reason in plan.cannot]
    assert reasons == ["Essex Police has no FOI email address: add it under Forces",
                       "Surrey Police's FOI address 'foi@surrey.police.example' is failing (550 5.1.1 User "
                       "unknown): correct it under Forces"]
    assert plan.headline() == "small: the request goes to 1 force; cannot go to 2 forces."
    assert list(FoiRequest.objects.values()) == before and mail.outbox == []

    summary = send(drafts)
    assert [m.to for m in mail.outbox] == [["foi@kent.police.example"]]
    assert summary.headline() == "small: e-mailed 1 force; 2 forces cannot be e-mailed."
    assert drafts.requests.filter(status=RequestStatus.DRAFT).count() == 2


def test_plurals():
    assert plural(1, "force") == "1 force" and plural(44, "force") == "44 forces" and plural(0, "force") == "0 forces"


def test_a_bounced_request_goes_again_once_its_address_is_corrected(drafts, send):
    send(drafts)
    kent = drafts.requests.get(force__force_id="kent")
    first_id = kent.sent_message_id
    # What the inbox does with a bounce:
    FoiRequest.objects.filter(pk=kent.pk).update(status=RequestStatus.UNDELIVERED)
    Force.objects.filter(force_id="kent").update(foi_email_failing=True, foi_email_problem="550 no such user")
    assert [f.force_id for f, _ in PreviewSend(drafts).execute().cannot] == ["kent"]
    Force.objects.filter(force_id="kent").update(foi_email="freedom@kent.police.example", foi_email_failing=False)
    mail.outbox.clear()
    summary = send(drafts)
    assert [m.to for m in mail.outbox] == [["freedom@kent.police.example"]] and len(summary.sent) == 1
    kent.refresh_from_db()
    assert kent.status == RequestStatus.SENT and kent.sent_message_id != first_id
    assert send(drafts).sent == []


# --- The command ------------------------------------------------------------------------------

def send_campaign(*args) -> str:
    return command("send_campaign", *args)


def test_command_dry_run_prints_each_email_and_who_cannot_get_it_and_sends_nothing(drafts):
    Force.objects.filter(force_id="essex").update(foi_email="not an address")
    out = send_campaign("small", "--dry-run")
    assert "Dry run: nothing is sent or recorded." in out
    assert "small: the request goes to 2 forces; cannot go to 1 force." in out
    assert "Essex Police's FOI address 'not an address' is not an email address: correct it under Forces" in out
    assert "--- The e-mail as Kent Police will get it ---" in out
    assert f"Reply-To: {TEST_MAILBOX}" in out and "To: foi@kent.police.example" in out
    assert "Subject: Freedom of Information request FOI-SMALL-SURREY: Cyber-flagged offences 2016/17" in out
    assert "How many offences?" in out
    assert mail.outbox == [] and not FoiRequest.objects.filter(send_attempts__gt=0).exists()


@pytest.mark.django_db(transaction=True)
def test_command_sends_to_the_forces_named_and_once(drafts):
    out = send_campaign("small", "--force", "kent", "--force", "essex")
    assert "small: e-mailed 2 forces." in out
    assert sorted(m.to[0] for m in mail.outbox) == ["foi@essex.police.example", "foi@kent.police.example"]
    out = send_campaign("small")
    assert "e-mailed 1 force; 2 forces already sent to, not sent again." in out
    assert len(mail.outbox) == 3


@pytest.mark.parametrize("args, message", [
    (["nope"], "no campaign with slug 'nope'"),
    (["small", "--force", "kentt"], "--force kentt: no force with that id"),
    (["small", "--force", "kent", "--force", "devon-and-cornwall"],
     "--force devon-and-cornwall: that force was not asked in campaign 'small'"),
])
def test_command_bad_input_is_one_line_and_sends_nothing(drafts, args, message):
    with pytest.raises(CommandError, match=message):
        send_campaign(*args)
    assert mail.outbox == [] and not FoiRequest.objects.filter(send_attempts__gt=0).exists()


@pytest.mark.django_db(transaction=True)
def test_command_exits_non_zero_when_a_send_failed(drafts, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    with pytest.raises(CommandError, match="3 of the requests could not be sent: they stay unsent"):
        send_campaign("small")
    assert not FoiRequest.objects.exclude(status=RequestStatus.DRAFT).exists()


# --- The task ---------------------------------------------------------------------------------

def test_the_task_runs_the_same_service(drafts, researcher, django_capture_on_commit_callbacks):
    from collection.sending.tasks import send_campaign

    with django_capture_on_commit_callbacks(execute=True):
        result = send_campaign.apply(args=[drafts.pk, ["kent"], researcher.pk]).get()
    assert result["campaign"] == "small" and result["failed"] == []
    kent = drafts.requests.get(force__force_id="kent")
    assert kent.status == RequestStatus.SENT and kent.events.get(kind=EventKind.SENT).created_by == researcher


def test_retries_of_failed_sends_back_off_and_retries_of_held_ones_come_after_the_lease(settings):
    settings.FOI_REMINDER_LEASE_SECONDS = 600
    assert next_attempt_in(failed=False, held_elsewhere=False, retries=0) is None
    assert next_attempt_in(failed=True, held_elsewhere=False, retries=0) == 300
    assert next_attempt_in(failed=True, held_elsewhere=False, retries=9) == 180 * 60
    # Held by another run (perhaps one that died): only after its lease can the claim be taken over.
    assert next_attempt_in(failed=False, held_elsewhere=True, retries=0) == retry_after_lease_seconds() == 660
    assert next_attempt_in(failed=True, held_elsewhere=True, retries=0) == 660


# --- The admin: preview, then "Send to N forces" ----------------------------------------------

def changelist():
    return reverse("admin:collection_campaign_changelist")


def test_the_admin_action_previews_then_sends_on_confirmation(researcher_client, drafts,
                                                              django_capture_on_commit_callbacks):
    Force.objects.filter(force_id="essex").update(foi_email="")
    page = researcher_client.post(changelist(), {"action": "send_requests", ACTION_CHECKBOX_NAME: [drafts.pk]})
    assert page.status_code == 200
    content = page.content.decode()
    assert 'value="Send to 2 forces"' in content and "It goes to 2 forces" in content
    assert "It cannot go to 1 force" in content and "Essex Police has no FOI email address" in content
    assert "The e-mail as Kent Police will get it" in content and "FOI-SMALL-KENT" in content
    assert mail.outbox == [] and not FoiRequest.objects.filter(send_attempts__gt=0).exists()

    confirm = {"action": "send_requests", ACTION_CHECKBOX_NAME: [drafts.pk], "confirm": "Send to 2 forces",
               "force": ["kent", "surrey"]}
    for _ in range(2):  # a double click
        with django_capture_on_commit_callbacks(execute=True):
            done = researcher_client.post(changelist(), confirm, follow=True)
        assert done.status_code == 200
    assert sorted(m.to[0] for m in mail.outbox) == ["foi@kent.police.example", "foi@surrey.police.example"]
    assert drafts.requests.filter(status=RequestStatus.SENT).count() == 2


def test_the_preview_escapes_what_people_typed(researcher_client, drafts):
    Campaign.objects.filter(pk=drafts.pk).update(title="<script>alert(1)</script>",
                                                 question="<img src=x onerror=alert(2)>")
    Force.objects.filter(force_id="kent").update(name="Kent <b>Police</b>")
    page = researcher_client.post(changelist(), {"action": "send_requests", ACTION_CHECKBOX_NAME: [drafts.pk]})
    content = page.content.decode()
    assert "<script>alert(1)" not in content and "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<img src=x" not in content and "&lt;img src=x onerror=alert(2)&gt;" in content
    assert "Kent <b>Police</b>" not in content and "Kent &lt;b&gt;Police&lt;/b&gt;" in content
    assert "<script" not in content.split("</head>")[1].replace("<script src=", "")  # no inline script


def test_the_sent_email_escapes_what_people_typed_in_its_html(drafts, send):
    Campaign.objects.filter(pk=drafts.pk).update(question="<img src=x onerror=alert(2)>")
    send(drafts)
    html = mail.outbox[0].alternatives[0][0]
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<img src=x onerror=alert(2)>" in mail.outbox[0].body  # the text part is text


def test_one_campaign_at_a_time(researcher_client, drafts, researcher):
    other = CreateCampaign(slug="other", title="Other", period_start=D("2016-04-01"), period_end=D("2017-03-31"),
                           forces=list(Force.objects.filter(force_id="kent"))).execute()
    response = researcher_client.post(changelist(), {"action": "send_requests",
                                                     ACTION_CHECKBOX_NAME: [drafts.pk, other.pk]}, follow=True)
    assert b"Choose one campaign at a time" in response.content and mail.outbox == []


def test_viewers_cannot_send(viewer_client, drafts):
    confirm = {"action": "send_requests", ACTION_CHECKBOX_NAME: [drafts.pk], "confirm": "Send", "force": ["kent"]}
    response = viewer_client.post(changelist(), confirm)
    assert response.status_code in (200, 302, 403)
    assert mail.outbox == [] and not FoiRequest.objects.filter(send_attempts__gt=0).exists()


def test_anonymous_users_cannot_send(client, drafts):
    response = client.post(changelist(), {"action": "send_requests", ACTION_CHECKBOX_NAME: [drafts.pk],
                                          "confirm": "Send", "force": ["kent"]})
    assert response.status_code == 302 and "/admin/login/" in response["Location"] and mail.outbox == []


def test_a_failed_send_shows_its_error_on_the_request_and_the_campaign(researcher_client, drafts):
    kent = drafts.requests.get(force__force_id="kent")
    FoiRequest.objects.filter(pk=kent.pk).update(send_error="03 May 2017 09:00: SMTPServerDisconnected: gone")
    page = researcher_client.get(reverse("admin:collection_foirequest_change", args=[kent.pk]))
    assert b"SMTPServerDisconnected: gone" in page.content
    page = researcher_client.get(reverse("admin:collection_campaign_change", args=[drafts.pk]))
    assert b"Kent Police</a>: not sent: 03 May 2017 09:00: SMTPServerDisconnected: gone" in page.content


# --- Titles and subjects on one line ----------------------------------------------------------

def test_titles_with_a_line_break_are_refused_by_the_service_the_admin_and_the_command(researcher, researcher_client):
    assert title_problem("Cyber\n2016") and title_problem("Cyber\r2016") and title_problem("a\u2028b")
    assert title_problem("Cyber 2016") is None
    with pytest.raises(ServiceError, match="may not contain a line break"):
        CreateCampaign("c", "Cyber\nBcc: someone@example.org", D("2016-04-01"), D("2017-03-31")).execute()
    with pytest.raises(CommandError, match="may not contain a line break"):
        call_command("create_campaign", "c", "--title", "Cyber\n2016", "--period-start", "2016-04-01",
                     "--period-end", "2017-03-31", stdout=StringIO())
    response = researcher_client.post(reverse("admin:collection_campaign_add"), {
        "title": "Cyber\r\n2016", "slug": "c", "question": "How many?", "period_start": "2016-04-01",
        "period_end": "2017-03-31", "chasers_enabled": "on"})
    assert response.status_code == 200 and b"may not contain a line break" in response.content
    assert not Campaign.objects.exists()


def test_a_title_saved_with_a_line_break_before_the_refusal_no_longer_stops_any_mail(drafts, send,
                                                                                      django_capture_on_commit_callbacks):
    from collection.reminders.services import SendReminders

    Campaign.objects.filter(pk=drafts.pk).update(title="Cyber-flagged\r\noffences\n2016/17")
    drafts.refresh_from_db()
    summary = send(drafts)
    assert len(summary.sent) == 3 and summary.failed == []
    assert mail.outbox[0].subject == "Freedom of Information request FOI-SMALL-ESSEX: Cyber-flagged offences 2016/17"
    kent = drafts.requests.get(force__force_id="kent")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reminders = SendReminders(today=kent.due_on + dt.timedelta(days=7)).execute()
    assert reminders.failed == [] and len(reminders.sent) == 4  # three chasers and the digest
    assert all("\n" not in m.subject and "\r" not in m.subject for m in mail.outbox)
    assert any("Cyber-flagged offences 2016/17" in m.subject and m.subject.startswith("FOI digest")
               for m in mail.outbox)


def test_one_line():
    assert one_line("a\r\nb\n\nc\u2028d  e ") == "a b c d e"


def test_confirming_without_a_mailbox_says_why_and_sends_nothing(researcher_client, drafts, settings):
    settings.FOI_MAILBOX_ADDRESS = ""
    confirm = {"action": "send_requests", ACTION_CHECKBOX_NAME: [drafts.pk], "confirm": "Send to 3 forces",
               "force": FORCES}
    response = researcher_client.post(changelist(), confirm, follow=True)
    assert b"mall: nothing sent: FOI_MAILBOX_ADDRESS is not set" in response.content  # "Small": capitalised
    assert mail.outbox == [] and not FoiRequest.objects.filter(send_attempts__gt=0).exists()
    preview = researcher_client.post(changelist(), {"action": "send_requests", ACTION_CHECKBOX_NAME: [drafts.pk]})
    assert b"Nothing can be sent: FOI_MAILBOX_ADDRESS is not set" in preview.content
    assert b'name="confirm"' not in preview.content
