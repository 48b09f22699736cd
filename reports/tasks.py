"""Celery tasks: thin wrappers over reports.services."""
from celery import shared_task


@shared_task(name="reports.compile_final_aggregate")
def compile_final_aggregate(campaign_id: int):
    """Compile, snapshot and email the final figures of a campaign whose last force has answered."""
    from .services import CompileFinalAndNotify

    snapshot = CompileFinalAndNotify(campaign_id).execute()
    return snapshot.pk if snapshot is not None else None
