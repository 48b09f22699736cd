"""The returns service as the inbox uses it: receive a file (kept with its SHA-256 once per
request, on the timeline), preview it (cells kept on the file), confirm it (imports exactly the
previewed cells, once). One place to follow collection/returns/services.py as it changes."""
from __future__ import annotations

import datetime as dt

from ..importer import ImportRefused
from ..models import ReturnedFile, ReturnSource, ReturnStatus
from ..returns import services as returns


def receive(request, data: bytes, filename: str, user=None, received_on: dt.date | None = None
            ) -> tuple[ReturnedFile, bool]:
    if hasattr(returns, "ReceiveReturn"):
        got = returns.ReceiveReturn(request, data, filename, user=user, source=ReturnSource.MAIL,
                                    received_on=received_on).execute()
        return got.returned, got.created
    returned, created = returns.StoreReturn(request, data, filename, user).execute()
    if created:
        ReturnedFile.objects.filter(pk=returned.pk).update(source=ReturnSource.MAIL, received_on=received_on)
        returned.refresh_from_db()
    return returned, created


def preview(returned: ReturnedFile) -> bool:
    """Read the file; True when its preview is clean (ready to confirm)."""
    if returned.status not in (ReturnStatus.PENDING, ReturnStatus.REFUSED):
        return returned.status == ReturnStatus.IMPORTED
    try:
        result = returns.PreviewReturn(returned).execute()
    except ImportRefused as refused:
        ReturnedFile.objects.filter(pk=returned.pk).update(status=ReturnStatus.REFUSED, error=str(refused))
        returned.refresh_from_db()
        return False
    returned.refresh_from_db()
    if returned.status == ReturnStatus.REFUSED:
        return False
    if returned.tidy_rows is None and result is not None and hasattr(result, "rows"):
        # Until the returns service keeps the previewed cells itself, keep its summary.
        ReturnedFile.objects.filter(pk=returned.pk).update(summary=returns.summarise(result))
    return True


def confirm(returned: ReturnedFile, user=None) -> int:
    outcome = returns.ConfirmReturn(returned, user).execute()
    return getattr(outcome, "cells", 0) or returned.counts.count()
