"""Celery tasks: thin wrappers that look things up by id and call the services.

Without REDIS_URL they run in-process (eager); with it a worker runs them and beat schedules
the daily reminders (see the "Daily reminders and chasers" periodic task in the admin).
"""
from celery import shared_task
from django.utils import timezone

from ..jobs.services import JobKind, run_job
from ..requests.models import Campaign, FoiRequest
from ..sending.claims import RETRY_MINUTES, next_attempt_in
from .services import ChaseNow, SendReminders
from ..validation import parse_date

#: Minutes before each retry of a run in which the mail server failed.
REMINDER_RETRY_MINUTES = RETRY_MINUTES


@shared_task(bind=True, name="collection.send_reminders", max_retries=len(REMINDER_RETRY_MINUTES))
def send_reminders(self, today: str | None = None, campaign_id: int | None = None) -> dict:
    # Fix the day on the first attempt, so a retry after midnight finishes yesterday's run.
    day = parse_date(today, "today") if today else timezone.localdate()
    return run_job(JobKind.DIGEST, f"{day.isoformat()}:{campaign_id or 'all'}", self.name,
                   {"today": day.isoformat(), "campaign_id": campaign_id}, lambda: _remind(self, day, campaign_id),
                   exclusive=False)


def _remind(self, day, campaign_id: int | None) -> dict:
    campaign = Campaign.objects.get(pk=campaign_id) if campaign_id else None
    summary = SendReminders(today=day, campaign=campaign, triggered_by="celery").execute()
    countdown = next_attempt_in(failed=bool(summary.failed), held_elsewhere=bool(summary.in_progress),
                                retries=self.request.retries)
    if countdown is not None and not self.request.is_eager:
        # Failed emails stay unsent in the log and emails held by a run that died stay claimed:
        # the retry (or tomorrow's run, for chasers) sends them.
        raise self.retry(kwargs={"today": day.isoformat(), "campaign_id": campaign_id}, countdown=countdown)
    return summary.as_dict()


@shared_task(name="collection.send_chaser")
def send_chaser(request_id: int, today: str | None = None) -> dict:
    return run_job(JobKind.CHASE, request_id, send_chaser.name, {"request_id": request_id, "today": today},
                   lambda: _chase(request_id, today), exclusive=False)


def _chase(request_id: int, today: str | None) -> dict:
    request = FoiRequest.objects.get(pk=request_id)
    return ChaseNow([request], today=parse_date(today, "today") if today else None).execute().as_dict()
