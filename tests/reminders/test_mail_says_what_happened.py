"""E-mail that says what happened: the final-figures note counts the forces that answered and
names those that did not; the digest reaches someone even with no owner and no researcher, and
names requests that bounced and forces whose address is failing; every reminder carries our
Message-ID (kept in the log), and chasers reply to the mailbox in the request's thread."""
import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from collection.forces.models import Force
from collection.reminders.models import ReminderLog
from collection.requests.models import FoiRequest, Outcome, RequestStatus
from collection.reminders.rules import DIGEST
from collection.requests.services import CreateCampaign, RecordResponse
from reports.models import AggregateSnapshot
from reports.services import who_answered
from tests.conftest import TEST_MAILBOX
from tests.reports.practice import load_counts, record_outcome, record_outcomes

D = dt.date.fromisoformat
pytestmark = pytest.mark.django_db
FIRST_CHASER_DAY = D("2016-04-04")  # the small campaign is due Fri 1 April 2016
LAST = "west-yorkshire"


# --- The final figures ------------------------------------------------------------------------

def test_the_final_figures_email_counts_who_answered_and_names_who_did_not(campaign, researcher,
                                                                           django_capture_on_commit_callbacks):
    load_counts(campaign)
    record_outcomes(campaign, leave_out={LAST, "kent"}, user=researcher)  # north-wales: no response; suffolk: refused
    RecordResponse(campaign.requests.get(force__force_id="kent"), Outcome.NO_RESPONSE, D("2016-06-01")).execute()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        record_outcome(campaign, LAST, researcher)
    assert AggregateSnapshot.objects.filter(campaign=campaign, final=True).count() == 1
    message = mail.outbox[0]
    assert "42 of the 44 forces asked answered." in message.body
    assert "Did not respond (2): Kent Police, North Wales Police" in message.body
    assert "Refused (1): Suffolk Constabulary (s.12)" in message.body
    assert "has now answered" not in message.body and "All 44" not in message.body
    html = message.alternatives[0][0]
    assert "42 of the 44 forces asked answered." in html and "Kent Police, North Wales Police" in html
    assert message.message()["Message-ID"].endswith("@research.example.org>")


def test_who_answered_when_everyone_did():
    rows = [{"force_name": "Kent Police", "outcome": "provided"}, {"force_name": "Essex Police", "outcome": "nil_return"}]
    assert who_answered({"forces_asked": 2, "forces_with_data": 1, "timeliness": rows}) == {
        "asked": 2, "answered": 2, "everyone_answered": True, "no_response": [], "refused": [], "with_data": 1}


def test_the_final_figures_email_escapes_the_title(complete, researcher):
    from reports.services import CompileAggregate, notify_owner

    complete.title = "<b>Cyber</b> & co"
    snapshot = CompileAggregate(complete, final=True).execute()
    mail.outbox.clear()
    assert notify_owner(complete, snapshot)
    assert "&lt;b&gt;Cyber&lt;/b&gt; &amp; co" in mail.outbox[0].alternatives[0][0]


# --- The digest -------------------------------------------------------------------------------

@pytest.fixture
def small(db, researcher):
    forces = list(Force.objects.filter(force_id__in=["kent", "essex", "surrey"]))
    for force in forces:
        force.foi_email = f"foi@{force.force_id}.police.example"
        force.save()
    return CreateCampaign(slug="small", title="Small campaign", question="How many?", period_start=D("2015-04-01"),
                          period_end=D("2016-03-31"), owner=researcher, forces=forces,
                          sent_on=D("2016-03-01")).execute()


def digests():
    return [m for m in mail.outbox if m.subject.startswith("FOI digest")]


def test_with_no_owner_and_no_researcher_the_digest_goes_to_the_active_superusers(run_reminders, small, django_user_model):
    small.owner = None
    small.save()
    django_user_model.objects.filter(groups__name="Researchers").delete()
    django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    django_user_model.objects.create_superuser("gone", "gone@example.org", "pw", is_active=False)
    django_user_model.objects.create_superuser("mute", "", "pw")
    summary = run_reminders(FIRST_CHASER_DAY)
    assert [m.to for m in digests()] == [["root@example.org"]]
    assert "there are no researchers, so every administrator gets it" in digests()[0].body
    assert not [p for p in summary.problems if "nobody to send the digest to" in p]


def test_the_digest_names_requests_that_bounced_and_forces_whose_address_is_failing(run_reminders, small, researcher):
    kent = small.requests.get(force__force_id="kent")
    FoiRequest.objects.filter(pk=kent.pk).update(status=RequestStatus.UNDELIVERED)
    Force.objects.filter(force_id="kent").update(foi_email_failing=True,
                                                 foi_email_problem="550 5.1.1 <foi@kent.police.example>: no such user")
    run_reminders("2016-03-02")  # nothing due yet: without the bounce there would be no digest at all
    digest = digests()[0]
    assert digest.subject == "FOI digest Wed 02 Mar: Small campaign: 1 undelivered, 1 failing address"
    assert "FOI addresses failing (1)" in digest.body
    assert "- Kent Police: foi@kent.police.example\n  550 5.1.1 <foi@kent.police.example>: no such user" in digest.body
    assert f"/admin/collection/force/{kent.force.pk}/change/" in digest.body
    assert ("Undelivered: the request bounced, correct the address and send it again (1)\n"
            "- Kent Police (FOI-SMALL-KENT): sent Tue 1 Mar 2016 to foi@kent.police.example, bounced") in digest.body
    html = digest.alternatives[0][0]
    assert "&lt;foi@kent.police.example&gt;: no such user" in html  # what the server said, escaped

    mail.outbox.clear()
    run_reminders(FIRST_CHASER_DAY)  # and again the next digest, until someone fixes it; no chaser to a failing address
    assert "1 undelivered" in digests()[0].subject
    chased = [m.to[0] for m in mail.outbox if not m.subject.startswith("FOI digest")]
    assert sorted(chased) == ["foi@essex.police.example", "foi@surrey.police.example"]


def test_a_failing_address_is_not_chased_and_the_digest_says_why(run_reminders, small):
    Force.objects.filter(force_id="essex").update(foi_email_failing=True, foi_email_problem="mailbox full")
    summary = run_reminders(FIRST_CHASER_DAY)
    assert "foi@essex.police.example" not in [m.to[0] for m in mail.outbox]
    assert any("Essex Police's FOI address 'foi@essex.police.example' is failing (mailbox full)" in p
               for p in summary.problems)
    assert "1 failing address" in digests()[0].subject


# --- Message-IDs and replies ------------------------------------------------------------------

def test_every_reminder_has_our_message_id_kept_in_the_log_and_chasers_reply_to_the_mailbox(run_reminders, small):
    kent = small.requests.get(force__force_id="kent")
    FoiRequest.objects.filter(pk=kent.pk).update(sent_message_id="<request-kent@research.example.org>")
    run_reminders(FIRST_CHASER_DAY)
    assert len(mail.outbox) == 4
    for message in mail.outbox:
        log = ReminderLog.objects.get(recipient=message.to[0])
        assert message.message()["Message-ID"] == log.message_id
        assert log.message_id.endswith("@research.example.org>")
    chaser = next(m for m in mail.outbox if m.to == ["foi@kent.police.example"])
    assert chaser.reply_to == [TEST_MAILBOX]
    assert chaser.message()["In-Reply-To"] == "<request-kent@research.example.org>"
    assert "FOI-SMALL-KENT" in chaser.subject
    digest = digests()[0]
    assert digest.reply_to == []  # staff mail: replies go to the sender, not into the FOI inbox
    assert len(set(ReminderLog.objects.values_list("message_id", flat=True))) == 4


def test_chasers_wait_while_the_mailbox_is_not_set(run_reminders, small, settings):
    settings.FOI_MAILBOX_ADDRESS = ""
    summary = run_reminders(FIRST_CHASER_DAY)
    assert [m.subject[:10] for m in mail.outbox] == ["FOI digest"]
    assert "small: 3 chasers not sent: FOI_MAILBOX_ADDRESS is not set" in " ".join(summary.problems)
    assert not ReminderLog.objects.exclude(kind=DIGEST).exists()


def test_the_reminder_log_shows_the_message_id(researcher_client, run_reminders, small):
    run_reminders(FIRST_CHASER_DAY)
    log = ReminderLog.objects.get(kind=DIGEST)
    assert log.message_id.endswith("@research.example.org>")
    page = researcher_client.get(reverse("admin:collection_reminderlog_change", args=[log.pk]))
    assert log.message_id.replace("<", "&lt;").replace(">", "&gt;") in page.content.decode()


# --- A slow mail server ---------------------------------------------------------------------
# End to end (two processes, a real SMTP server slower than the lease) in test_sending_services.py:
# SQLite's shared in-memory test database cannot take the keeper thread's writes.

def test_the_lease_keeper_renews_a_claim_while_the_send_runs_and_stops_when_it_returns():
    import threading
    import time

    from collection.sending.claims import LeaseKeeper

    renewals = []
    with LeaseKeeper(lambda: renewals.append(time.monotonic()) or 1, interval=0.05) as keeper:
        time.sleep(0.5)  # a slow mail server
    count = len(renewals)
    assert count >= 4 and keeper.renewals == count
    time.sleep(0.2)
    assert len(renewals) == count and not keeper.thread.is_alive()
    assert "foi-lease-keeper" not in [t.name for t in threading.enumerate()]


def test_the_lease_keeper_stops_when_the_claim_is_lost():
    import time

    from collection.sending.claims import LeaseKeeper

    calls = []
    with LeaseKeeper(lambda: calls.append(1) and 0, interval=0.02) as keeper:
        time.sleep(0.2)
    assert len(calls) == 1 and keeper.renewals == 0


def test_a_quick_send_never_touches_the_database_from_the_keeper(settings):
    from collection.sending.claims import LeaseKeeper

    settings.FOI_REMINDER_LEASE_SECONDS = 600
    calls = []
    with LeaseKeeper(lambda: calls.append(1) or 1) as keeper:
        pass
    assert calls == [] and keeper.interval == 150
