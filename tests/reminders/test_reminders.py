"""Reminders and chasers: what the daily job sends, to whom, and that each email goes once.

Only the mail server is faked (a backend that cannot connect, or a stand-in for smtplib.SMTP);
everything else is the real job against the database.
"""
import datetime as dt
import email
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.management import CommandError, call_command
from django.urls import reverse

from collection.forces.models import Force
from collection.reminders.models import ReminderLog, ReminderStatus
from collection.requests.models import FoiRequest, Outcome, EventKind
from collection.reminders.rules import CHASER_BY_HAND, CHASER_OVERDUE, CHASER_VERY_OVERDUE, DIGEST
from collection.reminders.services import SendReminders
from collection.roles import RESEARCHERS
from collection.requests.services import CreateCampaign, RecordEvent, RecordResponse
from tests.helpers import closed_port
from tests.helpers import command_output

D = dt.date.fromisoformat
FIRST_CHASER_DAY = D("2016-04-04")  # the fixture campaign is due Fri 1 April 2016
VERY_OVERDUE_DAY = D("2016-04-29")  # 20 working days after 1 April
SITE = "https://foi.example.org"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE + "/"


@pytest.fixture
def addresses(db):
    for force in Force.objects.all():
        force.foi_email = f"foi@{force.force_id}.police.example"
        force.save(update_fields=["foi_email"])


@pytest.fixture
def committed(transactional_db):
    """Real commits, as in production: needed where the order of commit and send matters.
    (The reference data a flush removes comes back through `make_user`.)"""


@pytest.fixture
def small_campaign(db, researcher, addresses):
    """Three forces, sent 1 March 2016, due 1 April 2016: quick to run many times."""
    forces = list(Force.objects.filter(force_id__in=["kent", "essex", "surrey"]))
    return CreateCampaign(slug="small", title="Small campaign", question="How many?",
                          period_start=D("2015-04-01"), period_end=D("2016-03-31"), owner=researcher,
                          forces=forces, sent_on=D("2016-03-01")).execute()


class FakeSMTP:
    """Stands in for smtplib.SMTP, the one thing faked: records what it is handed, and runs
    `before_delivery(n)` first so a test can make the nth delivery fail or stall."""

    delivered: list = []
    before_delivery = staticmethod(lambda n: None)

    def __init__(self, host="", port=0, **kwargs):
        pass

    def sendmail(self, from_addr, to_addrs, msg, *args, **kwargs):
        type(self).before_delivery(len(self.delivered) + 1)
        message = email.message_from_bytes(msg)
        self.delivered.append((message["To"], message["Subject"]))
        return {}

    def quit(self):
        pass

    def close(self):
        pass


@pytest.fixture
def smtp_server(settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    monkeypatch.setattr(SmtpBackend, "connection_class", property(lambda self: FakeSMTP))
    monkeypatch.setattr(FakeSMTP, "delivered", [])
    return FakeSMTP


def by_kind(messages):
    kinds = {}
    for m in messages:
        kind = DIGEST if m.subject.startswith("FOI digest") else "chaser"
        kinds.setdefault(kind, []).append(m)
    return kinds


# --- What goes out, and when ----------------------------------------------------------------

def test_the_first_working_day_after_the_due_date_chases_each_late_force(run_reminders, campaign, addresses, researcher):
    kent = campaign.requests.get(force__force_id="kent")
    FoiRequest.objects.filter(pk=kent.pk).update(force_reference="KENT/FOI/123")

    on_due_day = run_reminders("2016-04-01")
    assert len(on_due_day.sent) == 1 and len(mail.outbox) == 1  # due today: tell the owner, chase no one
    assert mail.outbox[0].to == [researcher.email] and "44 due today" in mail.outbox[0].subject

    mail.outbox.clear()
    summary = run_reminders(FIRST_CHASER_DAY)
    sent = by_kind(mail.outbox)
    assert len(sent["chaser"]) == 44 and len(sent[DIGEST]) == 1 and len(summary.sent) == 45
    chaser = next(m for m in sent["chaser"] if m.to == ["foi@kent.police.example"])
    assert chaser.subject == ("Overdue FOI request FOI-CYBER-2015-16-KENT (your ref KENT/FOI/123) to Kent Police: "
                              "Cyber-flagged sexual offences against children 2015/16")
    for text in (chaser.body, chaser.alternatives[0][0]):
        for quoted in ("FOI-CYBER-2015-16-KENT", "KENT/FOI/123", "1 March 2016", "1 April 2016"):
            assert quoted in text
    assert chaser.alternatives[0][1] == "text/html"
    assert "/admin/" not in chaser.body  # forces never see links into our admin

    digest = sent[DIGEST][0]
    assert digest.to == [researcher.email]
    assert "Cyber-flagged sexual offences" in digest.subject and "44 overdue" in digest.subject
    assert f"{SITE}/admin/collection/foirequest/{kent.pk}/change/" in digest.body
    assert f'href="{SITE}/admin/collection/campaign/{campaign.pk}/workspace/"' in digest.alternatives[0][0]
    assert "1 working day overdue" in digest.body

    logs = ReminderLog.objects.filter(about=D("2016-04-01"), kind=CHASER_OVERDUE)
    assert logs.count() == 44 and not logs.exclude(status=ReminderStatus.SENT).exists()
    assert not logs.filter(sent_at__isnull=True).exists()
    assert ReminderLog.objects.get(kind=DIGEST, about=FIRST_CHASER_DAY).recipient == researcher.email


def test_a_second_run_the_same_day_sends_nothing_again(run_reminders, campaign, addresses):
    run_reminders(FIRST_CHASER_DAY)
    again = run_reminders(FIRST_CHASER_DAY)
    assert again.sent == [] and len(again.already_sent) == 45
    assert len(mail.outbox) == 45
    assert ReminderLog.objects.count() == 45
    later = run_reminders("2016-04-05")  # the chaser is not repeated; the digest is a new day's
    assert [s for s in later.sent if "FOI digest" not in s] == []
    assert len(later.sent) == 1


def test_across_easter_nothing_goes_on_the_holidays_and_the_chaser_waits_for_tuesday(run_reminders, researcher, addresses):
    kent = Force.objects.get(force_id="kent")
    c = CreateCampaign(slug="easter", title="Easter", period_start=D("2015-04-01"), period_end=D("2016-03-31"),
                       owner=researcher, forces=[kent], sent_on=D("2016-02-24")).execute()
    assert c.requests.get().due_on == D("2016-03-24")  # St Patrick's Day (NI) skipped on the way
    for holiday in ("2016-03-25", "2016-03-26", "2016-03-27", "2016-03-28"):  # Good Friday .. Easter Monday
        summary = run_reminders(holiday)
        assert summary.not_a_working_day and summary.planned == []
    assert mail.outbox == [] and not ReminderLog.objects.exists()
    run_reminders("2016-03-29")
    assert [m.to for m in mail.outbox if "digest" not in m.subject] == [["foi@kent.police.example"]]


def test_no_chaser_for_an_answered_request_or_a_force_without_a_usable_address(run_reminders, campaign, addresses):
    kent = campaign.requests.get(force__force_id="kent")
    RecordResponse(kent, Outcome.PROVIDED, D("2016-03-30")).execute()
    Force.objects.filter(force_id="essex").update(foi_email="")
    Force.objects.filter(force_id="surrey").update(foi_email="foi at surrey police")

    summary = run_reminders(FIRST_CHASER_DAY)
    chased = {m.to[0] for m in by_kind(mail.outbox)["chaser"]}
    assert len(chased) == 41
    assert not {"foi@kent.police.example", "", "foi at surrey police"} & chased
    assert any("Essex Police has no FOI email address" in p for p in summary.problems)
    assert any("'foi at surrey police' is not an email address" in p for p in summary.problems)
    digest = by_kind(mail.outbox)[DIGEST][0].body
    assert "Essex Police has no FOI email address: add it under Forces, or chase by hand" in digest
    assert "Kent Police" not in digest  # answered: nothing to say
    assert not ReminderLog.objects.filter(request__force__force_id__in=["kent", "essex", "surrey"]).exists()


def test_forces_without_addresses_are_reported_in_one_line(run_reminders, campaign, addresses):
    Force.objects.filter(force_id__in=["essex", "kent", "surrey"]).update(foi_email="")
    summary = run_reminders(FIRST_CHASER_DAY)
    lines = [p for p in summary.problems if "no FOI email address" in p]
    assert lines == [f"{campaign.slug}: cannot chase 3 forces with no FOI email address (Essex Police, Kent Police, "
                     "Surrey Police): add them under Forces, or chase by hand"]


def test_chasers_can_be_turned_off_for_a_campaign(run_reminders, campaign, addresses):
    campaign.chasers_enabled = False
    campaign.save()
    run_reminders(FIRST_CHASER_DAY)
    assert [m.subject[:10] for m in mail.outbox] == ["FOI digest"]
    assert "chasers are off for this campaign" in mail.outbox[0].body


def test_very_overdue_gets_one_firmer_chaser_and_the_digest_suggests_an_internal_review(run_reminders, campaign, addresses):
    run_reminders(FIRST_CHASER_DAY)
    mail.outbox.clear()
    run_reminders("2016-04-28")  # still overdue, already chased: the digest only
    assert len(by_kind(mail.outbox).get("chaser", [])) == 0 and len(mail.outbox) == 1
    mail.outbox.clear()
    run_reminders(VERY_OVERDUE_DAY)
    chasers = by_kind(mail.outbox)["chaser"]
    assert len(chasers) == 44 and all(m.subject.startswith("Very overdue FOI request") for m in chasers)
    assert "internal review" in chasers[0].body and "Information Commissioner" in chasers[0].body
    assert "20 working days past" in chasers[0].body
    digest = by_kind(mail.outbox)[DIGEST][0]
    assert "Very overdue: time to ask for an internal review (44)" in digest.body
    assert ReminderLog.objects.filter(kind=CHASER_VERY_OVERDUE, status=ReminderStatus.SENT).count() == 44


def test_a_request_first_seen_when_very_overdue_gets_only_the_firmer_chaser(run_reminders, campaign, addresses):
    run_reminders("2016-06-01")
    assert len(by_kind(mail.outbox)["chaser"]) == 44
    assert not ReminderLog.objects.filter(kind=CHASER_OVERDUE).exists()


def test_an_extension_starts_a_new_round_of_chasers(run_reminders, small_campaign):
    run_reminders(FIRST_CHASER_DAY)
    kent = small_campaign.requests.get(force__force_id="kent")
    RecordEvent(kent, EventKind.EXTENSION_CLAIMED, D("2016-04-05"), new_due_on=D("2016-04-20")).execute()
    mail.outbox.clear()
    run_reminders("2016-04-21")
    assert [m.to for m in by_kind(mail.outbox)["chaser"]] == [["foi@kent.police.example"]]
    assert "20 April 2016" in by_kind(mail.outbox)["chaser"][0].body
    assert set(ReminderLog.objects.filter(request=kent).values_list("about", flat=True)) == \
        {D("2016-04-01"), D("2016-04-20")}


def test_the_digest_goes_to_every_active_researcher_when_the_campaign_has_no_owner(run_reminders, campaign, make_user, viewer,
                                                                                   django_user_model):
    campaign.owner = None
    campaign.save()
    make_user("sam", RESEARCHERS)
    make_user("olga", RESEARCHERS, is_active=False)
    make_user("noemail", RESEARCHERS)
    django_user_model.objects.filter(username="noemail").update(email="")
    run_reminders(FIRST_CHASER_DAY)
    assert sorted(m.to[0] for m in mail.outbox) == ["rita@example.org", "sam@example.org"]
    assert "every researcher" in mail.outbox[0].body


def test_nothing_to_say_means_no_digest(run_reminders, campaign):
    summary = run_reminders("2016-03-02")
    assert summary.planned == [] and mail.outbox == [] and not ReminderLog.objects.exists()


def test_due_soon_and_overdue_internal_reviews_are_in_the_digest(run_reminders, campaign):
    run_reminders("2016-03-29")
    assert "44 due within 3 working days" in mail.outbox[0].subject
    assert "Due within 3 working days (44)" in mail.outbox[0].body
    kent = campaign.requests.get(force__force_id="kent")
    RecordResponse(kent, Outcome.REFUSED, D("2016-04-01"), sections="s.12").execute()
    RecordEvent(kent, EventKind.REVIEW_ASKED, D("2016-04-05")).execute()
    kent.refresh_from_db()
    assert kent.review_due_on == D("2016-05-04")  # 20 working days, skipping the 2 May bank holiday
    mail.outbox.clear()
    run_reminders("2016-05-05")
    body = mail.outbox[0].body
    assert "Internal review overdue: time to complain to the ICO (1)" in body
    assert "Kent Police (FOI-CYBER-2015-16-KENT): internal review was due Wed 4 May 2016" in body


# --- Exactly once ---------------------------------------------------------------------------

def test_a_failing_mail_server_leaves_reminders_unsent_and_the_next_run_sends_them(committed, small_campaign,
                                                                                   settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    with pytest.raises(CommandError, match="4 reminders could not be sent; they are logged as failed"):
        call_command("send_reminders", "--today", "2016-04-04", stdout=StringIO(), stderr=StringIO())
    failed = ReminderLog.objects.filter(status=ReminderStatus.FAILED)
    assert failed.count() == 4  # three chasers and the digest: recorded, not lost
    assert all("ConnectionRefusedError" in log.error for log in failed)
    assert not ReminderLog.objects.exclude(status=ReminderStatus.FAILED).exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the server is back
    summary = SendReminders(today=FIRST_CHASER_DAY).execute()
    assert len(summary.sent) == 4 and len(mail.outbox) == 4
    assert set(ReminderLog.objects.values_list("status", "attempts", "error")) == {(ReminderStatus.SENT, 2, "")}
    assert SendReminders(today=FIRST_CHASER_DAY).execute().sent == []
    assert len(mail.outbox) == 4


class WorkerKilled(BaseException):
    """The process dying mid-run (not an error the job could catch)."""


def test_a_run_that_dies_between_two_emails_resumes_without_repeating(committed, small_campaign, smtp_server):
    def die_on_the_second(n):
        if n == 2:
            raise WorkerKilled
    smtp_server.before_delivery = staticmethod(die_on_the_second)
    with pytest.raises(WorkerKilled):
        SendReminders(today=FIRST_CHASER_DAY).execute()
    assert len(smtp_server.delivered) == 1
    assert ReminderLog.objects.filter(status=ReminderStatus.SENT).count() == 1
    stuck = ReminderLog.objects.get(status=ReminderStatus.PENDING)  # claimed by the run that died

    smtp_server.before_delivery = staticmethod(lambda n: None)
    resumed = SendReminders(today=FIRST_CHASER_DAY).execute()
    assert len(resumed.sent) == 2 and len(resumed.already_sent) == 1 and len(resumed.in_progress) == 1

    # Once the dead run's lease has run out, the claim it left is retried.
    ReminderLog.objects.filter(pk=stuck.pk).update(claimed_at=stuck.claimed_at - dt.timedelta(hours=1))
    last = SendReminders(today=FIRST_CHASER_DAY).execute()
    assert len(last.sent) == 1 and len(last.already_sent) == 3
    assert len(smtp_server.delivered) == 4 and len(set(smtp_server.delivered)) == 4
    stuck.refresh_from_db()
    assert stuck.status == ReminderStatus.SENT and stuck.attempts == 2


def test_a_second_run_starting_while_the_first_is_sending_sends_each_email_once(committed, small_campaign,
                                                                                smtp_server):
    second = []

    def another_worker_starts(n):
        if not second:  # the first run is handing over its first email: the second run runs in full now
            second.append(None)
            second[0] = SendReminders(today=FIRST_CHASER_DAY, triggered_by="second").execute()
    smtp_server.before_delivery = staticmethod(another_worker_starts)
    first = SendReminders(today=FIRST_CHASER_DAY, triggered_by="first").execute()
    assert len(smtp_server.delivered) == 4 and len(set(smtp_server.delivered)) == 4
    assert len(first.sent) == 1 and len(first.already_sent) == 3
    assert len(second[0].sent) == 3 and len(second[0].in_progress) == 1
    assert set(ReminderLog.objects.values_list("status", "attempts")) == {(ReminderStatus.SENT, 1)}


def test_a_run_inside_a_transaction_that_rolls_back_sends_nothing(committed, small_campaign):
    from django.db import transaction

    class Abandon(Exception):
        pass
    with pytest.raises(Abandon):
        with transaction.atomic():
            SendReminders(today=FIRST_CHASER_DAY).execute()
            raise Abandon
    assert mail.outbox == [] and not ReminderLog.objects.exists()
    assert len(SendReminders(today=FIRST_CHASER_DAY).execute().sent) == 4


# --- The command, the task, the schedule ----------------------------------------------------

def send_reminders_command(*args) -> tuple[str, str]:
    return command_output("send_reminders", *args)


def test_command_dry_run_says_what_would_go_and_sends_and_logs_nothing(small_campaign):
    Force.objects.filter(force_id="essex").update(foi_email="not-an-address")
    out, err = send_reminders_command("--today", "2016-04-04", "--dry-run")
    assert "dry run, nothing sent or logged): 3 would be sent" in out
    assert "would send Chaser: overdue to foi@kent.police.example: Overdue FOI request FOI-SMALL-KENT" in out
    assert "would send Daily digest to rita@example.org" in out
    assert "Essex Police's FOI address 'not-an-address' is not an email address: correct it under Forces" in err
    assert mail.outbox == [] and not ReminderLog.objects.exists()


def test_command_sends_once(small_campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        out, _ = send_reminders_command("--today", "2016-04-04", "--campaign", "small")
    assert "Reminders for Mon 04 Apr 2016:" in out
    assert len(mail.outbox) == 4
    with django_capture_on_commit_callbacks(execute=True):
        out, _ = send_reminders_command("--today", "2016-04-04")
    assert "0 sent, 4 already sent" in out and len(mail.outbox) == 4
    out, _ = send_reminders_command("--today", "2016-04-02")
    assert "not a working day (Saturday), so nothing is sent" in out


@pytest.mark.parametrize("args, message", [
    (["--today", "tomorrow"], "--today: 'tomorrow' is not a date in the form YYYY-MM-DD"),
    (["--today", "04/04/2016"], "--today: '04/04/2016' is not a date"),
    (["--campaign", "no-such-campaign"], "no campaign with slug 'no-such-campaign'"),
])
def test_command_bad_input_is_a_clear_error_and_sends_nothing(small_campaign, args, message):
    with pytest.raises(CommandError, match=message):
        send_reminders_command(*args)
    assert mail.outbox == [] and not ReminderLog.objects.exists()


def test_the_celery_task_runs_the_same_job(small_campaign, django_capture_on_commit_callbacks):
    from collection.reminders.tasks import send_chaser, send_reminders

    with django_capture_on_commit_callbacks(execute=True):
        result = send_reminders.apply(kwargs={"today": "2016-04-04"}).get()
    assert len(result["sent"]) == 4 and result["failed"] == []
    assert ReminderLog.objects.filter(triggered_by="celery").count() == 4
    kent = small_campaign.requests.get(force__force_id="kent")
    with django_capture_on_commit_callbacks(execute=True):
        chased = send_chaser.apply(args=[kent.pk], kwargs={"today": "2016-04-06"}).get()
    assert len(chased["sent"]) == 1 and mail.outbox[-1].to == ["foi@kent.police.example"]


def test_the_daily_job_is_in_the_beat_schedule_at_half_past_seven_london_time(db):
    from django_celery_beat.models import PeriodicTask

    from foi_tracker.celery import app

    task = PeriodicTask.objects.get(name="Daily reminders and chasers")
    assert task.enabled and task.task == "collection.send_reminders" and task.task in app.tasks
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("30", "7", "mon-fri")
    assert str(task.crontab.timezone) == "Europe/London"


# --- The admin ------------------------------------------------------------------------------

def test_the_reminder_log_shows_what_went_to_whom_and_filters(researcher_client, run_reminders, small_campaign):
    run_reminders(FIRST_CHASER_DAY)
    url = reverse("admin:collection_reminderlog_changelist")
    page = researcher_client.get(url)
    assert page.status_code == 200
    assert b"foi@kent.police.example" in page.content and b"Chaser: overdue" in page.content
    assert b"Send today&#x27;s reminders now" in page.content or b"Send today's reminders now" in page.content
    digests = researcher_client.get(url, {"kind": DIGEST})
    assert b"rita@example.org" in digests.content and b"foi@kent.police.example" not in digests.content
    assert researcher_client.get(url, {"status__exact": "sent"}).status_code == 200
    assert researcher_client.get(url, {"campaign__id__exact": small_campaign.pk}).status_code == 200
    log = ReminderLog.objects.get(kind=DIGEST)
    detail = researcher_client.get(reverse("admin:collection_reminderlog_change", args=[log.pk]))
    assert detail.status_code == 200 and b'name="_save"' not in detail.content


def test_previewing_a_days_digest_sends_and_logs_nothing(researcher_client, small_campaign):
    url = reverse("admin:collection_reminderlog_preview")
    assert researcher_client.get(url).status_code == 200  # the next working day by default
    page = researcher_client.get(url, {"day": "2016-04-04", "campaign": small_campaign.pk})
    assert page.status_code == 200
    content = page.content.decode()
    assert "FOI digest Mon 04 Apr: Small campaign: 3 overdue" in content
    assert "Overdue FOI request FOI-SMALL-KENT to Kent Police" in content
    assert "nothing has been sent or logged" in content
    bad = researcher_client.get(url, {"day": "someday"})
    assert bad.status_code == 200 and b"Enter a valid date" in bad.content
    assert mail.outbox == [] and not ReminderLog.objects.exists()


def test_viewers_may_preview_but_not_send(viewer_client, small_campaign):
    assert viewer_client.get(reverse("admin:collection_reminderlog_preview"), {"day": "2016-04-04"}).status_code == 200
    changelist = viewer_client.get(reverse("admin:collection_reminderlog_changelist"))
    assert b"reminders now" not in changelist.content
    assert viewer_client.post(reverse("admin:collection_reminderlog_run_now")).status_code == 403
    assert mail.outbox == [] and not ReminderLog.objects.exists()


def test_send_todays_reminders_now_from_the_admin(researcher_client, small_campaign, monkeypatch,
                                                  django_capture_on_commit_callbacks):
    from django.utils import timezone

    real_localdate = timezone.localdate
    monkeypatch.setattr(timezone, "localdate",  # "today" is a Monday, whatever day the suite runs on
                        lambda value=None, tz=None: real_localdate(value, tz) if value else D("2016-06-06"))
    url = reverse("admin:collection_reminderlog_run_now")
    assert researcher_client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = researcher_client.post(url, follow=True)
    assert response.status_code == 200 and b"Reminders for" in response.content
    # By June the requests are very overdue: the firmer chasers and the digest go.
    assert len(mail.outbox) == 4
    assert ReminderLog.objects.filter(triggered_by="admin: rita").count() == 4


def test_send_chaser_now_action_chases_late_requests_once(researcher_client, small_campaign,
                                                          django_capture_on_commit_callbacks):
    kent = small_campaign.requests.get(force__force_id="kent")
    essex = small_campaign.requests.get(force__force_id="essex")
    RecordResponse(essex, Outcome.NIL_RETURN, D("2016-03-20")).execute()
    url = reverse("admin:collection_foirequest_changelist")
    for _ in range(2):  # a double click
        with django_capture_on_commit_callbacks(execute=True):
            response = researcher_client.post(url, {"action": "send_chaser_now",
                                                    "_selected_action": [kent.pk, essex.pk]}, follow=True)
        assert response.status_code == 200
    assert [m.to for m in mail.outbox] == [["foi@kent.police.example"]]
    assert mail.outbox[0].subject.startswith("Chasing FOI request FOI-SMALL-KENT to Kent Police")
    content = response.content.decode()
    assert "Essex Police (small): not chased, it is not awaiting an answer" in content
    assert "Already sent, not sent again" in content
    log = ReminderLog.objects.get(kind=CHASER_BY_HAND)
    assert log.triggered_by == "admin: rita" and log.request == kent


def test_a_force_chased_by_hand_is_not_chased_again_automatically(run_reminders, small_campaign,
                                                                 django_capture_on_commit_callbacks):
    from collection.reminders.services import ChaseNow

    kent = small_campaign.requests.get(force__force_id="kent")
    early = ChaseNow([kent], today=D("2016-03-30")).execute()
    assert early.planned == [] and "not late yet (due 01 Apr 2016)" in early.problems[0]
    with django_capture_on_commit_callbacks(execute=True):
        by_hand = ChaseNow([kent], today=D("2016-04-04")).execute()
    assert len(by_hand.sent) == 1
    run_reminders("2016-04-05")
    chased = sorted(m.to[0] for m in mail.outbox if "digest" not in m.subject)
    assert chased == ["foi@essex.police.example", "foi@kent.police.example", "foi@surrey.police.example"]
