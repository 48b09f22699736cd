"""Celery tasks: thin wrappers over the mail services."""
from celery import shared_task

from .services import FetchMail


@shared_task(name="collection.fetch_mail")
def fetch_mail(url: str = "") -> str:
    # The result line (with any error) is also kept on the mailbox's status row for the admin.
    return FetchMail(url).execute().line()
