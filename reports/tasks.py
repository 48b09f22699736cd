"""Celery tasks: thin wrappers over reports.services."""
from celery import shared_task


@shared_task(name="reports.compile_final_aggregate")
def compile_final_aggregate(campaign_id: int):
    """Compile, snapshot and email the final figures of a campaign whose last force has answered."""
    from reports.services import CompileFinalAndNotify

    snapshot = CompileFinalAndNotify(campaign_id).execute()
    return snapshot.pk if snapshot is not None else None


@shared_task(name="reports.warm_report_figures", ignore_result=True)
def warm_report_figures(campaign_id: int):
    """Work out a campaign's figures for its data as it is now, into the reports cache (nothing if
    they are there already): the report page after an import then reads them."""
    from collection.requests.models import Campaign

    from . import cache

    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is not None:
        cache.report_figures(campaign)
