"""Celery tasks: thin wrappers over the sweeper and the media cleanup (both in beat's schedule)."""
from celery import shared_task

from .sweeper import SweepJobs


@shared_task(name="collection.sweep_jobs")
def sweep_jobs() -> str:
    return SweepJobs().execute().line()


@shared_task(name="collection.cleanup_media")
def cleanup_media() -> str:
    from .media import CleanupMedia

    return CleanupMedia().execute().line()
