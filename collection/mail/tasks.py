"""Celery tasks: thin wrappers over the mail services."""
from celery import shared_task

from ..jobs.services import JobKind, run_job
from .services import FetchMail


@shared_task(name="collection.fetch_mail")
def fetch_mail(url: str = "") -> str:
    # The result line (with any error) is also kept on the mailbox's status row for the admin.
    return run_job(JobKind.FETCH, url or "mailbox", fetch_mail.name, {"url": url},
                   lambda: FetchMail(url).execute().line(), exclusive=False)
