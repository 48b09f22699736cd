"""Celery tasks for returned files: thin wrappers that look rows up by id and call services.py.

With a broker the admin queues these and shows a progress bar; embedded, they run inline.
"""
from celery import shared_task
from django.contrib.auth import get_user_model

from ..importer import ColumnMapping, ImportRefused
from .services import ConfirmReturn, PreviewReturn, preview_rows, set_phase
from ..models import ReturnedFile, ReturnStatus


@shared_task(name="collection.preview_return")
def preview_return(returned_id: int, mapping: dict | None = None) -> str:
    returned = ReturnedFile.objects.select_related("request__force").get(pk=returned_id)
    set_phase(returned, "reading", 10)
    try:
        result = PreviewReturn(returned, ColumnMapping.from_json(mapping) if mapping else None,
                               report_progress=True).execute()
    except ImportRefused as refusal:
        ReturnedFile.objects.filter(pk=returned_id).update(status=ReturnStatus.REFUSED, error=str(refusal))
        set_phase(returned, "refused", 100)
        return "refused"
    set_phase(returned, "previewed", 100, preview=preview_rows(result))
    return "previewed"


@shared_task(name="collection.confirm_return")
def confirm_return(returned_id: int, user_id: int | None, mapping: dict | None = None, remember: bool = False,
                   outcome: str = "", received_on: str | None = None) -> str:
    import datetime as dt

    returned = ReturnedFile.objects.select_related("request__force", "request__campaign").get(pk=returned_id)
    user = get_user_model().objects.filter(pk=user_id).first()
    set_phase(returned, "importing", 50)
    try:
        ConfirmReturn(returned, user, ColumnMapping.from_json(mapping) if mapping else None, remember, outcome,
                      dt.date.fromisoformat(received_on) if received_on else None).execute()
    except ImportRefused:
        set_phase(returned, "refused", 100)
        return "refused"
    set_phase(returned, "imported", 100)
    return "imported"
