"""Celery task: a thin wrapper that looks the campaign up by id and calls SendCampaign."""
from celery import shared_task
from django.contrib.auth import get_user_model

from ..requests.models import Campaign
from .claims import RETRY_MINUTES, next_attempt_in
from .services import SendCampaign


@shared_task(bind=True, name="collection.send_campaign", max_retries=len(RETRY_MINUTES))
def send_campaign(self, campaign_id: int, force_ids: list[str] | None = None, user_id: int | None = None) -> dict:
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
