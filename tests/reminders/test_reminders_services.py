"""Reminders against the real services: PostgreSQL, Redis and a Celery worker subprocess.

Skipped in the embedded pass; run by the second pass of .ci/run (DATABASE_URL and REDIS_URL).
"""
import datetime as dt
import threading
import time
from collections import Counter

import pytest
from django.db import connection

from collection.forces.models import Force
from collection.reminders.models import ReminderLog, ReminderStatus
from collection.reminders.services import SendReminders
from collection.reminders.tasks import send_reminders
from tests.helpers import closed_port

pytestmark = pytest.mark.services

FIRST_CHASER_DAY = "2016-04-04"  # the fixture campaign is due Fri 1 April 2016: 44 chasers and a digest
EXPECTED = 45


@pytest.fixture
def addresses(campaign):
    for force in Force.objects.all():
        force.foi_email = f"foi@{force.force_id}.police.example"
        force.save(update_fields=["foi_email"])
    return campaign


def assert_each_email_once(pairs):
    counts = Counter(pairs)
    assert [pair for pair, n in counts.items() if n > 1] == []
    assert len(counts) == EXPECTED
    assert set(ReminderLog.objects.values_list("status", flat=True)) == {ReminderStatus.SENT}
    assert ReminderLog.objects.count() == EXPECTED


def test_two_reminder_runs_at_once_on_a_real_worker_send_each_email_once(celery_worker_factory, addresses):
    # A run that finds emails being sent by the other retries after the lease (they may be a dead
    # run's): a short lease keeps that retry, and so this test, quick.
    celery_worker = celery_worker_factory(FOI_REMINDER_LEASE_SECONDS="3")
    first = send_reminders.delay(today=FIRST_CHASER_DAY)
    second = send_reminders.delay(today=FIRST_CHASER_DAY)
    results = [first.get(timeout=120), second.get(timeout=120)]
    messages = celery_worker.messages()
    assert len(messages) == EXPECTED
    assert_each_email_once((m["To"], m["Subject"]) for m in messages)
    # Each run's last attempt accounts for every email: sent by it, or already sent (by the other).
    assert all(len(r["sent"]) + len(r["already_sent"]) == EXPECTED for r in results)
    assert all(r["failed"] == [] and r["in_progress"] == [] for r in results)
    assert set(ReminderLog.objects.values_list("triggered_by", flat=True)) == {"celery"}


def test_two_reminder_runs_at_once_in_threads_against_postgresql(services, transactional_db, addresses, settings,
                                                                 tmp_path):
    from tests.celery_worker import read_mailbox

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    start = threading.Barrier(2)
    summaries, errors = [], []

    def run(name):
        try:
            start.wait(timeout=30)
            summaries.append(SendReminders(today=dt.date.fromisoformat(FIRST_CHASER_DAY),
                                           triggered_by=name).execute())
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(f"thread {n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    messages = read_mailbox(tmp_path)
    assert len(messages) == EXPECTED
    assert_each_email_once((m["To"], m["Subject"]) for m in messages)
    assert sum(len(s.sent) for s in summaries) == EXPECTED


def test_a_failing_mail_server_makes_the_task_retry_and_loses_nothing(celery_worker_factory, addresses, settings):
    celery_worker_factory(EMAIL_URL=f"smtp://127.0.0.1:{closed_port()}")
    result = send_reminders.delay(today=FIRST_CHASER_DAY)
    deadline = time.monotonic() + 120
    while result.state != "RETRY" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert result.state == "RETRY"
    failed = ReminderLog.objects.filter(status=ReminderStatus.FAILED)
    assert failed.count() == EXPECTED and all("ConnectionRefusedError" in log.error for log in failed)

    # The server is back: the next run (here in-process; the retry does the same) sends them all, once.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core import mail

    summary = SendReminders(today=dt.date.fromisoformat(FIRST_CHASER_DAY)).execute()
    assert len(summary.sent) == EXPECTED
    assert_each_email_once((m.to[0], m.subject) for m in mail.outbox)
