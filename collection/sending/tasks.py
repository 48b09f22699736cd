"""Celery task: a thin wrapper that looks the campaign up by id and calls SendCampaign."""
import hashlib

from celery import shared_task
from django.contrib.auth import get_user_model

from ..jobs.services import JobKind, queue, run_job
from ..requests.models import Campaign
from .claims import RETRY_MINUTES, next_attempt_in
from .services import SendCampaign


@shared_task(bind=True, name="collection.send_campaign", max_retries=len(RETRY_MINUTES))
def send_campaign(self, campaign_id: int, force_ids: list[str] | None = None, user_id: int | None = None) -> dict:
    kwargs = {"campaign_id": campaign_id, "force_ids": force_ids, "user_id": user_id}
    return run_job(JobKind.SEND, send_key(campaign_id, force_ids), self.name, kwargs,
                   lambda: _send(self, campaign_id, force_ids, user_id), exclusive=False)


def send_key(campaign_id: int, force_ids: list[str] | None) -> str:
    """One job per campaign and set of forces: a second press for other forces is a job of its own."""
    forces = ",".join(sorted(force_ids or []))
    return f"{campaign_id}:{hashlib.sha256(forces.encode()).hexdigest()[:16]}" if forces else str(campaign_id)


def queue_send(campaign_id: int, force_ids: list[str] | None, user_id: int | None):
    """The one door the Send buttons go through: the task's AsyncResult (its result embedded), or None
    when the broker is down (the job then waits for the sweeper, see collection/jobs/)."""
    return queue(JobKind.SEND, send_key(campaign_id, force_ids), send_campaign.name,
                 {"campaign_id": campaign_id, "force_ids": force_ids, "user_id": user_id})


def _send(self, campaign_id: int, force_ids: list[str] | None, user_id: int | None) -> dict:
    campaign = Campaign.objects.get(pk=campaign_id)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    summary = SendCampaign(campaign, user, force_ids=force_ids or None).execute()
    countdown = next_attempt_in(failed=bool(summary.failed), held_elsewhere=bool(summary.being_sent),
                                retries=self.request.retries)
    if countdown is not None and not self.request.is_eager:
        # A request that failed is still unsent: the retry sends it, and only it (the sent are marked).
        raise self.retry(kwargs={"campaign_id": campaign_id, "force_ids": force_ids, "user_id": user_id},
                         countdown=countdown)
    return summary.as_dict()
