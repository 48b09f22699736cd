"""Celery tasks: thin wrappers over reports.releases.services."""
from celery import shared_task


@shared_task(name="reports.publish_release")
def publish_release(campaign_id: int, user_id: int | None = None, suppress_below: int | None = None):
    """Publish (or find again) the release of a campaign's final figures; its id."""
    from django.contrib.auth import get_user_model

    from collection.requests.models import Campaign

    from .services import PublishRelease

    campaign = Campaign.objects.get(pk=campaign_id)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return PublishRelease(campaign, suppress_below=suppress_below, user=user).execute().pk
